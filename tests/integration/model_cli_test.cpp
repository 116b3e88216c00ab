// `gapbench model random` and `gapbench model inspect` as real processes: every arch x weight type
// of the tiny preset is generated and inspected, and the JSON is checked against shapes,
// parameter counts and byte sizes computed here from the preset's published numbers and the
// ggml block sizes (not from our code). Damaged and missing files exit 1 naming the file.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

// The tiny preset: d 64, 2 layers, 4/2 heads (head_dim 16), ffn 128, vocab 512, tied.
constexpr int64_t kD = 64, kLayers = 2, kHeads = 4, kKvHeads = 2, kHeadDim = 16, kFf = 128,
                  kVocab = 512;

// Bytes of n elements of a weight type (ggml block sizes: q8_0 34 B / 32, q4_0 18 B / 32).
int64_t WeightBytes(const std::string& wtype, int64_t n) {
  if (wtype == "f32") return 4 * n;
  if (wtype == "f16") return 2 * n;
  if (wtype == "q8_0") return n / 32 * 34;
  if (wtype == "q4_0") return n / 32 * 18;
  ADD_FAILURE() << wtype;
  return 0;
}

std::vector<int64_t> Shape(const rapidjson::Value& tensors, const std::string& name) {
  for (const auto& t : tensors.GetArray()) {
    if (name == t["name"].GetString()) {
      std::vector<int64_t> s;
      for (const auto& x : t["shape"].GetArray()) s.push_back(x.GetInt64());
      return s;
    }
  }
  return {};
}

