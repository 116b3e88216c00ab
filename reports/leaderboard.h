// Merging several runs into one leaderboard: the union of their groups, so models and
// configurations evaluated in different sweeps (or on different nights) sit in one table and one
// set of gap plots. Groups are identities as in run_data.h (setting included: a 0-shot and a
// 2-shot run of one suite stay two rows). A group present in several runs keeps every distinct
// (item, sample); when two runs hold the same one, the run listed first wins and the others count
// as duplicates — so list the newest run first to have its records shown.
//
// Not here: judging differences between runs (compare.h), rendering (markdown.h, html.h).
#pragma once

#include <string>
#include <vector>

#include "reports/run_data.h"

namespace gapbench::reports {

// Merges in the given order (see above). Sweeps, models, configurations and suites are unions by
// id / hash (first occurrence kept); shard counts add up.
RunData MergeRuns(std::vector<RunData> runs);

// Loads each path (results.sqlite or a run directory) and merges them.
RunData LoadLeaderboard(const std::vector<std::string>& paths);

}  // namespace gapbench::reports
