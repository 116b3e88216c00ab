// index.html: one static, self-contained page (inline CSS and JS, no network, no external fonts or
// scripts) — a sortable leaderboard table (model × configuration × strategy × suite with CIs;
// click a header to sort, numeric-aware, click again to reverse) and SVG charts drawn here in C++:
// accuracy by configuration with CI whiskers, the generalisation, reasoning and knowledge gap
// plots and the accuracy-versus-cost Pareto front. All text from data is HTML-escaped.
//
// Self-test hook: opened as index.html#selftest, the page's own script sorts the table by the
// accuracy column both ways and by model, checks the orders, and records the outcome in
// <html data-selftest="pass|fail: why"> and any script errors / console.error calls in
// <html data-errors="N" data-error-log="...">, so a headless browser's --dump-dom proves the page
// works (tests/reports/html_chromium_slow_test.cpp). It also measures the layout in the DOM and
// records <html data-layout="pass|fail: ..." data-viewport="px" data-table-scrolls="yes|no">:
// nothing wider than the viewport outside the table's scroll container, every chart text inside
// its SVG, no legend over a point or whisker, one non-overlapping label per Pareto point.
//
// Layout: charts are small multiples in a CSS grid, scaled to their cells; lines beyond four per
// chart become one panel per model; multiple-choice accuracy charts show the chance level.
//
// Not here: numbers (gap_metrics.h), SVG plotting (svg_chart.h).
#pragma once

#include <string>

#include "reports/gap_metrics.h"
#include "reports/run_data.h"

namespace gapbench::reports {

struct HtmlOptions {
  std::string title = "gapbench report";
};

std::string HtmlReport(const RunData& run, const RunMetrics& metrics,
                       const HtmlOptions& options = {});

}  // namespace gapbench::reports
