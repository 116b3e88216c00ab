// The engine on llama.cpp-mix files (`model random --wtype q4_k_m`, ...): it loads and runs them,
// (1) with logits within a stated bound of the same model's f32 file, and -- independently --
// (2) with a forward pass equal to the naive double-precision reference on the dequantised
// weights (reference_forward.h) up to the activation quantisation; the "weights" setting with a
// mix name re-quantises an f32 file into exactly the offline file; and a file holding a tensor
// type the engine cannot compute is refused before any tensor (or the tokenizer) is read.
// Two shapes: 256-wide rows (K-quants throughout) and 96-wide rows whose matrices fall back per
// tensor (Q4_K -> Q5_0, Q6_K -> Q8_0) while ffn_down (n_ff = 256) keeps K-quants, as in a real
// Qwen2.5-0.5B Q4_K_M file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/engine_config.h"
#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/session.h"
#include "engine/weight_mix.h"
#include "tests/engine/reference_forward.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

ModelPreset Preset(int64_t d, int64_t n_head, int64_t n_ff) {
  return ModelPreset{"mix", "Mix",   d,    6,     n_head,  1, n_ff,          512,
                     256,   10000.0, 1e-5, false, "qwen2", 0, /*tied=*/true, 0};
}

std::vector<ModelPreset> Presets() { return {Preset(256, 4, 768), Preset(96, 3, 256)}; }

std::string Write(const testing::TempDir& dir, const ModelPreset& p, const char* wtype,
                  const std::string& arch = "qwen2") {
  RandomModelOptions o;
  o.arch = arch;
  o.preset = p;
  o.seed = 21;
  o.mix = FindWeightMix(wtype);
  if (!o.mix) o.wtype = *kernels::ParseTypeName(wtype);
  const std::string path =
      (dir.path() / (arch + "-" + std::to_string(p.n_embd) + "-" + wtype + ".gguf")).string();
  WriteRandomModel(o, path);
  return path;
}

std::vector<int32_t> Tokens(int64_t n, int64_t n_vocab) {
  std::vector<int32_t> t;
  for (int64_t i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((i * 53 + 7) % n_vocab));
  return t;
}

// All-position logits, f32 KV cache, in chunks of 5.
std::vector<float> Logits(const Model& m, const std::vector<int32_t>& toks) {
  Session s(m, SessionOptions{64, 5, GgmlType::kF32});
  std::vector<float> out;
  for (size_t i = 0; i < toks.size(); i += 5) {
    const size_t n = std::min<size_t>(5, toks.size() - i);
    s.Eval(std::span(toks).subspan(i, n), LogitsMode::kAll);
    for (int64_t r = 0; r < s.n_logit_rows(); ++r) {
      const auto row = s.Logits(r);
      out.insert(out.end(), row.begin(), row.end());
    }
  }
  return out;
}

double Rms(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s / static_cast<double>(v.size()));
}

// rms(a - b) / rms(b).
double RelRms(const std::vector<float>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  std::vector<double> d(b.size());
  for (size_t i = 0; i < b.size(); ++i) d[i] = a[i] - b[i];
  return Rms(d) / Rms(b);
}

std::set<GgmlType> MatrixTypes(const Model& m) {
  std::set<GgmlType> types = {m.token_embd().type, m.output().type};
  for (int64_t il = 0; il < m.hparams().n_layer; ++il) {
    const LayerWeights& L = m.layer(il);
    for (const auto* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      types.insert(w->type);
    }
  }
  return types;
}

