// Test helpers for the distributed runtime: real background processes (coordinator, workers) that
// a test can signal (kill -9, SIGSTOP, SIGTERM), a free loopback port, a small but real evaluation
// workload (a random tiny model and a native JSONL suite with enough items and shards to kill a
// process in the middle of), and readers for the stored item results.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace gapbench::testing {

// A child process running argv (no shell), stdout and stderr appended to `log`.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~Child();  // SIGKILL and reap when still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Exit status (exit code, or 128 + signal) once it ends; nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();
  const std::filesystem::path& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// Waits until pred() holds, polling every 20 ms; false on timeout.
template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    ::usleep(20000);
  }
  return pred();
}

struct Workload {
  std::filesystem::path dir;
  std::filesystem::path sweep;  // sweep.json
  size_t n_items = 0;           // item results the sweep produces in all
};

// Writes under `dir`: models/m.gguf (a random model, generated once per test binary and copied),
// suites/mc.jsonl (n_mc multiple-choice items in 4 subjects, 2-shot from the suite itself) and
// sweep.json (two engine configurations, shard_size items per shard).
Workload MakeWorkload(const std::filesystem::path& dir, size_t n_mc, size_t shard_size);

// Item results in a results database: (shard, item_index, sample) -> record_json (no timing).
std::map<std::string, std::string> StoredItems(const std::filesystem::path& db);
size_t CountStoredItems(const std::filesystem::path& db);

// The report's items.jsonl with each line's "timing" object removed, in file order.
std::vector<std::string> ItemsWithoutTiming(const std::filesystem::path& items_jsonl);

// Args for the coordinator and worker processes with fast heartbeats for tests.
std::vector<std::string> CoordinatorArgs(const Workload& w, const std::filesystem::path& db,
                                         int port, int64_t lease_ms = 4000);
std::vector<std::string> WorkerArgs(int port, const std::string& name);

}  // namespace gapbench::testing