class ModelCli : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ModelCli, RandomThenInspect) {
  const auto& [arch, wtype] = GetParam();
  testing::TempDir dir;
  const std::string path = (dir / "m.gguf").string();
  auto gen = RunProcess({GapbenchBin(), "model", "random", "--arch", arch, "--preset", "tiny",
                         "--wtype", wtype, "--out", path, "--seed", "5"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto ins = RunProcess({GapbenchBin(), "model", "inspect", path, "--json", "--config",
                         R"({"threads": 2, "kv_cache": "f16", "weights": "q8_0", "kv_heads": 1})"});
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  const rapidjson::Document j = ParseJson(ins.out, "inspect output");

  EXPECT_EQ(j["file_size"].GetUint64(), std::filesystem::file_size(path));
  EXPECT_STREQ(j["architecture"].GetString(), arch.c_str());
  EXPECT_EQ(j["alignment"].GetInt(), 32);
  const auto& h = j["hparams"];
  EXPECT_EQ(h["embedding_length"].GetInt64(), kD);
  EXPECT_EQ(h["block_count"].GetInt64(), kLayers);
  EXPECT_EQ(h["feed_forward_length"].GetInt64(), kFf);
  EXPECT_EQ(h["head_count"].GetInt64(), kHeads);
  EXPECT_EQ(h["head_count_kv"].GetInt64(), kKvHeads);
  EXPECT_EQ(h["head_dim"].GetInt64(), kHeadDim);
  EXPECT_EQ(h["rope_dimension_count"].GetInt64(), kHeadDim);
  EXPECT_EQ(h["vocab_size"].GetInt64(), kVocab);
  EXPECT_DOUBLE_EQ(h["rope_freq_base"].GetDouble(), 10000.0);
  EXPECT_NEAR(h["rms_epsilon"].GetDouble(), 1e-5, 1e-12);
  EXPECT_TRUE(h["sliding_window"].IsNull());
  const auto& tok = j["tokenizer"];
  EXPECT_STREQ(tok["model"].GetString(), "gpt2");
  EXPECT_STREQ(tok["pre"].GetString(), "default");
  EXPECT_EQ(tok["vocab_size"].GetInt64(), kVocab);
  EXPECT_LT(tok["bos_token_id"].GetInt64(), kVocab);
  EXPECT_LT(tok["eos_token_id"].GetInt64(), kVocab);
  EXPECT_EQ(j["config"]["threads"].GetInt(), 2);  // canonical form of the config
  EXPECT_STREQ(j["config"]["kv_cache"].GetString(), "f16");
  EXPECT_STREQ(j["config"]["weights"].GetString(), "q8_0");
  EXPECT_EQ(j["config_hash"].GetStringLength(), 16u);
  // Engine bytes under the config, computed here from the preset shapes: every 2-D weight in
  // Q8_0 (34 bytes per 32 values), K/V pooled to one head, norms and biases f32.
  auto q8 = [](int64_t rows, int64_t cols) { return rows * cols / 32 * 34; };
  int64_t expect = q8(kVocab, kD) + 4 * kD;  // tied embedding + output norm
  for (int64_t l = 0; l < kLayers; ++l) {
    expect += q8(kHeads * kHeadDim, kD) + 2 * q8(kHeadDim, kD) + q8(kD, kHeads * kHeadDim) +
              2 * q8(kFf, kD) + q8(kD, kFf) + 2 * 4 * kD;
    if (arch == "qwen2") expect += 4 * (kHeads * kHeadDim + 2 * kHeadDim);
  }
  EXPECT_EQ(j["engine"]["weight_bytes"].GetInt64(), expect);
  EXPECT_EQ(j["engine"]["kv_heads"].GetInt64(), 1);
  // f16 K and V of one 16-dim head in each of the layers.
  EXPECT_DOUBLE_EQ(j["engine"]["kv_bytes_per_token"].GetDouble(), 2.0 * kLayers * kHeadDim * 2);

  // Shapes in ggml order (ne[0] = input features).
  const auto& tensors = j["tensors"];
  EXPECT_EQ(Shape(tensors, "token_embd.weight"), (std::vector<int64_t>{kD, kVocab}));
  EXPECT_EQ(Shape(tensors, "blk.0.attn_q.weight"), (std::vector<int64_t>{kD, kHeads * kHeadDim}));
  EXPECT_EQ(Shape(tensors, "blk.1.attn_k.weight"), (std::vector<int64_t>{kD, kKvHeads * kHeadDim}));
  EXPECT_EQ(Shape(tensors, "blk.1.attn_output.weight"),
            (std::vector<int64_t>{kHeads * kHeadDim, kD}));
  EXPECT_EQ(Shape(tensors, "blk.0.ffn_gate.weight"), (std::vector<int64_t>{kD, kFf}));
  EXPECT_EQ(Shape(tensors, "blk.0.ffn_down.weight"), (std::vector<int64_t>{kFf, kD}));
  EXPECT_EQ(Shape(tensors, "output_norm.weight"), (std::vector<int64_t>{kD}));
  EXPECT_TRUE(Shape(tensors, "output.weight").empty());  // tied embeddings
  const bool qwen = arch == "qwen2";
  EXPECT_EQ(Shape(tensors, "blk.1.attn_v.bias"),
            qwen ? std::vector<int64_t>{kKvHeads * kHeadDim} : std::vector<int64_t>{});

  // Parameter count and bytes per type from the preset numbers.
  const int64_t q = kHeads * kHeadDim, kv = kKvHeads * kHeadDim;
  const int64_t weights_per_layer = kD * q + 2 * kD * kv + q * kD + 3 * kD * kFf;
  const int64_t f32_per_layer = 2 * kD + (qwen ? q + 2 * kv : 0);
  const int64_t weights = kVocab * kD + kLayers * weights_per_layer;
  const int64_t f32_params = kLayers * f32_per_layer + kD;
  EXPECT_EQ(j["parameter_count"].GetInt64(), weights + f32_params);
  const int64_t n_f32_tensors = kLayers * (qwen ? 5 : 2) + 1;
  const int64_t n_weight_tensors = 1 + kLayers * 7;
  const auto& types = j["types"].GetArray();
  if (wtype == "f32") {
    ASSERT_EQ(types.Size(), 1u);
    EXPECT_EQ(types[0]["tensors"].GetInt64(), n_f32_tensors + n_weight_tensors);
    EXPECT_EQ(types[0]["n_bytes"].GetInt64(), 4 * (weights + f32_params));
  } else {
    ASSERT_EQ(types.Size(), 2u);
    EXPECT_STREQ(types[0]["type"].GetString(), "f32");  // ascending ggml type id
    EXPECT_EQ(types[0]["tensors"].GetInt64(), n_f32_tensors);
    EXPECT_EQ(types[0]["n_bytes"].GetInt64(), 4 * f32_params);
    EXPECT_STREQ(types[1]["type"].GetString(), wtype.c_str());
    EXPECT_EQ(types[1]["tensors"].GetInt64(), n_weight_tensors);
    EXPECT_EQ(types[1]["n_elements"].GetInt64(), weights);
    EXPECT_EQ(types[1]["n_bytes"].GetInt64(), WeightBytes(wtype, weights));
  }

  // The text form works too.
  auto text = RunProcess({GapbenchBin(), "model", "inspect", path, "--tensors"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("blk.1.ffn_down.weight"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllArchesAndTypes, ModelCli,
                         ::testing::Combine(::testing::Values("llama", "qwen2"),
                                            ::testing::Values("f32", "f16", "q8_0", "q4_0")));

// --wtype q4_k_m writes llama.cpp's mix: on tiny's 64-wide rows every K-quant falls back
// (Q4_K -> Q5_0, Q6_K -> Q8_0; the tied embedding Q8_0), attn_v / ffn_down of the last of the
// two layers (use_more_bits) Q8_0, general.file_type 15; the engine runs it (bench) and the
// "weights" setting reproduces it from the f32 file (same weight bytes).
TEST(ModelCliMix, RandomQ4KMWritesLlamaCppTypesAndRuns) {
  testing::TempDir dir;
  const std::string path = (dir / "q4km.gguf").string();
  const std::string f32 = (dir / "f32.gguf").string();
  auto gen = RunProcess(
      {GapbenchBin(), "model", "random", "--preset", "tiny", "--wtype", "q4_k_m", "--out", path});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ASSERT_EQ(
      RunProcess({GapbenchBin(), "model", "random", "--preset", "tiny", "--out", f32}).exit_code,
      0);
  auto ins = RunProcess({GapbenchBin(), "model", "inspect", path, "--json"});
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  const rapidjson::Document j = ParseJson(ins.out, "inspect output");
  EXPECT_EQ(j["file_type"].GetInt(), 15);
  int checked = 0;
  for (const auto& t : j["tensors"].GetArray()) {
    const std::string name = t["name"].GetString(), type = t["type"].GetString();
    std::string want = "q5_0";
    if (name.find("norm") != std::string::npos) want = "f32";
    if (name == "token_embd.weight" || name == "blk.1.attn_v.weight" ||
        name == "blk.1.ffn_down.weight") {
      want = "q8_0";
    }
    EXPECT_EQ(type, want) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 1 + 2 * 9 + 1);
  auto bench = RunProcess(
      {GapbenchBin(), "bench", "--model", path, "-p", "8", "-n", "4", "-r", "1", "--json"});
  EXPECT_EQ(bench.exit_code, 0) << bench.err;
  auto online = RunProcess(
      {GapbenchBin(), "model", "inspect", f32, "--json", "--config", R"({"weights": "q4_k_m"})"});
  ASSERT_EQ(online.exit_code, 0) << online.err;
  auto offline = RunProcess({GapbenchBin(), "model", "inspect", path, "--json"});
  const rapidjson::Document a = ParseJson(online.out, "online"), b = ParseJson(offline.out, "b");
  EXPECT_EQ(a["engine"]["weight_bytes"].GetInt64(), b["engine"]["weight_bytes"].GetInt64());
  auto bad = RunProcess(
      {GapbenchBin(), "model", "random", "--preset", "tiny", "--wtype", "q3_k_m", "--out", path});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("q4_k_m, q5_k_m, q6_k, q5_0, q5_1, q4_1"), std::string::npos) << bad.err;
}

TEST(ModelCliErrors, TruncatedFileNamesFileAndTensor) {
  testing::TempDir dir;
  const std::string path = (dir / "full.gguf").string();
  ASSERT_EQ(RunProcess({GapbenchBin(), "model", "random", "--preset", "tiny", "--wtype", "q8_0",
                        "--out", path})
                .exit_code,
            0);
  auto ins = RunProcess({GapbenchBin(), "model", "inspect", path, "--json"});
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  const rapidjson::Document j = ParseJson(ins.out, "inspect output");
  uint64_t cut = 0;
  for (const auto& t : j["tensors"].GetArray()) {
    if (std::string(t["name"].GetString()) == "blk.1.ffn_down.weight") {
      cut = j["data_offset"].GetUint64() + t["offset"].GetUint64() + 10;
    }
  }
  ASSERT_GT(cut, 0u);
  const std::string bytes = testing::ReadFile(path);
  const std::string truncated = (dir / "cut.gguf").string();
  testing::WriteFile(truncated, bytes.substr(0, cut));
  auto bad = RunProcess({GapbenchBin(), "model", "inspect", truncated});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(truncated), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("blk.1.ffn_down.weight"), std::string::npos) << bad.err;
}

TEST(ModelCliErrors, MissingFileAndBadOptions) {
  testing::TempDir dir;
  const std::string missing = (dir / "nope.gguf").string();
  auto r = RunProcess({GapbenchBin(), "model", "inspect", missing, "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  auto p = RunProcess({GapbenchBin(), "model", "random", "--preset", "huge", "--out", missing});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.err.find("huge"), std::string::npos) << p.err;
  auto w = RunProcess(
      {GapbenchBin(), "model", "random", "--preset", "tiny", "--wtype", "q4_k", "--out", missing});
  EXPECT_EQ(w.exit_code, 2);
  auto c = RunProcess({GapbenchBin(), "model", "inspect", missing, "--config", "{bad json"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("--config"), std::string::npos) << c.err;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

// inspect says whether the engine can run a file, and why not: a random gemma2 model runs; the
// same file with general.architecture renamed is refused naming the architecture and listing
// the supported ones (and inspect itself still succeeds).
TEST(ModelCliRunnable, InspectSaysWhetherAFileRunsAndWhyNot) {
  testing::TempDir dir;
  const std::string path = (dir / "g.gguf").string();
  auto gen = RunProcess(
      {GapbenchBin(), "model", "random", "--arch", "gemma2", "--preset", "tiny", "--out", path});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto ok = RunProcess({GapbenchBin(), "model", "inspect", path, "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const rapidjson::Document j = ParseJson(ok.out, "inspect output");
  EXPECT_TRUE(j["runnable"].GetBool());
  EXPECT_TRUE(j["not_runnable_reason"].IsNull());

  // Same-length rename of the general.architecture value (u32 type, u64 length, bytes).
  std::string bytes = testing::ReadFile(path);
  const std::string key = "general.architecture";
  const size_t at = bytes.find(key);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.substr(at + key.size() + 12, 6), "gemma2");
  bytes.replace(at + key.size() + 12, 6, "mamba2");
  const std::string renamed = (dir / "m.gguf").string();
  testing::WriteFile(renamed, bytes);
  auto no = RunProcess({GapbenchBin(), "model", "inspect", renamed, "--json"});
  ASSERT_EQ(no.exit_code, 0) << no.err;
  const rapidjson::Document k = ParseJson(no.out, "inspect output");
  EXPECT_FALSE(k["runnable"].GetBool());
  const std::string why = k["not_runnable_reason"].GetString();
  EXPECT_NE(why.find("architecture 'mamba2' is not supported"), std::string::npos) << why;
  EXPECT_NE(why.find("gemma2, gemma3, phi3"), std::string::npos) << why;
  auto text = RunProcess({GapbenchBin(), "model", "inspect", renamed});
  EXPECT_NE(text.out.find("runnable:        no: "), std::string::npos) << text.out;
  auto run = RunProcess({GapbenchBin(), "logits", "--model", renamed, "--tokens", "1,2"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("mamba2"), std::string::npos) << run.err;

  auto bad = RunProcess(
      {GapbenchBin(), "model", "random", "--arch", "mamba", "--out", (dir / "x.gguf").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'mamba'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace gapbench

namespace gapbench {
namespace {

// --vocab copies a real tokenizer: the model then tokenizes exactly as the published vocabulary.
TEST(ModelCliVocab, RandomModelWithARealVocabulary) {
  GB_REQUIRE_SHARED_DATA(data);
  testing::TempDir dir;
  const std::string path = (dir / "q.gguf").string();
  const std::string vocab = (data / "tokenizer" / "ggml-vocab-qwen2.gguf").string();
  auto gen =
      testing::RunProcess({testing::GapbenchBin(), "model", "random", "--arch", "qwen2", "--preset",
                           "tiny", "--wtype", "q8_0", "--vocab", vocab, "--out", path});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto a = testing::RunProcess(
      {testing::GapbenchBin(), "tokenize", "--model", path, "--text", "Hello world 123", "--json"});
  auto b = testing::RunProcess({testing::GapbenchBin(), "tokenize", "--model", vocab, "--text",
                                "Hello world 123", "--json"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  auto ins = testing::RunProcess({testing::GapbenchBin(), "model", "inspect", path, "--json"});
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  EXPECT_EQ(ParseJson(ins.out, "inspect")["tokenizer"]["vocab_size"].GetInt64(), 151936);
}

}  // namespace
}  // namespace gapbench
