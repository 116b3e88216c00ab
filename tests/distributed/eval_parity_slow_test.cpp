// `gapbench eval` and the workers compute the same thing: `eval --limit N` of a setting and a
// one-worker `gapbench run` of the same setting (sweep suite "limit": N) write identical item
// records (timing aside) -- few-shot examples drawn from the whole suite in both, the same
// context rule, the same truncation of prompts that do not fit.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "common/error.h"
#include "suites/record.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;

// n items without a few-shot pool (shots come from the suite itself): every third a generation
// item, the rest multiple choice in two subjects.
void WriteSuite(const fs::path& file, size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    if (i % 3 == 2) {
      text +=
          StrCat(R"({"kind":"generation","id":"g)", i, R"(","style":"qa","prompt":"What is )", i,
                 R"( plus )", i, R"(?","reference":")", 2 * i,
                 R"(","match":"numeric","solution":"#### )", 2 * i, R"(","stop":["\n"]})", "\n");
    } else {
      text += StrCat(R"({"kind":"multiple_choice","id":"m)", i, R"(","style":"letters",)",
                     R"("question":"Which colour is number )", i,
                     R"(?","choices":["red","green","blue","teal"],"gold":)", i % 4,
                     R"(,"tags":{"subject":")", i % 2 ? "paint" : "light", R"("}})", "\n");
    }
  }
  WriteFile(file, text);
}

TEST(EvalParity, EvalLimitWritesTheRecordsOfAOneWorkerRun) {
  TempDir dir;
  fs::create_directories(dir / "models");
  fs::copy_file(SourceDir() / "tests" / "fixtures" / "engine" / "llama-mha-f32.gguf",
                dir / "models" / "m.gguf");
  WriteSuite(dir / "s.jsonl", 14);
  WriteFile(dir / "sweep.json", R"({"name": "parity",
 "models": [{"alias": "m", "path": "models/m.gguf"}],
 "engines": [{"name": "base", "config": {}}],
 "suites": [{"name": "s", "path": "s.jsonl", "format": "gapbench", "fewshot": 3, "limit": 5,
             "max_tokens": 8}],
 "grid": {"model": ["m"], "engine": ["base"], "suite": ["s"]},
 "seed": 3, "shard_size": 2})");
  const auto run =
      RunProcess({GapbenchBin(), "run", (dir / "sweep.json").string(), "--workers", "1", "--out",
                  (dir / "run").string(), "--heartbeat-ms", "200", "--no-report"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, std::string> from_run;  // item_id -> record without timing
  for (const auto& [key, rec] : StoredItems(dir / "run" / "results.sqlite")) {
    const auto r = suites::ItemRecordFromJson(rec, key);
    from_run[r.item_id] = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
  ASSERT_EQ(from_run.size(), 5u);

  const auto eval =
      RunProcess({GapbenchBin(), "eval", "--model", (dir / "models" / "m.gguf").string(), "--suite",
                  (dir / "s.jsonl").string(), "--format", "gapbench", "--fewshot", "3", "--limit",
                  "5", "--seed", "3", "--max-tokens", "8", "--out", (dir / "eval.jsonl").string()});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  std::map<std::string, std::string> from_eval;
  std::istringstream in(ReadFile(dir / "eval.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    const auto r = suites::ItemRecordFromJson(line, "eval.jsonl");
    from_eval[r.item_id] = suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
  EXPECT_EQ(from_eval, from_run);
  // The shots came from the whole suite: some item's shots lie beyond the first five items.
  bool beyond = false;
  for (const auto& [id, rec] : from_eval) {
    for (const auto& shot : suites::ItemRecordFromJson(rec, id).shot_ids) {
      const int n = std::stoi(shot.substr(1));
      beyond = beyond || n >= 5;
    }
  }
  EXPECT_TRUE(beyond);
}

// An error that depends only on the inputs (here a cloze choice -- the scored continuation --
// longer than the model's 128-position context, which `sweep validate` cannot see without
// tokenizing) fails its shard at once -- one
// attempt, not three -- and report.md names the shard with the reason.
TEST(EvalParity, InputErrorsPoisonAtOnceWithTheirReasonInTheReport) {
  TempDir dir;
  fs::create_directories(dir / "models");
  fs::copy_file(SourceDir() / "tests" / "fixtures" / "engine" / "llama-mha-f32.gguf",
                dir / "models" / "m.gguf");
  std::string huge;
  for (int i = 0; i < 300; ++i) huge += StrCat(" word", i);
  WriteFile(dir / "s.jsonl",
            StrCat(R"({"kind":"multiple_choice","id":"ok","question":"Q?","choices":["a","b"],)",
                   R"("gold":0})", "\n",
                   R"({"kind":"multiple_choice","id":"long","style":"cloze","question":"Q?",)",
                   R"("choices":["a",")",
                   huge, R"("],"gold":0})", "\n"));
  WriteFile(dir / "sweep.json", R"({"name": "poison",
 "models": [{"alias": "m", "path": "models/m.gguf"}],
 "engines": [{"name": "base", "config": {}}],
 "suites": [{"name": "s", "path": "s.jsonl", "format": "gapbench"}],
 "grid": {"model": ["m"], "engine": ["base"], "suite": ["s"]},
 "seed": 1, "shard_size": 1})");
  const auto run = RunProcess({GapbenchBin(), "run", (dir / "sweep.json").string(), "--workers",
                               "1", "--out", (dir / "run").string(), "--heartbeat-ms", "200",
                               "--max-attempts", "3"});
  EXPECT_EQ(run.exit_code, 1) << run.err;  // the work failed (one poison shard)
  const std::string md = ReadFile(dir / "run" / "report.md");
  EXPECT_NE(md.find("## Failed shards"), std::string::npos) << md;
  EXPECT_NE(md.find("| [1, 2) | 1 | input error: log-likelihood request: the continuation"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("128-token context"), std::string::npos) << md;
}

}  // namespace
}  // namespace gapbench::testing
