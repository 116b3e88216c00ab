// SVG plotter (see svg_chart.h).
#include "reports/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace gapbench::reports {
namespace {

constexpr double kWidth = 720, kHeight = 340;
constexpr double kLeft = 64, kRight = 16, kTop = 36, kBottomCat = 110, kBottomNum = 52;
constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string F(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Tick(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// "Nice" ticks over [lo, hi]: steps of 1, 2 or 5 × 10^k, about five of them.
std::vector<double> NiceTicks(double lo, double hi) {
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> out;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return out;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string SvgChart(const ChartSpec& spec) {
  const bool cat = spec.x_axis == XAxis::kCategorical;
  const double bottom = cat ? kBottomCat : kBottomNum;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - bottom;

  auto xv = [&](double x) { return spec.x_axis == XAxis::kLog10 ? std::log10(x) : x; };
  double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = -1e300;
  for (const auto& s : spec.series) {
    for (const auto& p : s.points) {
      if (spec.x_axis == XAxis::kLog10 && !(p.x > 0)) continue;
      x_lo = std::min(x_lo, xv(p.x));
      x_hi = std::max(x_hi, xv(p.x));
      y_lo = std::min(y_lo, p.ci ? std::min(p.y, p.ci->lo) : p.y);
      y_hi = std::max(y_hi, p.ci ? std::max(p.y, p.ci->hi) : p.y);
    }
  }
  if (cat) {
    x_lo = -0.5;
    x_hi = static_cast<double>(std::max<size_t>(spec.categories.size(), 1)) - 0.5;
  }
  if (x_lo > x_hi) x_lo = 0, x_hi = 1;
  if (x_lo == x_hi) x_lo -= 0.5, x_hi += 0.5;
  if (!cat) {  // a margin so end points are not on the frame
    const double pad = (x_hi - x_lo) * 0.05;
    x_lo -= pad;
    x_hi += pad;
  }
  if (spec.y_min) y_lo = *spec.y_min;
  if (spec.y_max) y_hi = *spec.y_max;
  if (spec.zero_line) y_lo = std::min(y_lo, 0.0), y_hi = std::max(y_hi, 0.0);
  if (y_lo > y_hi) y_lo = 0, y_hi = 1;
  if (y_lo == y_hi) y_lo -= 0.5, y_hi += 0.5;
  if (!spec.y_min || !spec.y_max) {
    const double pad = (y_hi - y_lo) * 0.05;
    if (!spec.y_min) y_lo -= pad;
    if (!spec.y_max) y_hi += pad;
  }
  auto px = [&](double x) { return kLeft + (xv(x) - x_lo) / (x_hi - x_lo) * pw; };
  auto pxc = [&](double x) { return kLeft + (x - x_lo) / (x_hi - x_lo) * pw; };
  auto py = [&](double y) { return kTop + (y_hi - y) / (y_hi - y_lo) * ph; };

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"" << HtmlEscape(spec.id)
    << "\" viewBox=\"0 0 " << F(kWidth) << ' ' << F(kHeight) << "\" width=\"" << F(kWidth)
    << "\" height=\"" << F(kHeight) << "\" role=\"img\" aria-label=\"" << HtmlEscape(spec.title)
    << "\">\n";
  o << "<title>" << HtmlEscape(spec.title) << "</title>\n";
  o << "<text class=\"ct\" x=\"" << F(kLeft) << "\" y=\"20\">" << HtmlEscape(spec.title)
    << "</text>\n";
  o << "<rect class=\"frame\" x=\"" << F(kLeft) << "\" y=\"" << F(kTop) << "\" width=\"" << F(pw)
    << "\" height=\"" << F(ph) << "\"/>\n";
  for (double t : NiceTicks(y_lo, y_hi)) {
    o << "<line class=\"grid\" x1=\"" << F(kLeft) << "\" x2=\"" << F(kLeft + pw) << "\" y1=\""
      << F(py(t)) << "\" y2=\"" << F(py(t)) << "\"/><text class=\"yt\" x=\"" << F(kLeft - 6)
      << "\" y=\"" << F(py(t) + 4) << "\">" << Tick(t) << "</text>\n";
  }
  if (spec.zero_line) {
    o << "<line class=\"zero\" x1=\"" << F(kLeft) << "\" x2=\"" << F(kLeft + pw) << "\" y1=\""
      << F(py(0)) << "\" y2=\"" << F(py(0)) << "\"/>\n";
  }
  if (cat) {
    for (size_t i = 0; i < spec.categories.size(); ++i) {
      const double x = pxc(static_cast<double>(i));
      o << "<text class=\"xc\" transform=\"translate(" << F(x) << ',' << F(kTop + ph + 10)
        << ") rotate(35)\">" << HtmlEscape(spec.categories[i]) << "</text>\n";
    }
  } else {
    for (double t : NiceTicks(x_lo, x_hi)) {
      const double x = pxc(t);
      const std::string label = spec.x_axis == XAxis::kLog10 ? Tick(std::pow(10.0, t)) : Tick(t);
      o << "<text class=\"xt\" x=\"" << F(x) << "\" y=\"" << F(kTop + ph + 16) << "\">" << label
        << "</text>\n";
    }
    o << "<text class=\"al\" x=\"" << F(kLeft + pw / 2) << "\" y=\"" << F(kHeight - 8) << "\">"
      << HtmlEscape(spec.x_label) << "</text>\n";
  }
  o << "<text class=\"al\" transform=\"translate(14," << F(kTop + ph / 2) << ") rotate(-90)\">"
    << HtmlEscape(spec.y_label) << "</text>\n";

  // Series: categorical charts with several series spread them across the category slot.
  const size_t ns = spec.series.size();
  for (size_t si = 0; si < ns; ++si) {
    const auto& s = spec.series[si];
    const char* colour = kPalette[si % std::size(kPalette)];
    const double offset =
        cat && ns > 1 ? (static_cast<double>(si) - (ns - 1) / 2.0) * 0.6 / ns : 0.0;
    auto sx = [&](double x) { return cat ? pxc(x + offset) : px(x); };
    o << "<g class=\"series\" data-series=\"" << HtmlEscape(s.name) << "\" stroke=\"" << colour
      << "\" fill=\"" << colour << "\">\n";
    if (s.line && s.points.size() > 1) {
      o << "<polyline fill=\"none\" points=\"";
      for (size_t i = 0; i < s.points.size(); ++i) {
        if (spec.x_axis == XAxis::kLog10 && !(s.points[i].x > 0)) continue;
        o << (i ? " " : "") << F(sx(s.points[i].x)) << ',' << F(py(s.points[i].y));
      }
      o << "\"/>\n";
    }
    for (const auto& p : s.points) {
      if (spec.x_axis == XAxis::kLog10 && !(p.x > 0)) continue;
      const double x = sx(p.x);
      if (p.ci) {
        o << "<line class=\"whisker\" x1=\"" << F(x) << "\" x2=\"" << F(x) << "\" y1=\""
          << F(py(p.ci->lo)) << "\" y2=\"" << F(py(p.ci->hi)) << "\"/>";
        o << "<line class=\"whisker\" x1=\"" << F(x - 4) << "\" x2=\"" << F(x + 4) << "\" y1=\""
          << F(py(p.ci->lo)) << "\" y2=\"" << F(py(p.ci->lo)) << "\"/>";
        o << "<line class=\"whisker\" x1=\"" << F(x - 4) << "\" x2=\"" << F(x + 4) << "\" y1=\""
          << F(py(p.ci->hi)) << "\" y2=\"" << F(py(p.ci->hi)) << "\"/>";
      }
      o << "<circle class=\"pt" << (p.highlight ? " hi" : "") << "\" cx=\"" << F(x) << "\" cy=\""
        << F(py(p.y)) << "\" r=\"" << (p.highlight ? "5" : "3.5") << "\"><title>"
        << HtmlEscape(p.tooltip) << "</title></circle>\n";
    }
    o << "</g>\n";
  }
  // Legend (top right, one row per named series).
  double ly = kTop + 12;
  for (size_t si = 0; si < ns; ++si) {
    if (spec.series[si].name.empty()) continue;
    const char* colour = kPalette[si % std::size(kPalette)];
    o << "<rect x=\"" << F(kLeft + pw - 170) << "\" y=\"" << F(ly - 8) << "\" width=\"10\" "
      << "height=\"10\" fill=\"" << colour << "\"/><text class=\"lg\" x=\"" << F(kLeft + pw - 155)
      << "\" y=\"" << F(ly + 1) << "\">" << HtmlEscape(spec.series[si].name) << "</text>\n";
    ly += 15;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace gapbench::reports
