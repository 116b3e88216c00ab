// `gapbench compare` end to end: real SQLite results databases written through ResultsStore by a
// helper here, the real CLI as a separate process, its exit code, Markdown and JSON. A run
// against itself, a planted regression, changes too small or not significant, a speed
// regression, records on one side only, and bad inputs (exit 2 naming the path).
// Lives with the reports tests because building the databases needs gb_reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "reports/results_store.h"
#include "suites/record.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

namespace fs = std::filesystem;
using reports::ResultsStore;
using testing::RunProcess;

// One group of a run to build: `correct[i]` is item i's score, latency is `latency(i)` seconds.
struct GroupSpec {
  std::string config;  // configuration name; its hash is derived from it
  std::string suite;   // suite name; its content hash is derived from it
  std::vector<bool> correct;
  std::function<double(int)> latency = [](int i) { return 0.05 + 0.001 * (i % 50); };
  int skip_from = -1;  // items >= skip_from are left out of this run (-1: none)
};

std::string ItemId(const std::string& suite, int i) { return StrCat(suite, "-", 1000 + i); }

// Writes a results database with one model and the given groups, one done shard per group.
void BuildRun(const fs::path& db_path, const std::vector<GroupSpec>& groups) {
  auto store = ResultsStore::Open(db_path.string());
  const std::string sweep_id = "sweep-nightly";
  store.UpsertSweep({sweep_id, "nightly", "nightly.json", "{}", 0, "abc123", "0.1", "ci",
                     "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"});
  store.UpsertModel({"model-small", "small", "/models/small.gguf", 1000, "filehash", "{}"});
  std::vector<reports::ShardRow> shards;
  std::vector<reports::ItemRow> items;
  for (const GroupSpec& g : groups) {
    const std::string config_hash = HashHex("config:" + g.config);
    const std::string suite_hash = HashHex("suite:" + g.suite);
    store.UpsertConfiguration({config_hash, g.config, StrCat(R"({"weights":")", g.config, "\"}")});
    reports::SuiteRow suite;
    suite.content_hash = suite_hash;
    suite.name = g.suite;
    suite.format = "gapbench";
    suite.version = "1";
    suite.manifest_json = "{}";
    suite.n_items = static_cast<int64_t>(g.correct.size());
    store.UpsertSuite(suite);
    reports::ShardRow shard;
    shard.key = StrCat(config_hash, "|", suite_hash);
    shard.id = HashHex(shard.key);
    shard.model_id = "model-small";
    shard.config_hash = config_hash;
    shard.strategy = R"({"name":"single"})";
    shard.suite_hash = suite_hash;
    shard.end = suite.n_items;
    shard.state = reports::ShardState::kDone;
    shards.push_back(shard);
    for (int i = 0; i < static_cast<int>(g.correct.size()); ++i) {
      if (g.skip_from >= 0 && i >= g.skip_from) break;
      suites::ItemRecord r;
      r.item_id = ItemId(g.suite, i);
      r.suite = g.suite;
      r.suite_hash = suite_hash;
      r.gold = 0;
      r.pred = g.correct[i] ? 0 : 1;
      r.correct = g.correct[i];
      r.tokens_in = 100;
      reports::ItemRow row;
      row.shard_id = shard.id;
      row.item_index = i;
      row.item_id = r.item_id;
      row.record_json = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
      row.timing_json = StrCat(R"({"latency_s":)", g.latency(i), "}");
      row.digest = HashHex(row.record_json);
      row.worker = "test";
      items.push_back(row);
    }
  }
  store.AddShards(sweep_id, shards);
  for (const auto& s : shards) store.SetShardState(s.id, reports::ShardState::kDone, 1, "", "test");
  ASSERT_EQ(store.InsertItems(items).inserted, static_cast<int64_t>(items.size()));
}

// About 70% right, in a pattern that spreads right and wrong items over the suite.
std::vector<bool> Baseline(int n) {
  std::vector<bool> v(n);
  for (int i = 0; i < n; ++i) v[i] = (i * 7) % 10 < 7;
  return v;
}

// Flips the first `count` right items (from item `from` on) to wrong; returns their ids.
std::vector<std::string> FlipRightToWrong(std::vector<bool>& v, const std::string& suite, int from,
                                          int count) {
  std::vector<std::string> ids;
  for (int i = from; i < static_cast<int>(v.size()) && count > 0; ++i) {
    if (!v[i]) continue;
    v[i] = false;
    ids.push_back(ItemId(suite, i));
    --count;
  }
  return ids;
}

