// The model zoo (models/zoo, trained and exported by tools/zoo/train.py; docs/ZOO.md) against
// its independent references in tests/fixtures/zoo: PyTorch's logits on the trained weights and
// on the weights read back from each Q8_0 file, and HF `tokenizers`' ids for real suite text.
// Also what the zoo promises: four models, one vocabulary, the stated sizes, a model card and a
// loss curve each, and at most 60 MB in all.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/json.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/tokenizer.h"
#include "tests/engine/fixture_util.h"
#include "tests/engine/logits_error.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kZoo = {"small", "large", "small-distilled", "small-overtrained"};

fs::path ZooDir() { return testing::SourceDir() / "models" / "zoo"; }

// Parameters of a GGUF: the element count of every tensor.
int64_t Parameters(const fs::path& path) {
  const auto g = GgufFile::Open(path.string());
  int64_t n = 0;
  for (const auto& t : g->tensors()) {
    int64_t e = 1;
    for (int64_t d : t.ne) e *= d;
    n += e;
  }
  return n;
}

TEST(Zoo, FourModelsWithCardsLossCurvesAndFixturesWithinBudget) {
  uintmax_t total = 0;
  for (const auto& name : kZoo) {
    for (const char* ext : {".gguf", ".md", ".loss.csv", ".loss.svg"}) {
      EXPECT_TRUE(fs::is_regular_file(ZooDir() / (name + ext))) << name << ext;
    }
    EXPECT_TRUE(fs::is_regular_file(testing::ZooFixtureDir() / (name + ".json"))) << name;
    total += fs::file_size(ZooDir() / (name + ".gguf"));
  }
  EXPECT_LE(total, 60u << 20) << "the zoo's GGUF files must stay within 60 MB";
  // The sizes: small about 1-2M parameters, large about ten times small.
  const int64_t small = Parameters(ZooDir() / "small.gguf");
  const int64_t large = Parameters(ZooDir() / "large.gguf");
  EXPECT_GE(small, 900'000);
  EXPECT_LE(small, 2'000'000);
  EXPECT_GE(large, 8 * small);
  EXPECT_LE(large, 15 * small);
  for (const char* shaped : {"small-distilled", "small-overtrained"}) {
    EXPECT_EQ(Parameters(ZooDir() / (std::string(shaped) + ".gguf")), small) << shaped;
  }
}

// The world the zoo was trained on (models/zoo/zoo.json) is the one `gapbench suites synth` still
// makes from the same seed and size: a generator change that moves one byte of the corpus or the
// suites would leave the zoo evaluated on a world it never saw (then retrain it: docs/ZOO.md).
TEST(Zoo, TrainedOnTheWorldTheGeneratorStillMakes) {
  const auto zoo = ParseJson(testing::ReadFile(ZooDir() / "zoo.json"), "zoo.json");
  const auto& world = zoo["world"];
  testing::TempDir dir;
  const auto r = testing::RunProcess(
      {testing::GapbenchBin(), "suites", "synth", "--seed", std::to_string(world["seed"].GetInt()),
       "--size", world["size"].GetString(), "--out", (dir / "w").string(), "--json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto made = ParseJson(r.out, "synth --json");
  EXPECT_EQ(std::string(made["world"].GetString()), world["manifest_sha256"].GetString());
}

// All four share one vocabulary (so a small model can draft for or route to the large one).
TEST(Zoo, ModelsShareOneVocabulary) {
  const auto ref = GgufFile::Open((ZooDir() / "small.gguf").string());
  const GgufValue* ref_tokens = ref->GetArray("tokenizer.ggml.tokens", GgufType::kString);
  ASSERT_NE(ref_tokens, nullptr);
  EXPECT_EQ(ref_tokens->elems.size(), 2048u);
  for (const auto& name : kZoo) {
    const auto g = GgufFile::Open((ZooDir() / (name + ".gguf")).string());
    const GgufValue* tokens = g->GetArray("tokenizer.ggml.tokens", GgufType::kString);
    ASSERT_NE(tokens, nullptr) << name;
    ASSERT_EQ(tokens->elems.size(), ref_tokens->elems.size()) << name;
    for (size_t i = 0; i < tokens->elems.size(); ++i) {
      ASSERT_EQ(tokens->elems[i].str, ref_tokens->elems[i].str) << name << " token " << i;
    }
    EXPECT_EQ(g->GetString("tokenizer.ggml.pre").value_or(""), "qwen2") << name;
  }
}

// The engine's tokenizer reproduces HF `tokenizers` exactly on the world's own text.
TEST(Zoo, TokenizerEncodesExactlyAsHf) {
  const auto tf = testing::LoadTokenizerFixture(testing::ZooFixtureDir());
  const auto file = GgufFile::Open(tf.gguf_path);
  const auto tok = Tokenizer::FromGguf(*file);
  ASSERT_GE(tf.cases.size(), 100u);
  int failures = 0;
  for (const auto& c : tf.cases) {
    const std::vector<int32_t> got = tok->Encode(c.text, /*add_bos=*/false);
    EXPECT_EQ(got, c.ids) << "text: '" << c.text << "'";
    failures += got != c.ids;
    EXPECT_EQ(tok->Decode(c.ids), c.decoded);
  }
  EXPECT_EQ(failures, 0);
  // The files say to add BOS (the models were trained with it).
  const std::vector<int32_t> with_bos = tok->Encode("Question:", /*add_bos=*/true);
  ASSERT_FALSE(with_bos.empty());
  EXPECT_EQ(with_bos.front(), tf.bos_id);
}

using testing::RelError;

class ZooForward : public ::testing::TestWithParam<std::string> {};

// The Engine I bounds for Q8_0 files (tests/engine/forward_test.cpp): 6e-2 of the largest
// |logit| against PyTorch on the same (dequantised) weights, 0.12 against the trained float32
// weights. The trained models' weights are small, so the errors are far inside these bounds
// (the measured values are printed).
TEST_P(ZooForward, LogitsMatchPyTorch) {
  const auto f = testing::LoadLogitsFixture(GetParam(), testing::ZooFixtureDir());
  EXPECT_EQ(f.gguf_path, (ZooDir() / (GetParam() + ".gguf")).lexically_normal().string());
  auto model = Model::Load(f.gguf_path);
  ASSERT_EQ(model->hparams().n_vocab, f.n_vocab);
  EXPECT_TRUE(model->tied_output());
  for (const auto& seq : f.sequences) {
    SessionOptions opts;
    opts.kv_type = kernels::GgmlType::kF32;
    Session s(*model, opts);
    s.Eval(seq.tokens, LogitsMode::kAll);
    ASSERT_EQ(s.n_logit_rows(), seq.n_pos());
    const double same = RelError(s, seq.logits, f.n_vocab);
    const double orig = RelError(s, seq.logits_original, f.n_vocab);
    EXPECT_LE(same, 6e-2) << f.name << " vs PyTorch on the dequantised weights";
    EXPECT_LE(orig, 0.12) << f.name << " vs PyTorch on the trained float32 weights";
    std::printf("%-18s seq of %2lld: rel err %.2e (same weights), %.2e (trained f32)\n",
                f.name.c_str(), static_cast<long long>(seq.n_pos()), same, orig);
  }
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(All, ZooForward, ::testing::ValuesIn(kZoo), ParamName);

}  // namespace
}  // namespace gapbench::engine
