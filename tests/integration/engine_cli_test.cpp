// The engine commands as a user runs them: real processes of the gapbench binary on the
// committed fixture models, checked against the transformers reference logits and for clean
// errors on bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

std::string Join(const std::vector<int32_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

TEST(EngineCli, LogitsAllPositionsMatchTransformers) {
  const auto f = testing::LoadLogitsFixture("qwen2-untied-f32");
  const auto& seq = f.sequences[1];
  auto r = RunProcess({GapbenchBin(), "logits", "--model", f.gguf_path, "--tokens",
                       Join(seq.tokens), "--all-positions", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = ParseJson(r.out, "logits output");
  ASSERT_EQ(doc["n_vocab"].GetInt64(), f.n_vocab);
  ASSERT_EQ(doc["tokens"].Size(), seq.tokens.size());
  const auto& rows = doc["logits"];
  ASSERT_EQ(rows.Size(), seq.tokens.size());
  double scale = 0, err = 0;
  for (float v : seq.logits) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  for (rapidjson::SizeType p = 0; p < rows.Size(); ++p) {
    ASSERT_EQ(rows[p].Size(), static_cast<rapidjson::SizeType>(f.n_vocab));
    for (rapidjson::SizeType i = 0; i < rows[p].Size(); ++i) {
      err = std::max(err, std::fabs(rows[p][i].GetDouble() - seq.logits[p * f.n_vocab + i]));
    }
  }
  EXPECT_LE(err / scale, 1e-3);

  // Without --all-positions: only the last row, equal to the last row above.
  auto last =
      RunProcess({GapbenchBin(), "logits", "--model", f.gguf_path, "--tokens", Join(seq.tokens)});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  auto ldoc = ParseJson(last.out, "logits output");
  ASSERT_EQ(ldoc["logits"].Size(), 1u);
  EXPECT_NEAR(ldoc["logits"][0][5].GetDouble(), rows[rows.Size() - 1][5].GetDouble(), 1e-5);
}

TEST(EngineCli, GreedyGenerationFollowsTheLogits) {
  const auto f = testing::LoadLogitsFixture("llama-untied-f32");
  auto g = RunProcess({GapbenchBin(), "generate", "--model", f.gguf_path, "--prompt", "Hello",
                       "--max-tokens", "6", "--json", "--kv-type", "f32"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  auto gd = ParseJson(g.out, "generate output");
  ASSERT_TRUE(gd["tokens"].IsArray());
  ASSERT_GT(gd["tokens"].Size(), 0u);
  ASSERT_TRUE(gd["text"].IsString());
  // The first generated token is the argmax of the prompt's last logits.
  auto t =
      RunProcess({GapbenchBin(), "tokenize", "--model", f.gguf_path, "--text", "Hello", "--json"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto td = ParseJson(t.out, "tokenize output");
  std::vector<int32_t> prompt;
  for (const auto& v : td["tokens"].GetArray()) prompt.push_back(v.GetInt());
  auto l = RunProcess({GapbenchBin(), "logits", "--model", f.gguf_path, "--tokens", Join(prompt)});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  auto ld = ParseJson(l.out, "logits output");
  const auto& row = ld["logits"][0];
  rapidjson::SizeType best = 0;
  for (rapidjson::SizeType i = 1; i < row.Size(); ++i) {
    if (row[i].GetDouble() > row[best].GetDouble()) best = i;
  }
  EXPECT_EQ(gd["tokens"][0].GetInt(), static_cast<int>(best));
}

TEST(EngineCli, SameSeedSameTokens) {
  const auto path = testing::LoadLogitsFixture("qwen2-tied-q8_0").gguf_path;
  auto run = [&](const char* seed) {
    auto r = RunProcess({GapbenchBin(), "generate", "--model", path, "--prompt", "abc",
                         "--max-tokens", "12", "--temperature", "1.0", "--top-k", "40", "--top-p",
                         "0.95", "--seed", seed, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(run("5"), run("5"));
}

TEST(EngineCli, BenchJsonHasTheDocumentedFields) {
  const auto path = testing::LoadLogitsFixture("llama-tied-q4_0").gguf_path;
  auto r = RunProcess({GapbenchBin(), "bench", "--model", path, "-p", "16", "-n", "8", "-r", "2",
                       "--threads", "1", "--json", "--bandwidth-mib", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto d = ParseJson(r.out, "bench output");
  EXPECT_EQ(d["prompt"]["tokens"].GetInt(), 16);
  EXPECT_GT(d["prompt"]["tokens_per_s"].GetDouble(), 0.0);
  EXPECT_GE(d["prompt"]["sd"].GetDouble(), 0.0);
  EXPECT_EQ(d["generation"]["tokens"].GetInt(), 8);
  EXPECT_GT(d["generation"]["tokens_per_s"].GetDouble(), 0.0);
  EXPECT_GT(d["peak_rss_bytes"].GetInt64(), 0);
  EXPECT_GT(d["kv_cache_bytes"].GetInt64(), 0);
  // Decode as a fraction of the memory-bandwidth bound: weight bytes per token (every tensor of
  // this tied file is read once per step) over the probe's read bandwidth.
  const auto& g = d["generation"];
  const double bytes = static_cast<double>(g["weight_bytes_per_token"].GetInt64());
  EXPECT_GT(bytes, 0.0);
  EXPECT_LE(bytes, static_cast<double>(std::filesystem::file_size(path)));
  const double bw = d["memory_bandwidth"]["read_gb_per_s"].GetDouble();
  EXPECT_GT(bw, 0.0);
  EXPECT_EQ(d["memory_bandwidth"]["buffer_bytes"].GetInt64(), 8 << 20);
  EXPECT_NEAR(g["bandwidth_bound_tokens_per_s"].GetDouble(), bw * 1e9 / bytes,
              1e-6 * bw * 1e9 / bytes);
  EXPECT_NEAR(g["fraction_of_bound"].GetDouble(),
              g["tokens_per_s"].GetDouble() / g["bandwidth_bound_tokens_per_s"].GetDouble(), 1e-6);
  EXPECT_GE(d["packed_weight_bytes"].GetInt64(), 0);
  // --bandwidth-mib 0 skips the probe (and the fields that need it).
  auto quick = RunProcess({GapbenchBin(), "bench", "--model", path, "-p", "4", "-n", "2", "-r", "1",
                           "--json", "--bandwidth-mib", "0"});
  ASSERT_EQ(quick.exit_code, 0) << quick.err;
  auto q = ParseJson(quick.out, "bench output");
  EXPECT_FALSE(q.HasMember("memory_bandwidth"));
  EXPECT_FALSE(q["generation"].HasMember("fraction_of_bound"));
  EXPECT_TRUE(q["generation"].HasMember("weight_bytes_per_token"));
}

TEST(EngineCli, BadInputGivesCleanErrors) {
  const auto path = testing::LoadLogitsFixture("llama-tied-f32").gguf_path;
  auto oob = RunProcess({GapbenchBin(), "logits", "--model", path, "--tokens", "1,99999"});
  EXPECT_EQ(oob.exit_code, 2);
  EXPECT_NE(oob.err.find("99999"), std::string::npos) << oob.err;
  auto junk = RunProcess({GapbenchBin(), "logits", "--model", path, "--tokens", "1,x"});
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_NE(junk.err.find("'x' is not an integer"), std::string::npos) << junk.err;
  auto opt =
      RunProcess({GapbenchBin(), "generate", "--model", path, "--prompt", "a", "--top-p", "2"});
  EXPECT_EQ(opt.exit_code, 2);
  EXPECT_NE(opt.err.find("top-p"), std::string::npos) << opt.err;

  // A truncated copy of a real model: the error names the file and a tensor.
  testing::TempDir dir;
  const auto bytes = testing::ReadFile(path);
  const auto cut = dir / "cut.gguf";
  testing::WriteFile(cut, bytes.substr(0, bytes.size() / 2));
  auto tr = RunProcess({GapbenchBin(), "generate", "--model", cut.string(), "--prompt", "a"});
  EXPECT_EQ(tr.exit_code, 2);
  EXPECT_NE(tr.err.find(cut.string()), std::string::npos) << tr.err;
  EXPECT_NE(tr.err.find("runs past the end of the file"), std::string::npos) << tr.err;
  // A config FILE's kv_cache is honoured (q8_0 needs 32-wide heads; these are 16 wide).
  testing::WriteFile(dir / "cfg.json", R"({"kv_cache": "q8_0"})");
  auto cfg = RunProcess({GapbenchBin(), "generate", "--model", path, "--prompt", "a", "--config",
                         (dir / "cfg.json").string()});
  EXPECT_EQ(cfg.exit_code, 2);
  EXPECT_NE(cfg.err.find("q8_0"), std::string::npos) << cfg.err;
  // An absurd context is refused with a reason, never a crash or an OOM kill.
  auto huge = RunProcess({GapbenchBin(), "generate", "--model", path, "--prompt", "a", "--ctx",
                          "4611686018427387904"});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_NE(huge.err.find("--ctx"), std::string::npos) << huge.err;
  auto missing = RunProcess({GapbenchBin(), "bench", "--model", (dir / "nope.gguf").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.gguf: cannot open"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace gapbench
