// Issue 10, done-when: a real `gapbench run` of a sweep that lists one suite at 0-shot and at
// 2-shot with "seeds": [1, 2], on a tiny random model, gives a report with four groups per
// configuration -- none dropped, no duplicate warning, every group showing its few-shot count
// and seed -- and `gapbench compare RUN --a fewshot=0 --b fewshot=2` gives a paired verdict for
// the two settings of that one run.
#include <gtest/gtest.h>

#include <set>

#include "common/error.h"
#include "common/json.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;

TEST(SettingsSweep, FewshotTimesSeedsGivesFourGroupsAndAPairedAbVerdict) {
  TempDir dir;
  const size_t n_mc = 12;
  // The workload's model and suite; the sweep is ours.
  const Workload w = MakeWorkload(dir.path(), n_mc, 6);
  WriteFile(w.sweep, R"({"name": "settings",
 "models": [{"alias": "m", "path": "models/m.gguf"}],
 "engines": [{"name": "base", "config": {}}],
 "suites": [{"name": "mc0", "path": "suites/mc.jsonl", "format": "gapbench", "fewshot": 0},
            {"name": "mc2", "path": "suites/mc.jsonl", "format": "gapbench", "fewshot": 2}],
 "grid": {"model": ["m"], "engine": ["base"], "suite": ["mc0", "mc2"]},
 "seeds": [1, 2], "shard_size": 6}
)");
  const fs::path out = dir / "out";
  const auto r = RunProcess({GapbenchBin(), "run", w.sweep.string(), "--workers", "1", "--out",
                             out.string(), "--heartbeat-ms", "200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Every evaluation is stored: 2 few-shot counts x 2 seeds x n_mc items.
  EXPECT_EQ(StoredItems(out / "results.sqlite").size(), 4 * n_mc);

  const auto results = ParseJson(ReadFile(out / "results.json"), "results.json");
  ASSERT_EQ(results["groups"].Size(), 4u) << ReadFile(out / "report.md");
  EXPECT_EQ(results["shards"]["duplicate_records"].GetInt64(), 0);
  std::set<std::pair<int64_t, uint64_t>> settings;
  for (const auto& g : results["groups"].GetArray()) {
    EXPECT_EQ(g["n_items"].GetInt64(), static_cast<int64_t>(n_mc));
    settings.insert({g["fewshot"].GetInt64(), g["seed"].GetUint64()});
    EXPECT_EQ(g["samples"].GetInt64(), 1);
    EXPECT_TRUE(g["max_tokens"].IsInt64());
  }
  EXPECT_EQ(settings, (std::set<std::pair<int64_t, uint64_t>>{{0, 1}, {0, 2}, {2, 1}, {2, 2}}));
  EXPECT_EQ(results["seeds"].Size(), 2u);  // each few-shot count measured under two seeds

  const std::string md = ReadFile(out / "report.md");
  EXPECT_EQ(md.find("more than one shard"), std::string::npos) << md;
  EXPECT_NE(md.find("| shots | chat | seed | samples | max tokens |"), std::string::npos) << md;
  EXPECT_NE(md.find("## Seeds"), std::string::npos) << md;
  EXPECT_EQ(ItemsWithoutTiming(out / "items.jsonl").size(), 4 * n_mc);

  // A/B of the two few-shot counts within the run: seeds pair with seeds, item by item.
  const auto ab = RunProcess({GapbenchBin(), "compare", out.string(), "--a", "fewshot=0", "--b",
                              "fewshot=2", "--json", "--report-only"});
  ASSERT_EQ(ab.exit_code, 0) << ab.err;
  const auto doc = ParseJson(ab.out, "compare --json");
  EXPECT_STREQ(doc["a_selector"].GetString(), "fewshot=0");
  ASSERT_EQ(doc["groups"].Size(), 2u) << ab.out;
  for (const auto& g : doc["groups"].GetArray()) {
    EXPECT_EQ(g["n_items"].GetInt64(), static_cast<int64_t>(n_mc));
    EXPECT_STREQ(g["test"].GetString(), "mcnemar");
    EXPECT_TRUE(g["diff_ci"].IsArray());
    const std::string a = g["key"]["setting_label"].GetString();
    const std::string b = g["cand_key"]["setting_label"].GetString();
    EXPECT_EQ(a.substr(0, 6), "0-shot") << a;
    EXPECT_EQ(b.substr(0, 6), "2-shot") << b;
    EXPECT_EQ(a.substr(a.find("seed")), b.substr(b.find("seed")));
  }
  EXPECT_EQ(doc["base_only_groups"].Size(), 0u);
  EXPECT_EQ(doc["cand_only_groups"].Size(), 0u);

  // The Markdown names the verdict; a selector matching nothing is a usage error (exit 2).
  const auto md_ab =
      RunProcess({GapbenchBin(), "compare", out.string(), "--a", "fewshot=0", "--b", "fewshot=2"});
  EXPECT_TRUE(md_ab.exit_code == 0 || md_ab.exit_code == 1) << md_ab.err;
  EXPECT_NE(md_ab.out.find("**Verdict:"), std::string::npos) << md_ab.out;
  const auto none =
      RunProcess({GapbenchBin(), "compare", out.string(), "--a", "fewshot=0", "--b", "fewshot=5"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("matches no group"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace gapbench::testing
