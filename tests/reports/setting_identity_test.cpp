// Groups are identified by everything in the shard identity that changes a record (issue 10):
// a real SQLite results database whose shards carry coordinator-style canonical keys that differ
// only in few-shot count or seed must load as separate groups -- none dropped, no duplicate
// count -- and every rendering (results.json, items.jsonl, report.md, index.html, the
// leaderboard) must keep them apart and show their setting. Seeds of one setting are summarised
// as repeated measurements (mean, spread, pooled estimate), and `compare` pairs settings only
// with the same setting, or two chosen settings with --a/--b.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "reports/compare.h"
#include "reports/gap_metrics.h"
#include "reports/html.h"
#include "reports/items_jsonl.h"
#include "reports/leaderboard.h"
#include "reports/markdown.h"
#include "reports/results_json.h"
#include "reports/results_store.h"
#include "reports/run_data.h"
#include "reports/seeds.h"
#include "suites/record.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;

// One shard to store: its setting and which items it answers right.
struct ShardSpec {
  int fewshot = 0;
  uint64_t seed = 1;
  std::string config = "base";
  std::function<bool(int)> correct = [](int i) { return i % 2 == 0; };
  std::function<double(int)> latency = [](int) { return 0.1; };
  int begin = 0;
  int end = 20;
  // A chat-template setting as expand.cpp writes it ({"fewshot_as_multiturn":..,
  // "system_prompt":..}); "" for a plain prompt.
  std::string chat;
};

// A shard key as coordinator/expand.cpp writes it (canonical JSON, sorted keys).
std::string CoordinatorKey(const std::string& config_hash, const ShardSpec& s) {
  return StrCat("{", s.chat.empty() ? "" : StrCat(R"("chat":)", s.chat, ","),
                R"("engine":{"config":")", config_hash, R"("},"fewshot":)", s.fewshot,
                R"(,"items":[)", s.begin, ",", s.end,
                R"(],"max_tokens":64,"model":{"bytes":1000,"hash":"m1","scheme":"x"},)",
                R"("result_format":1,"samples":1,"seed":)", s.seed,
                R"(,"strategy":{"name":"single"},"suite":"suite-mc","temperature":"0"})");
}

void BuildDb(const fs::path& db, const std::vector<ShardSpec>& specs, int n_items = 20) {
  auto store = ResultsStore::Open(db.string());
  store.UpsertSweep({"sw", "sweep", "", "{}", 0, "", "", "", "2024-01-01T00:00:00Z", ""});
  store.UpsertModel({"model-1", "tiny", "/m.gguf", 1000, "fh", "{}"});
  SuiteRow suite;
  suite.content_hash = "suite-mc";
  suite.name = "mc";
  suite.format = "gapbench";
  suite.n_items = n_items;
  store.UpsertSuite(suite);
  std::vector<ShardRow> shards;
  std::vector<ItemRow> items;
  for (const ShardSpec& s : specs) {
    const std::string config_hash = HashHex("config:" + s.config);
    store.UpsertConfiguration({config_hash, s.config, "{}"});
    ShardRow shard;
    shard.key = CoordinatorKey(config_hash, s);
    shard.id = HashHex(shard.key);
    shard.model_id = "model-1";
    shard.config_hash = config_hash;
    shard.strategy = R"({"name":"single"})";
    shard.suite_hash = "suite-mc";
    shard.begin = s.begin;
    shard.end = s.end;
    shard.seed = s.seed;
    shard.samples = 1;
    shard.state = ShardState::kDone;
    shards.push_back(shard);
    for (int i = s.begin; i < s.end; ++i) {
      suites::ItemRecord r;
      r.item_id = StrCat("q", 100 + i);
      r.suite = "mc";
      r.suite_hash = "suite-mc";
      r.gold = 0;
      r.pred = s.correct(i) ? 0 : 1;
      r.correct = s.correct(i);
      r.tokens_in = 10 + 5 * s.fewshot;
      ItemRow row;
      row.shard_id = shard.id;
      row.item_index = i;
      row.item_id = r.item_id;
      row.record_json = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
      row.timing_json = StrCat(R"({"latency_s":)", s.latency(i), "}");
      row.digest = HashHex(row.record_json);
      items.push_back(row);
    }
  }
  store.AddShards("sw", shards);
  for (const auto& s : shards) store.SetShardState(s.id, ShardState::kDone, 1, "", "w");
  ASSERT_EQ(store.InsertItems(items).conflicts, 0);
}

