// `gapbench coordinator`: serves the queued sweeps to workers over ZeroMQ and stores their results
// (docs/PROTOCOL.md); `--make-keys DIR` writes CURVE key files. SIGINT/SIGTERM stop it cleanly
// (workers keep unacknowledged results and resend them to the next coordinator on the database).
//
// Not here: the coordinator itself (coordinator/server.h), local workers (`gapbench run`).
#include <csignal>
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "coordinator/curve_keys.h"
#include "coordinator/endpoint.h"
#include "coordinator/http_server.h"
#include "coordinator/server.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench coordinator --sweep SWEEP.json [--sweep MORE.json ...] --db results.sqlite\n"
    "         [--bind tcp://127.0.0.1:5555] [--http 127.0.0.1:8080] [--curve-keys DIR]\n"
    "         [--exit-when-done] [--heartbeat-ms 1000] [--liveness 3] [--lease-ms 600000]\n"
    "         [--max-attempts 3] [--insecure] [--quiet]\n"
    "       gapbench coordinator --make-keys DIR\n"
    "  Hands the shards of the queued sweeps to `gapbench worker` processes and stores every\n"
    "  result in the database before acknowledging it. Restarted on the same database it\n"
    "  resumes (unfinished sweeps of the database are queued again even without --sweep).\n"
    "  --bind          ZeroMQ endpoint (loopback by default; port 0 picks a free one)\n"
    "                  Without --curve-keys every local user who can reach the port is trusted\n"
    "                  (may take shards, whose paths it sees, and send results for them), and\n"
    "                  a non-loopback --bind is refused unless --insecure is given.\n"
    "  --insecure      allow a non-loopback --bind without --curve-keys (trusted networks only)\n"
    "  --http          serve /healthz, /status (JSON) and /metrics (Prometheus) on HOST:PORT\n"
    "  --curve-keys    DIR with server.key, server.key_secret and authorized_keys/*.key: only\n"
    "                  workers holding a listed key can join (docs/PROTOCOL.md)\n"
    "  --exit-when-done  exit 0 once every queued sweep is complete (workers get SHUTDOWN)\n"
    "  --lease-ms      a worker that heartbeats without progress this long loses its shard\n"
    "  --max-attempts  leases per shard before it is reported as poison\n"
    "  --make-keys DIR  write a server key pair (if missing) and a new authorized client pair\n"
    "                  (secret keys 0600 from their first byte, DIR created 0700)\n"
    "  One coordinator per database: a second one on a database in use is refused. The\n"
    "  database and its -wal/-shm files are created 0600.\n";

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
  // --sweep repeats; Args keeps one value per option, so collect them first.
  std::vector<std::string> sweeps;
  Argv rest;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--sweep") {
      if (i + 1 >= argv.size()) Fail("gapbench coordinator: option --sweep needs a value");
      sweeps.push_back(argv[++i]);
    } else if (argv[i].rfind("--sweep=", 0) == 0) {
      sweeps.push_back(argv[i].substr(8));
    } else {
      rest.push_back(argv[i]);
    }
  }
  Args args("gapbench coordinator", rest,
            {"db", "bind", "http", "curve-keys", "heartbeat-ms", "liveness", "lease-ms",
             "max-attempts", "make-keys"},
            {"exit-when-done", "quiet", "insecure"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals().empty()) {
    std::fprintf(stderr,
                 "gapbench coordinator: unexpected argument '%s' (sweeps go after --sweep)\n%s",
                 args.positionals()[0].c_str(), kUsage);
    return 2;
  }
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
  if (!args.Has("db")) {
    std::fprintf(stderr, "gapbench coordinator: --db is required\n%s", kUsage);
    return 2;
  }
  coordinator::CoordinatorOptions o;
  o.db_path = args.Require("db");
  o.bind = args.Get("bind").value_or(o.bind);
  o.http = args.Get("http").value_or("");
  o.curve_keys_dir = args.Get("curve-keys").value_or("");
  o.insecure = args.Has("insecure");
  try {  // before anything touches the database
    coordinator::CheckCoordinatorBind(o.bind, !o.curve_keys_dir.empty(), o.insecure);
    if (!o.http.empty()) coordinator::ParseHostPort(o.http, "--http");
  } catch (const Error& e) {
    std::fprintf(stderr, "gapbench coordinator: %s\n", e.what());
    return 2;
  }
  o.heartbeat_ms = args.GetInt("heartbeat-ms", o.heartbeat_ms, 10, 600000);
  o.liveness = args.GetInt("liveness", o.liveness, 1, 1000);
  o.lease_ms = args.GetInt("lease-ms", o.lease_ms, 10, int64_t{7} * 24 * 3600 * 1000);
  o.max_attempts = args.GetInt("max-attempts", o.max_attempts, 1, 1000);
  o.exit_when_done = args.Has("exit-when-done");
  o.log_events = !args.Has("quiet");
  o.version = GAPBENCH_VERSION;
  o.git_commit = GAPBENCH_GIT_COMMIT;

  InstallSignalHandlers();
  coordinator::Coordinator coordinator(o);
  for (const std::string& sweep : sweeps) {
    const coordinator::RegisterResult r = coordinator.AddSweep(sweep);
    std::fprintf(stderr, "gapbench coordinator: %s %s (%lld new shard%s)\n",
                 r.already_queued ? "resumed" : "queued", sweep.c_str(),
                 static_cast<long long>(r.new_shards), r.new_shards == 1 ? "" : "s");
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
  std::fprintf(stderr,
               "gapbench coordinator: %s; %lld of %lld results stored, %lld shard%s poison\n",
               complete ? "every sweep is complete" : "stopped",
               static_cast<long long>(end.items_done), static_cast<long long>(end.items_total),
               static_cast<long long>(end.shards_poisoned), end.shards_poisoned == 1 ? "" : "s");
  return 0;
}

}  // namespace gapbench::cli
