// llama.cpp's quantisation mixes (engine/weight_mix.h): the per-tensor type assignment checked
// against layer lists written out by hand from llama-quant.cpp's use_more_bits rule
// (i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2), for several layer counts; the tied / untied
// output rule; the per-tensor fallbacks for rows that are not a multiple of 256 (as in
// Qwen2.5-0.5B's 896-wide rows); and `WriteRandomModel` writing exactly that assignment.
#include "engine/weight_mix.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/random_model.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

// The tensors of a llama-shaped model (names and ggml shapes as the converters write them).
std::vector<TensorShape> LlamaTensors(int64_t n_layer, int64_t d, int64_t n_ff, int64_t n_kv,
                                      int64_t n_vocab, bool tied) {
  std::vector<TensorShape> t;
  t.push_back({"token_embd.weight", {d, n_vocab}});
  if (!tied) t.push_back({"output.weight", {d, n_vocab}});
  t.push_back({"output_norm.weight", {d}});
  for (int64_t il = 0; il < n_layer; ++il) {
    const std::string b = "blk." + std::to_string(il) + ".";
    t.push_back({b + "attn_norm.weight", {d}});
    t.push_back({b + "attn_q.weight", {d, d}});
    t.push_back({b + "attn_k.weight", {d, n_kv}});
    t.push_back({b + "attn_v.weight", {d, n_kv}});
    t.push_back({b + "attn_q.bias", {d}});
    t.push_back({b + "attn_output.weight", {d, d}});
    t.push_back({b + "ffn_norm.weight", {d}});
    t.push_back({b + "ffn_gate.weight", {d, n_ff}});
    t.push_back({b + "ffn_up.weight", {d, n_ff}});
    t.push_back({b + "ffn_down.weight", {n_ff, d}});
  }
  return t;
}

std::map<std::string, std::optional<GgmlType>> Assign(const char* mix,
                                                      const std::vector<TensorShape>& t,
                                                      int64_t n_layer) {
  const auto types = AssignWeightTypes(*FindWeightMix(mix), t, n_layer);
  std::map<std::string, std::optional<GgmlType>> out;
  for (size_t i = 0; i < t.size(); ++i) out[t[i].name] = types[i];
  return out;
}

// Layers whose attn_v and ffn_down get more bits, worked out by hand from the rule above.
const std::map<int64_t, std::set<int64_t>> kMoreBits = {
    {2, {1}},                                                          // n/8 = 0, 7n/8 = 1
    {16, {0, 1, 4, 7, 10, 13, 14, 15}},                                // Llama-3.2-1B
    {24, {0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23}},                 // Qwen2.5-0.5B
    {26, {0, 1, 2, 5, 8, 11, 14, 17, 20, 22, 23, 24, 25}},             // Gemma-2-2B / Gemma-3-1B
    {28, {0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27}},         // Qwen3-0.6B
    {30, {0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29}},         // SmolLM2-135M
    {32, {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31}},  // Phi-3-mini, Llama 7B
};

TEST(WeightMix, UseMoreBitsMatchesHandWrittenLayerLists) {
  for (const auto& [n, layers] : kMoreBits) {
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(UseMoreBits(i, n), layers.count(i) == 1) << "layer " << i << " of " << n;
    }
  }
}

// Q4_K_M / Q5_K_M on 256-multiple rows: Q6_K on output (or the tied token_embd) and on attn_v /
// ffn_down of the listed layers, the base type elsewhere; norms and biases untouched.
TEST(WeightMix, KMixesFollowTheRuleForSeveralLayerCounts) {
  for (const char* mix : {"q4_k_m", "q5_k_m"}) {
    const GgmlType base = std::string(mix) == "q4_k_m" ? GgmlType::kQ4_K : GgmlType::kQ5_K;
    for (const auto& [n, layers] : kMoreBits) {
      for (const bool tied : {true, false}) {
        const auto t = LlamaTensors(n, 512, 1536, 256, 1024, tied);
        const auto types = Assign(mix, t, n);
        const std::string what =
            std::string(mix) + " n_layer " + std::to_string(n) + (tied ? " tied" : " untied");
        EXPECT_EQ(types.at("token_embd.weight"), tied ? GgmlType::kQ6_K : base) << what;
        if (!tied) {
          EXPECT_EQ(types.at("output.weight"), GgmlType::kQ6_K) << what;
        }
        EXPECT_FALSE(types.at("output_norm.weight").has_value()) << what;
        for (int64_t il = 0; il < n; ++il) {
          const std::string b = "blk." + std::to_string(il) + ".";
          const GgmlType more = layers.count(il) ? GgmlType::kQ6_K : base;
          EXPECT_EQ(types.at(b + "attn_v.weight"), more) << what << " layer " << il;
          EXPECT_EQ(types.at(b + "ffn_down.weight"), more) << what << " layer " << il;
          for (const char* name : {"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"}) {
            EXPECT_EQ(types.at(b + name + ".weight"), base) << what << " " << b << name;
          }
          for (const char* name : {"attn_norm.weight", "ffn_norm.weight", "attn_q.bias"}) {
            EXPECT_FALSE(types.at(b + name).has_value()) << what << " " << b << name;
          }
        }
      }
    }
  }
}