// The issue's sweep: one suite at 0-shot and 2-shot, seeds 1 and 2.
std::vector<ShardSpec> FewshotBySeeds() {
  std::vector<ShardSpec> v;
  for (int k : {0, 2}) {
    for (uint64_t seed : {1, 2}) {
      ShardSpec s;
      s.fewshot = k;
      s.seed = seed;
      // 2-shot is better; seed 2 flips a few items, so the seeds differ.
      s.correct = [k, seed](int i) { return (i + static_cast<int>(seed)) % (k ? 5 : 3) != 0; };
      v.push_back(s);
    }
  }
  return v;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(SettingIdentity, FewshotAndSeedAreSeparateGroupsNoneDropped) {
  testing::TempDir dir;
  const fs::path db = dir / "results.sqlite";
  BuildDb(db, FewshotBySeeds());
  const RunData run = LoadRun(db.string());
  ASSERT_EQ(run.groups.size(), 4u);
  EXPECT_EQ(run.duplicates, 0);
  // Ordered by few-shot count, then seed.
  const std::pair<int64_t, uint64_t> expected[] = {{0, 1}, {0, 2}, {2, 1}, {2, 2}};
  for (size_t i = 0; i < 4; ++i) {
    const RunGroup& g = run.groups[i];
    EXPECT_EQ(g.items.size(), 20u);
    ASSERT_TRUE(g.setting.fewshot);
    EXPECT_EQ(*g.setting.fewshot, expected[i].first);
    EXPECT_EQ(g.setting.seed, expected[i].second);
    EXPECT_EQ(g.setting.max_tokens, 64);
    EXPECT_EQ(g.setting.temperature, "0");
    EXPECT_EQ(g.key.setting.find("items"), std::string::npos) << g.key.setting;
  }
  EXPECT_EQ(GroupLabel(run.groups[2]), "tiny / base / single / mc / 2-shot, seed 1");
  const RunMetrics m = ComputeMetrics(run);
  for (const auto& note : m.notes) {
    EXPECT_EQ(note.find("more than one shard"), std::string::npos) << note;
  }
  // The four evaluations have their own accuracies (0-shot seed 1: wrong where i % 3 == 2).
  EXPECT_DOUBLE_EQ(m.groups[0].accuracy.mean.value, 0.7);
  EXPECT_DOUBLE_EQ(m.groups[1].accuracy.mean.value, 0.65);
  EXPECT_DOUBLE_EQ(m.groups[2].accuracy.mean.value, 0.8);
}

TEST(SettingIdentity, ARecordStoredTwiceForOneIdentityIsStillCounted) {
  testing::TempDir dir;
  const fs::path db = dir / "results.sqlite";
  // Two shards of one setting whose ranges overlap on items 5..9 (a re-expanded sweep).
  ShardSpec a, b;
  a.end = 10;
  b.begin = 5;
  b.end = 20;
  BuildDb(db, {a, b});
  const RunData run = LoadRun(db.string());
  ASSERT_EQ(run.groups.size(), 1u);
  EXPECT_EQ(run.groups[0].items.size(), 20u);
  EXPECT_EQ(run.duplicates, 5);
}

TEST(SettingIdentity, ReportsShowFewshotSeedSamplesAndMaxTokensOfEveryGroup) {
  testing::TempDir dir;
  const fs::path db = dir / "results.sqlite";
  BuildDb(db, FewshotBySeeds());
  const RunData run = LoadRun(db.string());
  const RunMetrics m = ComputeMetrics(run);

  const auto json = ParseJson(ResultsJson(run, m), "results.json");
  ASSERT_EQ(json["groups"].Size(), 4u);
  EXPECT_EQ(json["shards"]["duplicate_records"].GetInt64(), 0);
  std::map<std::pair<int64_t, uint64_t>, int> seen;
  for (const auto& g : json["groups"].GetArray()) {
    ++seen[{g["fewshot"].GetInt64(), g["seed"].GetUint64()}];
    EXPECT_EQ(g["samples"].GetInt64(), 1);
    EXPECT_EQ(g["max_tokens"].GetInt64(), 64);
    EXPECT_TRUE(g["setting"].IsObject());
    EXPECT_EQ(g["n_items"].GetInt64(), 20);
  }
  EXPECT_EQ(seen.size(), 4u);

  const std::string md = MarkdownReport(run, m);
  EXPECT_NE(md.find("| model | configuration | strategy | suite | shots | chat | seed | samples | max "
                    "tokens | n |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tiny | base | single | mc | 2 | - | 1 | 1 | 64 | 20 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| tiny | base | single | mc | 0 | - | 2 | 1 | 64 | 20 |"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("more than one shard"), std::string::npos);

  const std::string html = HtmlReport(run, m, {});
  EXPECT_NE(html.find("data-key=\"shots\""), std::string::npos);
  EXPECT_NE(html.find("data-key=\"max_tokens\""), std::string::npos);
  const size_t table = html.find("id=\"leaderboard\"");
  ASSERT_NE(table, std::string::npos);
  EXPECT_EQ(Count(html.substr(table, html.find("</table>", table) - table), "<tr><td>tiny</td>"),
            4u);

  // items.jsonl: 80 lines, the (item_id, sample) pairs repeat but the settings tell them apart.
  const std::string items = ItemsJsonl(run);
  EXPECT_EQ(Count(items, "\n"), 80u);
  EXPECT_EQ(Count(items, R"("setting":{"fewshot":2,)"), 40u);
  EXPECT_EQ(Count(items, R"("seed":2,)"), 40u);
}

TEST(SettingIdentity, ChatAndPlainPromptsOfOneFileAreTwoRowsTheReportNames) {
  testing::TempDir dir;
  const fs::path db = dir / "results.sqlite";
  ShardSpec plain, chat, multiturn;
  chat.chat = R"({"fewshot_as_multiturn":false,"system_prompt":""})";
  chat.correct = [](int i) { return i % 4 != 0; };
  multiturn.chat = R"({"fewshot_as_multiturn":true,"system_prompt":"Be brief."})";
  BuildDb(db, {plain, chat, multiturn});
  const RunData run = LoadRun(db.string());
  ASSERT_EQ(run.groups.size(), 3u);
  std::map<std::string, const RunGroup*> by_label;
  for (const auto& g : run.groups) by_label[GroupLabel(g)] = &g;
  ASSERT_EQ(by_label.size(), 3u);  // three different row names
  ASSERT_TRUE(by_label.contains("tiny / base / single / mc / 0-shot, seed 1"));
  ASSERT_TRUE(by_label.contains("tiny / base / single / mc / 0-shot, seed 1, chat"));
  ASSERT_TRUE(
      by_label.contains("tiny / base / single / mc / 0-shot, seed 1, chat, multi-turn, system"));
  EXPECT_FALSE(by_label.at("tiny / base / single / mc / 0-shot, seed 1")->setting.chat);
  const RunGroup& mt =
      *by_label.at("tiny / base / single / mc / 0-shot, seed 1, chat, multi-turn, system");
  EXPECT_TRUE(mt.setting.chat);
  EXPECT_TRUE(mt.setting.fewshot_as_multiturn);
  EXPECT_EQ(mt.setting.system_prompt, "Be brief.");

  const RunMetrics m = ComputeMetrics(run);
  const std::string md = MarkdownReport(run, m);
  EXPECT_NE(md.find("| model | configuration | strategy | suite | shots | chat | seed |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tiny | base | single | mc | 0 | - | 1 | 1 | 64 | 20 | 0.500 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tiny | base | single | mc | 0 | chat | 1 | 1 | 64 | 20 | 0.750 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tiny | base | single | mc | 0 | chat, multi-turn, system | 1 |"),
            std::string::npos)
      << md;

  const auto json = ParseJson(ResultsJson(run, m), "results.json");
  int plain_rows = 0, chat_rows = 0;
  for (const auto& g : json["groups"].GetArray()) {
    ASSERT_TRUE(g.HasMember("chat"));
    if (g["chat"].IsNull()) {
      ++plain_rows;
      continue;
    }
    ++chat_rows;
    EXPECT_TRUE(g["chat"]["fewshot_as_multiturn"].IsBool());
    EXPECT_TRUE(g["chat"]["system_prompt"].IsString());
  }
  EXPECT_EQ(plain_rows, 1);
  EXPECT_EQ(chat_rows, 2);

  const std::string html = HtmlReport(run, m, {});
  EXPECT_NE(html.find("data-key=\"chat\""), std::string::npos);
  EXPECT_NE(html.find("<td>chat, multi-turn, system</td>"), std::string::npos);
}

TEST(SettingIdentity, LeaderboardKeepsSettingsApartAcrossRuns) {
  testing::TempDir dir;
  BuildDb(dir / "a.sqlite", {FewshotBySeeds()[0]});
  BuildDb(dir / "b.sqlite", {FewshotBySeeds()[2]});
  const RunData merged =
      LoadLeaderboard({(dir / "a.sqlite").string(), (dir / "b.sqlite").string()});
  ASSERT_EQ(merged.groups.size(), 2u);
  EXPECT_EQ(merged.duplicates, 0);
}

TEST(SettingIdentity, SeedsOfOneSettingAreRepeatedMeasurements) {
  testing::TempDir dir;
  const fs::path db = dir / "results.sqlite";
  BuildDb(db, FewshotBySeeds());
  const RunData run = LoadRun(db.string());
  const RunMetrics m = ComputeMetrics(run);
  const auto seeds = SummariseSeeds(run, m);
  ASSERT_EQ(seeds.size(), 2u);  // 0-shot and 2-shot, two seeds each
  // 2-shot: seed 1 wrong where (i+1)%5==0 -> 16/20; seed 2 where (i+2)%5==0 -> 16/20.
  const SeedSummary& two = seeds[1];
  EXPECT_EQ(two.seeds, (std::vector<uint64_t>{1, 2}));
  EXPECT_DOUBLE_EQ(two.mean, 0.8);
  ASSERT_TRUE(two.sd);
  EXPECT_DOUBLE_EQ(*two.sd, 0.0);
  // Pooled by item: 12 items right under both seeds, 8 right under one (mean 0.5): 0.8.
  EXPECT_EQ(two.n_items, 20);
  EXPECT_NEAR(two.pooled.mean.value, 0.8, 1e-12);
  // Items are the unit: SE = sd of the 20 item means / sqrt(20), not over 40 records.
  const double var = (12 * 0.2 * 0.2 + 8 * 0.3 * 0.3) / 20;
  ASSERT_TRUE(two.pooled.mean.se);
  EXPECT_NEAR(*two.pooled.mean.se, std::sqrt(var / 20), 1e-12);
  // 0-shot: seed 1 = 0.70, seed 2 = 0.65: mean 0.675, SD |0.05|/sqrt(2); pooled: 7 items right
  // under both seeds, 13 right under one: (7 + 6.5)/20.
  EXPECT_DOUBLE_EQ(seeds[0].mean, 0.675);
  ASSERT_TRUE(seeds[0].sd);
  EXPECT_NEAR(*seeds[0].sd, 0.05 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(seeds[0].pooled.mean.value, 0.675, 1e-12);

  const std::string md = MarkdownReport(run, m);
  EXPECT_NE(md.find("## Seeds (repeated measurements of one setting)"), std::string::npos) << md;
  EXPECT_NE(md.find("| tiny | base | single | mc | 0-shot | 1, 2 | 1: 0.700, 2: 0.650 | 0.675 "
                    "| 0.035 | 0.675 |"),
            std::string::npos)
      << md;
  const auto json = ParseJson(ResultsJson(run, m), "results.json");
  ASSERT_EQ(json["seeds"].Size(), 2u);
  EXPECT_EQ(json["seeds"][1]["seeds"].Size(), 2u);
  EXPECT_TRUE(json["seeds"][1]["pooled"]["ci"].IsArray());
  EXPECT_NE(HtmlReport(run, m, {}).find("<table id=\"seeds\">"), std::string::npos);
}

TEST(SettingIdentity, CompareNeverPairsTwoShotWithZeroShotAndListsWhatWasNotCompared) {
  testing::TempDir dir;
  auto specs = FewshotBySeeds();
  BuildDb(dir / "base.sqlite", specs);
  // The candidate ran 2-shot only.
  BuildDb(dir / "cand.sqlite", {specs[2], specs[3]});
  const Comparison c = CompareRuns(ToCompareRun(LoadRun((dir / "base.sqlite").string())),
                                   ToCompareRun(LoadRun((dir / "cand.sqlite").string())));
  ASSERT_EQ(c.groups.size(), 2u);
  for (const auto& g : c.groups) {
    EXPECT_NE(g.key.setting_label.find("2-shot"), std::string::npos);
    EXPECT_EQ(g.diff.value, 0);  // each 2-shot group against itself
  }
  ASSERT_EQ(c.base_only_groups.size(), 2u);
  EXPECT_NE(c.base_only_groups[0].setting_label.find("0-shot"), std::string::npos);
  const std::string md = RenderCompareMarkdown(c);
  EXPECT_NE(md.find("**NOT compared: 2 group(s)**"), std::string::npos) << md;
  EXPECT_NE(md.find("- only in base: tiny / base / single / mc / 0-shot, seed 1"),
            std::string::npos)
      << md;

  // A candidate with 0-shot only shares nothing with a 2-shot-only base: no silent pairing.
  BuildDb(dir / "zero.sqlite", {specs[0]});
  BuildDb(dir / "two.sqlite", {specs[2]});
  EXPECT_THROW(CompareRuns(ToCompareRun(LoadRun((dir / "two.sqlite").string())),
                           ToCompareRun(LoadRun((dir / "zero.sqlite").string()))),
               Error);
}

TEST(SettingIdentity, CompareAbPairsTwoSettingsOfOneRunItemByItem) {
  testing::TempDir dir;
  BuildDb(dir / "run.sqlite", FewshotBySeeds());
  const CompareRun run = ToCompareRun(LoadRun((dir / "run.sqlite").string()));
  const Comparison c =
      CompareSettings(run, ParseSelector("fewshot=0"), run, ParseSelector("fewshot=2"));
  ASSERT_EQ(c.groups.size(), 2u);  // seed 1 with seed 1, seed 2 with seed 2
  for (const auto& g : c.groups) {
    EXPECT_EQ(g.n_items, 20);
    EXPECT_EQ(g.test, "mcnemar");
    EXPECT_NE(g.key.setting_label.find("0-shot"), std::string::npos);
    EXPECT_NE(g.cand_key.setting_label.find("2-shot"), std::string::npos);
    EXPECT_EQ(g.key.setting_label.substr(g.key.setting_label.find("seed")),
              g.cand_key.setting_label.substr(g.cand_key.setting_label.find("seed")));
  }
  // Seed 1: 0-shot wrong where i % 3 == 2 (2, 5, 8, 11, 14, 17), 2-shot wrong where
  // (i + 1) % 5 == 0 (4, 9, 14, 19). Correct -> wrong: 4, 9, 19; wrong -> correct: 2, 5, 8, 11,
  // 17. Difference (5 - 3)/20 = +0.1.
  const GroupComparison& g1 = c.groups[0];
  EXPECT_NEAR(g1.diff.value, 0.1, 1e-12);
  EXPECT_EQ(g1.correct_to_wrong, (std::vector<std::string>{"q104", "q109", "q119"}));
  EXPECT_EQ(g1.wrong_to_correct.size(), 5u);
  ASSERT_TRUE(g1.diff.ci);
  EXPECT_GT(g1.speed.cand_tokens_per_item, g1.speed.base_tokens_per_item);  // the cost side
  const std::string md = RenderCompareMarkdown(c);
  EXPECT_NE(md.find("A (base): `fewshot=0`"), std::string::npos) << md;
  EXPECT_NE(md.find("0-shot, seed 1 -> 2-shot, seed 1"), std::string::npos) << md;

  // Config selectors across two runs.
  auto q4 = FewshotBySeeds();
  for (auto& s : q4) s.config = "q4_0";
  BuildDb(dir / "q4.sqlite", q4);
  const CompareRun other = ToCompareRun(LoadRun((dir / "q4.sqlite").string()));
  const Comparison x =
      CompareSettings(run, ParseSelector("config=base"), other, ParseSelector("config=q4_0"));
  EXPECT_EQ(x.groups.size(), 4u);
  for (const auto& g : x.groups) EXPECT_EQ(g.diff.value, 0);
}

TEST(SettingIdentity, CompareAbSelectorErrorsAreClear) {
  testing::TempDir dir;
  BuildDb(dir / "run.sqlite", FewshotBySeeds());
  const CompareRun run = ToCompareRun(LoadRun((dir / "run.sqlite").string()));
  auto message = [&](const std::string& a, const std::string& b) -> std::string {
    try {
      CompareSettings(run, ParseSelector(a), run, ParseSelector(b));
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("fewshot=0", "fewshot=5").find("--b fewshot=5 matches no group"),
            std::string::npos);
  EXPECT_NE(message("fewshot=0", "fewshot=5").find("fewshot: 0, 2"), std::string::npos);
  EXPECT_NE(message("config=nope", "fewshot=2").find("config: base"), std::string::npos);
  EXPECT_NE(message("fewshot=0", "fewshot=0").find("both select"), std::string::npos);
  EXPECT_NE(message("fewshots=0", "fewshots=2").find("no group has a setting 'fewshots'"),
            std::string::npos);
  // Seed 1 of 0-shot against every 2-shot group: seed is named, so both 2-shot seeds pair with
  // the single A group -- ambiguous.
  EXPECT_NE(message("fewshot=0,seed=1", "fewshot=2").find("ambiguous"), std::string::npos);
  EXPECT_THROW(ParseSelector("fewshot"), Error);
  EXPECT_THROW(ParseSelector("=2"), Error);
}

TEST(SettingIdentity, SpeedFromOneMeasurementIsInformationalAndFromSeedsIsJudged) {
  testing::TempDir dir;
  // Identical settings, the candidate 1.8x slower on one measurement: informational only.
  ShardSpec base, slow;
  slow.latency = [](int) { return 0.18; };
  BuildDb(dir / "b1.sqlite", {base});
  BuildDb(dir / "c1.sqlite", {slow});
  const Comparison one = CompareRuns(ToCompareRun(LoadRun((dir / "b1.sqlite").string())),
                                     ToCompareRun(LoadRun((dir / "c1.sqlite").string())));
  ASSERT_EQ(one.groups.size(), 1u);
  EXPECT_EQ(one.speed_regressions, 0);
  EXPECT_TRUE(one.groups[0].speed.informational);
  EXPECT_EQ(one.groups[0].speed.verdict, Verdict::kNotTested);
  EXPECT_NEAR(one.groups[0].speed.latency_ratio, 1.8, 1e-9);
  const std::string md = RenderCompareMarkdown(one);
  EXPECT_EQ(md.find("speed REGRESSION"), std::string::npos) << md;
  EXPECT_NE(md.find("(informational)"), std::string::npos) << md;

  // Three seeds per side, consistently ~1.8x slower: a judged regression with its interval.
  std::vector<ShardSpec> b3, c3;
  for (uint64_t seed : {1, 2, 3}) {
    ShardSpec b, c;
    b.seed = c.seed = seed;
    b.latency = [seed](int i) { return 0.1 + 0.001 * ((i + seed) % 3); };
    c.latency = [seed](int i) { return (1.8 + 0.05 * seed) * (0.1 + 0.001 * ((i + seed) % 3)); };
    b3.push_back(b);
    c3.push_back(c);
  }
  BuildDb(dir / "b3.sqlite", b3);
  BuildDb(dir / "c3.sqlite", c3);
  const Comparison rep = CompareRuns(ToCompareRun(LoadRun((dir / "b3.sqlite").string())),
                                     ToCompareRun(LoadRun((dir / "c3.sqlite").string())));
  ASSERT_EQ(rep.speed_families.size(), 1u);
  EXPECT_EQ(rep.speed_families[0].repeats, 3);
  EXPECT_EQ(rep.speed_families[0].verdict, Verdict::kRegression);
  ASSERT_TRUE(rep.speed_families[0].ci);
  EXPECT_GT(rep.speed_families[0].ci->lo, 1.0);
  EXPECT_EQ(rep.speed_regressions, 1);
  EXPECT_EQ(rep.regressions, 0);  // accuracy is unaffected
  EXPECT_NE(RenderCompareMarkdown(rep).find("- speed REGRESSION: tiny / base / single / mc / "
                                            "0-shot: median latency ratio x1.9"),
            std::string::npos)
      << RenderCompareMarkdown(rep);
}

TEST(SettingIdentity, ParetoOffersMachineIndependentCostBesideLatency) {
  testing::TempDir dir;
  auto specs = FewshotBySeeds();
  BuildDb(dir / "run.sqlite", specs);
  {
    // Parameters in the model metadata give FLOPs per item and weight bytes.
    auto store = ResultsStore::Open((dir / "run.sqlite").string());
    store.UpsertModel({"model-1", "tiny", "/m.gguf", 1000, "fh", R"({"parameters":1000000})"});
  }
  const RunData run = LoadRun((dir / "run.sqlite").string());
  const RunMetrics m = ComputeMetrics(run);
  std::vector<std::string> metrics;
  for (const auto& f : m.pareto) metrics.push_back(f.cost_metric);
  EXPECT_NE(std::find(metrics.begin(), metrics.end(), "latency_s_per_item"), metrics.end());
  EXPECT_NE(std::find(metrics.begin(), metrics.end(), "flops_per_item"), metrics.end());
}

}  // namespace
}  // namespace gapbench::reports
