// The worker (worker/worker.h) against a scripted coordinator on a real loopback ROUTER socket:
// HELLO contents, ASSIGN -> RESULTS batches -> ACK -> DONE with the records the runner produces,
// the skip list, REFUSE, CANCEL, stop mid-shard (what SIGTERM does), input errors reported as
// non-retryable FAILED. Restarts, backoff and real processes: worker_slow_test.cpp.
#include "worker/worker.h"

#include <gtest/gtest.h>

#include "tests/worker/worker_harness.h"

namespace gapbench::worker {
namespace {

using namespace testing_harness;  // NOLINT(google-build-using-namespace): test-only helpers
using ::gapbench::testing::FakeCoordinator;
using ::gapbench::testing::Received;

TEST_F(WorkerTest, HelloThenShardStreamsResultsAndIsDoneAfterEveryAck) {
  FakeCoordinator c(ctx_);
  WorkerThread w(c.endpoint(), int64_t{123} << 20);
  auto hello = c.Expect(coordinator::kTypeHello, kWait);
  ASSERT_TRUE(hello);
  const auto& h = hello->json;
  EXPECT_EQ(std::string(h["worker"].GetString()), "test-worker");
  EXPECT_EQ(std::string(h["version"].GetString()), "test");
  EXPECT_EQ(h["protocol"].GetInt(), coordinator::kProtocolVersion);
  EXPECT_EQ(h["threads"].GetInt(), 1);
  EXPECT_EQ(h["memory_bytes"].GetInt64(), int64_t{123} << 20);
  EXPECT_EQ(h["pid"].GetInt64(), ::getpid());
  EXPECT_GT(h["host"].GetStringLength(), 0u);
  EXPECT_EQ(h["models"].Size(), 0u);
  c.Send(hello->peer, coordinator::kTypeWelcome, Welcome(4));
  c.KeepAlive(hello->peer);
  auto ready = c.Expect(coordinator::kTypeReady, kWait);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->json["models"].Size(), 0u);

