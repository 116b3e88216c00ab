// The evaluation loop (worker/runner.h) on a real model and a real suite file: records do not
// depend on the item range, on what ran before in the same session, or on skipped samples; the
// skip set and the cancel flag are honoured; timing is kept out of the comparable record JSON.
#include "worker/runner.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "engine/engine_lm.h"
#include "engine/model.h"
#include "suites/loaders.h"
#include "tests/worker/worker_fixture.h"

namespace gapbench::worker {
namespace {

using Key = std::pair<int64_t, int64_t>;  // (item_index, sample)

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto file = testing::WriteMixedSuite(dir_ / "mixed.jsonl", 9);
    suites::LoadOptions lo;
    lo.format = "gapbench";
    suite_ = suites::LoadSuite(file.string(), lo);
    model_ = engine::Model::Load(testing::WorkerFixtureModel().string());
    // session_ as cmd_eval and the worker: the model's training context (128 positions here;
    // longer few-shot prompts are left-truncated the same way in every range).
    options_.shots.k = 2;
    options_.shots.seed = 7;
    options_.samples = 3;
    options_.gen_defaults.max_tokens = 6;
    options_.gen_defaults.temperature = 0.9;
    options_.gen_defaults.seed = 7;
  }

  // Runs [begin, end) on a fresh model session; records without timing by (item, sample).
  std::map<Key, std::string> Run(int64_t begin, int64_t end, const SkipSet& skip = {},
                                 engine::EngineModel* lm = nullptr) {
    std::unique_ptr<engine::EngineModel> own;
    if (!lm) {
      own = std::make_unique<engine::EngineModel>(*model_, session_);
      lm = own.get();
    }
    std::map<Key, std::string> out;
    RunItems(suite_, begin, end, options_, *lm, sandbox_, skip, nullptr, [&](ItemResult& r) {
      for (const auto& sr : r.samples) {
        EXPECT_EQ(sr.item_index, r.item_index);
        EXPECT_TRUE(out.emplace(Key{sr.item_index, sr.sample},
                                suites::ItemRecordToJson(sr.record, suites::RecordTiming::kOmit))
                        .second);
      }
    });
    return out;
  }

  testing::TempDir dir_;
  suites::Suite suite_;
  std::unique_ptr<engine::Model> model_;
  engine::SessionOptions session_;
  RunOptions options_;
  LazySandbox sandbox_;
};

TEST_F(RunnerTest, RecordsDoNotDependOnTheRangeOrTheSessionHistory) {
  const auto whole = Run(0, 9);
  // 6 MC items (one record each) + 3 generation items x 3 samples.
  ASSERT_EQ(whole.size(), 6u + 9u);
  // Two halves on two sessions, as two workers would run them.
  auto halves = Run(0, 4);
  for (auto& kv : Run(4, 9)) halves.insert(kv);
  EXPECT_EQ(halves, whole);
  // The second half first, then the first half, on one session: the prefix cache then holds
  // other items' prompts when each item starts.
  engine::EngineModel shared(*model_, session_);
  auto reversed = Run(4, 9, {}, &shared);
  for (auto& kv : Run(0, 4, {}, &shared)) reversed.insert(kv);
  EXPECT_EQ(reversed, whole);
  // Every item alone on a fresh session (no prefix reuse at all).
  std::map<Key, std::string> alone;
  for (int64_t i = 0; i < 9; ++i) {
    for (auto& kv : Run(i, i + 1)) alone.insert(kv);
  }
  EXPECT_EQ(alone, whole);
}

TEST_F(RunnerTest, SamplesDifferAndRecordsCarryTheSuiteHash) {
  const auto whole = Run(0, 9);
  for (const auto& [key, json] : whole) {
    const auto r = suites::ItemRecordFromJson(json, "record");
    EXPECT_EQ(r.suite_hash, suite_.manifest.content_hash);
    EXPECT_EQ(r.item_id, suite_.items[static_cast<size_t>(key.first)].id);
    EXPECT_EQ(json.find("latency_s"), std::string::npos);
    if (r.kind == suites::ItemKind::kMultipleChoice) {
      EXPECT_EQ(key.second, 0);
      EXPECT_EQ(r.shot_ids.size(), 2u);
      EXPECT_TRUE(r.correct.has_value());
    }
  }
  // Sampling at temperature 0.9 with per-sample seeds: the three completions of at least one
  // generation item are not all equal (a random model spreads its mass widely).
  bool some_differ = false;
  for (int64_t i : {2, 5, 8}) {
    const auto g0 = suites::ItemRecordFromJson(whole.at({i, 0}), "r").generation;
    const auto g1 = suites::ItemRecordFromJson(whole.at({i, 1}), "r").generation;
    const auto g2 = suites::ItemRecordFromJson(whole.at({i, 2}), "r").generation;
    some_differ = some_differ || g0 != g1 || g1 != g2;
  }
  EXPECT_TRUE(some_differ);
}

