// `gapbench report RESULTS.sqlite|RUN_DIR [--out DIR]`: results.json, items.jsonl, report.md and
// index.html for one run (docs/REPORTS.md). The numbers come from reports/; this file only parses
// options and says where the files went.
#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "reports/gap_metrics.h"
#include "reports/report_writer.h"
#include "reports/run_data.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench report",
      .positionals = "RESULTS.sqlite|RUN_DIR",
      .min_positionals = 1,
      .max_positionals = 1,
      .summary = "Writes results.json, items.jsonl, report.md and index.html (docs/REPORTS.md).",
      .options = {{"out", "DIR",
                   "where to write (default: the run directory, or the folder of RESULTS.sqlite)"},
                  {"confidence", "C", "interval level (default 0.95)"}},
  };
  return kSpec;
}

}  // namespace

int CmdReport(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string input = args.positionals()[0];
  if (auto o = args.Get("out")) CheckOutputDir(*o, "--out");
  reports::MetricsOptions options;
  options.confidence = args.GetDouble("confidence", 0.95);
  if (!(options.confidence > 0 && options.confidence < 1)) {
    Fail("gapbench report: --confidence must be in (0, 1), got ", options.confidence);
  }
  const std::string db = reports::ResolveResultsPath(input);
  std::string out = args.Get("out").value_or("");
  if (out.empty()) {
    out = std::filesystem::is_directory(input) ? input
                                               : std::filesystem::path(db).parent_path().string();
    if (out.empty()) out = ".";
  }
  const auto run = reports::LoadRun(db);
  const auto metrics = reports::ComputeMetrics(run, options);
  const auto files = reports::WriteReportFiles(run, metrics, out, "gapbench report");
  size_t items = 0;
  for (const auto& g : run.groups) items += g.items.size();
  std::printf("report: %zu groups, %zu item records\n", run.groups.size(), items);
  for (const auto& f : files.written) std::printf("  %s\n", f.c_str());
  return 0;
}

}  // namespace gapbench::cli