// The nightly layout: model small × configurations f16, q4 × suites mmlu (400), arc (300).
std::vector<GroupSpec> Nightly() {
  return {{"f16", "mmlu", Baseline(400)},
          {"f16", "arc", Baseline(300)},
          {"q4", "mmlu", Baseline(400)},
          {"q4", "arc", Baseline(300)}};
}

testing::ProcessResult Compare(const std::vector<std::string>& args) {
  std::vector<std::string> argv{testing::GapbenchBin(), "compare"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

bool Contains(const std::string& s, const std::string& what) {
  return s.find(what) != std::string::npos;
}

class CompareCliTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  fs::path base_ = dir_ / "base.sqlite";
  void SetUp() override { BuildRun(base_, Nightly()); }
};

TEST_F(CompareCliTest, RunAgainstItselfExitsZeroWithNoSignificantChange) {
  const auto r = Compare(
      {base_.string(), base_.string(), "--fail-on-regression", "--fail-on-speed-regression"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "**Verdict: no significant regression** in 4 compared group(s)"))
      << r.out;
  EXPECT_FALSE(Contains(r.out, "REGRESSION**:")) << r.out;
  EXPECT_FALSE(Contains(r.out, "| regression |")) << r.out;
  // Also as run directories (DIR/results.sqlite).
  fs::create_directories(dir_ / "run1");
  fs::copy_file(base_, dir_ / "run1" / "results.sqlite");
  const auto d = Compare({(dir_ / "run1").string(), base_.string(), "--fail-on-regression"});
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(Contains(d.out, "no significant change")) << d.out;
}

TEST_F(CompareCliTest, PlantedRegressionExitsOneNamingConfigurationSuiteAndItems) {
  auto groups = Nightly();
  const auto flipped = FlipRightToWrong(groups[2].correct, "mmlu", 0, 30);  // q4 × mmlu
  const fs::path cand = dir_ / "cand.sqlite";
  BuildRun(cand, groups);
  const fs::path md_file = dir_ / "summary.md";
  const auto r =
      Compare({base_.string(), cand.string(), "--fail-on-regression", "--out", md_file.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The verdict line names the configuration, the suite and the first flipped items.
  EXPECT_TRUE(Contains(r.out, "**Verdict: REGRESSION** in 1 of 4 group(s)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "configuration `q4`")) << r.out;
  EXPECT_TRUE(Contains(r.out, "suite `mmlu`")) << r.out;
  EXPECT_TRUE(
      Contains(r.out, "30 flipped correct -> wrong: `" + flipped[0] + "`, `" + flipped[1] + "`"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "and 10 more")) << r.out;  // 20 listed by default
  EXPECT_TRUE(Contains(r.err, "failing (exit 1)")) << r.err;
  EXPECT_EQ(testing::ReadFile(md_file), r.out);
  // Significant, but smaller than a --min-effect of 0.1: not a regression.
  const auto big_effect =
      Compare({base_.string(), cand.string(), "--fail-on-regression", "--min-effect", "0.1"});
  EXPECT_EQ(big_effect.exit_code, 0) << big_effect.out;
  EXPECT_TRUE(Contains(big_effect.out, "**Verdict: no significant regression**"));
  // Failing is the default: without any flag the regression exits 1 as well ...
  const auto plain = Compare({base_.string(), cand.string()});
  EXPECT_EQ(plain.exit_code, 1) << plain.err;
  // ... and --report-only gives the same verdict with exit 0.
  const auto report_only = Compare({base_.string(), cand.string(), "--report-only"});
  EXPECT_EQ(report_only.exit_code, 0) << report_only.err;
  EXPECT_TRUE(Contains(report_only.out, "**Verdict: REGRESSION**")) << report_only.out;
  // JSON lists every flipped item, exactly the planted ones; the other groups are unchanged.
  const auto j = Compare({base_.string(), cand.string(), "--json", "--report-only"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = ParseJson(j.out, "compare --json");
  EXPECT_EQ(doc["regressions"].GetInt64(), 1);
  int regressions = 0;
  for (const auto& g : doc["groups"].GetArray()) {
    const std::string config = g["key"]["config"].GetString();
    const std::string suite = g["key"]["suite"].GetString();
    if (config == "q4" && suite == "mmlu") {
      ++regressions;
      EXPECT_STREQ(g["verdict"].GetString(), "regression");
      std::vector<std::string> ids;
      for (const auto& id : g["correct_to_wrong"].GetArray()) ids.push_back(id.GetString());
      EXPECT_EQ(ids, flipped);
      EXPECT_NEAR(g["diff"].GetDouble(), -30.0 / 400, 1e-12);
      EXPECT_EQ(g["n_items"].GetInt64(), 400);
    } else {
      EXPECT_STREQ(g["verdict"].GetString(), "no significant change") << config << " " << suite;
    }
  }
  EXPECT_EQ(regressions, 1);
}

TEST_F(CompareCliTest, ChangesBelowMinEffectOrNotSignificantExitZero) {
  auto groups = Nightly();
  // q4 × mmlu: 3 of 400 flipped, −0.0075: below --min-effect 0.01 (and p = 0.25).
  FlipRightToWrong(groups[2].correct, "mmlu", 0, 3);
  // q4 × arc: 6 right -> wrong and 2 wrong -> right of 300, −0.0133: beyond 0.01, but McNemar
  // p = 2·P(X ≤ 2 | 8) = 2·37/256 = 0.29.
  FlipRightToWrong(groups[3].correct, "arc", 0, 6);
  int raised = 0;
  for (int i = 100; raised < 2; ++i) {
    if (!groups[3].correct[i]) {
      groups[3].correct[i] = true;
      ++raised;
    }
  }
  const fs::path cand = dir_ / "cand.sqlite";
  BuildRun(cand, groups);
  const auto r = Compare({base_.string(), cand.string(), "--fail-on-regression"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "**Verdict: no significant regression**")) << r.out;
  EXPECT_TRUE(Contains(r.out, "correct -> wrong (6): `arc-1000`")) << r.out;  // still listed
  // With a looser gate the −0.0075 alone is still not a regression: not significant.
  const auto loose =
      Compare({base_.string(), cand.string(), "--fail-on-regression", "--min-effect", "0"});
  EXPECT_EQ(loose.exit_code, 0) << loose.out;
}

TEST_F(CompareCliTest, SpeedFromOneRunIsInformationalNeverGated) {
  // Issue 10: run1 vs run2 of identical settings was flagged "speed REGRESSION x1.82". One
  // measurement per side is shown as informational, and never fails the gate.
  auto groups = Nightly();
  groups[0].latency = [](int i) { return 1.82 * (0.05 + 0.001 * (i % 50)); };  // f16 × mmlu
  const fs::path cand = dir_ / "slow.sqlite";
  BuildRun(cand, groups);
  const auto r = Compare({base_.string(), cand.string(), "--fail-on-regression"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(Contains(r.out, "speed REGRESSION")) << r.out;
  EXPECT_TRUE(Contains(r.out, "x1.820")) << r.out;
  EXPECT_TRUE(Contains(r.out, "(informational)")) << r.out;
  const auto gated = Compare({base_.string(), cand.string(), "--fail-on-speed-regression"});
  EXPECT_EQ(gated.exit_code, 0) << gated.out;
}

TEST_F(CompareCliTest, AbOfTwoConfigurationsWithinOneRun) {
  // q4 loses 30 items on mmlu against f16 in the same run.
  auto groups = Nightly();
  const auto flipped = FlipRightToWrong(groups[2].correct, "mmlu", 0, 30);
  const fs::path run = dir_ / "run.sqlite";
  BuildRun(run, groups);
  const auto r = Compare({run.string(), "--a", "config=f16", "--b", "config=q4"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "A (base): `config=f16`")) << r.out;
  EXPECT_TRUE(Contains(r.out, "| small | f16 -> q4 | single | mmlu |")) << r.out;
  EXPECT_TRUE(Contains(r.out, flipped.front())) << r.out;
  const auto json =
      Compare({run.string(), "--a", "config=f16", "--b", "config=q4", "--json", "--report-only"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = ParseJson(json.out, "compare --json");
  ASSERT_EQ(doc["groups"].Size(), 2u);  // mmlu and arc, each f16 against q4
  for (const auto& g : doc["groups"].GetArray()) {
    EXPECT_STREQ(g["key"]["config"].GetString(), "f16");
    EXPECT_STREQ(g["cand_key"]["config"].GetString(), "q4");
    EXPECT_STREQ(g["key"]["suite"].GetString(), g["cand_key"]["suite"].GetString());
  }
  // Across two runs: A from one, B from the other.
  const auto across = Compare(
      {base_.string(), run.string(), "--a", "config=q4", "--b", "config=q4", "--report-only"});
  EXPECT_EQ(across.exit_code, 0) << across.err;
  EXPECT_TRUE(Contains(across.out, "REGRESSION")) << across.out;

  // Usage errors: exit 2 with the reason.
  auto bad = Compare({run.string(), "--a", "config=f16", "--b", "config=q8"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "--b config=q8 matches no group")) << bad.err;
  EXPECT_TRUE(Contains(bad.err, "config: f16, q4")) << bad.err;
  bad = Compare({run.string(), "--a", "config=f16"});
  EXPECT_EQ(bad.exit_code, 2);
  bad = Compare({run.string(), "--a", "config", "--b", "config=q4"});
  EXPECT_EQ(bad.exit_code, 2);
  bad = Compare({run.string(), "--a", "suite=mmlu", "--b", "config=q4"});
  EXPECT_EQ(bad.exit_code, 2);  // mmlu x f16 and mmlu x q4 both in A: ambiguous or overlapping
  EXPECT_TRUE(Contains(bad.err, "ambiguous") || Contains(bad.err, "both select")) << bad.err;
}

TEST_F(CompareCliTest, RecordsAndGroupsOnOneSideAreCounted) {
  auto groups = Nightly();
  groups[1].skip_from = 290;  // f16 × arc: the last 10 items missing in the candidate
  groups.pop_back();          // q4 × arc: missing altogether
  const fs::path cand = dir_ / "partial.sqlite";
  BuildRun(cand, groups);
  const auto r = Compare({base_.string(), cand.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = ParseJson(r.out, "compare --json");
  ASSERT_EQ(doc["groups"].Size(), 3u);
  ASSERT_EQ(doc["base_only_groups"].Size(), 1u);
  EXPECT_STREQ(doc["base_only_groups"][0]["config"].GetString(), "q4");
  EXPECT_STREQ(doc["base_only_groups"][0]["suite"].GetString(), "arc");
  for (const auto& g : doc["groups"].GetArray()) {
    const bool partial = std::string(g["key"]["config"].GetString()) == "f16" &&
                         std::string(g["key"]["suite"].GetString()) == "arc";
    EXPECT_EQ(g["base_only"].GetInt64(), partial ? 10 : 0);
    EXPECT_EQ(g["n_items"].GetInt64(), partial ? 290 : g["base_records"].GetInt64());
  }
  const auto md = Compare({base_.string(), cand.string()});
  EXPECT_TRUE(Contains(md.out, "10 base only")) << md.out;
  EXPECT_TRUE(Contains(md.out, "- only in base: small / q4 / single / arc")) << md.out;
}

TEST_F(CompareCliTest, BadInputsExitTwoNamingThePath) {
  const fs::path missing = dir_ / "missing.sqlite";
  auto r = Compare({base_.string(), missing.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, missing.string())) << r.err;

  const fs::path text = dir_ / "notes.txt";
  testing::WriteFile(text, "this is not a results database\n");
  r = Compare({text.string(), base_.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, text.string())) << r.err;

  fs::create_directories(dir_ / "empty_run");
  r = Compare({base_.string(), (dir_ / "empty_run").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, (dir_ / "empty_run").string())) << r.err;

  // Nothing shared: another configuration and suite altogether.
  const fs::path other = dir_ / "other.sqlite";
  BuildRun(other, {{"q8", "gsm8k", Baseline(100)}});
  r = Compare({base_.string(), other.string(), "--fail-on-regression"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "share no")) << r.err;
  EXPECT_TRUE(Contains(r.err, other.string())) << r.err;

  r = Compare({base_.string()});
  EXPECT_EQ(r.exit_code, 2);
  r = Compare({base_.string(), base_.string(), "--alpha", "2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--alpha")) << r.err;
  r = Compare({base_.string(), base_.string(), "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace gapbench
