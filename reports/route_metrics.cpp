// Routing curve and RouteLLM metrics (see route_metrics.h).
#include "reports/route_metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>

#include "common/error.h"
#include "reports/resample.h"

namespace gapbench::reports {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Mean(const std::vector<RouteItem>& items, double RouteItem::*field) {
  double s = 0.0;
  for (const auto& it : items) s += it.*field;
  return s / static_cast<double>(items.size());
}

// Fills the PGR of every point from the sums of scores behind each point's quality (sums, not
// means: with 0/1 scores they are whole numbers, so a PGR of exactly 1/2 is 0.5 and CPT(50%)
// does not skip the point that reaches it by a rounding error).
void SetPgr(std::vector<RoutePoint>& points, const std::vector<double>& sums) {
  const double gap = sums.back() - sums.front();
  for (size_t i = 0; i < points.size(); ++i) {
    if (gap != 0.0) {
      points[i].pgr = (sums[i] - sums.front()) / gap;
    } else {
      points[i].pgr.reset();
    }
  }
}

}  // namespace

std::optional<RouteItem> RouteItemOf(const suites::ItemRecord& record) {
  if (!record.route) return std::nullopt;
  auto score = [](const suites::RouteMember& m) -> std::optional<double> {
    if (m.score) return *m.score;
    if (m.correct) return *m.correct ? 1.0 : 0.0;
    return std::nullopt;
  };
  const auto s = score(record.route->small), l = score(record.route->large);
  if (!s || !l) return std::nullopt;
  // A non-finite signal or score (NaN logits) cannot be placed on the curve: unscored.
  if (!std::isfinite(record.route->value) || !std::isfinite(*s) || !std::isfinite(*l)) {
    return std::nullopt;
  }
  return RouteItem{record.route->value, *s, *l, record.route->escalated};
}

std::vector<RoutePoint> RouteCurve(const std::vector<RouteItem>& items) {
  GB_CHECK(!items.empty(), "RouteCurve needs items");
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return items[a].signal < items[b].signal; });
  const double n = static_cast<double>(items.size());
  double total = 0.0;  // sum of scores with the first k (lowest-signal) items escalated
  for (const auto& it : items) total += it.small;
  std::vector<RoutePoint> out;
  std::vector<double> sums;
  size_t k = 0;
  while (k < order.size()) {
    // Threshold = this signal: every item below it is escalated, none at or above it.
    out.push_back({items[order[k]].signal, static_cast<double>(k) / n, total / n, std::nullopt});
    sums.push_back(total);
    const double s = items[order[k]].signal;
    while (k < order.size() && items[order[k]].signal == s) {
      total += items[order[k]].large - items[order[k]].small;
      ++k;
    }
  }
  out.push_back({kInf, 1.0, total / n, std::nullopt});
  sums.push_back(total);
  SetPgr(out, sums);
  return out;
}

std::vector<RoutePoint> OracleCurve(const std::vector<RouteItem>& items) {
  GB_CHECK(!items.empty(), "OracleCurve needs items");
  std::vector<double> gains;
  for (const auto& it : items) gains.push_back(it.large - it.small);
  std::stable_sort(gains.begin(), gains.end(), std::greater<>());
  const double n = static_cast<double>(items.size());
  double total = 0.0;
  for (const auto& it : items) total += it.small;
  std::vector<RoutePoint> out;
  std::vector<double> sums;
  out.push_back({0.0, 0.0, total / n, std::nullopt});
  sums.push_back(total);
  for (size_t k = 0; k < gains.size(); ++k) {
    total += gains[k];
    out.push_back({0.0, static_cast<double>(k + 1) / n, total / n, std::nullopt});
    sums.push_back(total);
  }
  SetPgr(out, sums);
  return out;
}

namespace {

template <typename Escalate>
RoutePoint Routed(const std::vector<RouteItem>& items, double threshold, Escalate up) {
  GB_CHECK(!items.empty(), "routing metrics need items");
  double calls = 0.0, total = 0.0, q_small = 0.0, q_large = 0.0;
  for (const auto& it : items) {
    calls += up(it) ? 1.0 : 0.0;
    total += up(it) ? it.large : it.small;
    q_small += it.small;
    q_large += it.large;
  }
  const double n = static_cast<double>(items.size());
  RoutePoint p{threshold, calls / n, total / n, std::nullopt};
  if (q_large != q_small) p.pgr = (total - q_small) / (q_large - q_small);
  return p;
}

}  // namespace

