// `gapbench run SWEEP.json`: the distributed runtime on one machine. Runs a coordinator on a
// thread of this process (results database DIR/results.sqlite) and N `gapbench worker` child
// processes connected to it over loopback, shows progress (a live bar on a terminal, plain lines
// otherwise), restarts workers that die, and writes the report into DIR when the sweep is done.
// Re-running the same command resumes: finished shards are never re-run.
//
// Not here: scheduling and persistence (coordinator/), shard execution (worker/), report
// rendering (`gapbench report`, run as a child process at the end).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cli/args.h"
#include "cli/build_info.h"
#include "cli/commands.h"
#include "cli/default_sweep.h"
#include "common/error.h"
#include "common/progress.h"
#include "coordinator/endpoint.h"
#include "coordinator/http_server.h"
#include "coordinator/server.h"

namespace gapbench::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench run",
      .positionals = "[SWEEP.json]",
      .min_positionals = 0,
      .max_positionals = 1,
      .summary =
          "Runs the sweep on this machine: a coordinator plus N worker processes (default 2).\n"
          "Results go to DIR/results.sqlite (default DIR: runs/<sweep file name>), worker logs to\n"
          "DIR/logs/, and the report (results.json, items.jsonl, report.md, index.html) to DIR.\n"
          "Re-running the same command resumes where it stopped (a finished sweep starts no\n"
          "worker and only gets its report rewritten). One run or coordinator per database.\n"
          "Without SWEEP.json it runs the bundled default sweep (the model zoo on the synthetic\n"
          "world; docs/ZOO.md) into ./gapbench-out: examples/default-sweep.json, looked for\n"
          "next to the executable (<exe>/../../examples/, <exe>/../share/gapbench/) and then in\n"
          "the source tree it was built from; the one used is printed.",
      .options = {{"workers", "N", "worker processes (default 2)"},
                  {"out", "DIR",
                   "the run directory (default runs/<sweep file name>; ./gapbench-out for the "
                   "bundled default sweep)"},
                  {"threads", "N", "engine threads per worker (default: cores / workers)"},
                  {"bind", "tcp://127.0.0.1:0", "the coordinator's ZeroMQ endpoint (loopback)"},
                  {"http", "HOST:PORT", "serve /healthz, /status and /metrics"},
                  {"heartbeat-ms", "N", "heartbeat interval (default 1000)"},
                  {"lease-ms", "N", "a worker without progress this long loses its shard"},
                  {"max-attempts", "N", "leases per shard before it is poison (default 3)"},
                  {"no-report", "", "do not write the report at the end"}},
      .notes =
          "Exit: 0 when every shard finished, 1 when some shards failed for good (poison; see\n"
          "the report and DIR/logs), 2 on bad input (options, the sweep), 130 when "
          "interrupted.",
  };
  return kSpec;
}

std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted.store(true); }

struct WorkerProc {
  std::string name;
  pid_t pid = -1;
  bool exited = false;
  int status = 0;
};

pid_t Spawn(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Everything the child needs is prepared before fork: the coordinator thread is running, so the
  // child may only make async-signal-safe calls until exec.
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) Fail(log.string(), ": cannot open the log file");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    Fail("gapbench run: cannot start a process (fork failed)");
  }
  if (pid == 0) {
    // Own process group: a Ctrl-C reaches the workers through us (SIGTERM, a clean return of
    // their shards), not straight from the terminal mid-item. If we die, so do they.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv("/proc/self/exe", args.data());
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

void DrawProgress(ProgressLine& line, const coordinator::StatusSnapshot& s, size_t workers_alive,
                  bool final_line) {
  line.Draw(s.items_done, s.items_total,
            StrCat("workers ", workers_alive, "  failed ", s.items_failed), final_line,
            s.items_per_s, s.eta_s);
}

}  // namespace

