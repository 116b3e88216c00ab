// Systems of two models through the whole distributed runtime: a sweep with a "kind": "route"
// strategy (the model zoo's small -> large), and one with a "kind": "guard" strategy (small
// guarding large on the synthetic world's guard.jsonl), run by `gapbench run` with a worker
// process. The worker loads both members; the stored records equal `gapbench eval --small` /
// `--guard` of the same setting (timing aside); report.md and index.html have the routing
// section (table and curve) or the guard section (precision, recall, F1, FRR per split).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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

// Copies the zoo's small and large models to dir/models; false when the zoo lacks them.
bool CopyZoo(const fs::path& dir) {
  const fs::path zoo = SourceDir() / "models" / "zoo";
  if (!fs::exists(zoo / "small.gguf") || !fs::exists(zoo / "large.gguf")) return false;
  fs::create_directories(dir / "models");
  fs::copy_file(zoo / "small.gguf", dir / "models" / "small.gguf");
  fs::copy_file(zoo / "large.gguf", dir / "models" / "large.gguf");
  return true;
}

// `gapbench run` of dir/sweep.json into dir/run with one worker; the stored records by item id,
// timing omitted.
std::map<std::string, std::string> RunSweep(const fs::path& dir) {
  const auto run =
      RunProcess({GapbenchBin(), "run", (dir / "sweep.json").string(), "--workers", "1", "--out",
                  (dir / "run").string(), "--heartbeat-ms", "200", "--threads", "1"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, std::string> out;
  for (const auto& [key, rec] : StoredItems(dir / "run" / "results.sqlite")) {
    const auto r = suites::ItemRecordFromJson(rec, key);
    out[r.item_id] = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
  return out;
}

// `gapbench eval ARGS --threads 1 --out dir/eval.jsonl`; its records by item id, timing omitted.
std::map<std::string, std::string> Eval(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {GapbenchBin(), "eval"});
  for (const char* a : {"--threads", "1", "--out"}) args.push_back(a);
  args.push_back((dir / "eval.jsonl").string());
  const auto eval = RunProcess(args);
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  std::map<std::string, std::string> out;
  std::istringstream in(ReadFile(dir / "eval.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    const auto r = suites::ItemRecordFromJson(line, "eval.jsonl");
    out[r.item_id] = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
  return out;
}

TEST(RouteRun, ARoutedSweepStoresBothMembersAndReportsTheCurve) {
  TempDir dir;
  if (!CopyZoo(dir.path())) GTEST_SKIP() << "models/zoo/{small,large}.gguf are absent";
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
  const std::map<std::string, std::string> from_run = RunSweep(dir.path());
  for (const auto& [id, rec] : from_run) {
    ASSERT_TRUE(suites::ItemRecordFromJson(rec, id).route) << rec;
  }
  ASSERT_EQ(from_run.size(), 16u);
  const auto from_eval =
      Eval(dir.path(), {"--model", (dir / "models" / "large.gguf").string(), "--small",
                        (dir / "models" / "small.gguf").string(), "--threshold", "0.45",
                        "--gen-threshold", "-0.8", "--suite", (dir / "s.jsonl").string(),
                        "--format", "gapbench", "--seed", "3", "--max-tokens", "6"});
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

// The small zoo model guards the large one on the world's guard.jsonl (allow/refuse labels, id
// and ood phrasings): the sweep's records equal `eval --guard`'s, and the report has the guard
// section with a row per split.
TEST(GuardRun, AGuardedSweepStoresTheDecisionsAndReportsTheGuardMetrics) {
  TempDir dir;
  if (!CopyZoo(dir.path())) GTEST_SKIP() << "models/zoo/{small,large}.gguf are absent";
  const auto synth = RunProcess({GapbenchBin(), "suites", "synth", "--seed", "7", "--size", "small",
                                 "--out", (dir / "world").string()});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  WriteFile(dir / "sweep.json", R"({"name": "guarded",
 "models": [{"alias": "small", "path": "models/small.gguf"},
            {"alias": "large", "path": "models/large.gguf"}],
 "engines": [{"name": "base", "config": {}}],
 "strategies": [{"name": "screened", "kind": "guard", "guard": "small", "large": "large",
                 "template": "{prompt}", "threshold": 0.5}],
 "suites": [{"name": "guard", "path": "world/guard.jsonl", "format": "gapbench"}],
 "combinations": [{"strategy": "screened", "suite": "guard"}],
 "seed": 3, "shard_size": 8})");
  const std::map<std::string, std::string> from_run = RunSweep(dir.path());
  ASSERT_EQ(from_run.size(), 24u);  // 12 id + 12 ood items at size small
  int refused = 0;
  for (const auto& [id, rec] : from_run) {
    const auto r = suites::ItemRecordFromJson(rec, id);
    ASSERT_TRUE(r.guard) << rec;
    refused += r.guard->refused ? 1 : 0;
  }
  EXPECT_GT(refused, 0);
  const auto from_eval = Eval(
      dir.path(), {"--model", (dir / "models" / "large.gguf").string(), "--guard",
                   (dir / "models" / "small.gguf").string(), "--guard-template", "{prompt}",
                   "--guard-threshold", "0.5", "--suite", (dir / "world" / "guard.jsonl").string(),
                   "--format", "gapbench", "--seed", "3"});
  EXPECT_EQ(from_eval, from_run);

  const std::string md = ReadFile(dir / "run" / "report.md");
  EXPECT_NE(md.find("## Guard"), std::string::npos) << md;
  EXPECT_NE(md.find("| screened (protects large) | guard |"), std::string::npos) << md;
  for (const char* split : {"| all |", "| id |", "| ood |"}) {
    EXPECT_NE(md.find(split), std::string::npos) << split << "\n" << md;
  }
  const std::string html = ReadFile(dir / "run" / "index.html");
  EXPECT_NE(html.find("<h2>Guard</h2>"), std::string::npos);
  const std::string items = ReadFile(dir / "run" / "items.jsonl");
  EXPECT_NE(items.find("\"guard_s\""), std::string::npos);
}

}  // namespace
}  // namespace gapbench::testing
