// A coordinator and a worker as real processes with GAPBENCH_LOG_FORMAT=json (common/log.h):
// every line either writes to stderr is one JSON object a log collector can parse, and the
// coordinator's events carry their facts as fields (the worker that joined, the shards it ran).
#include <gtest/gtest.h>

#include <csignal>
#include <set>
#include <sstream>

#include "common/json.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> WithJsonLogs(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/usr/bin/env", "GAPBENCH_LOG_FORMAT=json"});
  return argv;
}

// The lines of a log, each parsed; a line that is not a JSON object fails the test, except the
// coordinator's two stdout lines (its endpoint, for whoever started it), which stay text.
std::vector<rapidjson::Document> JsonLines(const fs::path& log) {
  std::vector<rapidjson::Document> out;
  std::istringstream in(ReadFile(log));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with("gapbench coordinator: listening on ") ||
        line.starts_with("gapbench coordinator: http on port ")) {
      continue;
    }
    rapidjson::Document d;
    d.Parse(line.data(), line.size());
    EXPECT_FALSE(d.HasParseError() || !d.IsObject()) << log.filename() << ": " << line;
    if (d.HasParseError() || !d.IsObject()) continue;
    EXPECT_TRUE(d.HasMember("time") && d.HasMember("level") && d.HasMember("component") &&
                d.HasMember("msg"))
        << line;
    out.push_back(std::move(d));
  }
  return out;
}

TEST(JsonLogs, CoordinatorAndWorkerWriteOneJsonObjectPerLine) {
  TempDir dir;
  const Workload w = MakeWorkload(dir.path(), 24, 12);
  const int port = FreePort();
  const fs::path db = dir / "results.sqlite";
  Child coordinator(WithJsonLogs(CoordinatorArgs(w, db, port)), dir / "coordinator.log");
  Child worker(WithJsonLogs(WorkerArgs(port, "w-json")), dir / "worker.log");
  ASSERT_TRUE(
      WaitUntil([&] { return CountStoredItems(db) == w.n_items; }, std::chrono::seconds(240)))
      << ReadFile(dir / "coordinator.log") << ReadFile(dir / "worker.log");
  coordinator.Signal(SIGTERM);
  worker.Signal(SIGTERM);
  coordinator.Wait(std::chrono::seconds(30));
  worker.Wait(std::chrono::seconds(30));

  const auto lines = JsonLines(dir / "coordinator.log");
  std::set<std::string> events, shards;
  bool joined = false;
  for (const auto& d : lines) {
    const std::string component = d["component"].GetString();
    EXPECT_TRUE(component == "coordinator" || component == "gapbench coordinator") << component;
    if (!d.HasMember("event")) continue;
    const std::string event = d["event"].GetString();
    events.insert(event);
    if (event == "worker_joined") joined = std::string(d["worker"].GetString()) == "w-json";
    if (event == "assigned") shards.insert(d["shard"].GetString());
  }
  EXPECT_TRUE(joined) << ReadFile(dir / "coordinator.log");
  EXPECT_TRUE(events.contains("assigned")) << ReadFile(dir / "coordinator.log");
  EXPECT_GE(shards.size(), 2u);  // the sweep's shards, each named by its id
  for (const auto& d : JsonLines(dir / "worker.log")) {
    EXPECT_STREQ(d["component"].GetString(), "gapbench worker");
  }
}

}  // namespace
}  // namespace gapbench::testing
