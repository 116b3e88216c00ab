// ZeroMQ endpoint checks shared by `gapbench coordinator`, `run` and `worker`. libzmq parses
// "tcp://HOST:PORT" itself, but it takes the port modulo 65536 (tcp://127.0.0.1:99999 listens on
// 34463) and resolves a connect address only in the background (an unknown host is retried
// forever). These checks run first, so such mistakes are reported once, naming the option.
//
// Not here: the HTTP status address (http_server.h, ParseHostPort), the sockets themselves.
#pragma once

#include <string>
#include <string_view>

namespace gapbench::coordinator {

struct Endpoint {
  std::string transport;  // "tcp", "ipc", "inproc", ...
  std::string host;       // tcp only: "127.0.0.1", "::1" (brackets removed), "*", a name
  int port = 0;           // tcp only; 0 = "pick a free port" (binds only)
};

// Parses an endpoint. For tcp, the port must be a decimal number in 1..65535 (for a bind also 0
// or "*": a free port). Other transports are passed through unchecked. Error naming `what`
// (e.g. "--bind") and the text otherwise.
Endpoint ParseEndpoint(std::string_view text, std::string_view what, bool for_bind);

// True for 127.0.0.0/8, ::1 and "localhost" (and for every non-tcp transport, which never
// leaves the machine). A bind to anything else is reachable from other machines.
bool IsLoopback(const Endpoint& endpoint);

// A coordinator's --bind: ParseEndpoint(for_bind), and without CURVE loopback only unless
// `insecure` (every process that reaches the port is trusted then: docs/PROTOCOL.md).
void CheckCoordinatorBind(std::string_view bind, bool curve, bool insecure);

// tcp: resolves the host with getaddrinfo; Error naming `what` when the name does not exist
// (a temporary resolver failure is not an error: the worker retries as for a coordinator that
// is down). Other transports: nothing to check.
void CheckResolvable(const Endpoint& endpoint, std::string_view what);

}  // namespace gapbench::coordinator
