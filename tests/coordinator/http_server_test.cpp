// HttpServer and HttpGet over real loopback sockets: the status endpoints and their content
// types, 404/405/400/413/431, HEAD, keep-alive, concurrent clients, silent and trickling clients
// that must neither block others nor stay connected, Stop, bind errors and client errors.
#include "coordinator/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "tests/coordinator/prometheus_parser.h"

namespace gapbench::coordinator {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A raw TCP client, so tests can send what HttpGet never would.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  bool Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until the peer closes or `timeout` passes; `closed` says which.
  std::string ReadAll(std::chrono::milliseconds timeout, bool* closed = nullptr) {
    std::string out;
    const auto deadline = Clock::now() + timeout;
    bool eof = false;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    if (closed != nullptr) *closed = eof;
    return out;
  }
  // Reads until `marker` has been seen `count` times (or timeout).
  std::string ReadUntil(const std::string& marker, int count, std::chrono::milliseconds timeout) {
    std::string out;
    const auto deadline = Clock::now() + timeout;
    auto seen = [&] {
      int n = 0;
      for (size_t pos = out.find(marker); pos != std::string::npos;
           pos = out.find(marker, pos + 1)) {
        ++n;
      }
      return n;
    };
    while (Clock::now() < deadline && seen() < count) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

int StatusCode(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

StatusSnapshot Canned() {
  StatusSnapshot s;
  s.version = "test";
  s.items_done = 7;
  s.items_total = 10;
  SweepStatus sw;
  sw.id = "id1";
  sw.name = "demo";
  sw.shards_by_state = {{"done", 1}, {"pending", 1}};
  s.sweeps = {sw};
  s.latency_counts.assign(s.latency_buckets.size(), 0);
  return s;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    HttpServerOptions options;
    options.io_timeout = 400ms;
    server_ = std::make_unique<HttpServer>("127.0.0.1:0", StatusHandler([this] {
                                             ++snapshots_;
                                             return Canned();
                                           }),
                                           options);
  }
  uint16_t port() const { return server_->port(); }
  HttpResult Get(const std::string& target) { return HttpGet("127.0.0.1", port(), target, 2000ms); }

  std::atomic<int> snapshots_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, StatusEndpointsAndContentTypes) {
  ASSERT_NE(port(), 0);
  auto r = Get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");

  r = Get("/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  const auto s = StatusFromJson(r.body, "/status");
  EXPECT_EQ(s.items_done, 7);
  ASSERT_EQ(s.sweeps.size(), 1u);
  EXPECT_EQ(s.sweeps[0].name, "demo");

  r = Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const auto m = testing::ParsePrometheus(r.body);
  EXPECT_EQ(m.Value("gapbench_items_done"), 7);
  EXPECT_EQ(snapshots_.load(), 2);  // /healthz takes no snapshot

  EXPECT_EQ(Get("/status?pretty=1").status, 200);
  r = Get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("/healthz"), std::string::npos);
}

TEST_F(HttpServerTest, OnlyGetAndHead) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    RawClient c(port());
    ASSERT_TRUE(c.connected());
    c.Send(std::string(method) + " /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    const std::string res = c.ReadUntil("\r\n\r\n", 1, 2000ms);
    EXPECT_EQ(StatusCode(res), 405) << method << ": " << res;
    EXPECT_NE(res.find("Allow: GET, HEAD"), std::string::npos) << res;
  }
  EXPECT_EQ(snapshots_.load(), 0);
}

TEST_F(HttpServerTest, HeadHasTheGetHeadersAndNoBody) {
  const std::string body = Get("/status").body;
  RawClient c(port());
  c.Send("HEAD /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  bool closed = false;
  const std::string res = c.ReadAll(2000ms, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusCode(res), 200) << res;
  EXPECT_NE(res.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos)
      << res;
  EXPECT_NE(res.find("Content-Type: application/json"), std::string::npos) << res;
  EXPECT_EQ(res.size(), res.find("\r\n\r\n") + 4) << "HEAD answered with a body: " << res;
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  RawClient c(port());
  c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string res = c.ReadUntil("ok\n", 2, 2000ms);
  EXPECT_EQ(res.find("HTTP/1.1 200"), 0u) << res;
  EXPECT_NE(res.find("HTTP/1.1 200", 10), std::string::npos) << res;
}

TEST_F(HttpServerTest, RejectsOversizedAndMalformedRequests) {
  {
    RawClient c(port());
    c.Send("GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n");
    bool closed = false;
    const std::string res = c.ReadAll(3000ms, &closed);
    EXPECT_EQ(StatusCode(res), 431) << res.substr(0, 200);
    EXPECT_TRUE(closed);
  }
  {
    RawClient c(port());
    c.Send("POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
           std::string(20000, 'b'));
    const std::string res = c.ReadAll(3000ms);
    EXPECT_EQ(StatusCode(res), 413) << res.substr(0, 200);
  }
  {
    RawClient c(port());
    c.Send("THIS IS NOT HTTP\r\n\r\n");
    const std::string res = c.ReadAll(3000ms);
    EXPECT_EQ(StatusCode(res), 400) << res.substr(0, 200);
  }
  EXPECT_EQ(Get("/healthz").status, 200);  // the server is still fine
  EXPECT_EQ(snapshots_.load(), 0);
}

TEST_F(HttpServerTest, SilentAndTricklingClientsNeitherBlockOthersNorStay) {
  RawClient silent(port());
  RawClient partial(port());
  ASSERT_TRUE(silent.connected());
  partial.Send("GET /status HTTP/1.1\r\nHo");  // never finishes
  // Others are served at once while those two hang.
  const auto t0 = Clock::now();
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_LT(Clock::now() - t0, 300ms);

  // Slowloris: a byte every 100 ms keeps the socket busy but never completes a request; the
  // per-request deadline (400 ms here) closes it anyway.
  RawClient trickle(port());
  const std::string req = "GET /status HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(100, 'p');
  bool trickle_closed = false;
  const auto t1 = Clock::now();
  for (const char ch : req) {
    if (!trickle.Send(std::string(1, ch))) {
      trickle_closed = true;
      break;
    }
    bool closed = false;
    trickle.ReadAll(100ms, &closed);
    if (closed) {
      trickle_closed = true;
      break;
    }
  }
  EXPECT_TRUE(trickle_closed);
  EXPECT_LT(Clock::now() - t1, 3s);

  bool closed = false;
  silent.ReadAll(2000ms, &closed);
  EXPECT_TRUE(closed) << "a silent client stayed connected past the timeout";
  partial.ReadAll(2000ms, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(snapshots_.load(), 0);
}

TEST_F(HttpServerTest, ConcurrentClients) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        try {
          const auto r = Get(i % 2 ? "/status" : "/metrics");
          if (r.status == 200 && !r.body.empty()) ++ok;
        } catch (const Error&) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(snapshots_.load(), 200);
}

TEST_F(HttpServerTest, HandlerExceptionIs500) {
  HttpServer s("127.0.0.1:0", [](std::string_view, std::string_view) -> HttpResponse {
    throw std::runtime_error("boom");
  });
  const auto r = HttpGet("127.0.0.1", s.port(), "/", 2000ms);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("boom"), std::string::npos);
}

TEST_F(HttpServerTest, StopClosesEverythingPromptly) {
  RawClient idle(port());
  ASSERT_TRUE(idle.connected());
  RawClient mid_request(port());
  mid_request.Send("GET /status HTTP/1.1\r\n");
  std::this_thread::sleep_for(50ms);  // both accepted: Stop must close live connections too
  const uint16_t p = port();
  const auto t0 = Clock::now();
  server_->Stop();
  server_->Stop();  // idempotent
  EXPECT_LT(Clock::now() - t0, 1s);
  bool closed = false;
  idle.ReadAll(1000ms, &closed);
  EXPECT_TRUE(closed);
  mid_request.ReadAll(1000ms, &closed);
  EXPECT_TRUE(closed);
  EXPECT_THROW(HttpGet("127.0.0.1", p, "/healthz", 500ms), Error);
  server_.reset();  // destructor after Stop is fine
}

TEST(HttpServer, ConnectionsBeyondTheCapAreClosedAndServiceResumes) {
  HttpServerOptions options;
  options.max_connections = 2;
  options.io_timeout = 300ms;
  HttpServer s("127.0.0.1:0", StatusHandler([] { return Canned(); }), options);
  RawClient a(s.port());
  RawClient b(s.port());
  // Let the server accept both before the third arrives.
  std::this_thread::sleep_for(50ms);
  RawClient c(s.port());
  bool closed = false;
  c.ReadAll(200ms, &closed);
  EXPECT_TRUE(closed) << "a third connection was kept open past the cap of 2";
  // The two silent ones time out; then the server serves again.
  a.ReadAll(1000ms);
  b.ReadAll(1000ms);
  EXPECT_EQ(HttpGet("127.0.0.1", s.port(), "/healthz", 1000ms).status, 200);
}

TEST(HttpServer, BindsLoopbackByDefaultAndReportsBindErrors) {
  auto handler = [](std::string_view, std::string_view) { return HttpResponse{200, "x", "y"}; };
  HttpServer a(":0", handler);
  EXPECT_EQ(a.host(), "127.0.0.1");
  EXPECT_NE(a.port(), 0);
  try {
    HttpServer b(StrCat("127.0.0.1:", a.port()), handler);
    ADD_FAILURE() << "bound the same port twice";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(StrCat("--http 127.0.0.1:", a.port())), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(HttpServer("127.0.0.1:http", handler), Error);
  EXPECT_THROW(HttpServer("127.0.0.1:99999", handler), Error);
}

TEST(HttpServer, ParseHostPortForms) {
  auto hp = ParseHostPort("0.0.0.0:8080", "--http");
  EXPECT_EQ(hp.host, "0.0.0.0");
  EXPECT_EQ(hp.port, 8080);
  hp = ParseHostPort("8080", "--http");
  EXPECT_EQ(hp.host, "127.0.0.1");
  hp = ParseHostPort("http://coordinator:8080/", "--http");
  EXPECT_EQ(hp.host, "coordinator");
  EXPECT_EQ(hp.port, 8080);
  hp = ParseHostPort("[::1]:9", "--http");
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 9);
  for (const char* bad : {"", "host:", "host:-1", "::1:80", "[::1]80", "h:123456"}) {
    EXPECT_THROW(ParseHostPort(bad, "--http"), Error) << bad;
  }
}

TEST(HttpGet, NamesTheAddressWhenNothingAnswers) {
  // A port that was just free: connection refused.
  uint16_t port = 0;
  {
    HttpServer s("127.0.0.1:0", [](std::string_view, std::string_view) { return HttpResponse{}; });
    port = s.port();
  }
  try {
    HttpGet("127.0.0.1", port, "/status", 1000ms);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(StrCat("http://127.0.0.1:", port, "/status")),
              std::string::npos)
        << e.what();
  }
  // A listener that accepts and never answers: the timeout fires.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto t0 = Clock::now();
  try {
    HttpGet("127.0.0.1", ntohs(addr.sin_port), "/status", 300ms);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no answer within"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - t0, 2s);
  ::close(fd);
}

}  // namespace
}  // namespace gapbench::coordinator
