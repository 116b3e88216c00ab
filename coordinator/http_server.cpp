// HTTP/1.1 server and client on Boost.Beast (header-only, Boost 1.74): one io_context on one
// thread; each connection is a Session with a beast::tcp_stream whose expiry bounds every read
// and write, so slow or silent clients are dropped by their own timer and never block the loop.
// Not here: what the paths mean (the handler), TLS, request bodies.
#include "coordinator/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "common/error.h"

namespace gapbench::coordinator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Everything one connection needs from the server, shared so a Session that outlives Stop()
// (destroyed with the io_context) never touches a dead server.
struct Shared {
  HttpHandler handler;
  HttpServerOptions options;
  std::atomic<int> connections{0};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->connections;
  }
  ~Session() { --shared_->connections; }

  void Start() { ReadRequest(); }

  // Idempotent; cancels the pending operation and the stream's timer with the socket.
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    stream_.expires_after(shared_->options.io_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      Close();
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      SendError(http::status::request_header_fields_too_large, "request header too large\n");
      return;
    }
    if (ec == http::error::body_limit) {
      SendError(http::status::payload_too_large, "request body too large\n");
      return;
    }
    if (ec) {
      SendError(http::status::bad_request, "bad request: " + ec.message() + "\n");
      return;
    }
    Handle(parser_->get());
  }

  void Handle(const http::request<http::string_body>& req) {
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      http::response<http::string_body> res{http::status::method_not_allowed, version};
      res.set(http::field::allow, "GET, HEAD");
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "method not allowed: GET and HEAD only\n";
      res.keep_alive(keep_alive);
      res.prepare_payload();
      Send(std::move(res));
      return;
    }
    HttpResponse answer;
    try {
      answer =
          shared_->handler(std::string_view(req.method_string().data(), req.method_string().size()),
                           std::string_view(req.target().data(), req.target().size()));
    } catch (const std::exception& e) {
      answer = HttpResponse{500, "text/plain; charset=utf-8",
                            StrCat("internal error: ", e.what(), "\n")};
    }
    const auto status = static_cast<http::status>(answer.status);
    if (req.method() == http::verb::head) {
      // The GET answer's headers, its length, no body.
      http::response<http::empty_body> res{status, version};
      res.set(http::field::content_type, answer.content_type);
      res.content_length(answer.body.size());
      res.keep_alive(keep_alive);
      Send(std::move(res));
      return;
    }
    http::response<http::string_body> res{status, version};
    res.set(http::field::content_type, answer.content_type);
    res.body() = std::move(answer.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    Send(std::move(res));
  }

  // Errors in the request itself: answer and close (the rest of the stream cannot be trusted).
  void SendError(http::status status, std::string text) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::move(text);
    res.keep_alive(false);
    res.prepare_payload();
    Send(std::move(res), /*linger=*/true);
  }

  // `linger`: the request was bad, drain before closing (see Linger).
  template <class Body>
  void Send(http::response<Body>&& res, bool linger = false) {
    auto owned = std::make_shared<http::response<Body>>(std::move(res));
    const bool close = !owned->keep_alive();
    stream_.expires_after(shared_->options.io_timeout);
    http::async_write(
        stream_, *owned,
        [self = shared_from_this(), owned, close, linger](beast::error_code ec, size_t) {
          if (ec == asio::error::operation_aborted) return;
          if (!ec && linger) {
            self->Linger();
          } else if (ec || close) {
            self->Close();
          } else {
            self->ReadRequest();
          }
        });
  }

  // After an error answer the client may still be sending (the rest of an oversized header):
  // closing with unread data would reset the connection and the client might never see the
  // answer. So: stop sending, discard what arrives for a short while (bounded), then close.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    Discard();
  }

  void Discard() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ > kMaxDiscard) {
                                self->Close();
                                return;
                              }
                              self->Discard();
                            });
  }

  static constexpr size_t kMaxDiscard = 1 << 20;
  std::array<char, 4096> discard_{};
  size_t discarded_ = 0;

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
};

tcp::endpoint Resolve(asio::io_context& ioc, const std::string& host, uint16_t port,
                      const std::string& what) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) Fail(what, ": cannot resolve host '", host, "': ", ec.message());
  return *results.begin();
}

}  // namespace

