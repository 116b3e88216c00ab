// report.md: the run as Markdown for people and CI logs — provenance, accuracy with intervals,
// cost, the three gaps with their small-vs-large differences, the Pareto front, notes.
// Deterministic (same input, same bytes): fixed decimals, RunData order, no clock, no paths.
// Also the number formatting shared with the HTML page.
//
// Not here: machine-readable output (results_json.h).
#pragma once

#include <optional>
#include <string>

#include "reports/gap_metrics.h"
#include "reports/run_data.h"

namespace gapbench::reports {

std::string MarkdownReport(const RunData& run, const RunMetrics& metrics);

// Fixed-point with `decimals` digits ("-" when absent or not finite).
std::string FormatFixed(std::optional<double> v, int decimals = 3);
// "[lo, hi]" with 3 decimals.
std::string FormatInterval(const Interval& i, int decimals = 3);
// An estimate as "v ± z·se [lo, hi]" style: "0.350 [0.120, 0.580]" ("0.350 (no CI: note)").
std::string FormatEstimate(const Estimate& e, int decimals = 3);
// 1234567 -> "1.23 M" (k, M, G, T, P); "-" when absent.
std::string FormatSi(std::optional<double> v);

}  // namespace gapbench::reports
