// `gapbench eval --guard`: the guarded system end to end on the model zoo's small (guard) and large
// (protected) models and the synthetic world's guard.jsonl (real processes, real files). The
// guard's recorded P(refuse) with the template "{prompt}" is the small model's own softmax over
// the item's two choices; the summary's precision, recall, F1 and FRR (overall and per split)
// equal counts made here from the records; the model alone reads as a guard too; bad guard
// options are clear errors naming the option.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;
namespace fs = std::filesystem;

fs::path Zoo(const char* name) { return testing::SourceDir() / "models" / "zoo" / name; }

std::map<std::string, rapidjson::Document> ReadRecords(const fs::path& p) {
  std::map<std::string, rapidjson::Document> out;
  std::istringstream in(testing::ReadFile(p));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto doc = ParseJson(line, p.string());
    const std::string id = doc["item_id"].GetString();
    out.emplace(id, std::move(doc));
  }
  return out;
}

class EvalGuardCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(Zoo("small.gguf")) || !fs::exists(Zoo("large.gguf"))) {
      GTEST_SKIP() << "models/zoo/{small,large}.gguf are absent";
    }
    const auto synth = RunProcess({GapbenchBin(), "suites", "synth", "--seed", "7", "--size",
                                   "small", "--out", (dir_ / "world").string()});
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
  }
  testing::ProcessResult Eval(std::vector<std::string> extra, const fs::path& out) {
    std::vector<std::string> argv = {
        GapbenchBin(), "eval",     "--suite",   (dir_ / "world" / "guard.jsonl").string(),
        "--format",    "gapbench", "--threads", "1",
        "--json",      "--out",    out.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  }
  testing::TempDir dir_;
};

// precision, recall, F1, FRR from (gold refuse, refused) pairs.
std::vector<double> Rates(const std::vector<std::pair<bool, bool>>& items) {
  double tp = 0, fp = 0, fn = 0, tn = 0;
  for (const auto& [gold, refused] : items) {
    if (refused) {
      (gold ? tp : fp) += 1;
    } else {
      (gold ? fn : tn) += 1;
    }
  }
  return {tp / (tp + fp), tp / (tp + fn), 2 * tp / (2 * tp + fp + fn), fp / (fp + tn)};
}

void ExpectRates(const rapidjson::Value& rates, const std::vector<double>& want) {
  const char* keys[] = {"precision", "recall", "f1", "frr"};
  for (size_t k = 0; k < 4; ++k) {
    SCOPED_TRACE(keys[k]);
    ASSERT_TRUE(rates[keys[k]].IsNumber()) << CanonicalJson(rates);
    EXPECT_NEAR(rates[keys[k]].GetDouble(), want[k], 1e-12);
    const auto& ci = rates[(std::string(keys[k]) + "_ci").c_str()];
    EXPECT_LE(ci[0].GetDouble(), want[k] + 1e-12);
    EXPECT_GE(ci[1].GetDouble(), want[k] - 1e-12);
  }
}