HostPort ParseHostPort(std::string_view text, std::string_view what) {
  std::string_view s = text;
  if (s.rfind("http://", 0) == 0) s.remove_prefix(7);
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  HostPort hp;
  std::string_view port_text;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      Fail(what, ": '", text, "' is not [IPV6]:PORT");
    }
    hp.host = std::string(s.substr(1, close - 1));
    port_text = s.substr(close + 2);
  } else if (const auto colon = s.rfind(':'); colon != std::string_view::npos) {
    hp.host = std::string(s.substr(0, colon));
    port_text = s.substr(colon + 1);
    if (hp.host.find(':') != std::string::npos) {
      Fail(what, ": '", text, "': write an IPv6 address in brackets, [::1]:8080");
    }
  } else {
    port_text = s;
  }
  if (hp.host.empty()) hp.host = "127.0.0.1";
  uint32_t port = 0;
  bool ok = !port_text.empty() && port_text.size() <= 5;
  for (const char c : port_text) {
    if (c < '0' || c > '9') ok = false;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (!ok || port > 65535) {
    Fail(what, ": '", text, "': expected HOST:PORT with a port in 0..65535 (e.g. 127.0.0.1:8080)");
  }
  hp.port = static_cast<uint16_t>(port);
  return hp;
}

struct HttpServer::Impl {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry{ioc};
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::string host;
  uint16_t port = 0;
  std::thread thread;
  bool stopped = false;
  // Open connections, so Stop() can close them; touched only on the server's thread.
  std::vector<std::weak_ptr<Session>> sessions;

  // Runs on the server's thread: with the listener, the connections and the work guard gone,
  // every pending operation completes (aborted) and run() returns.
  void Shutdown() {
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    for (auto& weak : sessions) {
      if (auto session = weak.lock()) session->Close();
    }
    sessions.clear();
    work.reset();
  }

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of file descriptors and the like: wait a little instead of spinning.
        accept_retry.expires_after(std::chrono::milliseconds(50));
        accept_retry.async_wait([this](beast::error_code wec) {
          if (!wec) Accept();
        });
        return;
      }
      if (shared->connections.load() >= shared->options.max_connections) {
        beast::error_code ignored;
        s.close(ignored);
      } else {
        std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
        auto session = std::make_shared<Session>(std::move(s), shared);
        sessions.push_back(session);
        session->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(const std::string& bind, HttpHandler handler, HttpServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  GB_CHECK(handler != nullptr, "HttpServer needs a handler");
  const HostPort hp = ParseHostPort(bind, "--http");
  impl_->shared->handler = std::move(handler);
  impl_->shared->options = options;
  const std::string what = StrCat("--http ", bind);
  const tcp::endpoint endpoint = Resolve(impl_->ioc, hp.host, hp.port, what);
  beast::error_code ec;
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) Fail(what, ": cannot listen on ", hp.host, ":", hp.port, ": ", ec.message());
  impl_->host = hp.host;
  impl_->port = acceptor.local_endpoint().port();
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }
const std::string& HttpServer::host() const { return impl_->host; }

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Closing on the server's own thread avoids racing its handlers; the loop then runs dry.
  // (Must not be called from a handler: it joins the thread the handler runs on.)
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->Shutdown(); });
  if (impl_->thread.joinable()) impl_->thread.join();
}

HttpHandler StatusHandler(std::function<StatusSnapshot()> snapshot) {
  GB_CHECK(snapshot != nullptr, "StatusHandler needs a snapshot function");
  return [snapshot = std::move(snapshot)](std::string_view, std::string_view target) {
    std::string_view path = target;
    if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if (path == "/healthz") return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/status") return HttpResponse{200, "application/json", StatusToJson(snapshot())};
    if (path == "/metrics")
      return HttpResponse{200, kMetricsContentType, RenderMetrics(snapshot())};
    return HttpResponse{404, "text/plain; charset=utf-8",
                        "not found: try /healthz, /status or /metrics\n"};
  };
}

HttpResult HttpGet(const std::string& host, uint16_t port, const std::string& target,
                   std::chrono::milliseconds timeout, size_t max_body_bytes) {
  const std::string url = StrCat("http://", host, ":", port, target);
  asio::io_context ioc;
  const tcp::endpoint endpoint = Resolve(ioc, host, port, url);
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);  // one deadline for connect, write and read together
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, StrCat(host, ":", port));
  req.set(http::field::user_agent, "gapbench");
  req.keep_alive(false);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body_bytes);
  beast::error_code result;
  const char* step = "connect";
  stream.async_connect(endpoint, [&](beast::error_code ec) {
    if (ec) {
      result = ec;
      return;
    }
    step = "send request";
    http::async_write(stream, req, [&](beast::error_code wec, size_t) {
      if (wec) {
        result = wec;
        return;
      }
      step = "read response";
      http::async_read(stream, buffer, parser,
                       [&](beast::error_code rec, size_t) { result = rec; });
    });
  });
  ioc.run();
  if (result == beast::error::timeout) {
    Fail(url, ": no answer within ", timeout.count() / 1000.0, " s (", step, ")");
  }
  if (result) Fail(url, ": ", step, " failed: ", result.message());
  const auto& res = parser.get();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = Trim(std::string_view(res[http::field::content_type].data(),
                                           res[http::field::content_type].size()));
  out.body = res.body();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace gapbench::coordinator
