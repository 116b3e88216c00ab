// Random models: GPT-2 byte tokens and llama3 rope factors against published values, weights
// deterministic per seed whatever the thread count, with the intended spread, and the metadata
// keys and tensor conventions llama.cpp uses.
#include "engine/random_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/session.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

TEST(RandomModel, GptByteTokensMatchGpt2Table) {
  // Values from GPT-2's bytes_to_unicode table.
  EXPECT_EQ(GptByteToken('A'), "A");
  EXPECT_EQ(GptByteToken('~'), "~");
  EXPECT_EQ(GptByteToken(' '), "\xC4\xA0");   // U+0120 'Ġ'
  EXPECT_EQ(GptByteToken('\n'), "\xC4\x8A");  // U+010A 'Ċ'
  EXPECT_EQ(GptByteToken(0), "\xC4\x80");     // U+0100 'Ā'
  EXPECT_EQ(GptByteToken(0xAD), "\xC5\x83");  // U+0143 'Ń'
  EXPECT_EQ(GptByteToken(0xA1), "\xC2\xA1");  // printable Latin-1 maps to itself
  EXPECT_EQ(GptByteToken(0xFF), "\xC3\xBF");
}

TEST(RandomModel, Llama3RopeFactorsFollowTheHfRule) {
  // Llama-3.2-1B: head_dim 64, base 500000, factor 32, low 1, high 4, original ctx 8192.
  const std::vector<float> f = Llama3RopeFreqs(64, 500000.0, 32.0, 1.0, 4.0, 8192.0);
  ASSERT_EQ(f.size(), 32u);
  EXPECT_EQ(f.front(), 1.0f);  // wavelength 2*pi: far below 8192/4
  EXPECT_EQ(f.back(), 32.0f);  // wavelength ~ 2*pi*500000^(62/64): far above 8192
  // Wavelengths between 2048 and 8192 interpolate: for i = 2k the wavelength is
  // 2*pi*500000^(2k/64); k = 16 gives ~4.4e3, so smooth = (8192/lambda - 1)/3.
  const double lambda = 2.0 * M_PI * std::pow(500000.0, 32.0 / 64.0);
  ASSERT_GT(lambda, 2048.0);
  ASSERT_LT(lambda, 8192.0);
  const double smooth = (8192.0 / lambda - 1.0) / 3.0;
  EXPECT_NEAR(f[16], 1.0 / ((1.0 - smooth) / 32.0 + smooth), 1e-4);
  for (size_t i = 1; i < f.size(); ++i) EXPECT_GE(f[i], f[i - 1]);
}

RandomModelOptions Tiny(const std::string& arch, GgmlType t, uint64_t seed) {
  RandomModelOptions o;
  o.arch = arch;
  o.preset = *FindPreset("tiny");
  o.wtype = t;
  o.seed = seed;
  return o;
}

TEST(RandomModel, SameSeedSameBytesAtAnyThreadCount) {
  testing::TempDir dir;
  const auto a = (dir / "a.gguf").string();
  const auto b = (dir / "b.gguf").string();
  const auto c = (dir / "c.gguf").string();
  kernels::SetNumThreads(1);
  WriteRandomModel(Tiny("llama", GgmlType::kQ8_0, 7), a);
  kernels::SetNumThreads(4);
  WriteRandomModel(Tiny("llama", GgmlType::kQ8_0, 7), b);
  WriteRandomModel(Tiny("llama", GgmlType::kQ8_0, 8), c);
  kernels::SetNumThreads(0);
  EXPECT_EQ(testing::ReadFile(a), testing::ReadFile(b));
  EXPECT_NE(testing::ReadFile(a), testing::ReadFile(c));
  EXPECT_EQ(std::filesystem::file_size(a), RandomModelFileSize(Tiny("llama", GgmlType::kQ8_0, 7)));
}

