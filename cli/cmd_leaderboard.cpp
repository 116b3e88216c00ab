// `gapbench leaderboard RUN_DIR... --out DIR`: several runs merged into one leaderboard (the same
// four files as `gapbench report`; merge rules in reports/leaderboard.h and docs/REPORTS.md).
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "reports/gap_metrics.h"
#include "reports/leaderboard.h"
#include "reports/report_writer.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench leaderboard RUN_DIR|RESULTS.sqlite... --out DIR\n"
    "  merges the runs (the first listed wins where two hold the same item) and writes\n"
    "  results.json, items.jsonl, report.md and index.html into DIR\n";

}  // namespace

int CmdLeaderboard(const Argv& argv) {
  Args args("gapbench leaderboard", argv, {"out", "confidence"}, {});
  if (args.help() || args.positionals().empty() || !args.Has("out")) {
    std::fputs(kUsage, args.help() ? stdout : stderr);
    return args.help() ? 0 : 2;
  }
  reports::MetricsOptions options;
  options.confidence = args.GetDouble("confidence", 0.95);
  if (!(options.confidence > 0 && options.confidence < 1)) {
    Fail("gapbench leaderboard: --confidence must be in (0, 1), got ", options.confidence);
  }
  const auto run = reports::LoadLeaderboard(args.positionals());
  const auto metrics = reports::ComputeMetrics(run, options);
  const auto files =
      reports::WriteReportFiles(run, metrics, args.Require("out"), "gapbench leaderboard");
  std::printf("leaderboard: %zu runs, %zu groups\n", args.positionals().size(), run.groups.size());
  for (const auto& f : files.written) std::printf("  %s\n", f.c_str());
  return 0;
}

}  // namespace gapbench::cli
