// A routed system through the whole distributed runtime: a sweep with a "kind": "route" strategy
// (the model zoo's small -> large) run by `gapbench run` with a worker process. The worker loads
// both members; the stored records equal `gapbench eval --small` of the same setting (timing
// aside); report.md has the routing table and index.html the routing curve.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "common/error.h"
#include "suites/record.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;

// Multiple choice (cloze) and a few generation items.
void WriteSuite(const fs::path& file, size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    if (i % 4 == 3) {
      text +=
          StrCat(R"({"kind":"generation","id":"g)", i, R"(","style":"qa","prompt":"What is )", i,
                 R"( plus one?","reference":")", i + 1, R"(","match":"numeric","solution":"#### )",
                 i + 1, R"(","stop":["\n"]})", "\n");
    } else {
      text += StrCat(R"({"kind":"multiple_choice","id":"m)", i, R"(","style":"cloze",)",
                     R"("question":"The colour of thing )", i,
                     R"( is","choices":["red","green","blue","teal"],"gold":)", i % 4, "}\n");
    }
  }
  WriteFile(file, text);
}

TEST(RouteRun, ARoutedSweepStoresBothMembersAndReportsTheCurve) {
  const fs::path zoo = SourceDir() / "models" / "zoo";
  if (!fs::exists(zoo / "small.gguf") || !fs::exists(zoo / "large.gguf")) {
    GTEST_SKIP() << "models/zoo/{small,large}.gguf are absent";
  }
  TempDir dir;
  fs::create_directories(dir / "models");
  fs::copy_file(zoo / "small.gguf", dir / "models" / "small.gguf");
  fs::copy_file(zoo / "large.gguf", dir / "models" / "large.gguf");
  WriteSuite(dir / "s.jsonl", 16);
  WriteFile(dir / "sweep.json", R"({"name": "routed",
 "models": [{"alias": "small", "path": "models/small.gguf"},
            {"alias": "large", "path": "models/large.gguf"}],
 "engines": [{"name": "base", "config": {}}],
 "strategies": [{"name": "cascade", "kind": "route", "small": "small", "large": "large",
                 "threshold": 0.45, "gen_threshold": -0.8}],
 "suites": [{"name": "s", "path": "s.jsonl", "format": "gapbench", "max_tokens": 6}],
 "combinations": [{"strategy": "cascade", "suite": "s"}],
 "seed": 3, "shard_size": 5})");
  const auto run =
      RunProcess({GapbenchBin(), "run", (dir / "sweep.json").string(), "--workers", "1", "--out",
                  (dir / "run").string(), "--heartbeat-ms", "200", "--threads", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, std::string> from_run;  // item_id -> record without timing
  for (const auto& [key, rec] : StoredItems(dir / "run" / "results.sqlite")) {
    const auto r = suites::ItemRecordFromJson(rec, key);
    ASSERT_TRUE(r.route) << rec;
    from_run[r.item_id] = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
  ASSERT_EQ(from_run.size(), 16u);

  const auto eval = RunProcess({GapbenchBin(),     "eval",
                                "--model",         (dir / "models" / "large.gguf").string(),
                                "--small",         (dir / "models" / "small.gguf").string(),
                                "--threshold",     "0.45",
                                "--gen-threshold", "-0.8",
                                "--suite",         (dir / "s.jsonl").string(),
                                "--format",        "gapbench",
                                "--seed",          "3",
                                "--max-tokens",    "6",
                                "--threads",       "1",
                                "--out",           (dir / "eval.jsonl").string()});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  std::map<std::string, std::string> from_eval;
  std::istringstream in(ReadFile(dir / "eval.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    const auto r = suites::ItemRecordFromJson(line, "eval.jsonl");
    from_eval[r.item_id] = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
  EXPECT_EQ(from_eval, from_run);

  const std::string md = ReadFile(dir / "run" / "report.md");
  EXPECT_NE(md.find("## Routing"), std::string::npos) << md;
  EXPECT_NE(md.find("| cascade (large large) | s |"), std::string::npos) << md;
  EXPECT_NE(md.find("APGR"), std::string::npos);
  const std::string html = ReadFile(dir / "run" / "index.html");
  EXPECT_NE(html.find("<h2>Routing</h2>"), std::string::npos);
  EXPECT_NE(html.find("id=\"route-0\""), std::string::npos);
  // Per-member seconds travel with the timing into items.jsonl.
  const std::string items = ReadFile(dir / "run" / "items.jsonl");
  EXPECT_NE(items.find("\"route_small_s\""), std::string::npos);
}

}  // namespace
}  // namespace gapbench::testing
