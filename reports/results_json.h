// results.json: the machine-readable report of one run (schema in docs/REPORTS.md, versioned by
// "schema_version"). Deterministic: the same database gives the same bytes — fixed key order,
// groups in RunData order, numbers rounded to kReportDigits significant digits (so the last bits
// of libm and of summation order cannot change a golden file), no clock, no local paths; the only
// timestamps are the sweep's own recorded started_at / ended_at.
//
// Version policy: adding a key is not a version change (readers ignore unknown keys); removing or
// renaming a key, or changing a value's meaning or type, bumps kResultsSchemaVersion.
//
// Not here: the per-item dump (items_jsonl.h), human-readable renderings (markdown.h, html.h).
#pragma once

#include <string>

#include "common/json.h"
#include "reports/gap_metrics.h"
#include "reports/run_data.h"

namespace gapbench::reports {

inline constexpr int kResultsSchemaVersion = 1;
inline constexpr int kReportDigits = 10;

// `v` rounded to kReportDigits significant digits (non-finite values unchanged).
double RoundForReport(double v);
// A rounded number, or null when not finite.
void WriteReportNumber(JsonWriter& w, double v);
// {"value": v, "se": x|null, "ci": [lo, hi]|null[, "ci_method": s][, "note": s]}
void WriteEstimate(JsonWriter& w, const Estimate& e);

// The whole document, pretty-printed (two-space indent), ending in a newline.
std::string ResultsJson(const RunData& run, const RunMetrics& metrics);

}  // namespace gapbench::reports