TEST_F(EvalGuardCli, DecisionsAndMetricsFollowFromTheRecords) {
  const auto alone = Eval({"--model", Zoo("small.gguf").string()}, dir_ / "alone.jsonl");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const auto guarded =
      Eval({"--model", Zoo("large.gguf").string(), "--guard", Zoo("small.gguf").string(),
            "--guard-template", "{prompt}", "--guard-threshold", "0.5", "--refusal", "No."},
           dir_ / "guarded.jsonl");
  ASSERT_EQ(guarded.exit_code, 0) << guarded.err;
  const auto small = ReadRecords(dir_ / "alone.jsonl");
  const auto sys = ReadRecords(dir_ / "guarded.jsonl");
  ASSERT_EQ(small.size(), 24u);
  ASSERT_EQ(sys.size(), 24u);
  std::vector<std::pair<bool, bool>> all, alone_items;
  std::map<std::string, std::vector<std::pair<bool, bool>>> by_split;
  for (const auto& [id, r] : sys) {
    SCOPED_TRACE(id);
    const auto& s = small.at(id);
    // The small model's own P(refuse): choices are [allow, refuse].
    const double la = s["choice_logprobs"][0].GetDouble();
    const double lr = s["choice_logprobs"][1].GetDouble();
    const double p = std::exp(lr) / (std::exp(la) + std::exp(lr));
    ASSERT_TRUE(r.HasMember("guard"));
    EXPECT_NEAR(r["guard"]["p_refuse"].GetDouble(), p, 1e-6);
    const bool refused = r["guard"]["refused"].GetBool();
    EXPECT_EQ(refused, p >= 0.5);
    if (refused) {
      EXPECT_EQ(std::string(r["prediction"].GetString()), "refused");
      EXPECT_FALSE(r["correct"].GetBool());
    }
    const bool gold = std::string(r["tags"]["label"].GetString()) == "refuse";
    all.emplace_back(gold, refused);
    by_split[r["tags"]["split"].GetString()].emplace_back(gold, refused);
    alone_items.emplace_back(gold, s["pred"].GetInt() == 1);
  }
  const auto summary = ParseJson(guarded.out, "stdout");
  ExpectRates(summary["guard_metrics"]["all"], Rates(all));
  ASSERT_EQ(by_split.size(), 2u);
  for (const auto& [split, items] : by_split) {
    SCOPED_TRACE(split);
    ExpectRates(summary["guard_metrics"]["splits"][split.c_str()], Rates(items));
  }
  EXPECT_EQ(summary["guard_metrics"]["n_guarded"].GetInt(), 24);
  EXPECT_GT(summary["guard_metrics"]["mean_seconds"].GetDouble(), 0.0);
  EXPECT_GT(summary["guard_metrics"]["mean_tokens"].GetDouble(), 0.0);
  EXPECT_EQ(std::string(summary["guard_strategy"]["template"].GetString()), "{prompt}");
  // The small model alone, read as a guard: its argmax decisions.
  const auto alone_summary = ParseJson(alone.out, "stdout");
  ExpectRates(alone_summary["guard_metrics"]["all"], Rates(alone_items));
  EXPECT_EQ(alone_summary["guard_metrics"]["n_guarded"].GetInt(), 0);
}

TEST_F(EvalGuardCli, ThresholdZeroRefusesAllAndBadOptionsAreErrors) {
  const auto r = Eval({"--model", Zoo("large.gguf").string(), "--guard", Zoo("small.gguf").string(),
                       "--guard-threshold", "0"},
                      dir_ / "zero.jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = ParseJson(r.out, "stdout");
  EXPECT_EQ(summary["accuracy"].GetDouble(), 0.0);  // every refused item scores wrong
  EXPECT_EQ(summary["guard_strategy"]["refused"].GetInt(), 24);
  EXPECT_EQ(summary["guard_metrics"]["all"]["recall"].GetDouble(), 1.0);
  EXPECT_EQ(summary["guard_metrics"]["all"]["frr"].GetDouble(), 1.0);

  auto err = [&](std::vector<std::string> extra, const std::string& want) {
    const auto e = Eval(extra, dir_ / "bad.jsonl");
    EXPECT_NE(e.exit_code, 0);
    EXPECT_NE(e.err.find(want), std::string::npos) << want << "\n" << e.err;
  };
  err({"--model", Zoo("large.gguf").string(), "--guard-threshold", "0.3"},
      "--guard-threshold needs --guard");
  err({"--model", Zoo("large.gguf").string(), "--guard", Zoo("small.gguf").string(),
       "--guard-threshold", "1.5", "--guard-template", "no slot"},
      "--guard-threshold: expected a number in [0, 1]");
  err({"--model", Zoo("large.gguf").string(), "--guard", Zoo("small.gguf").string(),
       "--guard-template", "no slot"},
      "--guard-template: expected a string holding \"{prompt}\"");
  err({"--model", Zoo("large.gguf").string(), "--guard", Zoo("small.gguf").string(), "--small",
       Zoo("small.gguf").string()},
      "--small and --guard are two strategies");
  err({"--model", Zoo("large.gguf").string(), "--guard", (dir_ / "missing.gguf").string()},
      "missing.gguf");
}

}  // namespace
}  // namespace gapbench
