// gapbench worker: joins a coordinator and runs the shards it hands out (worker/worker.h,
// docs/WORKER.md). SIGTERM or SIGINT drain it: the current item finishes, its results are flushed
// and acknowledged (bounded wait), BYE is sent and the process exits 0; a second signal kills it.
#include <csignal>
#include <cstdio>

#include "cli/args.h"
#include "cli/build_info.h"
#include "cli/commands.h"
#include "common/error.h"
#include "coordinator/endpoint.h"
#include "worker/model_cache.h"
#include "worker/worker.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench worker",
      .summary =
          "Connects to a coordinator (started before or after the worker) and runs the shards it\n"
          "assigns until the coordinator says SHUTDOWN or the process gets SIGTERM/SIGINT.",
      .options =
          {{"connect", "tcp://HOST:5555", "the coordinator's endpoint", true},
           {"threads", "N", "engine threads (default: all cores)"},
           {"name", "S", "name shown by the coordinator (default HOST:PID)"},
           {"memory-budget", "BYTES|4G", "model weights kept loaded between shards (half the RAM)"},
           {"curve-keys", "DIR", "client.key, client.key_secret, server.key (docs/PROTOCOL.md)"},
           {"heartbeat-ms", "N", "heartbeat interval until the coordinator sets its own (1000)"},
           {"max-backoff-ms", "N",
            "longest wait between reconnection attempts (32000; also for a port where something "
            "that is not a coordinator listens)"},
           {"drain-ms", "N", "on SIGTERM, how long to wait for results to be acknowledged"},
           {"parallel", "N", "code completions run at once in the sandbox (2)"},
           {"timeout", "S", "seconds per code completion in the sandbox (10)"}},
      .notes =
          "Exit status: 0 after SHUTDOWN or a signal, 3 when the coordinator refuses the\n"
          "worker, 2 on bad options (a --connect port outside 1..65535 or a host that does not\n"
          "exist included: retrying could never help).",
  };
  return kSpec;
}

std::atomic<worker::Worker*> g_worker{nullptr};

extern "C" void OnStopSignal(int) {
  if (worker::Worker* w = g_worker.load()) w->RequestStop();
}

}  // namespace

int CmdWorker(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  worker::WorkerOptions o;
  o.connect = args.Require("connect");
  // A port libzmq would wrap, or a host that does not exist, would otherwise be retried forever.
  coordinator::CheckResolvable(coordinator::ParseEndpoint(o.connect, "--connect", false),
                               "--connect");
  o.threads = static_cast<int>(args.GetInt("threads", 0, 0, 4096));
  o.name = args.Get("name").value_or("");
  if (auto b = args.Get("memory-budget"))
    o.memory_budget = worker::ParseByteSize(*b, "--memory-budget");
  o.curve_keys_dir = args.Get("curve-keys").value_or("");
  o.heartbeat_ms = static_cast<int>(args.GetInt("heartbeat-ms", 1000, 10, 600000));
  o.max_backoff_ms = static_cast<int>(args.GetInt("max-backoff-ms", 32000, 1, 3600000));
  o.initial_backoff_ms = std::min(1000, o.max_backoff_ms);
  o.drain_ms = static_cast<int>(args.GetInt("drain-ms", 10000, 0, 3600000));
  o.sandbox_parallel = static_cast<int>(args.GetInt("parallel", 2, 1, 256));
  o.sandbox_timeout_s = args.GetDouble("timeout", 10.0);
  if (!(o.sandbox_timeout_s > 0)) Fail("--timeout must be positive");
  o.version = BuildVersion();

  worker::Worker w(std::move(o));
  g_worker.store(&w);
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sa.sa_flags = SA_RESETHAND;  // a second signal takes the default action (terminates)
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const int rc = w.Run();
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  g_worker.store(nullptr);
  return rc;
}

}  // namespace gapbench::cli