TEST(RandomModel, MetadataTensorsAndWeightSpread) {
  testing::TempDir dir;
  const auto path = (dir / "q.gguf").string();
  WriteRandomModel(Tiny("qwen2", GgmlType::kF16, 3), path);
  auto f = GgufFile::Open(path);
  EXPECT_EQ(f->RequireString("general.architecture"), "qwen2");
  EXPECT_EQ(f->RequireInt("qwen2.embedding_length"), 64);
  EXPECT_EQ(f->RequireInt("qwen2.block_count"), 2);
  EXPECT_EQ(f->RequireInt("qwen2.attention.head_count"), 4);
  EXPECT_EQ(f->RequireInt("qwen2.attention.head_count_kv"), 2);
  EXPECT_EQ(f->RequireInt("qwen2.rope.dimension_count"), 16);
  EXPECT_EQ(f->RequireInt("general.file_type"), 1);
  EXPECT_EQ(f->RequireInt("general.alignment"), 32);
  EXPECT_EQ(f->RequireString("tokenizer.ggml.model"), "gpt2");
  const GgufValue* toks = f->GetArray("tokenizer.ggml.tokens", GgufType::kString);
  ASSERT_EQ(toks->elems.size(), 512u);
  EXPECT_EQ(toks->elems[' '].str, "\xC4\xA0");
  const GgufValue* types = f->GetArray("tokenizer.ggml.token_type", GgufType::kI32);
  ASSERT_EQ(types->elems.size(), 512u);
  const int64_t bos = f->RequireInt("tokenizer.ggml.bos_token_id");
  const int64_t eos = f->RequireInt("tokenizer.ggml.eos_token_id");
  EXPECT_NE(bos, eos);
  EXPECT_EQ(types->elems[bos].AsInt(), 3);  // control
  EXPECT_EQ(types->elems[eos].AsInt(), 3);
  // Every merge joins two tokens into one that is in the vocabulary.
  const GgufValue* merges = f->GetArray("tokenizer.ggml.merges", GgufType::kString);
  ASSERT_FALSE(merges->elems.empty());
  for (const auto& m : merges->elems) {
    std::string joined(m.str);
    joined.erase(joined.find(' '), 1);
    bool found = false;
    for (const auto& t : toks->elems) found = found || t.str == joined;
    EXPECT_TRUE(found) << m.str;
  }

  const GgufTensorInfo* q = f->FindTensor("blk.1.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->ne, (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(q->type, GgmlType::kF16);
  EXPECT_EQ(f->FindTensor("blk.0.attn_k.bias")->ne, std::vector<int64_t>{32});
  EXPECT_EQ(f->FindTensor("blk.0.attn_k.bias")->type, GgmlType::kF32);
  EXPECT_EQ(f->FindTensor("blk.0.ffn_down.weight")->ne, (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(f->FindTensor("token_embd.weight")->ne, (std::vector<int64_t>{64, 512}));
  EXPECT_EQ(f->FindTensor("output.weight"), nullptr);  // tied
  EXPECT_EQ(f->FindTensor("rope_freqs.weight"), nullptr);

  // Weights: mean ~0, std ~0.02; norms ~1.
  const GgufTensorInfo* up = f->FindTensor("blk.0.ffn_up.weight");
  std::vector<float> w(static_cast<size_t>(up->n_elements));
  kernels::DequantizeRow(up->type, up->data, w.data(), up->n_elements);
  double sum = 0, sq = 0;
  for (float x : w) {
    sum += x;
    sq += static_cast<double>(x) * x;
  }
  const double mean = sum / w.size();
  const double sd = std::sqrt(sq / w.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.001);
  EXPECT_NEAR(sd, 0.02, 0.001);
  const GgufTensorInfo* norm = f->FindTensor("output_norm.weight");
  for (int i = 0; i < 64; ++i) {
    float x;
    std::memcpy(&x, norm->data + 4 * i, 4);
    EXPECT_NEAR(x, 1.0f, 0.08f);
  }
}

TEST(RandomModel, LlamaWithLlama3PresetCarriesRopeFreqs) {
  // The 1B preset is 5 GB at f32: check its plan (size) and, on the tiny preset with the llama3
  // flag, the tensor itself.
  RandomModelOptions o = Tiny("llama", GgmlType::kF32, 1);
  o.preset.llama3_rope = true;
  testing::TempDir dir;
  const auto path = (dir / "l.gguf").string();
  WriteRandomModel(o, path);
  auto f = GgufFile::Open(path);
  const GgufTensorInfo* rf = f->FindTensor("rope_freqs.weight");
  ASSERT_NE(rf, nullptr);
  EXPECT_EQ(rf->ne, std::vector<int64_t>{8});
  const std::vector<float> expect = Llama3RopeFreqs(16, 10000.0, 32.0, 1.0, 4.0, 8192.0);
  EXPECT_EQ(std::memcmp(rf->data, expect.data(), 32), 0);

  RandomModelOptions big = Tiny("llama", GgmlType::kF32, 1);
  big.preset = *FindPreset("llama3.2-1b");
  // 1,235,814,400 parameters (the published Llama-3.2-1B count) at 4 bytes, plus the header.
  const uint64_t size = RandomModelFileSize(big);
  EXPECT_GT(size, 1235814400ull * 4);
  EXPECT_LT(size, 1235814400ull * 4 + 8ull * 1024 * 1024);
}

TEST(RandomModel, RejectsBadCombinations) {
  RandomModelOptions o = Tiny("gemma", GgmlType::kF32, 0);
  EXPECT_THROW(RandomModelFileSize(o), Error);
  o = Tiny("llama", GgmlType::kQ4_K, 0);
  EXPECT_THROW(RandomModelFileSize(o), Error);
  EXPECT_FALSE(FindPreset("nope").has_value());
}

// The published-shape preset of each new architecture has the published parameter count (as
// llama.cpp's GGUFs hold it: a tied head counted once). Planned, not written (2.6 B at f32).
TEST(RandomModel, NewArchPresetsHaveThePublishedParameterCounts) {
  const std::vector<std::pair<std::string, int64_t>> published = {
      {"qwen3", 596049920},    // Qwen3-0.6B (HF's 751,632,384 counts lm_head, a tied copy)
      {"gemma2", 2614341888},  // gemma-2-2b
      {"gemma3", 999885952},   // gemma-3-1b
      {"phi3", 3821079552},    // Phi-3-mini-4k-instruct
  };
  for (const auto& [arch, count] : published) {
    const auto preset = PresetForArch(arch);
    ASSERT_TRUE(preset.has_value()) << arch;
    EXPECT_EQ(preset->arch, arch);
    RandomModelOptions o;
    o.arch = arch;
    o.preset = *preset;
    EXPECT_EQ(RandomModelParameterCount(o), count) << arch << " (" << preset->name << ")";
  }
}

// Every architecture writes a file the engine loads and runs (tiny shapes, each family's
// tensors), with finite logits.
TEST(RandomModel, EveryArchLoadsAndRuns) {
  for (const std::string& arch : RandomModelArchs()) {
    RandomModelOptions o = Tiny(arch, GgmlType::kQ8_0, 3);
    testing::TempDir dir;
    const auto path = (dir / (arch + ".gguf")).string();
    WriteRandomModel(o, path);
    auto model = Model::Load(path);
    EXPECT_EQ(model->hparams().arch, arch);
    EXPECT_EQ(model->n_params(), RandomModelParameterCount(o)) << arch;
    Session s(*model);
    const std::vector<int32_t> tokens = {1, 2, 3, 4, 5};
    s.Eval(tokens, LogitsMode::kLast);
    for (float v : s.LastLogits()) ASSERT_TRUE(std::isfinite(v)) << arch;
  }
}

}  // namespace
}  // namespace gapbench::engine
