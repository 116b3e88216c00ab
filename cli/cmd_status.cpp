// `gapbench status --http HOST:PORT [--json] [--timeout S]`: asks a running coordinator for its
// /status and prints a readable summary (sweeps with shards by state and items, workers, items/s,
// ETA) or, with --json, the JSON document itself (checked first). Exit 1 with a message naming
// the address when the coordinator cannot be reached, answers with an HTTP error or with
// something that is not a status document.
// Not here: the coordinator's own progress bar (`gapbench run`), Prometheus (/metrics).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/progress.h"
#include "coordinator/http_server.h"
#include "coordinator/status.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench status",
      .summary =
          "Asks a running coordinator (started with --http) how its sweeps are going:\n"
          "items done / total, items/s, ETA, shards by state per sweep, workers.",
      .options = {{"http", "HOST:PORT", "the coordinator's HTTP address (e.g. 127.0.0.1:8080)",
                   true},
                  {"json", "", "print the coordinator's /status JSON instead of the summary"},
                  {"timeout", "S", "give up after S seconds (default 5)"}},
  };
  return kSpec;
}

std::string Percent(int64_t done, int64_t total) {
  if (total <= 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.1f%%)", 100.0 * static_cast<double>(done) / total);
  return buf;
}

// Shards in the order a reader wants them, then any other state the coordinator reports.
std::string ShardStates(const coordinator::SweepStatus& sw) {
  std::string out;
  auto add = [&](const std::string& state, int64_t n) {
    if (!out.empty()) out += ", ";
    out += StrCat(n, " ", state);
  };
  const char* kOrder[] = {"done", "running", "pending", "poison"};
  for (const char* state : kOrder) {
    const auto it = sw.shards_by_state.find(state);
    add(state, it == sw.shards_by_state.end() ? 0 : it->second);
  }
  for (const auto& [state, n] : sw.shards_by_state) {
    bool known = false;
    for (const char* k : kOrder) known = known || state == k;
    if (!known) add(state, n);
  }
  return out;
}

void PrintSummary(const std::string& url, const coordinator::StatusSnapshot& s) {
  std::printf("coordinator %s  gapbench %s  up %s\n", url.c_str(),
              s.version.empty() ? "?" : s.version.c_str(), FormatDuration(s.uptime_s).c_str());
  std::printf("items %lld/%lld%s  %.2f items/s  ETA %s", static_cast<long long>(s.items_done),
              static_cast<long long>(s.items_total), Percent(s.items_done, s.items_total).c_str(),
              std::isfinite(s.items_per_s) ? s.items_per_s : 0.0,
              s.all_complete ? "done" : FormatDuration(s.eta_s).c_str());
  if (s.items_failed > 0) std::printf("  failed %lld", static_cast<long long>(s.items_failed));
  std::printf("\n");

  std::printf("sweeps: %zu\n", s.sweeps.size());
  for (const auto& sw : s.sweeps) {
    std::printf("  %s [%s] priority %lld: items %lld/%lld%s; shards %s of %lld%s\n",
                sw.name.c_str(), sw.id.c_str(), static_cast<long long>(sw.priority),
                static_cast<long long>(sw.items_done), static_cast<long long>(sw.items_total),
                Percent(sw.items_done, sw.items_total).c_str(), ShardStates(sw).c_str(),
                static_cast<long long>(sw.shards_total), sw.complete ? "; complete" : "");
  }

  std::map<std::string, int> by_state;
  for (const auto& w : s.workers) ++by_state[w.state];
  std::string states;
  for (const auto& [state, n] : by_state)
    states += StrCat(states.empty() ? "" : ", ", n, " ", state);
  std::printf("workers: %zu%s\n", s.workers.size(),
              states.empty() ? "" : (" (" + states + ")").c_str());
  for (const auto& w : s.workers) {
    std::string doing = w.shard.empty() ? std::string("-")
                                        : StrCat("shard ", w.shard, " (", w.items_done, " items)");
    std::printf("  %-16s %-16s %-5s %s  threads %lld  seen %.1fs ago  shards done %lld\n",
                w.name.c_str(), w.host.c_str(), w.state.c_str(), doing.c_str(),
                static_cast<long long>(w.threads), w.seconds_since_seen,
                static_cast<long long>(w.shards_completed));
  }
  if (s.all_complete) std::printf("all sweeps complete\n");
}

}  // namespace

int CmdStatus(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const auto hp = coordinator::ParseHostPort(args.Require("http"), "--http");
  const double timeout_s = args.GetDouble("timeout", 5.0);
  if (!(timeout_s > 0 && timeout_s <= 3600)) {
    Fail("gapbench status: --timeout must be in (0, 3600] seconds, got ", timeout_s);
  }
  const std::string host = hp.host.find(':') != std::string::npos ? "[" + hp.host + "]" : hp.host;
  const std::string url = StrCat("http://", host, ":", hp.port, "/status");
  coordinator::HttpResult res;
  try {
    res = coordinator::HttpGet(hp.host, hp.port, "/status",
                               std::chrono::milliseconds(std::llround(timeout_s * 1000)));
  } catch (const Error& e) {
    // The options were fine; the work (asking the coordinator) failed: exit 1, not 2.
    FailResource("cannot reach the coordinator: ", e.what(),
                 " (is `gapbench coordinator ... --http` running there?)");
  }
  if (res.status != 200) {
    std::string first = res.body.substr(0, res.body.find('\n'));
    if (first.size() > 200) first = first.substr(0, 200) + "...";
    FailResource(url, ": answered HTTP ", res.status, first.empty() ? "" : ": ", first);
  }
  coordinator::StatusSnapshot snapshot;
  try {
    snapshot = coordinator::StatusFromJson(res.body, url);
  } catch (const Error& e) {
    FailResource(e.what());  // what answered is not a coordinator: the work failed
  }
  if (args.Has("json")) {
    std::fputs(res.body.c_str(), stdout);
    if (res.body.empty() || res.body.back() != '\n') std::fputc('\n', stdout);
    return 0;
  }
  PrintSummary(StrCat("http://", host, ":", hp.port), snapshot);
  return 0;
}

}  // namespace gapbench::cli
