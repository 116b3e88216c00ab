// `gapbench run` end to end: a coordinator and worker processes on one machine, the results
// database and the report in the output folder, progress lines when stderr is not a terminal,
// resuming on a second run, and the same item records whatever the number of workers.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>

#include "common/error.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;

TEST(RunCli, RunsASweepWithWorkersWritesTheReportAndResumes) {
  TempDir dir;
  const Workload w = MakeWorkload(dir.path(), 40, 4);
  const fs::path out2 = dir / "out2", out1 = dir / "out1";
  const auto r = RunProcess({GapbenchBin(), "run", w.sweep.string(), "--workers", "2", "--out",
                             out2.string(), "--heartbeat-ms", "200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f :
       {"results.sqlite", "results.json", "items.jsonl", "report.md", "index.html"}) {
    EXPECT_TRUE(fs::exists(out2 / f)) << f;
  }
  // Plain progress lines (stderr is a pipe here), ending at every item.
  EXPECT_NE(r.err.find(StrCat("gapbench run: ", w.n_items, "/", w.n_items, " items")),
            std::string::npos)
      << r.err;
  // Workers leave on SHUTDOWN while the coordinator still answers late peers: a finished sweep
  // is not reported as every worker having stopped.
  EXPECT_EQ(r.err.find("every worker has stopped"), std::string::npos) << r.err;
  EXPECT_EQ(StoredItems(out2 / "results.sqlite").size(), w.n_items);
  const auto items2 = ItemsWithoutTiming(out2 / "items.jsonl");
  EXPECT_EQ(items2.size(), w.n_items);

  // The same command again: nothing new to run, same records.
  const auto again = RunProcess({GapbenchBin(), "run", w.sweep.string(), "--workers", "2", "--out",
                                 out2.string(), "--heartbeat-ms", "200"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resumed (0 new shards)"), std::string::npos) << again.err;
  EXPECT_EQ(ItemsWithoutTiming(out2 / "items.jsonl"), items2);

  // One worker gives the same item records as two.
  const auto one = RunProcess({GapbenchBin(), "run", w.sweep.string(), "--workers", "1", "--out",
                               out1.string(), "--heartbeat-ms", "200"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(ItemsWithoutTiming(out1 / "items.jsonl"), items2);
}

// Process ids of `pid`'s children (Linux: /proc/PID/task/*/children).
std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  for (const auto& task : fs::directory_iterator(StrCat("/proc/", pid, "/task"))) {
    std::istringstream in(ReadFile(task.path() / "children"));
    pid_t c = 0;
    while (in >> c) out.push_back(c);
  }
  return out;
}

// A worker process that dies (kill -9) is restarted by `gapbench run`, and the run completes
// with every item stored once.
// The quick sweep (random fixture models; the README's main job before the zoo): its workers
// finish and leave on SHUTDOWN while the coordinator still answers late peers for its grace
// period; the run must not report that as every worker having stopped (it did: the message came
// before "552/552 items").
TEST(RunCli, TheQuickSweepEndsWithoutAStoppedWorkersWarning) {
  TempDir dir;
  const auto r =
      RunProcess({GapbenchBin(), "run", (SourceDir() / "examples" / "quick-sweep.json").string(),
                  "--workers", "2", "--threads", "1", "--out", (dir / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("552/552 items"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("every worker has stopped"), std::string::npos) << r.err;
}

TEST(RunCli, AKilledWorkerIsRestartedAndTheRunCompletes) {
  TempDir dir;
  const Workload w = MakeWorkload(dir.path(), 300, 3);
  const fs::path out = dir / "out";
  Child run({GapbenchBin(), "run", w.sweep.string(), "--workers", "2", "--out", out.string(),
             "--heartbeat-ms", "200", "--no-report"},
            dir / "run.log");
  const fs::path db = out / "results.sqlite";
  ASSERT_TRUE(WaitUntil([&] { return CountStoredItems(db) >= 20; }, std::chrono::seconds(120)))
      << ReadFile(dir / "run.log");
  const auto kids = ChildrenOf(run.pid());
  ASSERT_FALSE(kids.empty()) << "no worker processes found";
  ASSERT_LT(CountStoredItems(db), w.n_items) << "too fast to kill mid-run";
  ::kill(kids.front(), SIGKILL);
  const auto rc = run.Wait(std::chrono::seconds(300));
  ASSERT_TRUE(rc.has_value()) << ReadFile(dir / "run.log");
  EXPECT_EQ(*rc, 0) << ReadFile(dir / "run.log");
  EXPECT_NE(ReadFile(dir / "run.log").find("restarting it"), std::string::npos)
      << ReadFile(dir / "run.log");
  EXPECT_EQ(StoredItems(db).size(), w.n_items);
}

TEST(RunCli, BadSweepIsAClearErrorBeforeAnythingStarts) {
  TempDir dir;
  WriteFile(dir / "bad.json", R"({"name": "x", "models": [{"path": "nope.gguf"}],
 "engines": [{"name": "base"}], "suites": [{"name": "s", "path": "nope.jsonl"}],
 "grid": {"model": ["nope"], "engine": ["base"], "suite": ["s"]}})");
  const auto r = RunProcess(
      {GapbenchBin(), "run", (dir / "bad.json").string(), "--out", (dir / "out").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("$.models[0].path"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("$.suites[0].path"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out" / "results.sqlite") &&
               CountStoredItems(dir / "out" / "results.sqlite") > 0);
  const auto missing = RunProcess({GapbenchBin(), "run", (dir / "missing.json").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("missing.json"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace gapbench::testing
