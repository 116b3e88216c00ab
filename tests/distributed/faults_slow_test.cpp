// Fault injection on the real distributed runtime: a `gapbench coordinator` process and
// `gapbench worker` processes on loopback, one results database each run. Every case must finish
// the sweep with item results identical, item for item, to an uninterrupted run, and no item
// stored twice:
//   kill -9 of a worker mid-shard; SIGSTOP of a worker (hung) until its lease is taken away;
//   kill -9 of the coordinator mid-sweep and a restart on the same database; workers started
//   before the coordinator; a peer that sends garbage (raw TCP bytes and malformed ZeroMQ
//   messages); 16 workers on shards of one item.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.hpp>

#include "common/error.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kItems = 300;  // per configuration; two configurations
constexpr size_t kShard = 3;

std::string Tail(const fs::path& log) {
  const std::string s = fs::exists(log) ? ReadFile(log) : "";
  return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
}

// The results of one uninterrupted run, computed once per test binary.
TempDir& BaselineDir() {
  static TempDir dir;
  return dir;
}
fs::path BaselineDb() { return BaselineDir() / "results.sqlite"; }

const std::map<std::string, std::string>& Baseline() {
  TempDir& dir = BaselineDir();
  static std::map<std::string, std::string> items = [&dir] {
    const Workload w = MakeWorkload(dir.path(), kItems, kShard);
    const int port = FreePort();
    const fs::path db = dir / "results.sqlite";
    Child coord(CoordinatorArgs(w, db, port), dir / "coord.log");
    Child w1(WorkerArgs(port, "w1"), dir / "w1.log");
    const auto rc = coord.Wait(seconds(240));
    if (rc != 0) {
      throw std::runtime_error("baseline coordinator did not finish: " + Tail(dir / "coord.log") +
                               Tail(dir / "w1.log"));
    }
    return StoredItems(db);
  }();
  return items;
}

// items.jsonl of `gapbench report` on a results database, timing removed.
std::vector<std::string> ReportItems(const fs::path& db, const fs::path& out) {
  const auto r = RunProcess({GapbenchBin(), "report", db.string(), "--out", out.string()});
  if (r.exit_code != 0) throw std::runtime_error("gapbench report failed: " + r.err);
  return ItemsWithoutTiming(out / "items.jsonl");
}

const std::vector<std::string>& BaselineReportItems() {
  static TempDir out;
  static std::vector<std::string> items = ReportItems(BaselineDb(), out.path());
  return items;
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Baseline().size(), 2 * kItems);
    w_ = MakeWorkload(dir_.path(), kItems, kShard);
    port_ = FreePort();
    db_ = dir_ / "results.sqlite";
  }
  std::unique_ptr<Child> StartCoordinator(int64_t lease_ms = 4000) {
    return std::make_unique<Child>(CoordinatorArgs(w_, db_, port_, lease_ms), dir_ / "coord.log");
  }
  std::unique_ptr<Child> StartWorker(const std::string& name) {
    return std::make_unique<Child>(WorkerArgs(port_, name), dir_ / (name + ".log"));
  }
  std::string Logs() {
    std::string s;
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      if (e.path().extension() == ".log") s += "\n--- " + e.path().string() + "\n" + Tail(e.path());
    }
    return s;
  }
  // The coordinator exits 0 when the sweep is complete; the stored items equal the baseline.
  void ExpectCompleteAndIdentical(Child& coord) {
    const auto rc = coord.Wait(seconds(300));
    ASSERT_TRUE(rc.has_value()) << "coordinator did not finish" << Logs();
    ASSERT_EQ(*rc, 0) << Logs();
    std::map<std::string, std::string> got;
    ASSERT_NO_THROW(got = StoredItems(db_)) << "an item was stored twice";
    EXPECT_EQ(got.size(), Baseline().size());
    size_t differing = 0;
    for (const auto& [k, v] : Baseline()) {
      auto it = got.find(k);
      if (it == got.end() || it->second != v) ++differing;
    }
    EXPECT_EQ(differing, 0u) << "items missing or different from the uninterrupted run";
    // The report's items.jsonl, timing aside, equals the uninterrupted run's line for line.
    const auto items = ReportItems(db_, dir_ / "report");
    EXPECT_EQ(items.size(), BaselineReportItems().size());
    EXPECT_TRUE(items == BaselineReportItems()) << "items.jsonl differs from the uninterrupted run";
  }

  TempDir dir_;
  Workload w_;
  int port_ = 0;
  fs::path db_;
};