RoutePoint RouteAt(const std::vector<RouteItem>& items, double threshold) {
  return Routed(items, threshold, [&](const RouteItem& it) { return it.signal < threshold; });
}

RoutePoint RouteAsRun(const std::vector<RouteItem>& items) {
  return Routed(items, std::numeric_limits<double>::quiet_NaN(),
                [](const RouteItem& it) { return it.escalated; });
}

std::optional<double> PgrAtShare(const std::vector<RoutePoint>& curve, double share) {
  if (curve.empty() || !curve.front().pgr) return std::nullopt;
  share = std::clamp(share, 0.0, 1.0);
  for (size_t i = 1; i < curve.size(); ++i) {
    const RoutePoint& a = curve[i - 1];
    const RoutePoint& b = curve[i];
    if (share > b.call_share) continue;
    const double width = b.call_share - a.call_share;
    if (width <= 0.0) return *b.pgr;
    return *a.pgr + (*b.pgr - *a.pgr) * (share - a.call_share) / width;
  }
  return *curve.back().pgr;
}

std::optional<double> Apgr(const std::vector<RoutePoint>& curve) {
  if (curve.empty() || !curve.front().pgr) return std::nullopt;
  double s = 0.0;
  for (int i = 1; i <= 10; ++i) s += *PgrAtShare(curve, i / 10.0);
  return s / 10.0;
}

std::optional<double> Cpt(const std::vector<RoutePoint>& curve, double target) {
  if (curve.empty() || !curve.front().pgr) return std::nullopt;
  if (*curve.front().pgr >= target) return curve.front().call_share;
  for (size_t i = 1; i < curve.size(); ++i) {
    const RoutePoint& a = curve[i - 1];
    const RoutePoint& b = curve[i];
    if (*b.pgr < target) continue;
    // a.pgr < target <= b.pgr: the crossing on the straight line between them.
    return a.call_share + (b.call_share - a.call_share) * (target - *a.pgr) / (*b.pgr - *a.pgr);
  }
  return std::nullopt;  // unreachable for target <= 1: the last point has PGR 1
}

RouteMetrics ComputeRouteMetrics(const std::vector<RouteItem>& items,
                                 const RouteMetricsOptions& options) {
  if (items.empty()) Fail("routing metrics: no routed items");
  RouteMetrics m;
  m.n_items = static_cast<int64_t>(items.size());
  m.small_quality = Mean(items, &RouteItem::small);
  m.large_quality = Mean(items, &RouteItem::large);
  double best = 0.0;
  for (const auto& it : items) best += std::max(it.small, it.large);
  m.oracle_quality = best / static_cast<double>(items.size());
  m.curve = RouteCurve(items);
  m.oracle = OracleCurve(items);
  m.at_threshold = RouteAsRun(items);
  m.pgr_at_threshold.value = m.at_threshold.pgr;
  m.apgr.value = Apgr(m.curve);
  m.cpt50.value = Cpt(m.curve, 0.5);
  m.cpt80.value = Cpt(m.curve, 0.8);
  m.cpt95.value = Cpt(m.curve, 0.95);
  m.oracle_apgr.value = Apgr(m.oracle);

  // Bootstrap over items; resamples whose members tie (no PGR) are left out of the intervals.
  std::vector<double> pgr, apgr, c50, c80, c95, oracle;
  std::mt19937_64 rng(options.seed);
  std::vector<RouteItem> draw(items.size());
  for (int64_t r = 0; r < options.resamples; ++r) {
    for (auto& d : draw) d = items[UniformIndex(rng, items.size())];
    const auto curve = RouteCurve(draw);
    if (!curve.front().pgr) continue;
    if (const auto p = RouteAsRun(draw).pgr) pgr.push_back(*p);
    apgr.push_back(*Apgr(curve));
    c50.push_back(*Cpt(curve, 0.5));
    c80.push_back(*Cpt(curve, 0.8));
    c95.push_back(*Cpt(curve, 0.95));
    oracle.push_back(*Apgr(OracleCurve(draw)));
  }
  auto ci = [&](RouteValue& v, std::vector<double>& xs) {
    if (v.value) v.ci = PercentileInterval(std::move(xs), options.level);
  };
  ci(m.pgr_at_threshold, pgr);
  ci(m.apgr, apgr);
  ci(m.cpt50, c50);
  ci(m.cpt80, c80);
  ci(m.cpt95, c95);
  ci(m.oracle_apgr, oracle);
  return m;
}

}  // namespace gapbench::reports
