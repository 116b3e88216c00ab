// The coordinator's scheduling state machine: shards from several sweeps queued by priority,
// workers with liveness, leases with progress deadlines, bounded attempts and poison shards, and
// model affinity. Pure and deterministic: no sockets, no database, no clock of its own (every call
// takes `now`), so it is unit-tested with a fake clock and the server drives it.
//
// Contract with the server (Titanic): every call that changes a shard's state returns the
// Transitions it made; the server commits them to the results store *before* it sends anything
// that acts on them (ASSIGN, CANCEL, ACK, SHUTDOWN). The scheduler's own state already reflects
// them, so a failed commit is fatal for the process (the store is the truth on restart).
//
// Attempts count leases granted. A lease that ends badly (worker lost, no progress, FAILED
// retryable) puts the shard back to pending while attempts < max_attempts, else it becomes
// poison with the last error. FAILED with retryable=false poisons at once. A worker that says BYE
// returns its shard without spending the attempt.
//
// Not here: wire messages (server.cpp), persistence (results_store.h), lease number allocation
// (the server passes the next number in, from its counter in the database).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reports/results_store.h"

namespace gapbench::coordinator {

using SchedClock = std::chrono::steady_clock;
using SchedTime = SchedClock::time_point;

struct SchedulerOptions {
  int64_t heartbeat_ms = 1000;
  int64_t liveness = 3;           // silent heartbeat intervals before a worker is lost
  int64_t lease_ms = 10 * 60000;  // longest time a lease may go without progress
  int64_t max_attempts = 3;
};

// What the scheduler needs of a shard; the server fills it from the store.
struct ShardEntry {
  std::string id;
  std::string model_id;
  int64_t priority = 0;   // the highest priority of the sweeps that queued it
  int64_t n_results = 0;  // (end - begin) * samples: results that make it complete
  reports::ShardState state = reports::ShardState::kPending;  // kRunning is read as kPending
  int64_t attempts = 0;
  std::string last_error;
};

enum class TransitionKind {
  kLeaseGranted,  // pending -> running
  kWorkerLost,    // silent worker: lease void
  kLeaseExpired,  // heartbeating without progress for lease_ms: lease void, CANCEL
  kFailed,        // FAILED from the worker (retryable)
  kReturned,      // BYE: returned without spending the attempt
  kDone,          // running/pending -> done
  kPoison,        // attempts exhausted or a fatal failure
};
const char* TransitionKindName(TransitionKind kind);  // "lease_granted", "worker_lost", ...

struct Transition {
  TransitionKind kind = TransitionKind::kLeaseGranted;
  std::string shard_id;
  reports::ShardState state = reports::ShardState::kPending;  // the shard's state after it
  int64_t attempts = 0;
  std::string last_error;
  std::string worker;  // worker name (for the journal)
  int64_t lease = 0;
  // Routing id of a peer that must be told its lease is void (CANCEL), "" when none.
  std::string cancel_peer;
  std::string cancel_reason;
};

struct WorkerInfo {
  std::string peer;  // ROUTER routing id (opaque bytes)
  std::string name;
  std::string host;
  std::string version;
  int64_t threads = 0;
  std::vector<std::string> models;
  SchedTime last_seen{};
  // The current lease, if any.
  std::optional<size_t> shard;  // index into shards()
  int64_t lease = 0;
  int64_t items_done = 0;  // as last reported in the lease
  SchedTime progress_deadline{};
  int64_t shards_completed = 0;
};

struct ShardSlot {
  ShardEntry entry;
  size_t order = 0;                 // queue order (insertion)
  std::optional<std::string> peer;  // holder of the current lease
  int64_t lease = 0;
};

struct Assignment {
  size_t shard = 0;  // index into shards()
  Transition transition;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options);

  const SchedulerOptions& options() const { return options_; }

  // Queues a shard (or raises the priority of one already known; its state is kept).
  // Returns the shard's index.
  size_t AddShard(const ShardEntry& entry);

  // --- workers ---
  // A HELLO: (re)registers the peer. A peer that was holding a lease loses it (returned).
  std::vector<Transition> AddWorker(WorkerInfo info, SchedTime now);
  bool HasWorker(const std::string& peer) const { return workers_.count(peer) != 0; }
  const WorkerInfo* Worker(const std::string& peer) const;
  // Any message from a known peer: it is alive.
  void Touch(const std::string& peer, SchedTime now);
  // BYE: removes the worker; an unfinished shard goes back to pending without spending an attempt.
  std::vector<Transition> RemoveWorker(const std::string& peer, std::string_view reason);

  // READY from `peer` with these models loaded: the best pending shard (priority, then affinity,
  // then queue order), leased under `lease`, or nullopt when none is pending. The worker must be
  // known and idle (a READY while holding a lease returns that lease first, as kReturned).
  std::optional<Assignment> Assign(const std::string& peer, const std::vector<std::string>& models,
                                   int64_t lease, SchedTime now, std::vector<Transition>* returned);

  // Whether (peer, shard, lease) is the lease the scheduler honours now.
  bool IsCurrentLease(const std::string& peer, const std::string& shard_id, int64_t lease) const;
  // HEARTBEAT/RESULTS progress in the current lease: advancing items_done pushes the deadline.
  void Progress(const std::string& peer, int64_t lease, int64_t items_done, SchedTime now);
  // RESULTS in the current lease: stored results are progress whatever items_done says.
  void Advance(const std::string& peer, int64_t lease, SchedTime now);

  // The shard has every result stored (DONE, or results completed it): done, whoever holds it.
  // A different peer holding a lease on it is told to cancel. No-op when already done.
  std::vector<Transition> Complete(const std::string& shard_id, const std::string& by_peer);
  // FAILED in the current lease.
  std::vector<Transition> Fail(const std::string& peer, int64_t lease, std::string_view error,
                               bool retryable);

  // Silent workers (lost) and leases without progress (expired).
  std::vector<Transition> Tick(SchedTime now);

  // --- reads ---
  const std::vector<ShardSlot>& shards() const { return shards_; }
  std::optional<size_t> FindShard(const std::string& id) const;
  const std::unordered_map<std::string, WorkerInfo>& workers() const { return workers_; }
  size_t pending() const { return pending_.size(); }
  size_t running() const { return running_; }
  // Every shard done or poison.
  bool AllFinished() const { return pending_.empty() && running_ == 0; }

 private:
  // Queue key: higher priority first, then insertion order.
  using QueueKey = std::pair<int64_t, size_t>;  // (-priority, order)
  QueueKey KeyOf(size_t idx) const;
  void Enqueue(size_t idx);
  void Dequeue(size_t idx);
  // Ends the current lease of `peer` badly (kind: lost/expired/failed) or kindly (returned).
  Transition EndLease(WorkerInfo& worker, TransitionKind kind, std::string_view error,
                      bool retryable, bool cancel);

  SchedulerOptions options_;
  std::vector<ShardSlot> shards_;
  std::unordered_map<std::string, size_t> shard_index_;
  std::set<QueueKey> pending_;
  std::map<std::string, std::set<QueueKey>> pending_by_model_;
  size_t running_ = 0;
  std::unordered_map<std::string, WorkerInfo> workers_;
};

}  // namespace gapbench::coordinator
