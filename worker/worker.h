// The worker: a ZeroMQ DEALER that joins a coordinator (coordinator/protocol.h, docs/PROTOCOL.md)
// and runs the shards it is given with the evaluation loop (runner.h).
//
// Threads: Run()'s thread owns the socket -- HELLO/READY, heartbeats every heartbeat_ms (carrying
// the shard, lease and items finished so the coordinator sees progress, not just liveness),
// RESULTS batches, ACKs, reconnects. Each shard runs on its own thread (model and suite loading
// included), handing finished items over through a mutex-guarded queue, so heartbeats go on while
// the engine computes.
//
// Reliability (Paranoid Pirate + keep-until-acknowledged): every RESULTS batch carries a sequence
// number and stays in the outbox until the coordinator ACKs it (it commits to SQLite first). A
// coordinator silent for liveness x heartbeat is presumed gone: the socket is closed, and after a
// backoff (initial .. max, doubling) a new one connects and says HELLO again; after WELCOME the
// whole outbox is resent. DONE goes out only when every batch of the lease is acknowledged.
// libzmq's own quick reconnects stop after a failed handshake (a listener that is not a
// coordinator), so such a port is hit at the worker's backoff pace, not every 100 ms.
//
// Failures: the error's kind (common/error.h) decides. FAILED with retryable=false for input
// errors, wherever in the shard they happen (model or suite file missing or invalid, model id or
// suite content hash different from the task's, bad engine config, unknown strategy, a few-shot
// count larger than the pool, a prompt the model cannot hold); retryable=true for resource and
// internal errors (the coordinator bounds attempts). The error text starts with the kind
// ("input error: ...") and reaches the report as the poisoned shard's reason.
//
// Stopping: RequestStop() (async-signal-safe; cmd_worker calls it on SIGTERM/SIGINT) stops the
// shard after its current item, flushes its results and waits up to drain_ms for their ACKs,
// then sends BYE and returns 0. SHUTDOWN returns 0 at once; REFUSE returns kExitRefused.
//
// Not here: scheduling (the coordinator), CURVE key generation (`gapbench coordinator
// --make-keys`), signal handler installation (cli/cmd_worker.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace gapbench::worker {

inline constexpr int kExitRefused = 3;

struct WorkerOptions {
  std::string connect;              // e.g. tcp://127.0.0.1:5555
  std::string name;                 // "" = host:pid
  std::string version = "unknown";  // gapbench version announced in HELLO
  int threads = 0;                  // engine threads; 0 = all hardware threads
  int64_t memory_budget = 0;        // model weight bytes kept loaded; 0 = DefaultMemoryBudget()
  // Folder with client.key, client.key_secret and server.key (Z85, docs/PROTOCOL.md "CURVE");
  // "" = plain TCP.
  std::string curve_keys_dir;
  // Until WELCOME says otherwise (then the coordinator's values apply).
  int heartbeat_ms = 1000;
  int liveness = 3;
  int initial_backoff_ms = 1000;  // reconnect backoff doubles from here ...
  int max_backoff_ms = 32000;     // ... up to here
  int batch_items = 16;      // RESULTS batch: at most this many items (and WELCOME's max_batch)
  int batch_ms = 1000;       // ... or whatever finished within this long
  int drain_ms = 10000;      // on stop: how long to wait for outstanding ACKs
  int sandbox_parallel = 2;  // code completions run at once
  double sandbox_timeout_s = 10.0;
  // Receives progress lines (no trailing newline); default: stderr with "gapbench worker: ".
  std::function<void(const std::string&)> log;
};

class Worker {
 public:
  // Error on bad options (empty endpoint, a tcp port outside 1..65535, a host name that does not
  // exist, unreadable CURVE key files).
  explicit Worker(WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves until SHUTDOWN (0), REFUSE (kExitRefused) or RequestStop (0, after the drain). Call
  // once.
  int Run();

  // Async-signal-safe and thread-safe.
  void RequestStop() { stop_.store(true); }

 private:
  class Impl;
  std::atomic<bool> stop_{false};
  std::unique_ptr<Impl> impl_;
};

}  // namespace gapbench::worker
