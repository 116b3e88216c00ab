// Scheduler state machine with a fake clock: priority order, model affinity, silent workers,
// leases without progress, bounded attempts -> poison, retryable vs fatal failures, BYE, restart.
#include "coordinator/scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gapbench::coordinator {
namespace {

using reports::ShardState;
using std::chrono::milliseconds;

ShardEntry Entry(const std::string& id, const std::string& model, int64_t priority = 0) {
  ShardEntry e;
  e.id = id;
  e.model_id = model;
  e.priority = priority;
  e.n_results = 10;
  return e;
}

WorkerInfo Info(const std::string& peer) {
  WorkerInfo w;
  w.peer = peer;
  w.name = "name-" + peer;
  return w;
}

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerOptions Options() {
    SchedulerOptions o;
    o.heartbeat_ms = 100;
    o.liveness = 3;
    o.lease_ms = 1000;
    o.max_attempts = 3;
    return o;
  }
  // Assigns to `peer` and returns the shard id ("" when none).
  std::string Ready(Scheduler& s, const std::string& peer, std::vector<std::string> models = {}) {
    const auto a = s.Assign(peer, models, ++lease_, now_, nullptr);
    return a ? a->transition.shard_id : "";
  }
  SchedTime now_ = SchedTime{} + std::chrono::hours(1);
  int64_t lease_ = 0;
};

TEST_F(SchedulerTest, PriorityThenQueueOrder) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m"));
  s.AddShard(Entry("b", "m", 5));
  s.AddShard(Entry("c", "m"));
  s.AddShard(Entry("d", "m", 5));
  for (const char* p : {"1", "2", "3", "4", "5"}) s.AddWorker(Info(p), now_);
  EXPECT_EQ(Ready(s, "1"), "b");
  EXPECT_EQ(Ready(s, "2"), "d");
  EXPECT_EQ(Ready(s, "3"), "a");
  EXPECT_EQ(Ready(s, "4"), "c");
  EXPECT_EQ(Ready(s, "5"), "");
  EXPECT_EQ(s.running(), 4u);
  EXPECT_FALSE(s.AllFinished());
}

TEST_F(SchedulerTest, RequeuedShardWithHigherPriorityFromAnotherSweep) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m", 0));
  s.AddShard(Entry("b", "m", 1));
  s.AddShard(Entry("a", "m", 9));  // a second sweep queues the same shard with priority 9
  EXPECT_EQ(s.shards().size(), 2u);
  s.AddWorker(Info("1"), now_);
  EXPECT_EQ(Ready(s, "1"), "a");
}

TEST_F(SchedulerTest, ModelAffinityWithinPriority) {
  Scheduler s(Options());
  s.AddShard(Entry("x1", "mx"));
  s.AddShard(Entry("y1", "my"));
  s.AddShard(Entry("x2", "mx"));
  s.AddShard(Entry("z1", "mz", 1));
  s.AddWorker(Info("1"), now_);
  s.AddWorker(Info("2"), now_);
  s.AddWorker(Info("3"), now_);
  // Priority beats affinity.
  EXPECT_EQ(Ready(s, "1", {"my"}), "z1");
  // Then a worker with "my" loaded skips the older "mx" shard.
  EXPECT_EQ(Ready(s, "2", {"my"}), "y1");
  // No affinity match: queue order.
  EXPECT_EQ(Ready(s, "3", {"other"}), "x1");
}

TEST_F(SchedulerTest, SilentWorkerLosesLeaseAndAttemptCounts) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m"));
  s.AddWorker(Info("1"), now_);
  s.AddWorker(Info("2"), now_);
  EXPECT_EQ(Ready(s, "1"), "a");
  // Worker 2 keeps talking, worker 1 goes silent. Exactly at the limit it is still alive.
  now_ += milliseconds(300);
  s.Touch("2", now_);
  EXPECT_TRUE(s.Tick(now_).empty());
  now_ += milliseconds(1);
  s.Touch("2", now_);
  const auto ts = s.Tick(now_);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].kind, TransitionKind::kWorkerLost);
  EXPECT_EQ(ts[0].shard_id, "a");
  EXPECT_EQ(ts[0].state, ShardState::kPending);
  EXPECT_EQ(ts[0].attempts, 1);
  EXPECT_EQ(ts[0].worker, "name-1");
  EXPECT_FALSE(s.HasWorker("1"));
  EXPECT_TRUE(s.HasWorker("2"));
  EXPECT_EQ(Ready(s, "2"), "a");
  EXPECT_EQ(s.shards()[0].entry.attempts, 2);
}

TEST_F(SchedulerTest, HeartbeatWithoutProgressExpiresLease) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m"));
  s.AddWorker(Info("1"), now_);
  ASSERT_EQ(Ready(s, "1"), "a");
  const int64_t lease = lease_;
  // Progress at 800 ms moves the deadline to 1800 ms.
  for (int t = 100; t <= 800; t += 100) {
    now_ += milliseconds(100);
    s.Progress("1", lease, t == 800 ? 3 : 0, now_);
    EXPECT_TRUE(s.Tick(now_).empty());
  }
  // Heartbeats keep coming with the same items_done: no new deadline.
  for (int t = 900; t <= 1800; t += 100) {
    now_ += milliseconds(100);
    s.Progress("1", lease, 3, now_);
    EXPECT_TRUE(s.Tick(now_).empty()) << t;
  }
  now_ += milliseconds(100);
  s.Progress("1", lease, 3, now_);
  const auto ts = s.Tick(now_);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].kind, TransitionKind::kLeaseExpired);
  EXPECT_EQ(ts[0].cancel_peer, "1");
  EXPECT_EQ(ts[0].lease, lease);
  EXPECT_EQ(ts[0].state, ShardState::kPending);
  EXPECT_TRUE(s.HasWorker("1"));  // alive, only its lease is void
  EXPECT_FALSE(s.IsCurrentLease("1", "a", lease));
}

