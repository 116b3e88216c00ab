// The worker (worker/worker.h) against a scripted coordinator on a real loopback ROUTER socket:
// HELLO contents, ASSIGN -> RESULTS batches -> ACK -> DONE with the records the runner produces,
// results kept until acknowledged and resent to a restarted coordinator, REFUSE, CANCEL, stop
// mid-shard (what SIGTERM does), reconnect backoff while no coordinator listens, input errors
// reported as non-retryable FAILED.
#include "worker/worker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "engine/engine_lm.h"
#include "engine/model.h"
#include "tests/worker/fake_coordinator.h"
#include "tests/worker/worker_fixture.h"
#include "worker/runner.h"

namespace gapbench::worker {
namespace {

using std::chrono::milliseconds;
using testing::FakeCoordinator;
using testing::Received;
using Key = std::pair<int64_t, int64_t>;

constexpr milliseconds kWait{5000};

// Runs a Worker on its own thread with fast timings and a captured log.
class WorkerThread {
 public:
  explicit WorkerThread(const std::string& endpoint, int64_t budget = int64_t{1} << 30) {
    WorkerOptions o;
    o.connect = endpoint;
    o.name = "test-worker";
    o.version = "test";
    o.threads = 1;
    o.memory_budget = budget;
    o.heartbeat_ms = 100;
    o.liveness = 3;
    o.initial_backoff_ms = 100;
    o.max_backoff_ms = 400;
    o.batch_items = 2;
    o.batch_ms = 50;
    o.drain_ms = 3000;
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back(line);
    };
    worker_ = std::make_unique<Worker>(std::move(o));
    thread_ = std::thread([this] { rc_ = worker_->Run(); });
  }
  ~WorkerThread() {
    if (thread_.joinable()) {
      worker_->RequestStop();
      thread_.join();
    }
  }
  // Waits for Run() to return; -1 when it does not within `timeout`.
  int Join(milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (!done()) return -1;
    thread_.join();
    return rc_;
  }
  bool done() const { return rc_ != kRunning; }
  void Stop() { worker_->RequestStop(); }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  bool Logged(const std::string& text) {
    for (const auto& l : lines())
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

 private:
  static constexpr int kRunning = -1000;
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
  std::atomic<int> rc_{kRunning};
  std::mutex mu_;
  std::vector<std::string> lines_;
};

std::string Welcome(int max_batch = 100) {
  return StrCat(R"({"heartbeat_ms":100,"liveness":3,"max_batch":)", max_batch, "}");
}

std::string Assign(const std::string& shard, int64_t lease, const coordinator::ShardTask& task,
                   const std::string& skip = "[]") {
  return StrCat(R"({"shard":")", shard, R"(","lease":)", lease, R"(,"lease_ms":60000,"task":)",
                coordinator::ShardTaskToJson(task), R"(,"skip":)", skip, "}");
}

std::string Ack(const Received& results) {
  return StrCat(R"({"shard":")", results.json["shard"].GetString(), R"(","lease":)",
                results.json["lease"].GetInt64(), R"(,"seq":)", results.json["seq"].GetInt64(),
                "}");
}

// Records (without timing) of a RESULTS body by (item_index, sample), checking each ResultItem.
void CollectItems(const Received& r, std::map<Key, std::string>& out) {
  const auto& items = r.json["items"];
  ASSERT_TRUE(items.IsArray());
  for (const auto& it : items.GetArray()) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    it["record"].Accept(w);
    const std::string record = buf.GetString();
    EXPECT_EQ(record.find("latency_s"), std::string::npos);
    ASSERT_TRUE(it["timing"].IsObject());
    EXPECT_GE(it["timing"]["latency_s"].GetDouble(), 0.0);
    EXPECT_EQ(it["item_id"].GetString(), std::string(it["record"]["item_id"].GetString()));
    const Key key{it["item_index"].GetInt64(), it["sample"].GetInt64()};
    EXPECT_TRUE(out.emplace(key, record).second) << "item sent twice";
  }
}

// What the runner computes for the task, in-process: the reference the worker must match.
std::map<Key, std::string> Reference(const coordinator::ShardTask& task, const SkipSet& skip = {}) {
  suites::LoadOptions lo;
  lo.format = task.suite_format;
  const auto suite = suites::LoadSuite(task.suite_path, lo);
  const auto model = engine::Model::Load(task.model_path);
  engine::SessionOptions so;
  so.n_ctx = 4096;
  engine::EngineModel lm(*model, so);
  RunOptions ro;
  ro.shots.k = static_cast<int>(task.fewshot);
  ro.shots.seed = task.seed;
  ro.samples = task.samples;
  ro.gen_defaults.max_tokens = task.max_tokens;
  ro.gen_defaults.temperature = task.temperature;
  ro.gen_defaults.seed = task.seed;
  LazySandbox sandbox;
  std::map<Key, std::string> out;
  RunItems(suite, task.begin, task.end, ro, lm, sandbox, skip, nullptr, [&](ItemResult& r) {
    for (const auto& sr : r.samples) {
      out[{sr.item_index, sr.sample}] =
          suites::ItemRecordToJson(sr.record, suites::RecordTiming::kOmit);
    }
  });
  return out;
}

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suite_ = testing::WriteMixedSuite(dir_ / "mixed.jsonl", 9);
    task_ = testing::MakeTask(suite_, 0, 9);
    task_.fewshot = 2;
    task_.samples = 2;
    task_.temperature = 0.9;
  }
  // HELLO -> WELCOME -> READY; returns the worker's identity.
  std::string Handshake(FakeCoordinator& c, int max_batch = 100) {
    auto hello = c.Expect(coordinator::kTypeHello, kWait);
    if (!hello) return "";
    c.Send(hello->peer, coordinator::kTypeWelcome, Welcome(max_batch));
    c.KeepAlive(hello->peer);
    auto ready = c.Expect(coordinator::kTypeReady, kWait);
    return ready ? ready->peer : "";
  }

  testing::TempDir dir_;
  std::filesystem::path suite_;
  coordinator::ShardTask task_;
  zmq::context_t ctx_;
};

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

