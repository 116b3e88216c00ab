// SVG plotter (see svg_chart.h).
#include "reports/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace gapbench::reports {
namespace {

// viewBox units; the page scales the SVG to its grid cell (about 440-640 px wide).
constexpr double kWidth = 600, kPlotHeight = 220;
constexpr double kFont = 11, kTitleFont = 13, kSmallFont = 10;  // must match kCss in html.cpp
constexpr double kTitleBand = 28, kLegendRow = 16;
constexpr double kLegendTextMax = 220, kCatTextMax = 200, kLabelTextMax = 170, kRefTextMax = 90;
constexpr double kPi = 3.14159265358979323846;
constexpr double kBoldFactor = 1.2;  // the title is bold: DejaVu Sans Bold runs up to ~20% wider
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

double EstimateTextWidth(std::string_view text, double font_px) {
  double em = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: counted with its lead
    if (c >= 0x80) {
      em += 1.0;  // any non-ASCII character: a full em (…, −, ·, CJK)
    } else if (std::string_view("iljtfI.,:;'|!()[] ").find(static_cast<char>(c)) !=
               std::string_view::npos) {
      em += 0.42;
    } else if (std::string_view("mwMW@%").find(static_cast<char>(c)) != std::string_view::npos) {
      em += 1.02;
    } else if (std::string_view("<>=&+~#").find(static_cast<char>(c)) != std::string_view::npos) {
      em += 0.88;
    } else if (c >= 'A' && c <= 'Z') {
      em += 0.78;
    } else {
      em += 0.66;  // lower case, digits, other punctuation (DejaVu Sans: 0.52-0.64)
    }
  }
  return em * font_px;
}

std::string FitText(std::string_view text, double font_px, double max_px) {
  if (EstimateTextWidth(text, font_px) <= max_px) return std::string(text);
  const double ellipsis = EstimateTextWidth("\xE2\x80\xA6", font_px);
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;  // whole UTF-8 sequences only
    while (i + len < text.size() && (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) {
      ++len;
    }
    if (EstimateTextWidth(out + std::string(text.substr(i, len)), font_px) + ellipsis > max_px) {
      break;
    }
    out += text.substr(i, len);
    i += len;
  }
  return out + "\xE2\x80\xA6";
}

