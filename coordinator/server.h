// The coordinator: a ZeroMQ ROUTER that hands shards of the queued sweeps to workers and stores
// their results (docs/PROTOCOL.md). A library class so `gapbench coordinator` and `gapbench run`
// (which runs it on a thread next to its worker processes) share it.
//
// Threading: construct, AddSweep and Run may be called from any thread; Run serves until stopped
// and owns the socket meanwhile. Status() and AddSweep() are safe while Run is serving (one mutex
// guards the scheduler and the store; messages are handled one at a time under it).
//
// Durability (Titanic): RESULTS are committed to the store before their ACK is sent; every shard
// state change is committed before the message acting on it. A store failure is not survivable
// (acknowledging would lie): Run throws it.
//
// Not here: scheduling rules (scheduler.h), sweep validation (sweep.h), the HTTP server itself
// (http_server.h), CURVE key files (curve_keys.h), the worker (worker/).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "coordinator/registration.h"
#include "coordinator/status.h"

namespace gapbench::coordinator {

struct CoordinatorOptions {
  std::string bind = "tcp://127.0.0.1:5555";  // "tcp://127.0.0.1:0" picks a free port
  std::string db_path;                        // the results store (created when missing)
  std::string curve_keys_dir;                 // "" = no CURVE
  // Without CURVE every process that reaches the port is trusted (it may take shards, whose
  // ASSIGN carries absolute paths, and send results for them): a bind that is not loopback is
  // refused unless this is set (docs/PROTOCOL.md "Threat model").
  bool insecure = false;
  // ZMQ_HANDSHAKE_IVL: a connection that has not completed the ZMTP (and CURVE) handshake in
  // this long is closed, so idle connections cannot hold descriptors (a pre-auth flood).
  int64_t handshake_ms = 5000;
  int64_t heartbeat_ms = 1000;
  int64_t liveness = 3;
  int64_t lease_ms = 10 * 60 * 1000;  // longest a lease may go without progress
  int64_t max_attempts = 3;
  int64_t max_batch = 64;  // items per RESULTS the worker should send (WELCOME)
  int64_t nowork_retry_ms = 1000;
  bool exit_when_done = false;  // Run returns once every queued sweep is complete
  std::string http;             // "HOST:PORT" for /healthz, /status, /metrics; "" = none
  std::string version = "dev";  // gapbench version, for status and the store
  std::string git_commit;       // of the gapbench build, recorded with each sweep ("" unknown)
  bool log_events = true;       // stderr lines for workers joining/leaving, leases, states
};

class Coordinator {
 public:
  // Checks the endpoint (port range, loopback without CURVE), raises the soft descriptor limit to
  // the hard one, opens the store exclusively (ResultsStore::OpenExclusive: one coordinator per
  // database), resumes its journal (running shards pending again), binds the socket and the HTTP
  // server. Error naming the address or file when any of it fails; a database created by a
  // failed start is removed again (as is one still without any sweep when the coordinator ends).
  explicit Coordinator(CoordinatorOptions options);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Validates the sweep file (every error at once in the Error's message) and queues it.
  RegisterResult AddSweep(const std::string& path);

  // Serves until `stop` is set / requested, or (exit_when_done) every queued sweep is complete,
  // in which case workers get SHUTDOWN first. Returns true when it ended because all was done.
  bool Run(const std::atomic<bool>& stop);
  bool Run(std::stop_token stop);

  StatusSnapshot Status() const;
  // The bound endpoint with its real port (ZMQ_LAST_ENDPOINT), e.g. "tcp://127.0.0.1:40123".
  const std::string& endpoint() const;
  // The HTTP port (0 without --http).
  uint16_t http_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gapbench::coordinator
