// Writes the four report files of a run into a directory: results.json, items.jsonl, report.md,
// index.html (each written to a temporary name and renamed, so a reader never sees half a file).
// Shared by `gapbench report`, `gapbench leaderboard` and `gapbench run`.
//
// Not here: computing anything (gap_metrics.h) or loading (run_data.h).
#pragma once

#include <string>
#include <vector>

#include "reports/gap_metrics.h"
#include "reports/run_data.h"

namespace gapbench::reports {

struct ReportFiles {
  std::vector<std::string> written;  // full paths, in the order above
};

// Creates `out_dir` when missing. Error naming the file on any write failure.
ReportFiles WriteReportFiles(const RunData& run, const RunMetrics& metrics,
                             const std::string& out_dir, const std::string& title);

}  // namespace gapbench::reports
