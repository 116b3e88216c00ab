// gapbench worker: joins a coordinator and runs the shards it hands out (worker/worker.h,
// docs/WORKER.md). SIGTERM or SIGINT drain it: the current item finishes, its results are flushed
// and acknowledged (bounded wait), BYE is sent and the process exits 0; a second signal kills it.
#include <csignal>
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "coordinator/endpoint.h"
#include "worker/model_cache.h"
#include "worker/worker.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench worker --connect tcp://HOST:5555 [--threads N] [--name S]\n"
    "         [--memory-budget BYTES|4G] [--curve-keys DIR] [--heartbeat-ms N]\n"
    "         [--max-backoff-ms N] [--drain-ms N] [--parallel N] [--timeout S]\n"
    "Connects to a coordinator (started before or after the worker) and runs the shards it\n"
    "assigns until the coordinator says SHUTDOWN or the process gets SIGTERM/SIGINT.\n"
    "  --threads N          engine threads (default: all cores)\n"
    "  --name S             name shown by the coordinator (default HOST:PID)\n"
    "  --memory-budget B    model weights kept loaded between shards (default: half the RAM)\n"
    "  --curve-keys DIR     client.key, client.key_secret, server.key (docs/PROTOCOL.md)\n"
    "  --heartbeat-ms N     heartbeat interval until the coordinator sets its own (1000)\n"
    "  --max-backoff-ms N   longest wait between reconnection attempts (32000; also for a\n"
    "                       port where something that is not a coordinator listens)\n"
    "  --drain-ms N         on SIGTERM, how long to wait for results to be acknowledged (10000)\n"
    "  --parallel N         code completions run at once in the sandbox (2)\n"
    "  --timeout S          seconds per code completion in the sandbox (10)\n"
    "Exit status: 0 after SHUTDOWN or a signal, 3 when the coordinator refuses the worker,\n"
    "2 when --connect has a port outside 1..65535 or a host that does not exist, 1 on other\n"
    "bad options.\n";

std::atomic<worker::Worker*> g_worker{nullptr};

extern "C" void OnStopSignal(int) {
  if (worker::Worker* w = g_worker.load()) w->RequestStop();
}

}  // namespace

int CmdWorker(const Argv& argv) {
  Args args("gapbench worker", argv,
            {"connect", "threads", "name", "memory-budget", "curve-keys", "heartbeat-ms",
             "max-backoff-ms", "drain-ms", "parallel", "timeout"},
            {});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals().empty()) {
    Fail("gapbench worker: unexpected argument '", args.positionals()[0], "' (see --help)");
  }
  worker::WorkerOptions o;
  o.connect = args.Require("connect");
  try {  // checked here too for the exit status: retrying could never help
    coordinator::CheckResolvable(coordinator::ParseEndpoint(o.connect, "--connect", false),
                                 "--connect");
  } catch (const Error& e) {
    std::fprintf(stderr, "gapbench worker: %s\n", e.what());
    return 2;
  }
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
  o.version = GAPBENCH_VERSION;

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