TEST_F(SchedulerTest, AttemptsBoundedThenPoisonWithLastError) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m"));
  s.AddShard(Entry("b", "m"));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    s.AddWorker(Info("1"), now_);
    ASSERT_EQ(Ready(s, "1"), "a");
    const auto ts = s.Fail("1", lease_, "boom " + std::to_string(attempt), true);
    ASSERT_EQ(ts.size(), 1u);
    EXPECT_EQ(ts[0].attempts, attempt);
    if (attempt < 3) {
      EXPECT_EQ(ts[0].kind, TransitionKind::kFailed);
      EXPECT_EQ(ts[0].state, ShardState::kPending);
    } else {
      EXPECT_EQ(ts[0].kind, TransitionKind::kPoison);
      EXPECT_EQ(ts[0].state, ShardState::kPoison);
      EXPECT_EQ(ts[0].last_error, "boom 3 (after 3 attempts)");
    }
  }
  // Never retried: the next READY gets the other shard, then nothing.
  EXPECT_EQ(Ready(s, "1"), "b");
  EXPECT_TRUE(s.Complete("b", "1").size() == 1);
  EXPECT_EQ(Ready(s, "1"), "");
  EXPECT_TRUE(s.AllFinished());
}

TEST_F(SchedulerTest, FatalFailurePoisonsAtOnce) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m"));
  s.AddWorker(Info("1"), now_);
  ASSERT_EQ(Ready(s, "1"), "a");
  // A FAILED naming a stale lease is ignored.
  EXPECT_TRUE(s.Fail("1", lease_ + 100, "x", false).empty());
  const auto ts = s.Fail("1", lease_, "model file is not GGUF", false);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].kind, TransitionKind::kPoison);
  EXPECT_EQ(ts[0].attempts, 1);
  EXPECT_EQ(ts[0].last_error, "model file is not GGUF");
  EXPECT_TRUE(s.AllFinished());
}

TEST_F(SchedulerTest, ByeReturnsShardWithoutSpendingAttempt) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m"));
  s.AddWorker(Info("1"), now_);
  s.AddWorker(Info("2"), now_);
  ASSERT_EQ(Ready(s, "1"), "a");
  const auto ts = s.RemoveWorker("1", "SIGTERM");
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].kind, TransitionKind::kReturned);
  EXPECT_EQ(ts[0].attempts, 0);
  EXPECT_EQ(ts[0].state, ShardState::kPending);
  EXPECT_EQ(Ready(s, "2"), "a");
  EXPECT_EQ(s.shards()[0].entry.attempts, 1);
}

TEST_F(SchedulerTest, CompleteByAnotherPeerCancelsHolder) {
  Scheduler s(Options());
  s.AddShard(Entry("a", "m"));
  s.AddWorker(Info("1"), now_);
  s.AddWorker(Info("2"), now_);
  ASSERT_EQ(Ready(s, "1"), "a");
  const int64_t first = lease_;
  // Worker 1 hangs; its lease expires; worker 2 takes the shard; worker 1 then completes it
  // with results under its void lease.
  now_ += milliseconds(1001);
  s.Touch("1", now_);
  s.Touch("2", now_);
  ASSERT_EQ(s.Tick(now_).size(), 1u);
  ASSERT_EQ(Ready(s, "2"), "a");
  EXPECT_FALSE(s.IsCurrentLease("1", "a", first));
  EXPECT_TRUE(s.IsCurrentLease("2", "a", lease_));
  const auto ts = s.Complete("a", "1");
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].state, ShardState::kDone);
  EXPECT_EQ(ts[0].cancel_peer, "2");
  EXPECT_TRUE(s.AllFinished());
  EXPECT_TRUE(s.Complete("a", "2").empty());  // idempotent
  EXPECT_FALSE(s.Worker("2")->shard.has_value());
}

TEST_F(SchedulerTest, RestartStatesAndReadyWhileHolding) {
  Scheduler s(Options());
  ShardEntry running = Entry("r", "m");
  running.state = ShardState::kRunning;  // from the journal: the lease died with the process
  running.attempts = 1;
  ShardEntry done = Entry("d", "m");
  done.state = ShardState::kDone;
  ShardEntry poison = Entry("p", "m");
  poison.state = ShardState::kPoison;
  s.AddShard(done);
  s.AddShard(poison);
  s.AddShard(running);
  EXPECT_EQ(s.pending(), 1u);
  s.AddWorker(Info("1"), now_);
  ASSERT_EQ(Ready(s, "1"), "r");
  EXPECT_EQ(s.shards()[2].entry.attempts, 2);
  // READY again while holding: the held lease is returned (no attempt spent) and re-granted.
  std::vector<Transition> returned;
  const auto a = s.Assign("1", {}, ++lease_, now_, &returned);
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].kind, TransitionKind::kReturned);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->transition.shard_id, "r");
  EXPECT_EQ(a->transition.attempts, 2);
  // HELLO again from the same peer also returns the lease.
  const auto ts = s.AddWorker(Info("1"), now_);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(s.pending(), 1u);
  // Unknown peers get nothing.
  EXPECT_FALSE(s.Assign("ghost", {}, ++lease_, now_, nullptr).has_value());
}

}  // namespace
}  // namespace gapbench::coordinator