std::string SvgChart(const ChartSpec& spec) {
  const bool cat = spec.x_axis == XAxis::kCategorical;
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
  if (spec.reference_y)
    y_lo = std::min(y_lo, *spec.reference_y), y_hi = std::max(y_hi, *spec.reference_y);
  if (y_lo > y_hi) y_lo = 0, y_hi = 1;
  if (y_lo == y_hi) y_lo -= 0.5, y_hi += 0.5;
  if (!spec.y_min || !spec.y_max) {
    const double pad = (y_hi - y_lo) * 0.05;
    if (!spec.y_min) y_lo -= pad;
    if (!spec.y_max) y_hi += pad;
  }
  const std::vector<double> y_ticks = NiceTicks(y_lo, y_hi);
  const std::vector<double> x_ticks = cat ? std::vector<double>{} : NiceTicks(x_lo, x_hi);
  auto x_tick_label = [&](double t) {
    return spec.x_axis == XAxis::kLog10 ? Tick(std::pow(10.0, t)) : Tick(t);
  };

  // ---- layout, in viewBox units (the page scales the whole SVG to its grid cell) ----
  const size_t n_cat = spec.categories.size();
  double width = kWidth;
  // Legend band under the title: entries left to right, wrapped.
  struct LegendEntry {
    size_t series;
    std::string text;
    double x, y;
  };
  std::vector<LegendEntry> legend;
  double lx = 8, ly = kTitleBand;
  for (size_t si = 0; si < spec.series.size(); ++si) {
    if (spec.series[si].name.empty()) continue;
    const std::string text = FitText(spec.series[si].name, kFont, kLegendTextMax);
    const double w = 14 + EstimateTextWidth(text, kFont) + 14;
    if (lx > 8 && lx + w > width - 8) lx = 8, ly += kLegendRow;
    legend.push_back({si, text, lx, ly});
    lx += w;
  }
  const double top = legend.empty() ? kTitleBand + 6 : ly + kLegendRow + 6;
  double max_ytick = 0;
  for (double t : y_ticks) max_ytick = std::max(max_ytick, EstimateTextWidth(Tick(t), kFont));
  double left = std::max(48.0, 24 + max_ytick + 8);
  double right = 16;
  double bottom = 46;  // numeric: tick labels and the axis label
  // Categorical labels: shortened, rotated 35° (90° when the slots are narrow), anchored at their
  // end under the tick, so they hang down-left; the margins are grown until every one fits.
  std::vector<std::string> cat_text;
  double angle = 35;
  if (cat) {
    for (const auto& c : spec.categories) cat_text.push_back(FitText(c, kFont, kCatTextMax));
    const double min_slot_35 = kFont * 1.25 / std::sin(35 * kPi / 180);
    if (n_cat > 0 && (width - left - right) / static_cast<double>(n_cat) < min_slot_35) {
      angle = 90;
      // Slots of at least 1.25 em: widen the chart (it then spans the whole grid row).
      width = std::max(width, left + right + static_cast<double>(n_cat) * kFont * 1.25);
    }
    const double ca = std::cos(angle * kPi / 180), sa = std::sin(angle * kPi / 180);
    for (int iter = 0; iter < 4; ++iter) {
      const double slot = (width - left - right) / std::max<double>(static_cast<double>(n_cat), 1);
      double need = left;
      for (size_t i = 0; i < n_cat; ++i) {
        const double w = EstimateTextWidth(cat_text[i], kFont);
        need = std::max(need, ca * w + kFont * sa - slot * (static_cast<double>(i) + 0.5) + 4);
      }
      left = need;
    }
    double max_w = 0;
    for (const auto& t : cat_text) max_w = std::max(max_w, EstimateTextWidth(t, kFont));
    bottom = 12 + sa * max_w + ca * kFont + 8;
  } else {
    double max_xtick = 0;
    for (double t : x_ticks) {
      max_xtick = std::max(max_xtick, EstimateTextWidth(x_tick_label(t), kFont));
    }
    right = std::max(right, max_xtick / 2 + 4);
    left = std::max(left, max_xtick / 2 + 4);
  }
  const std::string reference_text = FitText(spec.reference_label, kSmallFont, kRefTextMax);
  if (spec.reference_y && !reference_text.empty()) {
    right = std::max(right, EstimateTextWidth(reference_text, kSmallFont) + 8);
  }
  const double pw = width - left - right, ph = kPlotHeight;
  const double height = top + ph + bottom;

  auto px = [&](double x) { return left + (xv(x) - x_lo) / (x_hi - x_lo) * pw; };
  auto pxc = [&](double x) { return left + (x - x_lo) / (x_hi - x_lo) * pw; };
  auto py = [&](double y) { return top + (y_hi - y) / (y_hi - y_lo) * ph; };

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart" << (width > kWidth ? " wide" : "")
    << "\" id=\"" << HtmlEscape(spec.id) << "\" viewBox=\"0 0 " << F(width) << ' ' << F(height)
    << "\" role=\"img\" aria-label=\"" << HtmlEscape(spec.title) << "\">\n";
  o << "<title>" << HtmlEscape(spec.title) << "</title>\n";
  o << "<text class=\"ct\" x=\"8\" y=\"18\">"
    << HtmlEscape(FitText(spec.title, kTitleFont * kBoldFactor, width - 16)) << "</text>\n";
  o << "<rect class=\"frame\" x=\"" << F(left) << "\" y=\"" << F(top) << "\" width=\"" << F(pw)
    << "\" height=\"" << F(ph) << "\"/>\n";
  for (double t : y_ticks) {
    o << "<line class=\"grid\" x1=\"" << F(left) << "\" x2=\"" << F(left + pw) << "\" y1=\""
      << F(py(t)) << "\" y2=\"" << F(py(t)) << "\"/><text class=\"yt\" x=\"" << F(left - 6)
      << "\" y=\"" << F(py(t) + 4) << "\">" << Tick(t) << "</text>\n";
  }
  if (spec.zero_line) {
    o << "<line class=\"zero\" x1=\"" << F(left) << "\" x2=\"" << F(left + pw) << "\" y1=\""
      << F(py(0)) << "\" y2=\"" << F(py(0)) << "\"/>\n";
  }
  if (spec.reference_y) {
    const double y = py(*spec.reference_y);
    o << "<line class=\"ref\" x1=\"" << F(left) << "\" x2=\"" << F(left + pw) << "\" y1=\"" << F(y)
      << "\" y2=\"" << F(y) << "\"/>";
    if (!spec.reference_label.empty()) {
      // In the right margin (sized for it), level with the line: never over data.
      o << "<text class=\"rl\" x=\"" << F(left + pw + 4) << "\" y=\"" << F(y + 3.5) << "\">"
        << HtmlEscape(reference_text) << "</text>";
    }
    o << "\n";
  }
  if (cat) {
    for (size_t i = 0; i < n_cat; ++i) {
      const double x = pxc(static_cast<double>(i));
      o << "<text class=\"xc\" transform=\"translate(" << F(x) << ',' << F(top + ph + 12)
        << ") rotate(-" << F(angle) << ")\">";
      if (cat_text[i] != spec.categories[i]) {
        o << "<title>" << HtmlEscape(spec.categories[i]) << "</title>";
      }
      o << HtmlEscape(cat_text[i]) << "</text>\n";
    }
  } else {
    for (double t : x_ticks) {
      o << "<text class=\"xt\" x=\"" << F(pxc(t)) << "\" y=\"" << F(top + ph + 16) << "\">"
        << x_tick_label(t) << "</text>\n";
    }
    o << "<text class=\"al\" x=\"" << F(left + pw / 2) << "\" y=\"" << F(height - 8) << "\">"
      << HtmlEscape(FitText(spec.x_label, kFont, pw)) << "</text>\n";
  }
  o << "<text class=\"al\" transform=\"translate(14," << F(top + ph / 2) << ") rotate(-90)\">"
    << HtmlEscape(FitText(spec.y_label, kFont, ph)) << "</text>\n";

  // Series: categorical charts with several series spread them across the category slot.
  struct Box {
    double x0, y0, x1, y1;
  };
  std::vector<Box> placed;  // point labels already drawn, and every marker: labels avoid both
  std::ostringstream labels;
  const size_t ns = spec.series.size();
  for (size_t si = 0; si < ns && !cat; ++si) {
    for (const auto& p : spec.series[si].points) {
      if (spec.x_axis == XAxis::kLog10 && !(p.x > 0)) continue;
      placed.push_back({px(p.x) - 6, py(p.y) - 6, px(p.x) + 6, py(p.y) + 6});
    }
  }
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
      bool first = true;
      for (const auto& p : s.points) {
        if (spec.x_axis == XAxis::kLog10 && !(p.x > 0)) continue;
        o << (first ? "" : " ") << F(sx(p.x)) << ',' << F(py(p.y));
        first = false;
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
      if (!p.label.empty()) {
        // Beside the point, inside the plot: the nearest free row (13 px rows, alternating down
        // and up, right of the point first, then left), else the least crowded one; a leader
        // line joins a label moved off its point's row.
        const std::string text = FitText(p.label, kSmallFont, std::min(pw / 2, kLabelTextMax));
        const double w = EstimateTextWidth(text, kSmallFont);
        const double row = kSmallFont * 1.3, y_pt = py(p.y);
        const double y_min = top + kSmallFont + 1, y_max = top + ph - 3;
        double best_x = 0, best_y = 0, best_overlap = 1e300;
        const int rows = static_cast<int>(ph / row) + 1;
        for (int attempt = 0; attempt <= 2 * rows && best_overlap > 0; ++attempt) {
          const double dy = (attempt % 2 ? -1 : 1) * row * ((attempt + 1) / 2);
          const double cy = y_pt + 3.5 + dy;
          if (cy < y_min || cy > y_max) continue;
          for (const bool right_side : {true, false}) {
            const double x0 = right_side ? x + 8 : x - 8 - w;
            if (x0 < left + 2 || x0 + w > left + pw - 2) continue;
            const Box b{x0, cy - row + 2.5, x0 + w, cy + 2.5};
            double overlap = 0;
            for (const Box& q : placed) {
              overlap += std::max(0.0, std::min(b.x1, q.x1) - std::max(b.x0, q.x0)) *
                         std::max(0.0, std::min(b.y1, q.y1) - std::max(b.y0, q.y0));
            }
            if (overlap < best_overlap) best_overlap = overlap, best_x = x0, best_y = cy;
            if (overlap == 0) break;
          }
        }
        if (best_overlap < 1e300) {
          placed.push_back({best_x, best_y - row + 2.5, best_x + w, best_y + 2.5});
          if (std::fabs(best_y - (y_pt + 3.5)) > row / 2) {
            const double lx = best_x > x ? best_x - 1 : best_x + w + 1;
            labels << "<line class=\"leader\" x1=\"" << F(x) << "\" y1=\"" << F(y_pt) << "\" x2=\""
                   << F(lx) << "\" y2=\"" << F(best_y - 3.5) << "\"/>";
          }
          labels << "<text class=\"pl\" x=\"" << F(best_x) << "\" y=\"" << F(best_y) << "\">"
                 << HtmlEscape(text) << "</text>\n";
        }
      }
    }
    o << "</g>\n";
  }
  o << labels.str();
  // Legend: its own band under the title, so it can never cover a plotted point.
  if (!legend.empty()) {
    o << "<g class=\"legend\">\n";
    for (const auto& e : legend) {
      const char* colour = kPalette[e.series % std::size(kPalette)];
      o << "<rect x=\"" << F(e.x) << "\" y=\"" << F(e.y) << "\" width=\"10\" height=\"10\" fill=\""
        << colour << "\"/><text class=\"lg\" x=\"" << F(e.x + 14) << "\" y=\"" << F(e.y + 9)
        << "\">";
      if (e.text != spec.series[e.series].name) {
        o << "<title>" << HtmlEscape(spec.series[e.series].name) << "</title>";
      }
      o << HtmlEscape(e.text) << "</text>\n";
    }
    o << "</g>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace gapbench::reports