// (1) Every mix's logits within 35% rms of the f32 model's. The random models' logits are small
// and their weights Gaussian, so 4-bit noise is large in relative terms (measured on this
// machine: d=256 q4_k_m 0.245, q4_1 0.218, q5_0 0.160, q5_1 0.130, q6_k 0.069; d=96, where most
// matrices fall back to Q5_0 / Q8_0: q4_k_m 0.068, q4_1 0.154, q6_k 0.013), while a broken type
// gives errors near or above 1 (uncorrelated logits). The noise must also shrink with the bits:
// q6_k at least 2.5x closer than q4_k_m.
TEST(WeightMixEngine, MixLogitsCloseToF32) {
  const testing::TempDir dir;
  for (const ModelPreset& p : Presets()) {
    auto f32 = Model::Load(Write(dir, p, "f32"));
    const auto toks = Tokens(12, p.n_vocab);
    const std::vector<float> base_f = Logits(*f32, toks);
    const std::vector<double> base(base_f.begin(), base_f.end());
    double err_q4km = 0, err_q6k = 0;
    for (const char* mix : {"q4_k_m", "q5_k_m", "q6_k", "q5_0", "q5_1", "q4_1"}) {
      auto m = Model::Load(Write(dir, p, mix));
      const double err = RelRms(Logits(*m, toks), base);
      std::printf("[ info ] d=%lld %-7s rms(logits - f32) / rms(f32) = %.4f\n",
                  static_cast<long long>(p.n_embd), mix, err);
      EXPECT_LT(err, 0.35) << mix << " d=" << p.n_embd;
      if (std::string(mix) == "q4_k_m") err_q4km = err;
      if (std::string(mix) == "q6_k") err_q6k = err;
    }
    EXPECT_LT(err_q6k * 2.5, err_q4km) << "d=" << p.n_embd;
  }
}

// (2) The engine's forward pass on a q4_k_m model equals the naive double-precision forward
// (reference_forward.h) over the same dequantised weights, up to the Q8_K / Q8_0 quantisation of
// the activations (max |error| <= 3% of max |logit|; measured values printed).
TEST(WeightMixEngine, Q4KMForwardMatchesDequantisedReference) {
  const testing::TempDir dir;
  for (const ModelPreset& p : Presets()) {
    auto m = Model::Load(Write(dir, p, "q4_k_m"));
    const std::set<GgmlType> types = MatrixTypes(*m);
    if (p.n_embd == 256) {
      EXPECT_EQ(types, (std::set<GgmlType>{GgmlType::kQ4_K, GgmlType::kQ6_K}));
    } else {  // Qwen2.5-0.5B's set
      EXPECT_EQ(types, (std::set<GgmlType>{GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ5_0,
                                           GgmlType::kQ8_0}));
    }
    const auto toks = Tokens(10, p.n_vocab);
    testing::ReferenceAttention att;
    for (int64_t il = 0; il < m->hparams().n_layer; ++il) {
      att.window.push_back(0);
      att.kv_source.push_back(il);
    }
    const auto ref = testing::ReferenceForward(*m, toks, att);
    const std::vector<float> got = Logits(*m, toks);
    double scale = 0, err = 0;
    size_t i = 0;
    for (const auto& row : ref) {
      for (double v : row) {
        scale = std::max(scale, std::fabs(v));
        err = std::max(err, std::fabs(got[i++] - v));
      }
    }
    ASSERT_EQ(i, got.size());
    std::printf(
        "[ info ] d=%lld q4_k_m engine vs dequantised reference: max err / max |logit| "
        "= %.2e\n",
        static_cast<long long>(p.n_embd), err / scale);
    EXPECT_LE(err / scale, 3e-2) << "d=" << p.n_embd;
  }
}

// The "weights" setting with a mix name re-quantises an f32 file into the offline file's bytes:
// same types, same weight bytes, bit-identical logits.
TEST(WeightMixEngine, SettingEqualsOfflineMixFile) {
  const testing::TempDir dir;
  for (const ModelPreset& p : Presets()) {
    const std::string f32_path = Write(dir, p, "f32");
    for (const char* mix : {"q4_k_m", "q5_k_m", "q6_k", "q5_0", "q5_1", "q4_1"}) {
      auto online = Model::Load(
          f32_path, EngineConfig::FromJson(StrCat(R"({"weights": ")", mix, R"("})"), "test"));
      auto offline = Model::Load(Write(dir, p, mix));
      EXPECT_EQ(online->config().Canonical().find(StrCat("\"weights\":\"", mix, "\"")) !=
                    std::string::npos,
                true)
          << online->config().Canonical();
      EXPECT_EQ(online->weight_bytes(), offline->weight_bytes()) << mix;
      EXPECT_EQ(MatrixTypes(*online), MatrixTypes(*offline)) << mix;
      const auto toks = Tokens(8, p.n_vocab);
      const auto a = Logits(*online, toks), b = Logits(*offline, toks);
      ASSERT_EQ(a.size(), b.size());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
          << mix << " d=" << p.n_embd;
    }
  }
}