// Qwen2.5-0.5B's shapes (d = 896, n_ff = 4864 = 19 * 256, 24 layers, tied): every 896-wide row
// falls back (Q4_K -> Q5_0, Q6_K -> Q8_0; the tied embedding is Q8_0 outright), ffn_down keeps
// K-quants. This is the type set of the published Qwen2.5-0.5B-Instruct-Q4_K_M.gguf: q5_0, q8_0,
// q4_K, q6_K.
TEST(WeightMix, Q4KMFallbacksOnQwen25Shapes) {
  const auto t = LlamaTensors(24, 896, 4864, 128, 151936, true);
  const auto types = Assign("q4_k_m", t, 24);
  const auto& more = kMoreBits.at(24);
  EXPECT_EQ(types.at("token_embd.weight"), GgmlType::kQ8_0);
  for (int64_t il = 0; il < 24; ++il) {
    const std::string b = "blk." + std::to_string(il) + ".";
    EXPECT_EQ(types.at(b + "attn_v.weight"), more.count(il) ? GgmlType::kQ8_0 : GgmlType::kQ5_0)
        << il;
    EXPECT_EQ(types.at(b + "ffn_down.weight"), more.count(il) ? GgmlType::kQ6_K : GgmlType::kQ4_K)
        << il;
    for (const char* name : {"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"}) {
      EXPECT_EQ(types.at(b + name + ".weight"), GgmlType::kQ5_0) << b << name;
    }
  }
  // Q5_K_M falls back to Q5_1; Q6_K to Q8_0.
  const auto t5 = Assign("q5_k_m", t, 24);
  EXPECT_EQ(t5.at("blk.3.attn_q.weight"), GgmlType::kQ5_1);
  EXPECT_EQ(t5.at("blk.3.ffn_down.weight"), GgmlType::kQ5_K);
  EXPECT_EQ(t5.at("blk.2.attn_v.weight"), GgmlType::kQ8_0);
  const auto t6 = Assign("q6_k", t, 24);
  EXPECT_EQ(t6.at("blk.3.attn_q.weight"), GgmlType::kQ8_0);
  EXPECT_EQ(t6.at("blk.3.ffn_down.weight"), GgmlType::kQ6_K);
  EXPECT_EQ(t6.at("token_embd.weight"), GgmlType::kQ8_0);
}

// The other mixes: Q6_K everywhere (output / tied embedding too) for q6_k; the base type
// everywhere but Q6_K on the output / tied embedding for q5_0, q5_1, q4_1 (no use_more_bits).
TEST(WeightMix, UniformMixesPutQ6KOnTheOutput) {
  for (const bool tied : {true, false}) {
    const auto t = LlamaTensors(8, 512, 1536, 256, 1024, tied);
    const std::pair<const char*, GgmlType> mixes[] = {{"q6_k", GgmlType::kQ6_K},
                                                      {"q5_0", GgmlType::kQ5_0},
                                                      {"q5_1", GgmlType::kQ5_1},
                                                      {"q4_1", GgmlType::kQ4_1}};
    for (const auto& [mix, base] : mixes) {
      const auto types = Assign(mix, t, 8);
      EXPECT_EQ(types.at(tied ? "token_embd.weight" : "output.weight"), GgmlType::kQ6_K) << mix;
      if (!tied) {
        EXPECT_EQ(types.at("token_embd.weight"), base) << mix;
      }
      for (int64_t il = 0; il < 8; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        for (const char* name : {"attn_q", "attn_v", "ffn_down", "ffn_up"}) {
          EXPECT_EQ(types.at(b + name + ".weight"), base) << mix << " " << b << name;
        }
      }
    }
    // A 96-wide output row: not a multiple of 32 for Q6_K's block -> Q8_0 (and Q5_0 elsewhere).
    const auto narrow = Assign("q5_0", LlamaTensors(2, 96, 256, 96, 1024, tied), 2);
    EXPECT_EQ(narrow.at(tied ? "token_embd.weight" : "output.weight"), GgmlType::kQ8_0);
  }
}

