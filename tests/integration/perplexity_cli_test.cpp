// `gapbench perplexity` as a real process on the fixture models and tests/fixtures/text: the
// perplexity is recomputed here from `gapbench tokenize` + `gapbench logits --all-positions`
// (llama.cpp's chunking and BOS rule written out in the test), the --json fields are checked for
// presence and mutual consistency, and bad input exits 1 naming the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

std::string Fixture(const std::string& name) {
  return (testing::SourceDir() / "tests" / "fixtures" / "engine" / (name + ".gguf")).string();
}
std::string Text() {
  return (testing::SourceDir() / "tests" / "fixtures" / "text" / "lighthouse.txt").string();
}

rapidjson::Document RunJson(const std::vector<std::string>& argv) {
  const auto r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return ParseJson(r.out, "perplexity output");
}

std::vector<int32_t> Tokenize(const std::string& model) {
  const auto r = RunProcess({GapbenchBin(), "tokenize", "--model", model, "--file", Text()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<int32_t> ids;
  for (int32_t id; in >> id;) ids.push_back(id);
  return ids;
}

// Mean NLL of one chunk's second half from `gapbench logits` (same default f16 KV cache).
double ChunkNllSum(const std::string& model, const std::vector<int32_t>& chunk, int64_t* n) {
  std::string list;
  for (int32_t t : chunk) list += (list.empty() ? "" : ",") + std::to_string(t);
  const auto r = RunProcess({GapbenchBin(), "logits", "--model", model, "--tokens", list,
                             "--all-positions", "--kv-type", "f16"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto doc = ParseJson(r.out, "logits output");
  const auto& rows = doc["logits"];
  const auto ctx = static_cast<rapidjson::SizeType>(chunk.size());
  double sum = 0;
  for (rapidjson::SizeType row = ctx / 2; row + 1 < ctx; ++row) {
    const auto& z = rows[row];
    double mx = -1e300, s = 0;
    for (const auto& v : z.GetArray()) mx = std::max(mx, v.GetDouble());
    for (const auto& v : z.GetArray()) s += std::exp(v.GetDouble() - mx);
    sum += std::log(s) + mx - z[static_cast<rapidjson::SizeType>(chunk[row + 1])].GetDouble();
    ++*n;
  }
  return sum;
}

class PerplexityCli : public ::testing::TestWithParam<std::string> {};

// llama adds BOS (id 0): every chunk's first token becomes 0. qwen2 adds none.
TEST_P(PerplexityCli, MatchesPerplexityFromLogitsCommand) {
  const std::string model = Fixture(GetParam());
  const bool adds_bos = GetParam().rfind("llama", 0) == 0;
  const std::vector<int32_t> tokens = Tokenize(model);
  const int64_t ctx = 32, chunks = 3;
  ASSERT_GE(static_cast<int64_t>(tokens.size()), chunks * ctx);
  if (adds_bos) {
    EXPECT_EQ(tokens[0], 0);
  }
  double nll = 0;
  int64_t n = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    std::vector<int32_t> chunk(tokens.begin() + c * ctx, tokens.begin() + (c + 1) * ctx);
    if (adds_bos) chunk[0] = 0;
    nll += ChunkNllSum(model, chunk, &n);
  }
  const auto d = RunJson({GapbenchBin(), "perplexity", "--model", model, "--text", Text(), "--ctx",
                          "32", "--chunks", "3", "--json"});
  EXPECT_EQ(d["tokens_scored"].GetInt64(), n);
  EXPECT_EQ(d["tokens_scored"].GetInt64(), chunks * (ctx - 1 - ctx / 2));
  EXPECT_EQ(d["chunks"].GetInt64(), chunks);
  EXPECT_EQ(d["ctx"].GetInt64(), ctx);
  EXPECT_NEAR(std::log(d["perplexity"].GetDouble()), nll / static_cast<double>(n), 1e-6);
  EXPECT_TRUE(d["base"].IsNull());
  EXPECT_STREQ(d["config"]["weights"].GetString(), "native");
}

TEST_P(PerplexityCli, BaseComparisonFieldsAreConsistent) {
  const std::string model = Fixture(GetParam());
  const std::vector<int32_t> tokens = Tokenize(model);
  const auto r =
      RunProcess({GapbenchBin(), "perplexity", "--model", model, "--text", Text(), "--ctx", "64",
                  "--config", R"({"weights": "q8_0"})", "--base-config", "{}", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto d = ParseJson(r.out, "perplexity output");
  // Without --chunks every full chunk is used.
  const int64_t chunks = static_cast<int64_t>(tokens.size()) / 64;
  EXPECT_EQ(d["chunks"].GetInt64(), chunks);
  EXPECT_EQ(d["tokens_scored"].GetInt64(), chunks * 31);
  EXPECT_NE(r.err.find("chunk " + std::to_string(chunks) + "/" + std::to_string(chunks)),
            std::string::npos)
      << "progress on stderr: " << r.err;
  EXPECT_STREQ(d["config"]["weights"].GetString(), "q8_0");
  const auto& b = d["base"];
  ASSERT_TRUE(b.IsObject());
  EXPECT_STREQ(b["config"]["weights"].GetString(), "native");
  for (const char* key :
       {"perplexity", "perplexity_se", "kld_mean", "kld_se", "kld_median", "kld_p99", "kld_max",
        "top1_agreement", "top1_agreement_se", "ln_ppl_ratio", "ln_ppl_ratio_se"}) {
    ASSERT_TRUE(b.HasMember(key) && b[key].IsNumber()) << key;
  }
  const double ppl = d["perplexity"].GetDouble(), base_ppl = b["perplexity"].GetDouble();
  EXPECT_NEAR(b["ln_ppl_ratio"].GetDouble(), std::log(ppl / base_ppl), 1e-9);
  EXPECT_GT(b["kld_mean"].GetDouble(), 0.0);
  EXPECT_LE(b["kld_median"].GetDouble(), b["kld_p99"].GetDouble());
  EXPECT_LE(b["kld_p99"].GetDouble(), b["kld_max"].GetDouble());
  EXPECT_GT(b["kld_se"].GetDouble(), 0.0);
  EXPECT_GT(b["ln_ppl_ratio_se"].GetDouble(), 0.0);
  const double top1 = b["top1_agreement"].GetDouble();
  EXPECT_GT(top1, 0.5);
  EXPECT_LE(top1, 1.0);
  const double n = static_cast<double>(d["tokens_scored"].GetInt64());
  EXPECT_NEAR(b["top1_agreement_se"].GetDouble(), std::sqrt(top1 * (1 - top1) / (n - 1)), 1e-12);
  // The base run alone gives the base perplexity.
  const auto base_only = RunJson(
      {GapbenchBin(), "perplexity", "--model", model, "--text", Text(), "--ctx", "64", "--json"});
  EXPECT_DOUBLE_EQ(base_only["perplexity"].GetDouble(), base_ppl);
}

TEST_P(PerplexityCli, IdenticalBaseGivesZeroAndTextSummary) {
  const std::string model = Fixture(GetParam());
  const auto d = RunJson({GapbenchBin(), "perplexity", "--model", model, "--text", Text(), "--ctx",
                          "64", "--chunks", "2", "--base-config", "{}", "--json"});
  const auto& b = d["base"];
  EXPECT_EQ(b["kld_mean"].GetDouble(), 0.0);
  EXPECT_EQ(b["kld_max"].GetDouble(), 0.0);
  EXPECT_EQ(b["top1_agreement"].GetDouble(), 1.0);
  EXPECT_EQ(b["ln_ppl_ratio"].GetDouble(), 0.0);
  EXPECT_EQ(b["perplexity"].GetDouble(), d["perplexity"].GetDouble());

  const auto t = RunProcess({GapbenchBin(), "perplexity", "--model", model, "--text", Text(),
                             "--ctx", "64", "--chunks", "2", "--base-config", "{}"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  char expected[64];
  std::snprintf(expected, sizeof expected, "Final estimate: PPL = %.4f",
                d["perplexity"].GetDouble());
  EXPECT_NE(t.out.find(expected), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Mean    KLD:   0.000000"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Same top p: 100.000"), std::string::npos) << t.out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PerplexityCli,
                         ::testing::Values("llama-untied-f32", "qwen2-untied-f32"),
                         [](const auto& info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

TEST(PerplexityCliErrors, MissingEmptyAndShortTextExit2NamingTheFile) {
  testing::TempDir dir;
  const std::string model = Fixture("llama-untied-f32");
  const std::string missing = (dir / "nope.txt").string();
  auto r = RunProcess({GapbenchBin(), "perplexity", "--model", model, "--text", missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;

  const std::string empty = (dir / "empty.txt").string();
  testing::WriteFile(empty, "");
  r = RunProcess({GapbenchBin(), "perplexity", "--model", model, "--text", empty});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(empty), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("empty"), std::string::npos) << r.err;

  // "Hello there" is 7 tokens with BOS (the tokenizer fixture's vocabulary); --ctx 64 needs 128.
  const std::string short_text = (dir / "short.txt").string();
  testing::WriteFile(short_text, "Hello there");
  r = RunProcess(
      {GapbenchBin(), "perplexity", "--model", model, "--text", short_text, "--ctx", "64"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(short_text), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("7 tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at least 128"), std::string::npos) << r.err;

  // Bad options: --chunks 0, a misspelt key in --base-config (named in the message).
  r = RunProcess(
      {GapbenchBin(), "perplexity", "--model", model, "--text", Text(), "--chunks", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--chunks"), std::string::npos) << r.err;
  r = RunProcess({GapbenchBin(), "perplexity", "--model", model, "--text", Text(), "--base-config",
                  R"({"weigths": "q8_0"})"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("weigths"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gapbench
