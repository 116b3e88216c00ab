// Presets in a sweep: {"preset": "open-llm-v1", "data": DIR} expands to the Open LLM Leaderboard
// v1's six tasks with its shot counts, each a suite loaded from the data folder's layout; the
// entry's name stands for all six in the grid; every missing file is named; the suite rows the
// report reads carry the task's metric.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "coordinator/expand.h"
#include "coordinator/registration.h"
#include "coordinator/sweep.h"
#include "suites/presets.h"
#include "tests/coordinator/preset_fixture.h"
#include "tests/coordinator/sweep_errors.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

void WriteSweep(const fs::path& file, const std::string& suites, const std::string& grid) {
  WriteFile(file, StrCat(R"({"name": "olv1", "models": [{"alias": "m", "path": ")",
                         testing::FixtureModel().string(),
                         R"("}], "engines": [{"name": "base"}], "suites": [)", suites,
                         R"(], "grid": )", grid, "}"));
}

// The leaderboard's definition, written out here (not read from suites/presets.cpp).
struct Expected {
  const char* task;
  const char* format;
  int fewshot;
  const char* metric;
};
constexpr Expected kOpenLlmV1[] = {{"arc_challenge", "arc", 25, "acc_norm"},
                                   {"hellaswag", "hellaswag", 10, "acc_norm"},
                                   {"mmlu", "mmlu", 5, "acc"},
                                   {"truthfulqa_mc2", "truthfulqa_mc2", 0, "mc2"},
                                   {"winogrande", "winogrande", 5, "acc"},
                                   {"gsm8k", "gsm8k", 5, "strict_match"}};

TEST(PresetSweep, ExpandsToTheSixTasksWithTheirShotsAndMetrics) {
  TempDir dir;
  testing::WritePresetData(dir / "data", 3);
  WriteSweep(dir / "sweep.json", R"({"preset": "open-llm-v1", "data": "data", "limit": 2})",
             R"({"suite": ["open-llm-v1"]})");
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  const Sweep& sw = c.sweep;
  ASSERT_EQ(sw.suites.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const SuiteSpec& s = sw.suites[i];
    SCOPED_TRACE(kOpenLlmV1[i].task);
    EXPECT_EQ(s.name, StrCat("open-llm-v1.", kOpenLlmV1[i].task));
    EXPECT_EQ(s.format, kOpenLlmV1[i].format);
    EXPECT_EQ(s.fewshot, kOpenLlmV1[i].fewshot);
    EXPECT_EQ(s.n_items, 2u);  // the entry's limit applies to every task
    EXPECT_EQ(s.samples, 1);
    EXPECT_EQ(s.temperature, 0.0);
    EXPECT_EQ(s.preset, "open-llm-v1");
    EXPECT_EQ(s.preset_entry, "open-llm-v1");
    EXPECT_EQ(s.preset_task, kOpenLlmV1[i].task);
    EXPECT_EQ(s.path.rfind((dir / "data").string(), 0), 0u) << s.path;  // under "data"
    const suites::Preset* p = suites::FindPreset("open-llm-v1");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->tasks[i].metric, kOpenLlmV1[i].metric);
  }
  EXPECT_TRUE(suites::FindPreset("open-llm-v1")->tasks[2].macro_by_subject);  // MMLU
  ASSERT_EQ(sw.combinations.size(), 6u);  // the entry's name stands for its six suites
  const Expansion e = ExpandSweep(sw);
  EXPECT_EQ(e.n_items, 12u);

  // The suite rows the report reads say preset, entry, task and metric.
  const Registration r = BuildRegistration(sw, e, "{}", {});
  size_t with_preset = 0;
  for (const auto& row : r.suites) {
    if (row.manifest_json.find(R"("preset":{"name":"open-llm-v1","entry":"open-llm-v1")") !=
        std::string::npos) {
      ++with_preset;
    }
  }
  EXPECT_EQ(with_preset, 6u);
  EXPECT_TRUE(std::any_of(r.suites.begin(), r.suites.end(), [](const auto& row) {
    return row.manifest_json.find(R"("task":"truthfulqa_mc2","tasks":6,"metric":"mc2")") !=
           std::string::npos;
  }));
}

TEST(PresetSweep, ANamedEntryCanBeUsedInCombinationsAndByTask) {
  TempDir dir;
  testing::WritePresetData(dir / "data", 3);
  WriteSweep(dir / "sweep.json",
             R"({"preset": "open-llm-v1", "name": "olv1", "data": "data", "limit": 1,
                 "max_tokens": 32})",
             R"({"suite": ["olv1.gsm8k", "olv1.mmlu"]})");
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  ASSERT_EQ(c.sweep.combinations.size(), 2u);
  EXPECT_EQ(c.sweep.suites[c.sweep.combinations[0].suite].name, "olv1.gsm8k");
  EXPECT_EQ(c.sweep.suites[5].max_tokens, 32);
}

TEST(PresetSweep, EveryMissingFileIsNamedWithItsTask) {
  TempDir dir;
  testing::WritePresetData(dir / "data", 3);
  fs::remove(dir / "data" / "hellaswag" / "hellaswag_val.jsonl");
  fs::remove_all(dir / "data" / "gsm8k");
  WriteSweep(dir / "sweep.json", R"({"preset": "open-llm-v1", "data": "data"})", "{}");
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_FALSE(c.ok());
  const std::string all = AllErrors(c);
  EXPECT_NE(all.find("$.suites[0].data: preset open-llm-v1, task hellaswag"), std::string::npos)
      << all;
  EXPECT_NE(all.find((dir / "data" / "hellaswag" / "hellaswag_val.jsonl").string()),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("task gsm8k"), std::string::npos) << all;
  EXPECT_NE(all.find((dir / "data" / "gsm8k" / "test.jsonl").string()), std::string::npos) << all;
  EXPECT_EQ(all.find("task arc_challenge"), std::string::npos) << all;
}

TEST(PresetSweep, BadEntriesAreErrorsWithTheirPath) {
  TempDir dir;
  testing::WritePresetData(dir / "data", 3);
  WriteSweep(dir / "sweep.json",
             R"({"preset": "open-llm-v2", "data": "data"},
                {"preset": "open-llm-v1", "data": "data", "fewshot": 3},
                {"preset": "open-llm-v1", "data": "nowhere", "name": "x"})",
             "{}");
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  const std::string all = AllErrors(c);
  EXPECT_NE(all.find(R"($.suites[0].preset: unknown preset "open-llm-v2" (did you mean)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("$.suites[1].fewshot: unknown key"), std::string::npos) << all;
  EXPECT_NE(all.find("$.suites[2].data: not found: "), std::string::npos) << all;
  // A preset task whose shots its files cannot give is named by task.
  TempDir dir2;
  testing::WritePresetData(dir2 / "data", 3);
  fs::remove(dir2 / "data" / "arc" / "ARC-Challenge-Dev.jsonl");
  WriteFile(dir2 / "data" / "arc" / "ARC-Challenge-Dev.jsonl", "");
  WriteSweep(dir2 / "sweep.json", R"({"preset": "open-llm-v1", "data": "data"})", "{}");
  const SweepCheck c2 = CheckSweepFile((dir2 / "sweep.json").string());
  EXPECT_NE(AllErrors(c2).find("$.suites[0].arc_challenge.fewshot: fewshot 25 cannot be met"),
            std::string::npos)
      << AllErrors(c2);
}

}  // namespace
}  // namespace gapbench::coordinator