// Fused Phi-3 attn_qkv counts as attn_v (llama.cpp's category_is_attn_v), so it takes Q6_K on the
// use_more_bits layers.
TEST(WeightMix, FusedQkvCountsAsAttnV) {
  std::vector<TensorShape> t = {{"token_embd.weight", {256, 512}}};
  for (int64_t il = 0; il < 8; ++il) {
    t.push_back({"blk." + std::to_string(il) + ".attn_qkv.weight", {256, 768}});
  }
  const auto types = Assign("q4_k_m", t, 8);
  for (int64_t il = 0; il < 8; ++il) {
    const bool more = il == 0 || il == 7 || il == 3 || il == 6;  // n/8 = 1, 7n/8 = 7
    EXPECT_EQ(types.at("blk." + std::to_string(il) + ".attn_qkv.weight"),
              more ? GgmlType::kQ6_K : GgmlType::kQ4_K)
        << il;
  }
}

TEST(WeightMix, NamesAndUnknownRowLengths) {
  EXPECT_TRUE(FindWeightMix("Q4_K_M").has_value());
  EXPECT_FALSE(FindWeightMix("q4_k_s").has_value());
  EXPECT_EQ(WeightMixNames(), "q4_k_m, q5_k_m, q6_k, q5_0, q5_1, q4_1");
  EXPECT_EQ(FindWeightMix("q4_k_m")->file_type, 15u);
  EXPECT_EQ(FindWeightMix("q5_k_m")->file_type, 17u);
  EXPECT_EQ(FindWeightMix("q6_k")->file_type, 18u);
  // A 40-wide row: Q4_K -> Q5_0 still does not divide it -> F16, as llama.cpp.
  const std::vector<TensorShape> odd = {{"blk.0.attn_q.weight", {40, 40}}};
  EXPECT_EQ(Assign("q4_k_m", odd, 1).at("blk.0.attn_q.weight"), GgmlType::kF16);
  // Q5_0 has no fallback in llama.cpp: an error naming the tensor.
  try {
    Assign("q5_0", odd, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.attn_q.weight"), std::string::npos) << e.what();
  }
}

// WriteRandomModel with a mix writes exactly the assignment above (types read back from the file).
TEST(WeightMix, RandomModelWritesTheAssignment) {
  const testing::TempDir dir;
  ModelPreset p{"k256", "K256",  256,  8,     4,       2, 768,           512,
                256,    10000.0, 1e-5, false, "llama", 0, /*tied=*/true, 0};
  for (const char* mix : {"q4_k_m", "q5_k_m", "q6_k", "q5_0", "q4_1", "q5_1"}) {
    RandomModelOptions o;
    o.preset = p;
    o.mix = FindWeightMix(mix);
    o.seed = 3;
    const std::string path = (dir.path() / (std::string(mix) + ".gguf")).string();
    WriteRandomModel(o, path);
    const auto f = GgufFile::Open(path);
    EXPECT_EQ(f->GetInt("general.file_type"), static_cast<int64_t>(o.mix->file_type)) << mix;
    std::vector<TensorShape> shapes;
    for (const auto& t : f->tensors()) shapes.push_back({std::string(t.name), t.ne});
    const auto want = AssignWeightTypes(*o.mix, shapes, p.n_layer);
    int quantised = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      const GgmlType got = f->tensors()[i].type;
      EXPECT_EQ(got, want[i].value_or(GgmlType::kF32)) << mix << " " << shapes[i].name;
      quantised += want[i].has_value();
    }
    EXPECT_EQ(quantised, 1 + 7 * 8) << mix;  // tied token_embd + 7 matrices per layer
    if (std::string(mix) == "q4_k_m") {
      EXPECT_EQ(f->FindTensor("token_embd.weight")->type, GgmlType::kQ6_K);
      EXPECT_EQ(f->FindTensor("blk.0.attn_v.weight")->type, GgmlType::kQ6_K);
      EXPECT_EQ(f->FindTensor("blk.1.ffn_down.weight")->type, GgmlType::kQ4_K);  // 8/8 = 1
      EXPECT_EQ(f->FindTensor("blk.3.ffn_down.weight")->type, GgmlType::kQ6_K);
      EXPECT_EQ(f->FindTensor("blk.7.attn_v.weight")->type, GgmlType::kQ6_K);
      EXPECT_EQ(f->FindTensor("blk.4.attn_q.weight")->type, GgmlType::kQ4_K);
    }
  }
}

}  // namespace
}  // namespace gapbench::engine
