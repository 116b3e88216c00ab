// Server-side SVG charts for the static HTML report: one small, dependency-free plotter for
// points with optional interval whiskers, optional connecting lines, a categorical, linear or
// log10 x axis and a linear y axis. Output is plain SVG text (all labels HTML-escaped),
// deterministic (fixed decimals), readable without JavaScript.
//
// Layout contract (checked in headless Chromium by tests/reports/html_chromium_slow_test.cpp):
// the SVG has a viewBox and no fixed size, so CSS scales it to its grid cell; every text stays
// inside the viewBox (margins are sized from a conservative estimate of each label's width,
// long labels are shortened with "…" and keep their full text in a <title>); the legend sits in
// its own band above the plot, never over data; point labels (ChartPoint::label) are placed
// beside their points, inside the plot, moved down when they would collide.
//
// Not here: the page around it (html.h), data selection (which chart shows what).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/stats.h"

namespace gapbench::reports {

// &, <, >, " and ' as entities: safe in element content and in quoted attributes.
std::string HtmlEscape(std::string_view text);

enum class XAxis { kCategorical, kLinear, kLog10 };

struct ChartPoint {
  double x = 0;  // the category index for kCategorical
  double y = 0;
  std::optional<Interval> ci;  // drawn as a vertical whisker
  std::string tooltip;         // <title> of the marker
  bool highlight = false;      // drawn larger and filled (e.g. on the Pareto front)
  std::string label;           // drawn beside the point ("" for none)
};

struct ChartSeries {
  std::string name;  // legend entry; "" for none
  std::vector<ChartPoint> points;
  bool line = false;  // connect points in order
};

struct ChartSpec {
  std::string id;  // element id (letters, digits, '-')
  std::string title;
  std::string x_label, y_label;
  XAxis x_axis = XAxis::kCategorical;
  std::vector<std::string> categories;  // kCategorical tick labels
  std::optional<double> y_min, y_max;   // default: from the data (and whiskers)
  bool zero_line = false;               // a horizontal rule at y = 0
  // A dashed horizontal reference line (e.g. chance accuracy) with its label.
  std::optional<double> reference_y;
  std::string reference_label;
  std::vector<ChartSeries> series;
};

std::string SvgChart(const ChartSpec& spec);

// Conservative width in px of `text` at `font_px` (DejaVu Sans / system-ui metrics rounded up;
// non-ASCII counts as a full em). Used for margins; exposed for the tests.
double EstimateTextWidth(std::string_view text, double font_px);
// `text` cut to at most `max_px` wide (estimated) with a trailing "…"; unchanged when it fits.
std::string FitText(std::string_view text, double font_px, double max_px);

}  // namespace gapbench::reports
