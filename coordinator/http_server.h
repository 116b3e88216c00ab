// A small HTTP/1.1 server for the coordinator's /healthz, /status and /metrics, on Boost.Beast
// with its own thread, and a blocking GET client for `gapbench status` and tests.
//
// Contract: GET and HEAD only (405 otherwise, with Allow), request headers bounded (431), request
// bodies bounded (413), malformed requests 400, each request must arrive within a read timeout
// (a silent or trickling client is disconnected and never holds up others: one asynchronous
// event loop, one timer per connection), a bounded number of open connections, keep-alive.
// Which paths exist is the handler's business (StatusHandler builds the standard one).
// Not here: TLS, authentication, request bodies, chunked uploads, HTTP/2 — put a reverse proxy in
// front for those; the default bind address is loopback.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "coordinator/status.h"

namespace gapbench::coordinator {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the server's thread for every GET or HEAD (HEAD gets the GET answer without its
// body). `target` is the request target as sent ("/status?x=1"). Must not block for long: one
// thread serves every connection. An exception becomes a 500.
using HttpHandler = std::function<HttpResponse(std::string_view method, std::string_view target)>;

struct HttpServerOptions {
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 8 * 1024;
  // A whole request (or the wait for the next one on a kept-alive connection) must arrive
  // within this; so must a response be taken by the client.
  std::chrono::milliseconds io_timeout{5000};
  int max_connections = 256;  // further connections are closed at once
};

// "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" (host defaults to 127.0.0.1); an optional "http://"
// prefix and trailing "/" are accepted. Error naming `what` (e.g. "--http") otherwise.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
HostPort ParseHostPort(std::string_view text, std::string_view what);

class HttpServer {
 public:
  // Binds and listens at once (Error naming `bind` if it cannot), serves on its own thread.
  // Port 0 picks a free port: see port().
  HttpServer(const std::string& bind, HttpHandler handler, HttpServerOptions options = {});
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  const std::string& host() const;
  // Closes the listener and every connection and joins the thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds the coordinator's handler: /healthz -> 200 "ok\n", /status -> StatusToJson
// (application/json), /metrics -> RenderMetrics (Prometheus 0.0.4 content type), else 404.
// `snapshot` is called once per /status or /metrics request, on the server's thread.
HttpHandler StatusHandler(std::function<StatusSnapshot()> snapshot);

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};
// One GET over a fresh connection; the whole exchange must finish within `timeout`. Error
// naming http://host:port/target on resolve/connect/timeout/protocol failures or a response
// body over `max_body_bytes`. Any status (404, 500, ...) is returned, not thrown.
HttpResult HttpGet(const std::string& host, uint16_t port, const std::string& target,
                   std::chrono::milliseconds timeout, size_t max_body_bytes = 64 << 20);

}  // namespace gapbench::coordinator