int CmdRun(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const bool bundled = args.positionals().empty();
  const std::string sweep_path =
      bundled ? FindDefaultSweep().string() : std::string(args.positionals()[0]);
  if (bundled) {
    std::fprintf(stderr,
                 "gapbench run: no sweep file given; running the bundled default sweep %s\n",
                 sweep_path.c_str());
  }
  if (!fs::exists(sweep_path)) Fail(sweep_path, ": no such sweep file");
  if (fs::is_directory(sweep_path)) Fail(sweep_path, ": is a directory, expected a sweep file");
  const int n_workers = static_cast<int>(args.GetInt("workers", 2, 1, 1024));
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const int threads = static_cast<int>(
      args.GetInt("threads", std::max<int64_t>(1, hw / static_cast<unsigned>(n_workers)), 1, 1024));
  coordinator::CoordinatorOptions co;
  co.bind = args.Get("bind").value_or("tcp://127.0.0.1:0");
  co.http = args.Get("http").value_or("");
  // Before anything is created (exit 2): a port libzmq would wrap, a bind beyond loopback (the
  // workers are local; no CURVE here).
  coordinator::CheckCoordinatorBind(co.bind, /*curve=*/false, /*insecure=*/false);
  if (!co.http.empty()) coordinator::ParseHostPort(co.http, "--http");
  const fs::path out = args.Get("out").value_or(
      bundled ? "gapbench-out" : (fs::path("runs") / fs::path(sweep_path).stem()).string());
  CheckOutputDir(out.string(), "--out");
  fs::create_directories(out / "logs");

  co.db_path = (out / "results.sqlite").string();
  co.heartbeat_ms = args.GetInt("heartbeat-ms", 1000, 10, 600000);
  co.lease_ms = args.GetInt("lease-ms", co.lease_ms, 100, INT64_MAX / 4);
  co.max_attempts = args.GetInt("max-attempts", 3, 1, 1000);
  co.exit_when_done = true;
  co.version = BuildVersion();
  co.git_commit = BuildCommit();
  const bool tty = ::isatty(2) != 0;
  co.log_events = false;  // the bar owns the terminal; events are in the database

  coordinator::Coordinator coord(co);
  const coordinator::RegisterResult reg = coord.AddSweep(sweep_path);
  std::fprintf(stderr, "gapbench run: sweep %s %s (%lld new shards); results in %s\n",
               reg.sweep_id.c_str(), reg.already_queued ? "resumed" : "queued",
               static_cast<long long>(reg.new_shards), co.db_path.c_str());
  if (coord.http_port() != 0) {
    std::fprintf(stderr, "gapbench run: status at http://%s/status\n", co.http.c_str());
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::atomic<bool> stop{false};
  bool all_done = false;
  std::string run_error;
  std::thread server([&] {
    try {
      all_done = coord.Run(stop);
    } catch (const std::exception& e) {
      run_error = e.what();
    }
    stop.store(true);
  });

  std::vector<WorkerProc> workers;
  // On any early exit (an exception from Spawn or Status), stop the coordinator thread and the
  // workers instead of leaving a joinable thread behind (std::terminate).
  struct Cleanup {
    std::atomic<bool>& stop;
    std::thread& server;
    std::vector<WorkerProc>& workers;
    ~Cleanup() {
      for (auto& w : workers) {
        if (!w.exited) {
          ::kill(w.pid, SIGKILL);
          ::waitpid(w.pid, nullptr, 0);
          w.exited = true;
        }
      }
      stop.store(true);
      if (server.joinable()) server.join();
    }
  } cleanup{stop, server, workers};

  const std::string endpoint = coord.endpoint();
  auto worker_argv = [&](const std::string& name) {
    return std::vector<std::string>{"gapbench",       "worker",
                                    "--connect",      endpoint,
                                    "--threads",      std::to_string(threads),
                                    "--name",         name,
                                    "--heartbeat-ms", std::to_string(co.heartbeat_ms)};
  };
  // A finished sweep (re-run of the same command) needs no workers: the coordinator returns at
  // once and only the report is written again.
  const bool already_complete = coord.Status().all_complete;
  if (already_complete) {
    std::fprintf(stderr, "gapbench run: every shard is already done; rewriting the report\n");
  }
  for (int i = 0; i < (already_complete ? 0 : n_workers); ++i) {
    WorkerProc w;
    w.name = StrCat("local-", i);
    w.pid = Spawn(worker_argv(w.name), out / "logs" / (w.name + ".log"));
    workers.push_back(w);
  }
  if (!already_complete) {
    std::fprintf(stderr, "gapbench run: %d workers × %d threads on %s (logs in %s)\n", n_workers,
                 threads, endpoint.c_str(), (out / "logs").c_str());
  }

  int restarts = 0;
  const int max_restarts = 3 * n_workers;
  ProgressLine progress("gapbench run");
  while (!stop.load()) {
    if (g_interrupted.load()) break;
    size_t alive = 0;
    for (auto& w : workers) {
      if (w.exited) continue;
      int st = 0;
      if (::waitpid(w.pid, &st, WNOHANG) == w.pid) {
        w.exited = true;
        w.status = st;
        const bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!clean && !stop.load() && restarts < max_restarts) {
          ++restarts;
          std::fprintf(stderr, "%sgapbench run: worker %s ended (%s); restarting it (%d/%d)\n",
                       tty ? "\n" : "", w.name.c_str(),
                       WIFSIGNALED(st) ? StrCat("signal ", WTERMSIG(st)).c_str()
                                       : StrCat("exit ", WEXITSTATUS(st)).c_str(),
                       restarts, max_restarts);
          w.pid = Spawn(worker_argv(w.name), out / "logs" / (w.name + ".log"));
          w.exited = false;
        }
      }
      if (!w.exited) ++alive;
    }
    if (alive == 0 && !workers.empty() && !stop.load()) {
      // After a complete sweep the workers leave on SHUTDOWN while the coordinator still answers
      // late peers for its grace period: wait for it rather than report a failure.
      if (coord.Status().all_complete) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      std::fprintf(stderr, "\ngapbench run: every worker has stopped (see %s)\n",
                   (out / "logs").c_str());
      break;
    }
    DrawProgress(progress, coord.Status(), alive, false);  // throttled by the line
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Reap the workers while the coordinator still serves, so their BYE and last RESULTS are
  // stored: after a complete sweep they got SHUTDOWN; otherwise (Ctrl-C, every worker gone, the
  // coordinator failed) they are asked to return their shards.
  const bool coordinator_done = stop.load();
  for (auto& w : workers) {
    if (!w.exited && !(coordinator_done && all_done)) ::kill(w.pid, SIGTERM);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  // A worker that was not connected when SHUTDOWN left (just started or restarted) never gets
  // it: after a short grace it is asked to stop instead of waiting for the SIGKILL deadline.
  const auto term_at = Clock::now() + std::chrono::seconds(2);
  for (auto& w : workers) {
    bool termed = !(coordinator_done && all_done);
    while (!w.exited) {
      int st = 0;
      if (::waitpid(w.pid, &st, WNOHANG) == w.pid) {
        w.exited = true;
        break;
      }
      if (!termed && Clock::now() > term_at) {
        ::kill(w.pid, SIGTERM);
        termed = true;
      }
      if (Clock::now() > deadline) {
        ::kill(w.pid, SIGKILL);
        ::waitpid(w.pid, &st, 0);
        w.exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  stop.store(true);
  server.join();
  const coordinator::StatusSnapshot final_status = coord.Status();
  DrawProgress(progress, final_status, 0, true);
  if (!run_error.empty()) Fail("gapbench run: the coordinator stopped: ", run_error);
  if (!all_done) {
    std::fprintf(stderr,
                 "gapbench run: stopped before the sweep finished; %lld/%lld items are stored in "
                 "%s. Run the same command again to resume.\n",
                 static_cast<long long>(final_status.items_done),
                 static_cast<long long>(final_status.items_total), co.db_path.c_str());
    return g_interrupted.load() ? 130 : 1;
  }

  if (!args.Has("no-report")) {
    std::fprintf(stderr, "gapbench run: writing the report into %s\n", out.c_str());
    const pid_t pid = Spawn({"gapbench", "report", out.string(), "--out", out.string()},
                            out / "logs" / "report.log");
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0) {
      if (errno != EINTR) Fail("gapbench run: lost track of the report process");
    }
    if (g_interrupted.load()) {
      std::fprintf(stderr,
                   "gapbench run: interrupted while writing the report; the results are "
                   "safe in %s (gapbench report %s)\n",
                   co.db_path.c_str(), out.c_str());
      return 130;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      Fail("gapbench run: the sweep finished but writing the report failed (see ",
           (out / "logs" / "report.log").string(), "); the results are safe in ", co.db_path);
    }
    std::printf("%s\n%s\n%s\n%s\n", (out / "report.md").c_str(), (out / "results.json").c_str(),
                (out / "items.jsonl").c_str(), (out / "index.html").c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "gapbench run: the report is %s (open %s in a browser)\n",
                 (out / "report.md").c_str(), (out / "index.html").c_str());
  }
  if (final_status.shards_poisoned > 0 || final_status.items_failed > 0) {
    std::fprintf(stderr,
                 "gapbench run: %lld shards failed for good (%lld items); see the report and %s\n",
                 static_cast<long long>(final_status.shards_poisoned),
                 static_cast<long long>(final_status.items_failed), (out / "logs").c_str());
    return 1;
  }
  return 0;
}

}  // namespace gapbench::cli
