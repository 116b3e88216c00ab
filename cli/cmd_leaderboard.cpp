// `gapbench leaderboard RUN_DIR... --out DIR`: several runs merged into one leaderboard (the same
// four files as `gapbench report`; merge rules in reports/leaderboard.h and docs/REPORTS.md).
#include <cstdint>
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "reports/gap_metrics.h"
#include "reports/leaderboard.h"
#include "reports/report_writer.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench leaderboard",
      .positionals = "RUN_DIR|RESULTS.sqlite...",
      .min_positionals = 1,
      .max_positionals = SIZE_MAX,
      .summary =
          "Merges the runs (the first listed wins where two hold the same item) and writes\n"
          "results.json, items.jsonl, report.md and index.html into DIR.",
      .options = {{"out", "DIR", "where to write", true},
                  {"confidence", "C", "interval level (default 0.95)"}},
  };
  return kSpec;
}

}  // namespace

int CmdLeaderboard(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  CheckOutputDir(args.Require("out"), "--out");
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
