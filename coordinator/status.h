// A point-in-time picture of the coordinator, taken under its lock and handed to whoever shows it:
// the HTTP endpoints (/status as JSON, /metrics as Prometheus text), `gapbench status`, and the
// progress bar of `gapbench run`. Plain data, copyable, no references into the scheduler.
//
// Not here: how the numbers are gathered (the server), HTTP itself (http_server.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gapbench::coordinator {

struct SweepStatus {
  std::string id;
  std::string name;
  int64_t priority = 0;
  std::map<std::string, int64_t> shards_by_state;  // "pending" | "running" | "done" | "poison"
  int64_t shards_total = 0;
  int64_t items_done = 0;  // item results stored (samples count separately)
  int64_t items_total = 0;
  bool complete = false;  // every shard done or poison
};

struct WorkerStatus {
  std::string name;
  std::string host;
  std::string version;
  int64_t threads = 0;
  std::string state;              // "idle" | "busy" | "lost"
  std::string shard;              // "" when idle
  int64_t items_done = 0;         // in the current lease
  double seconds_since_seen = 0;  // since its last message
  int64_t shards_completed = 0;
  std::vector<std::string> models;  // model ids it has loaded
};

struct StatusSnapshot {
  std::string version;  // gapbench version
  double uptime_s = 0;
  std::vector<SweepStatus> sweeps;  // by priority, then queue order
  std::vector<WorkerStatus> workers;
  int64_t items_done = 0;  // over all sweeps
  int64_t items_total = 0;
  int64_t items_failed = 0;  // items in poison shards
  double items_per_s = 0;    // over the last minute
  double eta_s = -1;         // -1 when unknown
  bool all_complete = false;
  // Monotonic counters since start (Prometheus *_total).
  int64_t messages_received = 0;
  int64_t messages_dropped = 0;  // malformed, oversized, out of protocol
  int64_t workers_refused = 0;
  int64_t leases_granted = 0;
  int64_t leases_expired = 0;  // silent worker or no progress
  int64_t shard_retries = 0;
  int64_t shards_poisoned = 0;
  int64_t results_conflicts = 0;  // non-determinism alarms from the store
  // RESULTS/DONE refused: not from the holder of the shard's current lease, or items outside
  // its range (nothing of them is stored).
  int64_t results_rejected = 0;
  // Scheduling latency (READY -> ASSIGN), seconds, for the histogram.
  std::vector<double> latency_buckets = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0};
  std::vector<int64_t> latency_counts;  // cumulative per bucket (size of latency_buckets)
  int64_t latency_count = 0;
  double latency_sum = 0;
};

// JSON for /status and `gapbench status --json`: every field above, snake_case keys.
std::string StatusToJson(const StatusSnapshot& s);
// Parses what StatusToJson wrote (for `gapbench status`); Error naming `source` otherwise.
StatusSnapshot StatusFromJson(const std::string& json, const std::string& source);
// Prometheus text exposition format 0.0.4 (HELP/TYPE lines, _total counters, histogram with
// le buckets incl. +Inf, _sum, _count, trailing newline). Metric names start with gapbench_.
std::string RenderMetrics(const StatusSnapshot& s);

}  // namespace gapbench::coordinator
