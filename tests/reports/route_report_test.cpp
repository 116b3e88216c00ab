// The routing section of report.md and index.html (reports/route_report.h) on a hand-built run:
// a routed group's table row carries the metrics of its records (the hand-computed case of
// route_metrics_test), the curve table its qualities; a run without routed records adds nothing.
#include "reports/route_report.h"

#include <gtest/gtest.h>

#include <string>

namespace gapbench::reports {
namespace {

RunItem Routed(const std::string& id, double signal, bool small, bool large, bool escalated) {
  RunItem item;
  item.item_id = id;
  item.record.item_id = id;
  suites::RouteRecord r;
  r.signal = "top_prob";
  r.value = signal;
  r.threshold = 0.25;
  r.escalated = escalated;
  r.small.correct = small;
  r.large.correct = large;
  item.record.route = r;
  item.record.correct = escalated ? large : small;
  return item;
}

RunData MakeRun(bool routed) {
  RunData run;
  RunGroup g;
  g.model.alias = "big";
  g.suite.name = "colours";
  g.strategy_name = "cascade";
  // signal, small, large: q_small 0.5, q_large 0.75; PGR along the curve 0, 1, 2, 2, 1.
  g.items = {Routed("a", 0.1, false, true, true), Routed("b", 0.2, false, true, true),
             Routed("c", 0.3, true, true, false), Routed("d", 0.4, true, false, false)};
  if (!routed) {
    for (auto& i : g.items) i.record.route.reset();
  }
  run.groups.push_back(g);
  return run;
}

TEST(RouteReport, TableAndCurveComeFromTheRecords) {
  const RunData run = MakeRun(true);
  const auto groups = RouteGroups(run);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].signal, "top_prob");
  const std::string md = RouteMarkdown(run, groups);
  // The row: 4 items, small 0.5, large 0.75, oracle 1, routed 1 at 50% escalated (A and B),
  // PGR 2, APGR 1.42, CPT(50%) 0.125, CPT(80%) 0.2, CPT(95%) 0.2375 (bootstrap CIs follow).
  EXPECT_NE(md.find("| cascade (large big) | colours |"), std::string::npos) << md;
  EXPECT_NE(md.find("| top_prob | 4 | 0.500 | 0.750 | 1.000 | 1.000 | 50.0% | 2.000 "),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 1.420 ["), std::string::npos) << md;
  EXPECT_NE(md.find("| 0.125 ["), std::string::npos) << md;
  EXPECT_NE(md.find("| 0.200 ["), std::string::npos) << md;
  EXPECT_NE(md.find("| 0.237 ["), std::string::npos) << md;  // 0.2375 to 3 decimals
  // Curve at 20% calls: 0.5 + 0.8 * 0.25 = 0.7 (routed), oracle the same here, random 0.55.
  EXPECT_NE(md.find("| 20% | 0.700 | 0.700 | 0.550 |"), std::string::npos) << md;
  const std::string html = RouteHtml(run, groups);
  EXPECT_NE(html.find("<h2>Routing</h2>"), std::string::npos);
  EXPECT_NE(html.find("id=\"route-0\""), std::string::npos);
}

TEST(RouteReport, RunsWithoutRoutedRecordsAddNothing) {
  const RunData run = MakeRun(false);
  const auto groups = RouteGroups(run);
  EXPECT_TRUE(groups.empty());
  EXPECT_EQ(RouteMarkdown(run, groups), "");
  EXPECT_EQ(RouteHtml(run, groups), "");
}

}  // namespace
}  // namespace gapbench::reports