  c.Send(ready->peer, coordinator::kTypeAssign, Assign("shard-a", 41, task_));
  // Withhold every ACK until the shard has run to the end: DONE must not come before them, and
  // heartbeats keep carrying the shard, its lease and the items finished.
  std::vector<Received> batches;
  std::map<Key, std::string> got;
  int64_t sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  int64_t last_items_done = -1;
  while (last_items_done < 9 && std::chrono::steady_clock::now() < deadline) {
    auto m = c.Next(milliseconds(200));
    if (!m) continue;
    ASSERT_NE(m->type, coordinator::kTypeDone) << "DONE before the ACKs";
    if (m->type == coordinator::kTypeResults) {
      EXPECT_EQ(std::string(m->json["shard"].GetString()), "shard-a");
      EXPECT_EQ(m->json["lease"].GetInt64(), 41);
      EXPECT_EQ(m->json["seq"].GetInt64(), static_cast<int64_t>(batches.size()));
      EXPECT_LE(m->json["items"].Size(), 4u);  // WELCOME's max_batch
      sent += m->json["items"].Size();
      CollectItems(*m, got);
      batches.push_back(std::move(*m));
    } else if (m->type == coordinator::kTypeHeartbeat) {
      EXPECT_EQ(std::string(m->json["shard"].GetString()), "shard-a");
      EXPECT_EQ(m->json["lease"].GetInt64(), 41);
      EXPECT_GE(m->json["items_done"].GetInt64(), last_items_done);
      last_items_done = m->json["items_done"].GetInt64();
    }
  }
  ASSERT_EQ(last_items_done, 9);
  // Nothing more than heartbeats while unacknowledged.
  const auto quiet_until = std::chrono::steady_clock::now() + milliseconds(400);
  while (std::chrono::steady_clock::now() < quiet_until) {
    if (auto m = c.Next(milliseconds(50))) {
      ASSERT_EQ(m->type, coordinator::kTypeHeartbeat);
    }
  }
  for (const auto& b : batches) c.Send(b.peer, coordinator::kTypeAck, Ack(b));
  auto done = c.Expect(coordinator::kTypeDone, kWait);
  ASSERT_TRUE(done);
  EXPECT_EQ(std::string(done->json["shard"].GetString()), "shard-a");
  EXPECT_EQ(done->json["n_items"].GetInt64(), sent);
  // 6 MC items x 1 + 3 generation items x 2 samples, equal to the runner's own records.
  EXPECT_EQ(got.size(), 12u);
  EXPECT_EQ(got, Reference(task_));
  // Asks for more, now announcing the loaded model (model affinity).
  ready = c.Expect(coordinator::kTypeReady, kWait);
  ASSERT_TRUE(ready);
  ASSERT_EQ(ready->json["models"].Size(), 1u);
  EXPECT_EQ(std::string(ready->json["models"][0].GetString()), task_.model_id);
  c.Send(ready->peer, coordinator::kTypeShutdown, R"({"reason":"all done"})");
  EXPECT_EQ(w.Join(), 0);
  EXPECT_TRUE(w.Logged("shutdown by the coordinator: all done"));
}

TEST_F(WorkerTest, SkipListIsNotRecomputed) {
  FakeCoordinator c(ctx_);
  WorkerThread w(c.endpoint());
  const std::string peer = Handshake(c);
  ASSERT_FALSE(peer.empty());
  c.Send(peer, coordinator::kTypeAssign, Assign("shard-s", 1, task_, "[[0,0],[2,1],[5,0],[5,1]]"));
  std::map<Key, std::string> got;
  while (true) {
    auto m = c.Next(kWait);
    ASSERT_TRUE(m);
    if (m->type == coordinator::kTypeResults) {
      CollectItems(*m, got);
      c.Send(m->peer, coordinator::kTypeAck, Ack(*m));
    } else if (m->type == coordinator::kTypeDone) {
      break;
    }
  }
  auto expected = Reference(task_);
  for (const Key& k : {Key{0, 0}, Key{2, 1}, Key{5, 0}, Key{5, 1}}) expected.erase(k);
  EXPECT_EQ(got, expected);
}

TEST_F(WorkerTest, RefuseEndsRunWithANonZeroCode) {
  FakeCoordinator c(ctx_);
  WorkerThread w(c.endpoint());
  auto hello = c.Expect(coordinator::kTypeHello, kWait);
  ASSERT_TRUE(hello);
  c.Send(hello->peer, coordinator::kTypeRefuse, R"({"reason":"protocol version 9 is odd"})");
  EXPECT_EQ(w.Join(), kExitRefused);
  EXPECT_TRUE(w.Logged("refused by the coordinator: protocol version 9 is odd"));
}

TEST_F(WorkerTest, CancelStopsTheShardAfterTheCurrentItem) {
  const auto sleepy = testing::WriteSleepySuite(dir_ / "sleepy.jsonl", 12, 0.3);
  FakeCoordinator c(ctx_);
  WorkerThread w(c.endpoint());
  const std::string peer = Handshake(c);
  ASSERT_FALSE(peer.empty());
  c.Send(peer, coordinator::kTypeAssign, Assign("shard-c", 3, testing::MakeTask(sleepy, 0, 12)));
  auto first = c.Expect(coordinator::kTypeResults, kWait);
  ASSERT_TRUE(first);
  c.Send(peer, coordinator::kTypeAck, Ack(*first));
  c.Send(peer, coordinator::kTypeCancel, R"({"shard":"shard-c","lease":3,"reason":"test"})");
  // The worker drops the shard (no DONE, no FAILED) and asks for work again.
  int results_after = 0;
  while (true) {
    auto m = c.Next(kWait);
    ASSERT_TRUE(m) << "no READY after CANCEL";
    ASSERT_NE(m->type, coordinator::kTypeDone);
    ASSERT_NE(m->type, coordinator::kTypeFailed);
    if (m->type == coordinator::kTypeResults) ++results_after;
    if (m->type == coordinator::kTypeReady) break;
  }
  // At most the item in flight and a batch already on its way; 12 items would take 3.6 s.
  EXPECT_LE(results_after, 1);
  EXPECT_TRUE(w.Logged("cancelled by the coordinator: test"));
}

TEST_F(WorkerTest, StopMidShardFlushesResultsThenSaysBye) {
  const auto sleepy = testing::WriteSleepySuite(dir_ / "sleepy.jsonl", 12, 0.3);
  FakeCoordinator c(ctx_);
  WorkerThread w(c.endpoint());
  const std::string peer = Handshake(c);
  ASSERT_FALSE(peer.empty());
  c.Send(peer, coordinator::kTypeAssign, Assign("shard-t", 5, testing::MakeTask(sleepy, 0, 12)));
  auto first = c.Expect(coordinator::kTypeResults, kWait);
  ASSERT_TRUE(first);
  w.Stop();  // what SIGTERM does in `gapbench worker`
  std::map<Key, std::string> got;
  CollectItems(*first, got);
  c.Send(peer, coordinator::kTypeAck, Ack(*first));
  while (true) {
    auto m = c.Next(kWait);
    ASSERT_TRUE(m) << "no BYE";
    ASSERT_NE(m->type, coordinator::kTypeDone);
    if (m->type == coordinator::kTypeResults) {
      CollectItems(*m, got);
      c.Send(peer, coordinator::kTypeAck, Ack(*m));
    }
    if (m->type == coordinator::kTypeBye) break;
  }
  EXPECT_EQ(w.Join(), 0);
  // A prefix of the shard, every item of it delivered; not the whole shard.
  EXPECT_GE(got.size(), 1u);
  EXPECT_LE(got.size(), 3u);
  int64_t i = 0;
  for (const auto& [key, rec] : got) EXPECT_EQ(key, (Key{i++, 0}));
}

TEST_F(WorkerTest, InputErrorsAreNotRetryable) {
  FakeCoordinator c(ctx_);
  WorkerThread w(c.endpoint());
  const std::string peer = Handshake(c);
  ASSERT_FALSE(peer.empty());
  struct Case {
    const char* name;
    coordinator::ShardTask task;
    const char* message;
  };
  std::vector<Case> cases;
  cases.push_back({"hash", task_, "content hash"});
  cases.back().task.suite_hash = "0000000000000000";
  cases.push_back({"model", task_, "missing.gguf"});
  cases.back().task.model_path = (dir_ / "missing.gguf").string();
  cases.push_back({"suite", task_, "nosuite.jsonl"});
  cases.back().task.suite_path = (dir_ / "nosuite.jsonl").string();
  cases.push_back({"model_id", task_, "content id"});
  cases.back().task.model_id = "ffffffffffffffff";
  cases.push_back({"range", task_, "outside"});
  cases.back().task.end = 10;
  // Found while running items (not while loading): still an input error, never retried.
  cases.push_back({"fewshot", task_, "50-shot needs 50 examples"});
  cases.back().task.fewshot = 50;
  int64_t lease = 100;
  for (const auto& k : cases) {
    c.Send(peer, coordinator::kTypeAssign, Assign(k.name, ++lease, k.task));
    auto failed = c.Expect(coordinator::kTypeFailed, kWait);
    ASSERT_TRUE(failed) << k.name;
    EXPECT_EQ(std::string(failed->json["shard"].GetString()), k.name);
    EXPECT_EQ(failed->json["lease"].GetInt64(), lease);
    EXPECT_FALSE(failed->json["retryable"].GetBool()) << k.name;
    // The reason carries the error's kind, for the report's failed-shards table.
    EXPECT_EQ(std::string(failed->json["error"].GetString()).rfind("input error: ", 0), 0u)
        << k.name << ": " << failed->json["error"].GetString();
    EXPECT_NE(std::string(failed->json["error"].GetString()).find(k.message), std::string::npos)
        << k.name << ": " << failed->json["error"].GetString();
    ASSERT_TRUE(c.Expect(coordinator::kTypeReady, kWait)) << k.name;
  }
  // A malformed ASSIGN is refused the same way, and garbage never stops the worker.
  c.Send(peer, coordinator::kTypeAssign, R"({"shard":"bad","lease":1,"task":{"model_path":3}})");
  auto failed = c.Expect(coordinator::kTypeFailed, kWait);
  ASSERT_TRUE(failed);
  EXPECT_FALSE(failed->json["retryable"].GetBool());
  c.Send(peer, coordinator::kTypeAck, R"({"shard":[],"seq":"x"})");
  c.Send(peer, coordinator::kTypeShutdown, "{}");
  EXPECT_EQ(w.Join(), 0);
}

}  // namespace
}  // namespace gapbench::worker
