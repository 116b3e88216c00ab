// The routing section of report.md and index.html (see route_report.h).
#include "reports/route_report.h"

#include <sstream>

#include "common/error.h"
#include "reports/markdown.h"
#include "reports/svg_chart.h"

namespace gapbench::reports {
namespace {

std::string ValueText(const RouteValue& v) {
  if (!v.value) return "-";
  std::string s = FormatFixed(*v.value);
  if (v.ci) s += " " + FormatInterval(*v.ci);
  return s;
}

std::string Percent(double share) { return FormatFixed(100.0 * share, 1) + "%"; }

// Quality at a share of calls on a piecewise-linear curve (points in increasing share).
double QualityAt(const std::vector<RoutePoint>& curve, double share) {
  for (size_t i = 1; i < curve.size(); ++i) {
    if (share > curve[i].call_share) continue;
    const double w = curve[i].call_share - curve[i - 1].call_share;
    if (w <= 0) return curve[i].quality;
    return curve[i - 1].quality +
           (curve[i].quality - curve[i - 1].quality) * (share - curve[i - 1].call_share) / w;
  }
  return curve.back().quality;
}

std::string System(const RunData& run, const RouteGroup& rg) {
  const RunGroup& g = run.groups[rg.group];
  return StrCat(g.strategy_name, " (large ", g.model.alias, ")");
}

}  // namespace

std::vector<RouteGroup> RouteGroups(const RunData& run) {
  std::vector<RouteGroup> out;
  for (size_t i = 0; i < run.groups.size(); ++i) {
    RouteGroup rg;
    rg.group = i;
    std::vector<RouteItem> items;
    bool routed = false;
    for (const auto& item : run.groups[i].items) {
      if (!item.record.route) continue;
      routed = true;
      if (rg.signal.empty()) rg.signal = item.record.route->signal;
      if (const auto ri = RouteItemOf(item.record)) {
        items.push_back(*ri);
      } else {
        ++rg.unscored;
      }
    }
    if (!routed || items.empty()) continue;
    rg.metrics = ComputeRouteMetrics(items);
    out.push_back(std::move(rg));
  }
  return out;
}

std::string RouteMarkdown(const RunData& run, const std::vector<RouteGroup>& groups) {
  if (groups.empty()) return "";
  std::ostringstream o;
  o << "## Routing\n\nA routed system answers with its small model and escalates to its large "
       "model when the small model's signal is below the threshold. Every item ran on both "
       "members, so the curve covers every threshold. PGR = share of the small-to-large quality "
       "gap recovered; APGR = mean PGR at 10%, ..., 100% of calls (random router 0.550); "
       "CPT(x) = share of calls needed to recover x of the gap. Intervals: bootstrap over "
       "items, 95%.\n\n";
  o << "| system | suite | setting | signal | items | small | large | oracle | routed | "
       "escalated | PGR | APGR | CPT(50%) | CPT(80%) | CPT(95%) | oracle APGR |\n";
  o << "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& rg : groups) {
    const RunGroup& g = run.groups[rg.group];
    const RouteMetrics& m = rg.metrics;
    o << "| " << System(run, rg) << " | " << g.suite.name << " | " << SettingLabel(g.setting)
      << " | " << rg.signal << " | " << m.n_items << " | " << FormatFixed(m.small_quality) << " | "
      << FormatFixed(m.large_quality) << " | " << FormatFixed(m.oracle_quality) << " | "
      << FormatFixed(m.at_threshold.quality) << " | " << Percent(m.at_threshold.call_share) << " | "
      << ValueText(m.pgr_at_threshold) << " | " << ValueText(m.apgr) << " | " << ValueText(m.cpt50)
      << " | " << ValueText(m.cpt80) << " | " << ValueText(m.cpt95) << " | "
      << ValueText(m.oracle_apgr) << " |\n";
  }
  o << '\n';
  for (const auto& rg : groups) {
    const RunGroup& g = run.groups[rg.group];
    const RouteMetrics& m = rg.metrics;
    o << "Quality by share of large-model calls, " << System(run, rg) << " on " << g.suite.name
      << " (" << SettingLabel(g.setting) << "):\n\n";
    o << "| calls | routed | oracle | random |\n|--:|--:|--:|--:|\n";
    for (int i = 0; i <= 10; ++i) {
      const double c = i / 10.0;
      o << "| " << i * 10 << "% | " << FormatFixed(QualityAt(m.curve, c)) << " | "
        << FormatFixed(QualityAt(m.oracle, c)) << " | "
        << FormatFixed(m.small_quality + c * (m.large_quality - m.small_quality)) << " |\n";
    }
    if (rg.unscored > 0) {
      o << "\n" << rg.unscored << " routed records without both members' scores are left out.\n";
    }
    o << '\n';
  }
  return o.str();
}

