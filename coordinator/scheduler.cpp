// Scheduling state machine (scheduler.h). Pending shards live in one ordered set keyed by
// (-priority, queue order) and in one such set per model id, so Assign is O(models · log n):
// the head of the global set fixes the best priority, and the heads of the worker's models' sets
// are affinity candidates at that priority.
//
// Not here: persistence and messages (the server commits the returned Transitions and sends).
#include "coordinator/scheduler.h"

#include <algorithm>

#include "common/error.h"

namespace gapbench::coordinator {

using reports::ShardState;

const char* TransitionKindName(TransitionKind kind) {
  switch (kind) {
    case TransitionKind::kLeaseGranted:
      return "lease_granted";
    case TransitionKind::kWorkerLost:
      return "worker_lost";
    case TransitionKind::kLeaseExpired:
      return "lease_expired";
    case TransitionKind::kFailed:
      return "failed";
    case TransitionKind::kReturned:
      return "returned";
    case TransitionKind::kDone:
      return "done";
    case TransitionKind::kPoison:
      return "poison";
  }
  return "?";
}

Scheduler::Scheduler(SchedulerOptions options) : options_(options) {
  GB_CHECK(options_.max_attempts >= 1, "max_attempts must be >= 1");
  GB_CHECK(options_.heartbeat_ms >= 1 && options_.liveness >= 1 && options_.lease_ms >= 1,
           "scheduler timings must be positive");
}

Scheduler::QueueKey Scheduler::KeyOf(size_t idx) const {
  return {-shards_[idx].entry.priority, shards_[idx].order};
}

void Scheduler::Enqueue(size_t idx) {
  pending_.insert(KeyOf(idx));
  pending_by_model_[shards_[idx].entry.model_id].insert(KeyOf(idx));
}

void Scheduler::Dequeue(size_t idx) {
  pending_.erase(KeyOf(idx));
  auto it = pending_by_model_.find(shards_[idx].entry.model_id);
  if (it != pending_by_model_.end()) {
    it->second.erase(KeyOf(idx));
    if (it->second.empty()) pending_by_model_.erase(it);
  }
}

size_t Scheduler::AddShard(const ShardEntry& entry) {
  if (const auto found = FindShard(entry.id)) {
    ShardSlot& slot = shards_[*found];
    if (entry.priority > slot.entry.priority) {
      const bool queued = slot.entry.state == ShardState::kPending && !slot.peer;
      if (queued) Dequeue(*found);
      slot.entry.priority = entry.priority;
      if (queued) Enqueue(*found);
    }
    return *found;
  }
  const size_t idx = shards_.size();
  ShardSlot slot;
  slot.entry = entry;
  slot.order = idx;
  // A running shard from before a restart: its lease died with the old process.
  if (slot.entry.state == ShardState::kRunning) slot.entry.state = ShardState::kPending;
  shards_.push_back(std::move(slot));
  shard_index_.emplace(entry.id, idx);
  if (shards_[idx].entry.state == ShardState::kPending) Enqueue(idx);
  return idx;
}

std::optional<size_t> Scheduler::FindShard(const std::string& id) const {
  const auto it = shard_index_.find(id);
  if (it == shard_index_.end()) return std::nullopt;
  return it->second;
}

const WorkerInfo* Scheduler::Worker(const std::string& peer) const {
  const auto it = workers_.find(peer);
  return it == workers_.end() ? nullptr : &it->second;
}

std::vector<Transition> Scheduler::AddWorker(WorkerInfo info, SchedTime now) {
  std::vector<Transition> out;
  auto it = workers_.find(info.peer);
  if (it != workers_.end()) {
    if (it->second.shard) {
      out.push_back(
          EndLease(it->second, TransitionKind::kReturned, "worker said HELLO again", true, false));
    }
    info.shards_completed = it->second.shards_completed;
    workers_.erase(it);
  }
  info.last_seen = now;
  info.shard.reset();
  info.lease = 0;
  info.items_done = 0;
  workers_.emplace(info.peer, std::move(info));
  return out;
}

void Scheduler::Touch(const std::string& peer, SchedTime now) {
  auto it = workers_.find(peer);
  if (it != workers_.end()) it->second.last_seen = now;
}

std::vector<Transition> Scheduler::RemoveWorker(const std::string& peer, std::string_view reason) {
  std::vector<Transition> out;
  auto it = workers_.find(peer);
  if (it == workers_.end()) return out;
  if (it->second.shard) {
    out.push_back(EndLease(it->second, TransitionKind::kReturned, reason, true, false));
  }
  workers_.erase(it);
  return out;
}

Transition Scheduler::EndLease(WorkerInfo& worker, TransitionKind kind, std::string_view error,
                               bool retryable, bool cancel) {
  GB_CHECK(worker.shard.has_value(), "EndLease without a lease");
  const size_t idx = *worker.shard;
  ShardSlot& slot = shards_[idx];
  Transition t;
  t.kind = kind;
  t.shard_id = slot.entry.id;
  t.worker = worker.name;
  t.lease = worker.lease;
  if (cancel) {
    t.cancel_peer = worker.peer;
    t.cancel_reason = std::string(error);
  }
  if (kind == TransitionKind::kReturned) {
    // Not the shard's fault: give the attempt back.
    slot.entry.attempts = std::max<int64_t>(0, slot.entry.attempts - 1);
  } else {
    slot.entry.last_error = std::string(error);
  }
  GB_CHECK(running_ > 0, "running count underflow");
  --running_;
  slot.peer.reset();
  slot.lease = 0;
  if (!retryable ||
      (kind != TransitionKind::kReturned && slot.entry.attempts >= options_.max_attempts)) {
    slot.entry.state = ShardState::kPoison;
    if (retryable) {
      slot.entry.last_error =
          std::string(error) + " (after " + std::to_string(slot.entry.attempts) + " attempts)";
    }
    t.kind = TransitionKind::kPoison;
  } else {
    slot.entry.state = ShardState::kPending;
    Enqueue(idx);
  }
  t.state = slot.entry.state;
  t.attempts = slot.entry.attempts;
  t.last_error = slot.entry.last_error;
  worker.shard.reset();
  worker.lease = 0;
  worker.items_done = 0;
  return t;
}

std::optional<Assignment> Scheduler::Assign(const std::string& peer,
                                            const std::vector<std::string>& models, int64_t lease,
                                            SchedTime now, std::vector<Transition>* returned) {
  auto wit = workers_.find(peer);
  if (wit == workers_.end()) return std::nullopt;
  WorkerInfo& worker = wit->second;
  worker.last_seen = now;
  worker.models = models;
  if (worker.shard) {
    // READY while holding a lease: the worker dropped it (e.g. after a restart of its loop).
    Transition t =
        EndLease(worker, TransitionKind::kReturned, "worker asked for new work", true, false);
    if (returned != nullptr) returned->push_back(std::move(t));
  }
  if (pending_.empty()) return std::nullopt;
  // Affinity only within the best priority: priority always wins over a loaded model.
  const int64_t top_priority = pending_.begin()->first;
  std::optional<QueueKey> affine;
  for (const std::string& model : models) {
    const auto it = pending_by_model_.find(model);
    if (it == pending_by_model_.end() || it->second.empty()) continue;
    const QueueKey& head = *it->second.begin();
    if (head.first == top_priority && (!affine || head.second < affine->second)) affine = head;
  }
  const QueueKey best = affine ? *affine : *pending_.begin();
  const size_t idx = best.second;  // order == index
  Dequeue(idx);
  ShardSlot& slot = shards_[idx];
  slot.entry.state = ShardState::kRunning;
  ++slot.entry.attempts;
  slot.peer = peer;
  slot.lease = lease;
  ++running_;
  worker.shard = idx;
  worker.lease = lease;
  worker.items_done = 0;
  worker.progress_deadline = now + std::chrono::milliseconds(options_.lease_ms);
  Assignment a;
  a.shard = idx;
  a.transition.kind = TransitionKind::kLeaseGranted;
  a.transition.shard_id = slot.entry.id;
  a.transition.state = ShardState::kRunning;
  a.transition.attempts = slot.entry.attempts;
  a.transition.last_error = slot.entry.last_error;
  a.transition.worker = worker.name;
  a.transition.lease = lease;
  return a;
}

bool Scheduler::IsCurrentLease(const std::string& peer, const std::string& shard_id,
                               int64_t lease) const {
  const WorkerInfo* worker = Worker(peer);
  return worker != nullptr && worker->shard && worker->lease == lease &&
         shards_[*worker->shard].entry.id == shard_id;
}

void Scheduler::Progress(const std::string& peer, int64_t lease, int64_t items_done,
                         SchedTime now) {
  auto it = workers_.find(peer);
  if (it == workers_.end()) return;
  WorkerInfo& worker = it->second;
  worker.last_seen = now;
  if (!worker.shard || worker.lease != lease) return;
  if (items_done > worker.items_done) {
    worker.items_done = items_done;
    worker.progress_deadline = now + std::chrono::milliseconds(options_.lease_ms);
  }
}

void Scheduler::Advance(const std::string& peer, int64_t lease, SchedTime now) {
  auto it = workers_.find(peer);
  if (it == workers_.end()) return;
  it->second.last_seen = now;
  if (it->second.shard && it->second.lease == lease) {
    it->second.progress_deadline = now + std::chrono::milliseconds(options_.lease_ms);
  }
}

std::vector<Transition> Scheduler::Complete(const std::string& shard_id,
                                            const std::string& by_peer) {
  std::vector<Transition> out;
  const auto found = FindShard(shard_id);
  if (!found) return out;
  ShardSlot& slot = shards_[*found];
  if (slot.entry.state == ShardState::kDone) return out;
  Transition t;
  t.kind = TransitionKind::kDone;
  t.shard_id = shard_id;
  if (slot.entry.state == ShardState::kPending) Dequeue(*found);
  if (slot.peer) {
    auto wit = workers_.find(*slot.peer);
    if (wit != workers_.end()) {
      WorkerInfo& holder = wit->second;
      t.lease = holder.lease;
      if (holder.peer != by_peer) {
        t.cancel_peer = holder.peer;
        t.cancel_reason = "shard completed by another worker";
      } else {
        ++holder.shards_completed;
        t.worker = holder.name;
      }
      holder.shard.reset();
      holder.lease = 0;
      holder.items_done = 0;
    }
    slot.peer.reset();
    slot.lease = 0;
    --running_;
  }
  if (t.worker.empty()) {
    const WorkerInfo* by = Worker(by_peer);
    if (by != nullptr) t.worker = by->name;
  }
  // A poison shard whose results all arrived after all is done: the results are what count.
  slot.entry.state = ShardState::kDone;
  slot.entry.last_error.clear();
  t.state = ShardState::kDone;
  t.attempts = slot.entry.attempts;
  out.push_back(std::move(t));
  return out;
}

std::vector<Transition> Scheduler::Fail(const std::string& peer, int64_t lease,
                                        std::string_view error, bool retryable) {
  std::vector<Transition> out;
  auto it = workers_.find(peer);
  if (it == workers_.end() || !it->second.shard || it->second.lease != lease) return out;
  out.push_back(EndLease(it->second, TransitionKind::kFailed, error, retryable, false));
  return out;
}

std::vector<Transition> Scheduler::Tick(SchedTime now) {
  std::vector<Transition> out;
  const auto silent_limit = std::chrono::milliseconds(options_.heartbeat_ms * options_.liveness);
  std::vector<std::string> lost;
  for (auto& [peer, worker] : workers_) {
    if (now - worker.last_seen > silent_limit) {
      lost.push_back(peer);
    } else if (worker.shard && now > worker.progress_deadline) {
      out.push_back(EndLease(worker, TransitionKind::kLeaseExpired,
                             "no progress for " + std::to_string(options_.lease_ms) + " ms", true,
                             true));
    }
  }
  std::sort(lost.begin(), lost.end());  // deterministic order for tests and logs
  for (const std::string& peer : lost) {
    auto it = workers_.find(peer);
    if (it->second.shard) {
      const int64_t silent_ms = options_.heartbeat_ms * options_.liveness;
      out.push_back(EndLease(
          it->second, TransitionKind::kWorkerLost,
          "worker '" + it->second.name + "' silent for " + std::to_string(silent_ms) + " ms", true,
          false));
    }
    workers_.erase(it);
  }
  return out;
}

}  // namespace gapbench::coordinator
