// Endpoint syntax, loopback test and host resolution (endpoint.h).
#include "coordinator/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include "common/error.h"

namespace gapbench::coordinator {

Endpoint ParseEndpoint(std::string_view text, std::string_view what, bool for_bind) {
  Endpoint e;
  const size_t scheme = text.find("://");
  if (scheme == std::string_view::npos || scheme == 0) {
    Fail(what, ": expected an endpoint such as tcp://127.0.0.1:5555, got '", text, "'");
  }
  e.transport = std::string(text.substr(0, scheme));
  if (e.transport != "tcp") return e;
  std::string_view rest = text.substr(scheme + 3);
  // libzmq's "tcp://SOURCE;HOST:PORT" (connect from a given interface): the host is after ';'.
  if (const size_t semi = rest.rfind(';'); semi != std::string_view::npos) {
    rest = rest.substr(semi + 1);
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      Fail(what, ": '", text, "' is not tcp://[IPV6]:PORT");
    }
    e.host = std::string(rest.substr(1, close - 1));
    port_text = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      Fail(what, ": '", text, "' has no port (expected tcp://HOST:PORT)");
    }
    e.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  }
  if (e.host.empty()) Fail(what, ": '", text, "' has no host (expected tcp://HOST:PORT)");
  const char* range = for_bind ? "1..65535, or 0 for a free port" : "1..65535";
  if (for_bind && port_text == "*") return e;  // libzmq's "any free port"
  bool ok = !port_text.empty() && port_text.size() <= 5;
  int port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    port = port * 10 + (c - '0');
  }
  if (!ok || port > 65535 || (port == 0 && !for_bind)) {
    Fail(what, ": '", text, "': the port must be a number in ", range, " (got '", port_text, "')");
  }
  e.port = port;
  return e;
}

bool IsLoopback(const Endpoint& endpoint) {
  if (endpoint.transport != "tcp") return true;
  const std::string& h = endpoint.host;
  if (h == "localhost" || h == "::1") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return false;
}

void CheckCoordinatorBind(std::string_view bind, bool curve, bool insecure) {
  const Endpoint endpoint = ParseEndpoint(bind, "--bind", /*for_bind=*/true);
  if (!IsLoopback(endpoint) && !curve && !insecure) {
    Fail("--bind ", bind, ": without --curve-keys the coordinator trusts every process that can ",
         "reach its port (it may take shards and send results for them), so it binds loopback ",
         "only; give --curve-keys DIR (docs/PROTOCOL.md) or, on a network you trust, --insecure");
  }
}

void CheckResolvable(const Endpoint& endpoint, std::string_view what) {
  if (endpoint.transport != "tcp") return;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(endpoint.host.c_str(), nullptr, &hints, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  if (rc == 0 || rc == EAI_AGAIN) return;
  Fail(what, ": cannot resolve host '", endpoint.host, "': ", ::gai_strerror(rc));
}

}  // namespace gapbench::coordinator