TEST_F(Faults, Kill9WorkerMidShard) {
  auto coord = StartCoordinator();
  auto w1 = StartWorker("w1");
  auto w2 = StartWorker("w2");
  ASSERT_TRUE(WaitUntil([&] { return CountStoredItems(db_) >= 20; }, seconds(120))) << Logs();
  ASSERT_LT(CountStoredItems(db_), 2 * kItems) << "too fast to kill mid-sweep";
  w1->Signal(SIGKILL);
  ExpectCompleteAndIdentical(*coord);
}

TEST_F(Faults, StoppedWorkerLosesItsLease) {
  auto coord = StartCoordinator(/*lease_ms=*/2000);
  auto w1 = StartWorker("w1");
  ASSERT_TRUE(WaitUntil([&] { return CountStoredItems(db_) >= 20; }, seconds(120))) << Logs();
  w1->Signal(SIGSTOP);  // hung: no heartbeats, no progress, socket still open
  auto w2 = StartWorker("w2");
  ExpectCompleteAndIdentical(*coord);
  w1->Signal(SIGCONT);  // it wakes up to a void lease; whatever it sends must not double-count
  EXPECT_EQ(StoredItems(db_).size(), 2 * kItems);
}

TEST_F(Faults, Kill9CoordinatorAndRestart) {
  auto coord = StartCoordinator();
  auto w1 = StartWorker("w1");
  auto w2 = StartWorker("w2");
  ASSERT_TRUE(WaitUntil([&] { return CountStoredItems(db_) >= 30; }, seconds(120))) << Logs();
  coord->Signal(SIGKILL);
  coord->Wait(seconds(10));
  const size_t before = CountStoredItems(db_);
  ASSERT_LT(before, 2 * kItems) << "too fast to kill mid-sweep";
  coord = StartCoordinator();  // same database, same port: workers reconnect
  ExpectCompleteAndIdentical(*coord);
}

TEST_F(Faults, WorkersStartBeforeCoordinator) {
  auto w1 = StartWorker("w1");
  auto w2 = StartWorker("w2");
  ::usleep(1500 * 1000);
  auto coord = StartCoordinator();
  ExpectCompleteAndIdentical(*coord);
}

TEST_F(Faults, GarbageFromAPeerIsDropped) {
  auto coord = StartCoordinator();
  // Raw bytes that are not even ZMTP.
  {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    ASSERT_TRUE(WaitUntil(
        [&] { return ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0; }, seconds(20)));
    const std::string junk(4096, '\xff');
    (void)!::write(s, junk.data(), junk.size());
    ::close(s);
  }
  // Well-framed ZeroMQ messages that are out of protocol.
  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(StrCat("tcp://127.0.0.1:", port_));
  const std::vector<std::vector<std::string>> bad = {
      {"hello"},
      {"GAPBENCH/1", "HELLO", "{not json"},
      {"GAPBENCH/1", "RESULTS", R"({"shard":"0000000000000000","lease":1,"seq":1,"items":[]})"},
      {"GAPBENCH/1", "DONE", R"({"shard":"ffffffffffffffff","lease":99,"n_items":3})"},
      {"GAPBENCH/1", "NOSUCHTYPE", "{}"},
      {"GAPBENCH/1", "HEARTBEAT", std::string(100000, '[')},
      {"XYZ", "", "", "", ""},
  };
  for (const auto& frames : bad) {
    for (size_t i = 0; i < frames.size(); ++i) {
      dealer.send(zmq::buffer(frames[i]),
                  i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  auto w1 = StartWorker("w1");
  auto w2 = StartWorker("w2");
  ExpectCompleteAndIdentical(*coord);
}

TEST(FaultsScale, SixteenWorkersOnTinyShards) {
  TempDir dir;
  const Workload w = MakeWorkload(dir.path(), 16, 1);
  const int port = FreePort();
  const fs::path db = dir / "results.sqlite";
  Child coord(CoordinatorArgs(w, db, port), dir / "coord.log");
  std::vector<std::unique_ptr<Child>> workers;
  for (int i = 0; i < 16; ++i) {
    workers.push_back(
        std::make_unique<Child>(WorkerArgs(port, StrCat("w", i)), dir / StrCat("w", i, ".log")));
  }
  const auto rc = coord.Wait(seconds(300));
  ASSERT_TRUE(rc.has_value()) << Tail(dir / "coord.log");
  ASSERT_EQ(*rc, 0) << Tail(dir / "coord.log");
  EXPECT_EQ(StoredItems(db).size(), w.n_items);
  // SHUTDOWN reaches every worker: they all exit 0.
  for (auto& wk : workers) {
    const auto wrc = wk->Wait(seconds(30));
    EXPECT_EQ(wrc.value_or(-1), 0) << Tail(wk->log());
  }
}

}  // namespace
}  // namespace gapbench::testing
