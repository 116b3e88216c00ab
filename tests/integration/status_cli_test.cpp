// `gapbench status` as a real process against a canned HTTP server written here on raw sockets
// (independent of coordinator/http_server.cpp): the summary and --json of a hand-written /status
// document, and exit 1 with a message naming the address when the coordinator is unreachable,
// silent, answers an HTTP error or something that is not a status document.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

// Answers every connection with `response` (raw bytes) after reading the request head; with
// `silent` it accepts and says nothing. Serves until destroyed.
class CannedServer {
 public:
  explicit CannedServer(std::string response, bool silent = false)
      : response_(std::move(response)), silent_(silent) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }
  std::string last_request() const { return last_request_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos && !stop_) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 50) <= 0) continue;
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      if (last_request_.empty()) last_request_ = req;
      if (silent_) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      } else {
        ::send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  std::string response_;
  bool silent_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::string last_request_;  // written before requests_ is bumped past 1; read after the run
  std::thread thread_;
};

std::string HttpResponse(int status, const std::string& type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

// Written by hand in the documented /status shape (docs/DEPLOY.md, coordinator/status.h).
constexpr const char* kStatus = R"({
  "version": "0.1.0", "uptime_s": 3725,
  "sweeps": [
    {"id": "3f2a", "name": "example", "priority": 5,
     "shards_by_state": {"pending": 3, "running": 2, "done": 10, "poison": 1},
     "shards_total": 16, "items_done": 100, "items_total": 160, "complete": false},
    {"id": "9b1c", "name": "second", "priority": 0, "shards_by_state": {"done": 4},
     "shards_total": 4, "items_done": 40, "items_total": 40, "complete": true}],
  "workers": [
    {"name": "w1", "host": "node-1", "version": "0.1.0", "threads": 8, "state": "busy",
     "shard": "abc123", "items_done": 7, "seconds_since_seen": 0.25, "shards_completed": 3,
     "models": ["small"]},
    {"name": "w2", "host": "node-2", "version": "0.1.0", "threads": 8, "state": "idle",
     "shard": "", "items_done": 0, "seconds_since_seen": 1.5, "shards_completed": 2,
     "models": []},
    {"name": "w3", "host": "node-3", "version": "0.1.0", "threads": 4, "state": "lost",
     "shard": "", "items_done": 0, "seconds_since_seen": 30, "shards_completed": 0,
     "models": []}],
  "items_done": 140, "items_total": 200, "items_failed": 10, "items_per_s": 3.75,
  "eta_s": 16, "all_complete": false,
  "messages_received": 1000, "messages_dropped": 2, "workers_refused": 0,
  "leases_granted": 21, "leases_expired": 3, "shard_retries": 4, "shards_poisoned": 1,
  "results_conflicts": 0,
  "latency_buckets": [0.001, 0.01], "latency_counts": [3, 5], "latency_count": 6,
  "latency_sum": 0.5}
)";

void ExpectContains(const std::string& text, const std::string& want) {
  EXPECT_NE(text.find(want), std::string::npos) << "want '" << want << "' in:\n" << text;
}

TEST(StatusCli, PrintsAReadableSummary) {
  CannedServer server(HttpResponse(200, "application/json", kStatus));
  const auto r = RunProcess({GapbenchBin(), "status", "--http", server.address()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(server.last_request().rfind("GET /status HTTP/1.1\r\n", 0), 0u)
      << server.last_request();
  for (const char* want :
       {"gapbench 0.1.0", "up 1h02m", "items 140/200 (70.0%)", "3.75 items/s", "ETA 16s",
        "failed 10", "sweeps: 2",
        "example [3f2a] priority 5: items 100/160 (62.5%); shards 10 done, 2 running, 3 pending, "
        "1 poison of 16",
        "second [9b1c] priority 0: items 40/40 (100.0%); shards 4 done, 0 running, 0 pending, "
        "0 poison of 4; complete",
        "workers: 3 (1 busy, 1 idle, 1 lost)", "shard abc123 (7 items)", "node-3"}) {
    ExpectContains(r.out, want);
  }
  EXPECT_EQ(r.out.find("all sweeps complete"), std::string::npos);
}

TEST(StatusCli, JsonPrintsTheDocument) {
  CannedServer server(HttpResponse(200, "application/json", kStatus));
  const auto r = RunProcess({GapbenchBin(), "status", "--http", server.address(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = ParseJson(r.out, "stdout");
  EXPECT_EQ(doc["items_done"].GetInt(), 140);
  EXPECT_EQ(doc["sweeps"][0]["shards_by_state"]["poison"].GetInt(), 1);
}

TEST(StatusCli, UnreachableCoordinatorIsAClearError) {
  uint16_t port = 0;
  {
    CannedServer gone("");
    port = gone.port();
  }  // closed: nothing listens there now
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const auto r = RunProcess({GapbenchBin(), "status", "--http", address});
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.err, "cannot reach the coordinator");
  ExpectContains(r.err, "http://" + address + "/status");
}

TEST(StatusCli, SilentCoordinatorTimesOut) {
  CannedServer server("", /*silent=*/true);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      RunProcess({GapbenchBin(), "status", "--http", server.address(), "--timeout", "0.5"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.err, "no answer within 0.5 s");
  ExpectContains(r.err, server.address());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(StatusCli, GarbageAnswersAreErrorsNamingTheAddress) {
  struct Case {
    std::string response;
    std::string want;
  };
  const Case cases[] = {
      {HttpResponse(200, "text/html", "<html>hello</html>"), "invalid JSON"},
      {HttpResponse(200, "application/json", R"({"ok": true})"), "not a gapbench status document"},
      {HttpResponse(200, "application/json", R"({"sweeps": 1, "workers": [], "items_done": 0})"),
       "$.sweeps: expected an array"},
      {HttpResponse(500, "text/plain", "internal error: disk full\n"),
       "answered HTTP 500: internal error: disk full"},
      {HttpResponse(404, "text/plain", "not found\n"), "answered HTTP 404"},
      {"SSH-2.0-OpenSSH_9.2\r\n", "read response failed"},
  };
  for (const auto& c : cases) {
    CannedServer server(c.response);
    for (const bool json : {false, true}) {
      std::vector<std::string> argv = {GapbenchBin(), "status", "--http", server.address()};
      if (json) argv.push_back("--json");
      const auto r = RunProcess(argv);
      EXPECT_EQ(r.exit_code, 1) << c.want << "\n" << r.out;
      EXPECT_TRUE(r.out.empty()) << r.out;
      ExpectContains(r.err, c.want);
      ExpectContains(r.err, server.address());
    }
  }
}

TEST(StatusCli, UsageErrors) {
  auto r = RunProcess({GapbenchBin(), "status"});
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "usage: gapbench status --http HOST:PORT");
  r = RunProcess({GapbenchBin(), "status", "--http", "localhost:notaport"});
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "--http: 'localhost:notaport'");
  r = RunProcess({GapbenchBin(), "status", "--http", "127.0.0.1:1", "--timeout", "-1"});
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "--timeout");
}

}  // namespace
}  // namespace gapbench