std::string RouteHtml(const RunData& run, const std::vector<RouteGroup>& groups) {
  if (groups.empty()) return "";
  std::ostringstream o;
  o << "<h2>Routing</h2>\n<p class=\"note\">Quality of the routed system against the share of "
       "items sent to its large model, for every threshold of the small model's signal (one "
       "pass: both members answered every item). Oracle: escalates exactly the items the large "
       "model does better. Random: the straight line between the members. APGR = mean share of "
       "the gap recovered at 10%, …, 100% calls; CPT(x) = calls needed to recover x of it.</p>\n";
  o << "<div class=\"table-wrap\">\n<table>\n<tr><th>system</th><th>suite</th><th>setting</th>"
       "<th>signal</th><th>items</th><th>small</th><th>large</th><th>routed</th>"
       "<th>escalated</th><th>PGR</th><th>APGR</th><th>CPT(50%)</th><th>CPT(80%)</th>"
       "<th>CPT(95%)</th></tr>\n";
  for (const auto& rg : groups) {
    const RunGroup& g = run.groups[rg.group];
    const RouteMetrics& m = rg.metrics;
    o << "<tr><td>" << HtmlEscape(System(run, rg)) << "</td><td>" << HtmlEscape(g.suite.name)
      << "</td><td>" << HtmlEscape(SettingLabel(g.setting)) << "</td><td>" << HtmlEscape(rg.signal)
      << "</td><td>" << m.n_items << "</td><td>" << FormatFixed(m.small_quality) << "</td><td>"
      << FormatFixed(m.large_quality) << "</td><td>" << FormatFixed(m.at_threshold.quality)
      << "</td><td>" << Percent(m.at_threshold.call_share) << "</td><td>"
      << HtmlEscape(ValueText(m.pgr_at_threshold)) << "</td><td>" << HtmlEscape(ValueText(m.apgr))
      << "</td><td>" << HtmlEscape(ValueText(m.cpt50)) << "</td><td>"
      << HtmlEscape(ValueText(m.cpt80)) << "</td><td>" << HtmlEscape(ValueText(m.cpt95))
      << "</td></tr>\n";
  }
  o << "</table>\n</div>\n<div class=\"charts\">\n";
  for (size_t k = 0; k < groups.size(); ++k) {
    const RouteGroup& rg = groups[k];
    const RunGroup& g = run.groups[rg.group];
    const RouteMetrics& m = rg.metrics;
    ChartSpec c;
    c.id = StrCat("route-", k);
    c.title = StrCat(System(run, rg), " on ", g.suite.name);
    c.x_label = "share of items sent to the large model";
    c.y_label = "quality";
    c.x_axis = XAxis::kLinear;
    auto series = [&](const std::string& name, const std::vector<RoutePoint>& curve) {
      ChartSeries s{name, {}, true};
      // Long curves are drawn through 51 evenly spaced shares (a marker per item would bury the
      // lines); the curve is piecewise linear, so little is lost.
      std::vector<RoutePoint> pts = curve;
      if (pts.size() > 60) {
        pts.clear();
        for (int i = 0; i <= 50; ++i) {
          pts.push_back({0, i / 50.0, QualityAt(curve, i / 50.0), std::nullopt});
        }
      }
      for (const auto& p : pts) {
        s.points.push_back(
            {p.call_share, p.quality, std::nullopt,
             StrCat(name, ": ", Percent(p.call_share), " calls, quality ", FormatFixed(p.quality)),
             false, ""});
      }
      return s;
    };
    c.series.push_back(series("router", m.curve));
    c.series.push_back(series("oracle", m.oracle));
    c.series.push_back(
        series("random", {{0, 0, m.small_quality, {}}, {0, 1, m.large_quality, {}}}));
    ChartSeries at{"threshold", {}, false};
    at.points.push_back({m.at_threshold.call_share, m.at_threshold.quality, std::nullopt,
                         StrCat("the strategy's threshold: ", Percent(m.at_threshold.call_share),
                                " calls, quality ", FormatFixed(m.at_threshold.quality)),
                         true, ""});
    c.series.push_back(std::move(at));
    o << SvgChart(c);
  }
  o << "</div>\n";
  return o.str();
}

}  // namespace gapbench::reports
