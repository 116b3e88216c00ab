// Shared pieces of the worker tests: a Worker on its own thread with fast timings and a captured
// log, message bodies a coordinator sends, and the reference records (the runner run in-process).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "engine/engine_lm.h"
#include "engine/model.h"
#include "tests/worker/fake_coordinator.h"
#include "tests/worker/worker_fixture.h"
#include "worker/runner.h"
#include "worker/worker.h"

namespace gapbench::worker::testing_harness {

using ::gapbench::testing::FakeCoordinator;
using ::gapbench::testing::Received;
using std::chrono::milliseconds;
using Key = std::pair<int64_t, int64_t>;

inline constexpr milliseconds kWait{5000};

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

inline std::string Welcome(int max_batch = 100) {
  return StrCat(R"({"heartbeat_ms":100,"liveness":3,"max_batch":)", max_batch, "}");
}

inline std::string Assign(const std::string& shard, int64_t lease,
                          const coordinator::ShardTask& task, const std::string& skip = "[]") {
  return StrCat(R"({"shard":")", shard, R"(","lease":)", lease, R"(,"lease_ms":60000,"task":)",
                coordinator::ShardTaskToJson(task), R"(,"skip":)", skip, "}");
}

inline std::string Ack(const Received& results) {
  return StrCat(R"({"shard":")", results.json["shard"].GetString(), R"(","lease":)",
                results.json["lease"].GetInt64(), R"(,"seq":)", results.json["seq"].GetInt64(),
                "}");
}

// Records (without timing) of a RESULTS body by (item_index, sample), checking each ResultItem.
inline void CollectItems(const Received& r, std::map<Key, std::string>& out) {
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
inline std::map<Key, std::string> Reference(const coordinator::ShardTask& task,
                                            const SkipSet& skip = {}) {
  suites::LoadOptions lo;
  lo.format = task.suite_format;
  const auto suite = suites::LoadSuite(task.suite_path, lo);
  const auto model = engine::Model::Load(task.model_path);
  engine::EngineModel lm(*model);  // the context rule of the worker: engine::ContextFor
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
    suite_ = ::gapbench::testing::WriteMixedSuite(dir_ / "mixed.jsonl", 9);
    task_ = ::gapbench::testing::MakeTask(suite_, 0, 9);
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

  ::gapbench::testing::TempDir dir_;
  std::filesystem::path suite_;
  coordinator::ShardTask task_;
  zmq::context_t ctx_;
};

}  // namespace gapbench::worker::testing_harness
