// Worker fault handling that takes seconds: results kept until acknowledged and resent to a
// restarted coordinator, reconnect backoff while nothing listens, and the real `gapbench worker`
// process -- its exit code on REFUSE, and SIGTERM mid-shard: the current item finishes, results
// are flushed and acknowledged, BYE, exit 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "tests/worker/worker_harness.h"

extern char** environ;

namespace gapbench::worker {
namespace {

using namespace testing_harness;  // NOLINT(google-build-using-namespace): test-only helpers
using ::gapbench::testing::FakeCoordinator;
using ::gapbench::testing::Received;

// `gapbench worker ...` as a child process with stderr in a file.
class WorkerProcess {
 public:
  WorkerProcess(const std::vector<std::string>& args, const std::filesystem::path& err_file) {
    std::vector<std::string> argv = {::gapbench::testing::GapbenchBin(), "worker"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) pid_ = -1;
  }
  ~WorkerProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Exit code, or -1 (killed) when it has not exited within `timeout`.
  int Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

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

TEST_F(WorkerTest, ProcessExitsNonZeroWhenRefused) {
  FakeCoordinator c(ctx_);
  const auto err = dir_ / "worker.err";
  WorkerProcess p({"--connect", c.endpoint(), "--threads", "1", "--name", "proc"}, err);
  ASSERT_GT(p.pid(), 0);
  auto hello = c.Expect(coordinator::kTypeHello, kWait);
  ASSERT_TRUE(hello);
  EXPECT_EQ(std::string(hello->json["worker"].GetString()), "proc");
  EXPECT_EQ(hello->json["pid"].GetInt64(), p.pid());
  c.Send(hello->peer, coordinator::kTypeRefuse, R"({"reason":"protocol version 1 is too old"})");
  EXPECT_EQ(p.Wait(kWait), kExitRefused);
  EXPECT_NE(::gapbench::testing::ReadFile(err).find("refused by the coordinator: protocol version "
                                                    "1 is too old"),
            std::string::npos);
}

TEST_F(WorkerTest, SigtermMidShardFlushesResultsSaysByeAndExitsZero) {
  const auto sleepy = ::gapbench::testing::WriteSleepySuite(dir_ / "sleepy.jsonl", 12, 0.3);
  FakeCoordinator c(ctx_);
  const auto err = dir_ / "worker.err";
  WorkerProcess p({"--connect", c.endpoint(), "--threads", "1", "--heartbeat-ms", "100"}, err);
  ASSERT_GT(p.pid(), 0);
  const std::string peer = Handshake(c);
  ASSERT_FALSE(peer.empty());
  c.Send(peer, coordinator::kTypeAssign,
         Assign("shard-p", 9, ::gapbench::testing::MakeTask(sleepy, 0, 12)));
  // The default batch window is 1 s: wait for the first RESULTS, then signal.
  auto first = c.Expect(coordinator::kTypeResults, milliseconds(10000));
  ASSERT_TRUE(first);
  ASSERT_EQ(::kill(p.pid(), SIGTERM), 0);
  std::map<Key, std::string> got;
  CollectItems(*first, got);
  c.Send(peer, coordinator::kTypeAck, Ack(*first));
  bool bye = false;
  while (!bye) {
    auto m = c.Next(kWait);
    ASSERT_TRUE(m) << "no BYE after SIGTERM; stderr:\n" << ::gapbench::testing::ReadFile(err);
    ASSERT_NE(m->type, coordinator::kTypeDone);
    if (m->type == coordinator::kTypeResults) {
      CollectItems(*m, got);
      c.Send(peer, coordinator::kTypeAck, Ack(*m));
    }
    bye = m->type == coordinator::kTypeBye;
  }
  EXPECT_EQ(p.Wait(kWait), 0) << ::gapbench::testing::ReadFile(err);
  // Items 0..k-1, each once; the shard was not finished (12 items take 3.6 s).
  EXPECT_GE(got.size(), 1u);
  EXPECT_LT(got.size(), 12u);
  int64_t i = 0;
  for (const auto& [key, rec] : got) EXPECT_EQ(key, (Key{i++, 0}));
  EXPECT_NE(::gapbench::testing::ReadFile(err).find("stopping"), std::string::npos);
}

}  // namespace
}  // namespace gapbench::worker