TEST_F(WorkerTest, UnacknowledgedResultsAreResentToARestartedCoordinator) {
  auto c = std::make_unique<FakeCoordinator>(ctx_);
  const std::string endpoint = c->endpoint();
  WorkerThread w(endpoint);
  const std::string peer = Handshake(*c);
  ASSERT_FALSE(peer.empty());
  c->Send(peer, coordinator::kTypeAssign, Assign("shard-r", 7, task_));
  // Take every RESULTS batch but acknowledge only the first, then "crash".
  std::map<int64_t, std::string> bodies;  // seq -> body
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  int64_t items_done = 0;
  while ((items_done < 9 || bodies.empty()) && std::chrono::steady_clock::now() < deadline) {
    auto m = c->Next(milliseconds(200));
    if (!m) continue;
    if (m->type == coordinator::kTypeResults) {
      if (bodies.empty()) c->Send(m->peer, coordinator::kTypeAck, Ack(*m));
      bodies[m->json["seq"].GetInt64()] = m->body;
    } else if (m->type == coordinator::kTypeHeartbeat) {
      items_done = m->json["items_done"].GetInt64();
    }
  }
  ASSERT_EQ(items_done, 9);
  // Let the last batches arrive, then restart on the same port.
  const auto settle_until = std::chrono::steady_clock::now() + milliseconds(200);
  while (std::chrono::steady_clock::now() < settle_until) {
    auto m = c->Next(milliseconds(50));
    if (m && m->type == coordinator::kTypeResults) bodies[m->json["seq"].GetInt64()] = m->body;
  }
  ASSERT_GE(bodies.size(), 2u);
  c->Close();
  c.reset();
  std::this_thread::sleep_for(milliseconds(50));
  FakeCoordinator c2(ctx_, endpoint);
  // The worker notices the silence, reconnects with a fresh socket and says HELLO again.
  auto hello = c2.Expect(coordinator::kTypeHello, kWait);
  ASSERT_TRUE(hello);
  EXPECT_NE(hello->peer, peer);
  c2.Send(hello->peer, coordinator::kTypeWelcome, Welcome());
  c2.KeepAlive(hello->peer);
  std::map<int64_t, std::string> resent;
  while (resent.size() < bodies.size() - 1) {
    auto m = c2.Expect(coordinator::kTypeResults, kWait);
    ASSERT_TRUE(m);
    resent[m->json["seq"].GetInt64()] = m->body;
    c2.Send(m->peer, coordinator::kTypeAck, Ack(*m));
  }
  // Every batch but the acknowledged seq 0, byte for byte.
  auto expected = bodies;
  expected.erase(0);
  EXPECT_EQ(resent, expected);
  auto done = c2.Expect(coordinator::kTypeDone, kWait);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->json["lease"].GetInt64(), 7);
  EXPECT_TRUE(w.Logged("resending"));
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

TEST_F(WorkerTest, ReconnectsWithBackoffUntilACoordinatorAppears) {
  std::string endpoint;
  {
    FakeCoordinator probe(ctx_);  // find a free port, then leave it unbound
    endpoint = probe.endpoint();
  }
  WorkerThread w(endpoint);
  // 3 x 100 ms of silence per attempt, backoff 100, 200, 400, 400 ms.
  std::this_thread::sleep_for(milliseconds(2600));
  const auto lines = w.lines();
  std::vector<std::string> waits;
  for (const auto& l : lines) {
    const auto p = l.find("reconnecting in ");
    if (p != std::string::npos) waits.push_back(l.substr(p + 16));
  }
  ASSERT_GE(waits.size(), 4u);
  EXPECT_EQ(waits[0], "100 ms");
  EXPECT_EQ(waits[1], "200 ms");
  EXPECT_EQ(waits[2], "400 ms");
  EXPECT_EQ(waits[3], "400 ms");
  FakeCoordinator c(ctx_, endpoint);
  const std::string peer = Handshake(c);
  EXPECT_FALSE(peer.empty());
  w.Stop();
  auto bye = c.Expect(coordinator::kTypeBye, kWait);
  EXPECT_TRUE(bye);
  EXPECT_EQ(w.Join(), 0);
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
  int64_t lease = 100;
  for (const auto& k : cases) {
    c.Send(peer, coordinator::kTypeAssign, Assign(k.name, ++lease, k.task));
    auto failed = c.Expect(coordinator::kTypeFailed, kWait);
    ASSERT_TRUE(failed) << k.name;
    EXPECT_EQ(std::string(failed->json["shard"].GetString()), k.name);
    EXPECT_EQ(failed->json["lease"].GetInt64(), lease);
    EXPECT_FALSE(failed->json["retryable"].GetBool()) << k.name;
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