// Every family, fused tensors included: phi3's attn_qkv and gate+up ffn_up are row ranges of one
// tensor each, and the setting must give them the fused tensor's type, as the file has it.
TEST(WeightMixEngine, SettingEqualsOfflineMixFileForEveryFamily) {
  const testing::TempDir dir;
  for (const char* arch : {"llama", "qwen3", "gemma2", "gemma3", "phi3"}) {
    ModelPreset p = Preset(256, 4, 768);
    p.arch = arch;
    const std::string f32_path = Write(dir, p, "f32", arch);
    for (const char* mix : {"q4_k_m", "q6_k"}) {
      auto online = Model::Load(
          f32_path, EngineConfig::FromJson(StrCat(R"({"weights": ")", mix, R"("})"), "test"));
      auto offline = Model::Load(Write(dir, p, mix, arch));
      EXPECT_EQ(online->weight_bytes(), offline->weight_bytes()) << arch << " " << mix;
      const auto toks = Tokens(8, p.n_vocab);
      const auto a = Logits(*online, toks), b = Logits(*offline, toks);
      ASSERT_EQ(a.size(), b.size());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << arch << " " << mix;
    }
  }
}

TEST(WeightMixEngine, SettingNamesAreValidated) {
  EXPECT_EQ(EngineConfig::FromJson(R"({"weights": "Q4_K_M"})", "t").weights_mix, "q4_k_m");
  EXPECT_FALSE(EngineConfig::FromJson(R"({"weights": "q4_k_m"})", "t").weights.has_value());
  try {
    EngineConfig::FromJson(R"({"weights": "q3_k_m"})", "cfg");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("q3_k_m"), std::string::npos) << msg;
    EXPECT_NE(msg.find("q4_k_m, q5_k_m, q6_k, q5_0, q5_1, q4_1"), std::string::npos) << msg;
  }
  // Distinct canonical forms (so results of different mixes never share a key).
  EXPECT_NE(EngineConfig::FromJson(R"({"weights": "q6_k"})", "t").Hash(),
            EngineConfig::FromJson(R"({"weights": "q4_k_m"})", "t").Hash());
}

// A tensor type the engine cannot compute is refused at load, naming the file, the tensor, its
// type and the supported types -- before the tokenizer (broken here too) or any tensor is read.
TEST(WeightMixEngine, UncomputableTensorTypeRefusedBeforeReading) {
  const testing::TempDir dir;
  const std::string src = Write(dir, Preset(256, 4, 768), "f32");
  const auto f = GgufFile::Open(src);
  GgufWriter w;
  for (const auto& kv : f->metadata()) {
    if (kv.key == "tokenizer.ggml.tokens") continue;  // would fail the tokenizer
    w.Set(std::string(kv.key), GgufWriteValue::FromValue(kv.value));
  }
  for (const auto& t : f->tensors()) {
    GgufTensorSpec spec{t.name, t.ne, t.type};
    if (t.name == "blk.2.ffn_up.weight") spec.type = GgmlType::kQ2_K;
    std::vector<uint8_t> bytes(spec.n_bytes(), 0);
    if (spec.type == t.type) std::memcpy(bytes.data(), t.data, bytes.size());
    w.AddTensor(std::move(spec), std::move(bytes));
  }
  const std::string bad = (dir.path() / "q2k.gguf").string();
  w.WriteFile(bad);
  try {
    Model::Load(bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const std::string& part :
         {bad, std::string("'blk.2.ffn_up.weight'"), std::string("q2_K"),
          std::string("f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K, q6_K, bf16")}) {
      EXPECT_NE(msg.find(part), std::string::npos) << "missing '" << part << "' in: " << msg;
    }
  }
}

}  // namespace
}  // namespace gapbench::engine