TEST_F(RunnerTest, SkipSetIsHonouredAndSkippedSamplesDoNotShiftOthers) {
  const auto whole = Run(0, 9);
  // Item 0 (MC) skipped whole; item 2's sample 0 and 2 skipped; item 5 fully skipped.
  const SkipSet skip = {{0, 0}, {2, 0}, {2, 2}, {5, 0}, {5, 1}, {5, 2}};
  engine::EngineModel lm(*model_, session_);
  std::map<Key, std::string> got;
  std::vector<int64_t> items_seen;
  const RunSummary summary =
      RunItems(suite_, 0, 9, options_, lm, sandbox_, skip, nullptr, [&](ItemResult& r) {
        items_seen.push_back(r.item_index);
        EXPECT_FALSE(r.samples.empty());
        for (const auto& sr : r.samples) {
          got.emplace(Key{sr.item_index, sr.sample},
                      suites::ItemRecordToJson(sr.record, suites::RecordTiming::kOmit));
        }
      });
  EXPECT_EQ(items_seen, (std::vector<int64_t>{1, 2, 3, 4, 6, 7, 8}));
  EXPECT_EQ(summary.items_run, 7);
  EXPECT_EQ(summary.items_skipped, 2);
  EXPECT_FALSE(summary.cancelled);
  std::map<Key, std::string> expected = whole;
  for (const auto& k : skip) expected.erase(k);
  EXPECT_EQ(got, expected);
}

TEST_F(RunnerTest, CancelStopsAfterTheCurrentItem) {
  engine::EngineModel lm(*model_, session_);
  std::atomic<bool> cancel{false};
  std::vector<int64_t> seen;
  RunSummary summary =
      RunItems(suite_, 2, 9, options_, lm, sandbox_, {}, &cancel, [&](ItemResult& r) {
        seen.push_back(r.item_index);
        if (seen.size() == 2) cancel = true;  // set while item 3 finishes
      });
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(summary.cancelled);
  EXPECT_EQ(summary.items_run, 2);

  seen.clear();
  summary = RunItems(suite_, 0, 9, options_, lm, sandbox_, {}, &cancel,
                     [&](ItemResult& r) { seen.push_back(r.item_index); });
  EXPECT_TRUE(seen.empty());
  EXPECT_TRUE(summary.cancelled);
}

TEST_F(RunnerTest, BadRangeIsAnError) {
  engine::EngineModel lm(*model_, session_);
  auto nop = [](ItemResult&) {};
  EXPECT_THROW(RunItems(suite_, 0, 10, options_, lm, sandbox_, {}, nullptr, nop), Error);
  EXPECT_THROW(RunItems(suite_, 5, 4, options_, lm, sandbox_, {}, nullptr, nop), Error);
  EXPECT_THROW(RunItems(suite_, -1, 4, options_, lm, sandbox_, {}, nullptr, nop), Error);
  const auto s = RunItems(suite_, 4, 4, options_, lm, sandbox_, {}, nullptr, nop);
  EXPECT_EQ(s.items_run, 0);
}

TEST_F(RunnerTest, LatencyIsSetAndTimingJsonRoundTrips) {
  engine::EngineModel lm(*model_, session_);
  std::vector<ItemResult> results;
  RunItems(suite_, 1, 3, options_, lm, sandbox_, {}, nullptr,
           [&](ItemResult& r) { results.push_back(r); });
  ASSERT_EQ(results.size(), 2u);
  const auto& gen = results[1];
  ASSERT_EQ(gen.samples.size(), 3u);
  EXPECT_GT(gen.latency_s, 0.0);
  double sum = 0;
  for (const auto& sr : gen.samples) sum += sr.record.latency_s;
  EXPECT_NEAR(sum, gen.latency_s, 1e-12);

  const suites::ItemRecord& rec = gen.samples[0].record;
  const std::string timing = suites::ItemTimingToJson(rec);
  const auto doc = ParseJson(timing, "timing");
  EXPECT_DOUBLE_EQ(doc["latency_s"].GetDouble(), rec.latency_s);
  // Record without timing + timing object = the record with timing, byte for byte.
  suites::ItemRecord back =
      suites::ItemRecordFromJson(suites::ItemRecordToJson(rec, suites::RecordTiming::kOmit), "r");
  EXPECT_EQ(back.latency_s, 0.0);
  suites::ApplyItemTiming(timing, "timing", back);
  EXPECT_EQ(suites::ItemRecordToJson(back), suites::ItemRecordToJson(rec));
  EXPECT_THROW(suites::ApplyItemTiming("[1]", "timing", back), Error);
  EXPECT_THROW(suites::ApplyItemTiming(R"({"latency_s":"x"})", "timing", back), Error);
}

}  // namespace
}  // namespace gapbench::worker
