// `gapbench coordinator`: serves the queued sweeps to workers over ZeroMQ and stores their results
// (docs/PROTOCOL.md); `--make-keys DIR` writes CURVE key files. SIGINT/SIGTERM stop it cleanly
// (workers keep unacknowledged results and resend them to the next coordinator on the database).
//
// Not here: the coordinator itself (coordinator/server.h), local workers (`gapbench run`).
#include <csignal>
#include <cstdio>

#include "cli/args.h"
#include "cli/build_info.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/log.h"
#include "coordinator/curve_keys.h"
#include "coordinator/endpoint.h"
#include "coordinator/http_server.h"
#include "coordinator/server.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench coordinator",
      .summary =
          "Hands the shards of the queued sweeps to `gapbench worker` processes and stores every\n"
          "result in the database before acknowledging it. Restarted on the same database it\n"
          "resumes (unfinished sweeps of the database are queued again even without --sweep).\n"
          "gapbench coordinator --make-keys DIR writes CURVE keys (secrets 0600 from their first\n"
          "byte, a new DIR 0700) and exits. Without --curve-keys every local user who can reach\n"
          "the port is trusted (may take shards, whose paths it sees, and send results for\n"
          "them): the bind must then be loopback unless --insecure is given. One coordinator\n"
          "per database (a second one is refused); the database and its -wal/-shm are 0600.",
      .options =
          {{"sweep", "SWEEP.json", "queue this sweep (repeat for more)", false, true},
           {"db", "results.sqlite", "the results database"},
           {"bind", "tcp://127.0.0.1:5555", "ZeroMQ endpoint (port 0 picks a free one)"},
           {"insecure", "", "allow a non-loopback --bind without --curve-keys (trusted networks)"},
           {"http", "HOST:PORT", "serve /healthz, /status (JSON) and /metrics (Prometheus)"},
           {"curve-keys", "DIR",
            "server.key, server.key_secret, authorized_keys/*.key: only listed workers join"},
           {"exit-when-done", "", "exit 0 once every queued sweep is complete"},
           {"heartbeat-ms", "N", "heartbeat interval (default 1000)"},
           {"liveness", "N", "heartbeats a worker may miss (default 3)"},
           {"lease-ms", "N", "a worker that heartbeats without progress this long loses its shard"},
           {"max-attempts", "N", "leases per shard before it is reported as poison (default 3)"},
           {"quiet", "", "no event log on stderr"},
           {"make-keys", "DIR",
            "write a server key pair (if missing) and a new authorized client pair"}},
      .exclusive = {{"make-keys", "db"}, {"make-keys", "sweep"}},
      .one_required = {{"db", "make-keys"}},
  };
  return kSpec;
}

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) { g_stop = true; }

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int CmdCoordinator(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::vector<std::string> sweeps = args.GetAll("sweep");
  if (const auto dir = args.Get("make-keys")) {
    const coordinator::MadeKeys made = coordinator::MakeKeys(*dir);
    std::printf("%s server key pair in %s (public %s)\n",
                made.server_created ? "made a" : "kept the", dir->c_str(),
                made.server_public.c_str());
    std::printf("made and authorized client key pair %s/client.key{,_secret} (public %s)\n",
                dir->c_str(), made.client_public.c_str());
    std::printf(
        "workers need client.key, client.key_secret and server.key: "
        "gapbench worker --curve-keys DIR ...\n");
    return 0;
  }
  coordinator::CoordinatorOptions o;
  o.db_path = args.Require("db");
  o.bind = args.Get("bind").value_or(o.bind);
  o.http = args.Get("http").value_or("");
  o.curve_keys_dir = args.Get("curve-keys").value_or("");
  o.insecure = args.Has("insecure");
  // Before anything touches the database (exit 2).
  coordinator::CheckCoordinatorBind(o.bind, !o.curve_keys_dir.empty(), o.insecure);
  if (!o.http.empty()) coordinator::ParseHostPort(o.http, "--http");
  o.heartbeat_ms = args.GetInt("heartbeat-ms", o.heartbeat_ms, 10, 600000);
  o.liveness = args.GetInt("liveness", o.liveness, 1, 1000);
  o.lease_ms = args.GetInt("lease-ms", o.lease_ms, 10, int64_t{7} * 24 * 3600 * 1000);
  o.max_attempts = args.GetInt("max-attempts", o.max_attempts, 1, 1000);
  o.exit_when_done = args.Has("exit-when-done");
  o.log_events = !args.Has("quiet");
  o.version = BuildVersion();
  o.git_commit = BuildCommit();

  InstallSignalHandlers();
  coordinator::Coordinator coordinator(o);
  for (const std::string& sweep : sweeps) {
    const coordinator::RegisterResult r = coordinator.AddSweep(sweep);
    const std::string new_shards = StrCat(r.new_shards);
    LogInfo("gapbench coordinator",
            StrCat(r.already_queued ? "resumed " : "queued ", sweep, " (", r.new_shards,
                   " new shard", r.new_shards == 1 ? "" : "s", ")"),
            {{"event", r.already_queued ? "sweep_resumed" : "sweep_queued"},
             {"sweep", sweep},
             {"new_shards", new_shards}});
  }
  const coordinator::StatusSnapshot s = coordinator.Status();
  std::printf(
      "gapbench coordinator: listening on %s (db %s; %zu sweep%s, %lld of %lld results "
      "stored)\n",
      coordinator.endpoint().c_str(), o.db_path.c_str(), s.sweeps.size(),
      s.sweeps.size() == 1 ? "" : "s", static_cast<long long>(s.items_done),
      static_cast<long long>(s.items_total));
  if (coordinator.http_port() != 0) {
    std::printf("gapbench coordinator: http on port %u (/healthz, /status, /metrics)\n",
                coordinator.http_port());
  }
  std::fflush(stdout);
  const bool complete = coordinator.Run(g_stop);
  const coordinator::StatusSnapshot end = coordinator.Status();
  const std::string done = StrCat(end.items_done), total = StrCat(end.items_total),
                    poison = StrCat(end.shards_poisoned);
  LogInfo(
      "gapbench coordinator",
      StrCat(complete ? "every sweep is complete" : "stopped", "; ", done, " of ", total,
             " results stored, ", poison, " shard", end.shards_poisoned == 1 ? "" : "s", " poison"),
      {{"event", complete ? "complete" : "stopped"},
       {"items_done", done},
       {"items_total", total},
       {"shards_poisoned", poison}});
  return 0;
}

}  // namespace gapbench::cli
