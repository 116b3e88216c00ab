// The regression gate: matching records, the per-group paired test, the correction across
// groups, the speed comparison, and the Markdown / JSON renderings. Choices and formulas:
// docs/COMPARE.md.
#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <tuple>
#include <utility>

#include "common/error.h"
#include "common/json.h"
#include "reports/paired.h"
#include "reports/power.h"
#include "reports/resample.h"

namespace gapbench::reports {
namespace {

using GroupId = std::tuple<std::string, std::string, std::string, std::string, std::string>;
using RecordId = std::pair<std::string, int64_t>;  // (item_id, sample)

// A hand-built key may leave the setting empty: the same as no setting fields at all.
std::string SettingOf(const CompareKey& k) { return k.setting.empty() ? "{}" : k.setting; }

GroupId IdOf(const CompareKey& k) {
  return {k.model_id, k.config_hash, k.strategy, k.suite_hash, SettingOf(k)};
}

// Indexes a group's records by (item_id, sample); the first of a repeated pair is kept.
std::map<RecordId, const CompareItem*> IndexRecords(const CompareGroup& g, int64_t* duplicates) {
  std::map<RecordId, const CompareItem*> out;
  for (const CompareItem& item : g.items) {
    if (!out.emplace(RecordId{item.item_id, item.sample}, &item).second) ++*duplicates;
  }
  return out;
}

double Median(std::vector<double> v) {  // by value: nth_element reorders
  GB_CHECK(!v.empty(), "median of nothing");
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

// The fewest one-directional flips McNemar's exact test can call significant at `alpha`:
// the smallest k with 2·(1/2)^k < alpha. No binary comparison of n items can detect a
// difference below k/n, whatever the variance says (it matters when nothing flipped).
int64_t McNemarMinFlips(double alpha) {
  int64_t k = 1;
  while (std::ldexp(2.0, static_cast<int>(-k)) >= alpha && k < 1100) ++k;
  return k;
}

struct PairedRecord {
  const CompareItem* base;
  const CompareItem* cand;
};

std::string FlipLabel(const CompareItem& item, bool with_sample) {
  return with_sample ? StrCat(item.item_id, "#", item.sample) : item.item_id;
}

void CompareSpeed(const std::vector<PairedRecord>& pairs, const CompareOptions& o,
                  SpeedComparison* s) {
  std::vector<double> base, cand, base_tps, cand_tps;  // [n timed pairs]
  for (const PairedRecord& p : pairs) {
    if (!(p.base->latency_s > 0) || !(p.cand->latency_s > 0)) continue;
    base.push_back(p.base->latency_s);
    cand.push_back(p.cand->latency_s);
    if (p.base->tokens > 0 && p.cand->tokens > 0) {
      base_tps.push_back(static_cast<double>(p.base->tokens) / p.base->latency_s);
      cand_tps.push_back(static_cast<double>(p.cand->tokens) / p.cand->latency_s);
    }
  }
  s->n = static_cast<int64_t>(base.size());
  if (s->n < o.speed_min_items) {
    s->note = StrCat(s->n, " item pairs with a latency on both sides (speed needs ",
                     o.speed_min_items, ")");
    return;
  }
  s->base_median_latency_s = Median(base);
  s->cand_median_latency_s = Median(cand);
  if (!base_tps.empty()) {
    s->base_median_tokens_per_s = Median(base_tps);
    s->cand_median_tokens_per_s = Median(cand_tps);
  }
  s->latency_ratio = s->cand_median_latency_s / s->base_median_latency_s;
  // Paired bootstrap of the ratio of medians: items resampled with their two latencies.
  std::mt19937_64 rng(o.seed ^ 0x5eedULL);
  const uint64_t n = base.size();
  std::vector<double> rb(n), rc(n), ratios(static_cast<size_t>(o.speed_resamples));
  for (double& ratio : ratios) {
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t j = UniformIndex(rng, n);
      rb[i] = base[j];
      rc[i] = cand[j];
    }
    ratio = Median(rc) / Median(rb);
  }
  std::sort(ratios.begin(), ratios.end());
  const Interval ci{Quantile(ratios, 0.025), Quantile(ratios, 0.975)};
  s->ratio_ci = ci;
  // One measurement per side: the item bootstrap sees item-to-item noise but not the run-level
  // noise of a shared machine (a busy neighbour slows every item alike), so this ratio is no
  // verdict. JudgeSpeedFamilies judges it when the setting was measured repeatedly.
  s->informational = true;
  s->note =
      "informational: one measurement per side (a run's latency on a shared machine is not "
      "evidence); speed is judged over repeated measurements (seeds or runs)";
}

// Everything of one group except the verdict, which needs the correction across groups.
GroupComparison CompareGroupPair(const CompareGroup& base, const CompareGroup& cand,
                                 const CompareOptions& o) {
  GroupComparison g;
  g.key = base.key;
  g.cand_key = cand.key;
  g.base_records = static_cast<int64_t>(base.items.size());
  g.cand_records = static_cast<int64_t>(cand.items.size());
  const auto base_index = IndexRecords(base, &g.duplicates);
  const auto cand_index = IndexRecords(cand, &g.duplicates);

  std::vector<PairedRecord> matched;  // both sides, scored or not (speed uses all of them)
  std::vector<PairedRecord> scored;
  bool with_sample = false;
  for (const auto& [id, b] : base_index) {
    auto it = cand_index.find(id);
    if (it == cand_index.end()) {
      ++g.base_only;
      continue;
    }
    matched.push_back({b, it->second});
    if (!b->score || !it->second->score) {
      ++g.unscored;
      continue;
    }
    scored.push_back({b, it->second});
    with_sample = with_sample || id.second != 0;
  }
  for (const auto& entry : cand_index) g.cand_only += base_index.count(entry.first) ? 0 : 1;
  g.paired_records = static_cast<int64_t>(scored.size());
  CompareSpeed(matched, o, &g.speed);
  if (!matched.empty()) {
    double tb = 0, tc = 0;
    for (const PairedRecord& p : matched) {
      tb += static_cast<double>(p.base->tokens);
      tc += static_cast<double>(p.cand->tokens);
    }
    g.speed.base_tokens_per_item = tb / static_cast<double>(matched.size());
    g.speed.cand_tokens_per_item = tc / static_cast<double>(matched.size());
  }
  if (scored.empty()) {
    g.diff = UndefinedSe(0, 0.95, "no record is scored on both sides");
    return g;
  }

  // Items are the unit: samples of one item are averaged (they share the item's difficulty).
  // `scored` is in (item_id, sample) order, so an item's samples are adjacent.
  std::vector<double> a, b;  // [n_items] candidate, base
  size_t begin = 0;
  while (begin < scored.size()) {
    size_t end = begin;
    double sum_a = 0, sum_b = 0;
    while (end < scored.size() && scored[end].base->item_id == scored[begin].base->item_id) {
      sum_a += *scored[end].cand->score;
      sum_b += *scored[end].base->score;
      ++end;
    }
    const double k = static_cast<double>(end - begin);
    if (end - begin != 1) g.binary = false;
    a.push_back(sum_a / k);
    b.push_back(sum_b / k);
    begin = end;
  }
  for (size_t i = 0; i < a.size() && g.binary; ++i) {
    g.binary = (a[i] == 0 || a[i] == 1) && (b[i] == 0 || b[i] == 1);
  }
  for (const PairedRecord& p : scored) {
    const double sb = *p.base->score, sc = *p.cand->score;
    if (sb == 1 && sc == 0) g.correct_to_wrong.push_back(FlipLabel(*p.base, with_sample));
    if (sb == 0 && sc == 1) g.wrong_to_correct.push_back(FlipLabel(*p.base, with_sample));
  }

  g.n_items = static_cast<int64_t>(a.size());
  const PairedDifference pd = PairedDiff(a, b, 0.95);
  g.cand_accuracy = pd.mean_a;
  g.base_accuracy = pd.mean_b;
  g.mdd = MinimumDetectableDifferencePaired(pd.sd_diff, g.n_items, o.alpha, o.power);
  if (g.binary) {
    g.test = "mcnemar";
    g.diff = pd.diff;
    g.p_value = McNemar(a, b).p_exact;
    g.mdd = std::max(
        g.mdd, static_cast<double>(McNemarMinFlips(o.alpha)) / static_cast<double>(g.n_items));
  } else {
    g.test = "bootstrap";
    BootstrapOptions bo;
    bo.resamples = o.bootstrap_resamples;
    bo.seed = o.seed;
    const PairedBootstrapResult pb = PairedBootstrap(a, b, bo);
    g.p_value = pb.p_value;
    g.diff = pd.diff;
    g.diff.ci = pb.ci;  // percentile interval, consistent with the bootstrap p-value
    g.diff.ci_method = pb.ci_method;
  }
  return g;
}

void CheckOptions(const CompareOptions& o) {
  if (!(o.alpha > 0 && o.alpha < 1)) Fail("compare: --alpha must be in (0, 1), got ", o.alpha);
  if (!(o.power > o.alpha && o.power < 1)) {
    Fail("compare: power must be in (alpha, 1), got ", o.power);
  }
  if (!(o.min_effect >= 0 && o.min_effect < 1)) {
    Fail("compare: --min-effect must be in [0, 1) (accuracy points), got ", o.min_effect);
  }
  if (!(o.speed_threshold >= 0 && std::isfinite(o.speed_threshold))) {
    Fail("compare: --speed-threshold must be >= 0, got ", o.speed_threshold);
  }
  if (o.bootstrap_resamples < 1 || o.speed_resamples < 1) {
    Fail("compare: bootstrap resamples must be >= 1");
  }
  if (o.max_flips_listed < 0) Fail("compare: --max-flips must be >= 0");
  if (o.speed_min_repeats < 2) Fail("compare: speed needs at least 2 repeated measurements");
}

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (above: the normal).
double T975(int64_t df) {
  static constexpr double kT[] = {12.706, 4.303, 2.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                  2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                  2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                  2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return std::numeric_limits<double>::infinity();
  return df <= 30 ? kT[df - 1] : 1.959963984540054;
}

// The pair's identity without the seed: pairs that share it are repeats of one setting.
std::string WithoutSeed(const CompareKey& k) {
  return StrCat(k.model_id, "\n", k.config_hash, "\n", k.strategy, "\n", k.suite_hash, "\n",
                SettingWithoutSeed(SettingOf(k)));
}

std::string FamilyLabel(const CompareKey& a, const CompareKey& b) {
  auto label = [](const CompareKey& k) {
    std::string s = StrCat(k.model_label, " / ", k.config_label);
    if (!k.strategy_label.empty()) s += StrCat(" / ", k.strategy_label);
    return StrCat(s, " / ", k.suite_label, " / ",
                  SettingLabel(ParseSetting(SettingWithoutSeed(SettingOf(k)), "setting"), false));
  };
  const std::string la = label(a), lb = label(b);
  return la == lb ? la : StrCat(la, " vs ", lb);
}

// Speed verdicts from repeated measurements only (compare.h): the pairs of one setting that
// differ only by seed, each contributing its ratio of median latencies; the family's ratio is
// their geometric mean with a t interval over the repeats, so machine-level noise between
// measurements is in the interval. Fewer than speed_min_repeats: the pairs stay informational.
void JudgeSpeedFamilies(Comparison& c, const CompareOptions& o) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> families;
  std::vector<std::pair<std::string, std::string>> order;
  for (size_t i = 0; i < c.groups.size(); ++i) {
    const GroupComparison& g = c.groups[i];
    if (!g.speed.informational) continue;  // no latency ratio at all
    const auto id = std::make_pair(WithoutSeed(g.key), WithoutSeed(g.cand_key));
    auto& v = families[id];
    if (v.empty()) order.push_back(id);
    v.push_back(i);
  }
  for (const auto& id : order) {
    const auto& members = families[id];
    SpeedFamily f;
    f.label = FamilyLabel(c.groups[members.front()].key, c.groups[members.front()].cand_key);
    f.repeats = static_cast<int64_t>(members.size());
    std::vector<double> logs;
    for (size_t i : members) logs.push_back(std::log(c.groups[i].speed.latency_ratio));
    double mean = 0;
    for (double x : logs) mean += x;
    mean /= static_cast<double>(logs.size());
    f.ratio = std::exp(mean);
    if (f.repeats < o.speed_min_repeats) {
      for (size_t i : members) {
        c.groups[i].speed.note =
            StrCat("informational: ", f.repeats, " measurement(s) of this setting per side (speed ",
                   "is judged over at least ", o.speed_min_repeats,
                   " repeats, e.g. seeds; one run's latency on a shared machine is not evidence)");
      }
      continue;
    }
    double ss = 0;
    for (double x : logs) ss += (x - mean) * (x - mean);
    const double half = T975(f.repeats - 1) * std::sqrt(ss / static_cast<double>(f.repeats - 1)) /
                        std::sqrt(static_cast<double>(f.repeats));
    f.ci = Interval{std::exp(mean - half), std::exp(mean + half)};
    const double slow = 1 + o.speed_threshold;
    if (f.ratio >= slow && f.ci->lo > 1) {
      f.verdict = Verdict::kRegression;
    } else if (f.ratio <= 1 / slow && f.ci->hi < 1) {
      f.verdict = Verdict::kImprovement;
    } else {
      f.verdict = Verdict::kNoChange;
    }
    for (size_t i : members) {
      SpeedComparison& s = c.groups[i].speed;
      s.informational = false;
      s.verdict = f.verdict;
      s.note = StrCat("judged over ", f.repeats, " repeated measurements: ", f.label);
    }
    c.speed_regressions += f.verdict == Verdict::kRegression ? 1 : 0;
    c.speed_families.push_back(std::move(f));
  }
}

// Tests every pair, applies the correction across them and gives the verdicts.
void ComparePairs(Comparison& c,
                  const std::vector<std::pair<const CompareGroup*, const CompareGroup*>>& pairs,
                  const CompareOptions& options) {
  for (const auto& [a, b] : pairs) c.groups.push_back(CompareGroupPair(*a, *b, options));
  // The family: every group with a test. Holm controls the family-wise error rate under any
  // dependence between groups (they share a model, or items across configurations).
  std::vector<double> p;
  std::vector<size_t> tested;
  for (size_t i = 0; i < c.groups.size(); ++i) {
    if (c.groups[i].test.empty()) continue;
    p.push_back(c.groups[i].p_value);
    tested.push_back(i);
  }
  const std::vector<double> adjusted = AdjustPValues(p, options.correction);
  for (size_t k = 0; k < tested.size(); ++k) {
    GroupComparison& g = c.groups[tested[k]];
    g.p_adjusted = adjusted[k];
    const bool significant = g.p_adjusted < options.alpha;
    if (significant && -g.diff.value > options.min_effect) {
      g.verdict = Verdict::kRegression;
      ++c.regressions;
    } else if (significant && g.diff.value > options.min_effect) {
      g.verdict = Verdict::kImprovement;
      ++c.improvements;
    } else {
      g.verdict = Verdict::kNoChange;
    }
  }
  JudgeSpeedFamilies(c, options);
}

// --- A/B selection ---

const char* const kKeyDimensions[] = {"model", "config", "strategy", "suite"};

bool IsKeyDimension(const std::string& d) {
  for (const char* k : kKeyDimensions) {
    if (d == k) return true;
  }
  return false;
}

// The setting member `name` as text ("2", "0.8"); nullopt when absent.
std::optional<std::string> SettingValue(const CompareKey& k, const std::string& name) {
  const auto doc = ParseJson(SettingOf(k), "setting");
  if (!doc.IsObject()) return std::nullopt;
  const auto it = doc.FindMember(name.c_str());
  if (it == doc.MemberEnd()) return std::nullopt;
  if (it->value.IsString()) return std::string(it->value.GetString());
  if (it->value.IsInt64()) return StrCat(it->value.GetInt64());
  if (it->value.IsUint64()) return StrCat(it->value.GetUint64());
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  it->value.Accept(w);
  return std::string(buf.GetString());
}

// The value of one dimension for people (what a selector could name).
std::string DimensionValue(const CompareKey& k, const std::string& d) {
  if (d == "model") return k.model_label;
  if (d == "config") return k.config_label;
  if (d == "strategy") return k.strategy_label.empty() ? "single" : k.strategy_label;
  if (d == "suite") return k.suite_label;
  return SettingValue(k, d).value_or("(none)");
}

bool Matches(const CompareKey& k, const std::string& d, const std::string& v) {
  if (d == "model") return v == k.model_label || v == k.model_id;
  if (d == "config") return v == k.config_label || v == k.config_hash;
  if (d == "strategy") {
    return v == k.strategy || v == k.strategy_label || (v == "single" && k.strategy_label.empty());
  }
  if (d == "suite") return v == k.suite_label || v == k.suite_hash;
  const auto value = SettingValue(k, d);
  return value && *value == v;
}

bool Selects(const CompareKey& k, const Selector& s) {
  for (const auto& [d, v] : s.terms) {
    if (!Matches(k, d, v)) return false;
  }
  return true;
}

// The group's identity with the named dimensions left out: A and B groups pair on it.
std::string PairId(const CompareKey& k, const std::set<std::string>& named) {
  std::string id;
  for (const char* d : kKeyDimensions) {
    std::string v;
    if (!named.count(d)) {
      v = d == std::string("model")      ? k.model_id
          : d == std::string("config")   ? k.config_hash
          : d == std::string("strategy") ? k.strategy
                                         : k.suite_hash;
    }
    id += StrCat(v, "\n");
  }
  auto doc = ParseJson(SettingOf(k), "setting");
  if (doc.IsObject()) {
    for (const auto& d : named) {
      if (!IsKeyDimension(d)) doc.RemoveMember(d.c_str());
    }
  }
  // Member order is the canonical one the loader wrote; removing keeps it.
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  doc.Accept(w);
  return id + buf.GetString();
}

// The distinct values of `d` among `groups`, for a "matches nothing" message.
std::string ValuesOf(const CompareRun& run, const std::string& d) {
  std::set<std::string> values;
  for (const CompareGroup& g : run.groups) values.insert(DimensionValue(g.key, d));
  std::string out;
  for (const auto& v : values) out += StrCat(out.empty() ? "" : ", ", v);
  return out.empty() ? "none" : out;
}

}  // namespace

std::string CompareKey::Describe() const {
  std::string s = StrCat(model_label, " / ", config_label);
  if (!strategy_label.empty()) s += StrCat(" / ", strategy_label);
  s += StrCat(" / ", suite_label);
  if (!setting_label.empty()) s += StrCat(" / ", setting_label);
  return s;
}

CompareRun ToCompareRun(const RunData& run) {
  CompareRun out;
  out.source = run.source;
  out.duplicates = run.duplicates;
  out.groups.reserve(run.groups.size());
  for (const RunGroup& rg : run.groups) {
    CompareGroup g;
    g.key.model_id = rg.key.model_id;
    g.key.config_hash = rg.key.config_hash;
    g.key.strategy = rg.key.strategy;
    g.key.suite_hash = rg.key.suite_hash;
    g.key.model_label = rg.model.alias.empty() ? rg.key.model_id.substr(0, 12) : rg.model.alias;
    g.key.config_label = rg.config.name.empty() ? rg.key.config_hash : rg.config.name;
    g.key.strategy_label = rg.strategy_name;
    g.key.suite_label = rg.suite.name.empty() ? rg.key.suite_hash : rg.suite.name;
    g.key.setting = rg.key.setting;
    g.key.setting_label = SettingLabel(rg.setting);
    g.items.reserve(rg.items.size());
    for (const RunItem& ri : rg.items) {
      CompareItem item;
      item.item_id = ri.item_id;
      item.sample = ri.sample;
      if (ri.record.score) {
        item.score = *ri.record.score;  // graded (MC2): the mass the report averages, not 0/1
      } else if (ri.record.correct) {
        item.score = *ri.record.correct ? 1.0 : 0.0;
      }
      item.latency_s = ri.record.latency_s;
      item.tokens = ri.record.tokens_in + ri.record.tokens_out;
      g.items.push_back(std::move(item));
    }
    out.groups.push_back(std::move(g));
  }
  return out;
}

const char* CorrectionName(Correction c) {
  switch (c) {
    case Correction::kHolm:
      return "holm";
    case Correction::kBonferroni:
      return "bonferroni";
    case Correction::kNone:
      return "none";
  }
  return "?";
}

Correction ParseCorrection(const std::string& s) {
  if (s == "holm") return Correction::kHolm;
  if (s == "bonferroni") return Correction::kBonferroni;
  if (s == "none") return Correction::kNone;
  Fail("compare: --correction must be holm, bonferroni or none, got '", s, "'");
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kNoChange:
      return "no significant change";
    case Verdict::kRegression:
      return "regression";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kNotTested:
      return "not tested";
  }
  return "?";
}

std::vector<double> AdjustPValues(const std::vector<double>& p, Correction correction) {
  const size_t m = p.size();
  std::vector<double> out(p);
  if (correction == Correction::kNone || m == 0) return out;
  if (correction == Correction::kBonferroni) {
    for (double& x : out) x = std::min(1.0, x * static_cast<double>(m));
    return out;
  }
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return p[i] < p[j]; });
  double running = 0;  // the step-down maximum keeps adjusted p monotone in the raw order
  for (size_t rank = 0; rank < m; ++rank) {
    const double adj = std::min(1.0, static_cast<double>(m - rank) * p[order[rank]]);
    running = std::max(running, adj);
    out[order[rank]] = running;
  }
  return out;
}

Comparison CompareRuns(const CompareRun& base, const CompareRun& cand,
                       const CompareOptions& options) {
  CheckOptions(options);
  Comparison c;
  c.base_source = base.source;
  c.cand_source = cand.source;
  c.base_duplicates = base.duplicates;
  c.cand_duplicates = cand.duplicates;
  c.options = options;
  // Groups keep the base run's order (run_data's canonical order); candidate-only ones the
  // candidate's. A key repeated within one run keeps its first group.
  std::map<GroupId, const CompareGroup*> base_groups, cand_groups;
  std::vector<std::pair<const CompareGroup*, const CompareGroup*>> pairs;
  for (const CompareGroup& g : cand.groups) cand_groups.emplace(IdOf(g.key), &g);
  for (const CompareGroup& g : base.groups) {
    if (!base_groups.emplace(IdOf(g.key), &g).second) continue;
    auto it = cand_groups.find(IdOf(g.key));
    if (it == cand_groups.end()) {
      c.base_only_groups.push_back(g.key);
    } else {
      pairs.emplace_back(&g, it->second);
    }
  }
  for (const CompareGroup& g : cand.groups) {
    if (!base_groups.count(IdOf(g.key)) && cand_groups.at(IdOf(g.key)) == &g) {
      c.cand_only_groups.push_back(g.key);
    }
  }
  if (pairs.empty()) {
    Fail("compare: ", base.source, " (", base.groups.size(), " groups) and ", cand.source, " (",
         cand.groups.size(),
         " groups) share no model x configuration x strategy x suite x setting group; nothing to "
         "compare (were they run from the same sweep? to compare two settings, select them with "
         "--a and --b, e.g. --a fewshot=0 --b fewshot=2)");
  }
  ComparePairs(c, pairs, options);
  return c;
}

Selector ParseSelector(const std::string& text) {
  Selector s;
  s.text = text;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string term = text.substr(pos, end - pos);
    const size_t eq = term.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == term.size()) {
      Fail("compare: selector '", text, "': expected DIMENSION=VALUE[,DIMENSION=VALUE...] ",
           "(dimensions: model, config, strategy, suite, fewshot, seed, samples, max_tokens, ",
           "temperature), got '", term, "'");
    }
    s.terms.emplace_back(term.substr(0, eq), term.substr(eq + 1));
    pos = end + 1;
  }
  return s;
}

Comparison CompareSettings(const CompareRun& a_run, const Selector& a, const CompareRun& b_run,
                           const Selector& b, const CompareOptions& options) {
  CheckOptions(options);
  Comparison c;
  c.base_source = a_run.source;
  c.cand_source = b_run.source;
  c.a_selector = a.text;
  c.b_selector = b.text;
  c.base_duplicates = a_run.duplicates;
  c.cand_duplicates = b_run.duplicates;
  c.options = options;
  std::set<std::string> named;
  for (const Selector* s : {&a, &b}) {
    for (const auto& [d, v] : s->terms) named.insert(d);
  }
  // Every dimension must exist somewhere, so a typo ("fewshots=2") is not "matches nothing".
  for (const auto& d : named) {
    if (IsKeyDimension(d)) continue;
    bool known = false;
    for (const CompareRun* run : {&a_run, &b_run}) {
      for (const CompareGroup& g : run->groups) known = known || SettingValue(g.key, d).has_value();
    }
    if (!known) {
      Fail("compare: no group has a setting '", d, "' (dimensions: model, config, strategy, ",
           "suite, and the setting fields fewshot, seed, samples, max_tokens, temperature, ",
           "result_format)");
    }
  }
  struct Side {
    const CompareRun* run;
    const Selector* sel;
    const char* flag;
    std::map<std::string, const CompareGroup*> by_pair;
    std::vector<std::string> order;
  };
  Side sides[2] = {{&a_run, &a, "--a", {}, {}}, {&b_run, &b, "--b", {}, {}}};
  for (Side& side : sides) {
    for (const CompareGroup& g : side.run->groups) {
      if (!Selects(g.key, *side.sel)) continue;
      const std::string id = PairId(g.key, named);
      const auto [it, inserted] = side.by_pair.emplace(id, &g);
      if (!inserted) {
        Fail("compare: ", side.flag, " ", side.sel->text, " is ambiguous in ", side.run->source,
             ": it selects both '", it->second->key.Describe(), "' and '", g.key.Describe(),
             "', which differ in nothing the selectors name (add a term, e.g. model=ID)");
      }
      side.order.push_back(id);
    }
    if (side.order.empty()) {
      std::string values;
      for (const auto& [d, v] : side.sel->terms) {
        values += StrCat(values.empty() ? "" : "; ", d, ": ", ValuesOf(*side.run, d));
      }
      Fail("compare: ", side.flag, " ", side.sel->text, " matches no group of ", side.run->source,
           " (values there: ", values, ")");
    }
  }
  if (&a_run == &b_run || a_run.source == b_run.source) {
    for (const auto& [id, g] : sides[0].by_pair) {
      for (const auto& [id_b, gb] : sides[1].by_pair) {
        if (g == gb || IdOf(g->key) == IdOf(gb->key)) {
          Fail("compare: --a ", a.text, " and --b ", b.text, " both select '", g->key.Describe(),
               "'; the two selectors must pick different settings");
        }
      }
    }
  }
  std::vector<std::pair<const CompareGroup*, const CompareGroup*>> pairs;
  for (const std::string& id : sides[0].order) {
    const CompareGroup* ga = sides[0].by_pair.at(id);
    const auto it = sides[1].by_pair.find(id);
    if (it == sides[1].by_pair.end()) {
      c.base_only_groups.push_back(ga->key);
    } else {
      pairs.emplace_back(ga, it->second);
    }
  }
  for (const std::string& id : sides[1].order) {
    if (!sides[0].by_pair.count(id)) c.cand_only_groups.push_back(sides[1].by_pair.at(id)->key);
  }
  if (pairs.empty()) {
    Fail("compare: no group selected by --a ", a.text, " has a partner selected by --b ", b.text,
         " (they must agree on model, configuration, strategy, suite and setting apart from the ",
         "dimensions the selectors name)");
  }
  ComparePairs(c, pairs, options);
  return c;
}

// --- rendering ---

namespace {

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
std::string Acc(double v) { return Fmt("%.4f", v); }
std::string Signed(double v) { return Fmt("%+.4f", v); }
std::string PValue(double p) { return p < 1e-4 ? Fmt("%.2e", p) : Fmt("%.4f", p); }

// A table cell: '|' would end the cell and a newline the row.
std::string Cell(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n' || ch == '\r') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Strategy(const CompareKey& k) {
  return k.strategy_label.empty() ? "-" : k.strategy_label;
}

std::string DiffWithCi(const Estimate& d) {
  std::string s = Signed(d.value);
  if (d.ci) s += StrCat(" [", Signed(d.ci->lo), ", ", Signed(d.ci->hi), "]");
  // The column mixes Wald (McNemar groups) and percentile (bootstrap) intervals: name them.
  if (d.ci && !d.ci_method.empty()) s += StrCat(" ", d.ci_method);
  return s;
}

// "a, b, c and 17 more" (at most `cap` ids).
std::string IdList(const std::vector<std::string>& ids, int64_t cap) {
  if (ids.empty()) return "none";
  std::string s;
  const size_t shown = std::min(ids.size(), static_cast<size_t>(cap));
  for (size_t i = 0; i < shown; ++i) s += StrCat(i ? ", " : "", "`", Cell(ids[i]), "`");
  if (shown < ids.size()) s += StrCat(shown ? " and " : "", ids.size() - shown, " more");
  return s;
}

std::string SpeedCell(const SpeedComparison& s) {
  if (s.verdict == Verdict::kNotTested && !s.informational) return "-";
  std::string out = Fmt("x%.3f", s.latency_ratio);
  if (s.ratio_ci)
    out += StrCat(" [", Fmt("%.3f", s.ratio_ci->lo), ", ", Fmt("%.3f", s.ratio_ci->hi), "]");
  if (s.informational) out += " (informational)";
  return out;
}

std::string FamilyCell(const SpeedFamily& f) {
  std::string out = Fmt("x%.3f", f.ratio);
  if (f.ci) out += StrCat(" [", Fmt("%.3f", f.ci->lo), ", ", Fmt("%.3f", f.ci->hi), "]");
  return StrCat(out, " over ", f.repeats, " repeats");
}

// "a" when both sides agree, "a -> b" when an A/B comparison changes this dimension.
std::string PairCell(const std::string& a, const std::string& b) {
  return a == b ? Cell(a) : StrCat(Cell(a), " -> ", Cell(b));
}

std::string PairDescribe(const GroupComparison& g) {
  const std::string a = g.key.Describe(), b = g.cand_key.Describe();
  return a == b ? a : StrCat(a, " vs ", b);
}

std::string TestName(const GroupComparison& g) {
  return g.test == "mcnemar" ? "McNemar exact" : g.test == "bootstrap" ? "paired bootstrap" : "-";
}

void AppendVerdictLine(std::string& md, const Comparison& c, const GroupComparison& g) {
  const bool regression = g.verdict == Verdict::kRegression;
  md += StrCat("- **", regression ? "REGRESSION" : "IMPROVEMENT", "**: model `",
               PairCell(g.key.model_label, g.cand_key.model_label), "`, configuration `",
               PairCell(g.key.config_label, g.cand_key.config_label), "`, strategy `",
               PairCell(Strategy(g.key), Strategy(g.cand_key)), "`, suite `",
               PairCell(g.key.suite_label, g.cand_key.suite_label), "`, setting `",
               PairCell(g.key.setting_label, g.cand_key.setting_label), "`: accuracy ",
               Acc(g.base_accuracy), " -> ", Acc(g.cand_accuracy), " (", DiffWithCi(g.diff), ", ",
               TestName(g), " p = ", PValue(g.p_value), ", ", CorrectionName(c.options.correction),
               "-adjusted p = ", PValue(g.p_adjusted), ", n = ", g.n_items, "); ");
  const auto& flips = regression ? g.correct_to_wrong : g.wrong_to_correct;
  md += StrCat(flips.size(), " flipped ", regression ? "correct -> wrong" : "wrong -> correct",
               ": ", IdList(flips, c.options.max_flips_listed), "\n");
}

void AppendGroupSection(std::string& md, const Comparison& c, const GroupComparison& g) {
  md += StrCat("\n### ", Cell(PairDescribe(g)), "\n\n| | |\n|---|---|\n");
  auto row = [&md](std::string_view name, const std::string& value) {
    md += StrCat("| ", name, " | ", value, " |\n");
  };
  row("model", StrCat("`", Cell(g.key.model_label), "` (", Cell(g.key.model_id), ")"));
  row("configuration", StrCat("`", Cell(g.key.config_label), "` (", Cell(g.key.config_hash), ")"));
  row("strategy", StrCat("`", Cell(Strategy(g.key)), "` (", Cell(g.key.strategy), ")"));
  row("suite", StrCat("`", Cell(g.key.suite_label), "` (", Cell(g.key.suite_hash), ")"));
  row("setting", StrCat("`", Cell(g.key.setting_label), "` (", Cell(g.key.setting), ")"));
  if (IdOf(g.key) != IdOf(g.cand_key)) {
    row("B side", StrCat("`", Cell(g.cand_key.Describe()), "` (", Cell(g.cand_key.setting), ")"));
  }
  row("records", StrCat(g.base_records, " base, ", g.cand_records, " candidate; ", g.paired_records,
                        " paired, ", g.base_only, " base only, ", g.cand_only, " candidate only, ",
                        g.unscored, " unscored, ", g.duplicates, " duplicates"));
  row("items compared",
      StrCat(g.n_items, g.binary ? " (binary, one sample each)" : " (per-item mean over samples)"));
  row("accuracy base", Acc(g.base_accuracy));
  row("accuracy candidate", Acc(g.cand_accuracy));
  row("difference (candidate - base), 95% CI", DiffWithCi(g.diff));
  row("test", StrCat(TestName(g), " p = ", PValue(g.p_value), "; ",
                     CorrectionName(c.options.correction), "-adjusted p = ", PValue(g.p_adjusted)));
  row("minimum detectable difference",
      StrCat(Acc(g.mdd), " (alpha ", c.options.alpha, ", power ", c.options.power, ")"));
  row("flipped", StrCat(g.correct_to_wrong.size(), " correct -> wrong, ", g.wrong_to_correct.size(),
                        " wrong -> correct"));
  const SpeedComparison& s = g.speed;
  if (s.base_tokens_per_item > 0 || s.cand_tokens_per_item > 0) {
    row("tokens per record (in + out)",
        StrCat(Fmt("%.4g", s.base_tokens_per_item), " -> ", Fmt("%.4g", s.cand_tokens_per_item)));
  }
  if (s.verdict == Verdict::kNotTested && !s.informational) {
    row("latency", StrCat("not judged: ", s.note));
  } else {
    row("median latency per item",
        StrCat(Fmt("%.4g", s.base_median_latency_s), " s -> ", Fmt("%.4g", s.cand_median_latency_s),
               " s, ratio ", SpeedCell(s), " (", s.n, " pairs)"));
    if (s.base_median_tokens_per_s > 0) {
      row("median tokens/s", StrCat(Fmt("%.4g", s.base_median_tokens_per_s), " -> ",
                                    Fmt("%.4g", s.cand_median_tokens_per_s)));
    }
    row("speed verdict",
        s.informational ? s.note : StrCat(VerdictName(s.verdict), " (", s.note, ")"));
  }
  row("verdict", StrCat("**", VerdictName(g.verdict), "**"));
  md += StrCat("\ncorrect -> wrong (", g.correct_to_wrong.size(),
               "): ", IdList(g.correct_to_wrong, c.options.max_flips_listed), "\n\n",
               "wrong -> correct (", g.wrong_to_correct.size(),
               "): ", IdList(g.wrong_to_correct, c.options.max_flips_listed), "\n");
}

void WriteKey(JsonWriter& w, const CompareKey& k) {
  w.StartObject();
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"model_id", &k.model_id},
        {"model", &k.model_label},
        {"config_hash", &k.config_hash},
        {"config", &k.config_label},
        {"strategy", &k.strategy},
        {"strategy_name", &k.strategy_label},
        {"suite_hash", &k.suite_hash},
        {"suite", &k.suite_label},
        {"setting_label", &k.setting_label}}) {
    w.Key(name);
    WriteJsonString(w, *value);
  }
  w.EndObject();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& v) {
  w.StartArray();
  for (const auto& s : v) WriteJsonString(w, s);
  w.EndArray();
}

void WriteGroup(JsonWriter& w, const GroupComparison& g) {
  w.StartObject();
  w.Key("key");
  WriteKey(w, g.key);
  w.Key("cand_key");
  WriteKey(w, g.cand_key);
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"base_records", g.base_records},
                                    {"cand_records", g.cand_records},
                                    {"paired_records", g.paired_records},
                                    {"base_only", g.base_only},
                                    {"cand_only", g.cand_only},
                                    {"unscored", g.unscored},
                                    {"duplicates", g.duplicates},
                                    {"n_items", g.n_items}}) {
    w.Key(name);
    w.Int64(value);
  }
  w.Key("binary");
  w.Bool(g.binary);
  w.Key("test");
  WriteJsonString(w, g.test);
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"base_accuracy", g.base_accuracy},
        {"cand_accuracy", g.cand_accuracy},
        {"diff", g.diff.value},
        {"p_value", g.p_value},
        {"p_adjusted", g.p_adjusted},
        {"mdd", g.mdd}}) {
    w.Key(name);
    WriteJsonFloat(w, value);
  }
  w.Key("diff_ci");
  if (g.diff.ci) {
    w.StartArray();
    WriteJsonFloat(w, g.diff.ci->lo);
    WriteJsonFloat(w, g.diff.ci->hi);
    w.EndArray();
  } else {
    w.Null();
  }
  w.Key("diff_ci_method");
  WriteJsonString(w, g.diff.ci ? g.diff.ci_method : "");
  w.Key("correct_to_wrong");
  WriteStrings(w, g.correct_to_wrong);
  w.Key("wrong_to_correct");
  WriteStrings(w, g.wrong_to_correct);
  w.Key("verdict");
  WriteJsonString(w, VerdictName(g.verdict));
  const SpeedComparison& s = g.speed;
  w.Key("speed");
  w.StartObject();
  w.Key("n");
  w.Int64(s.n);
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"base_median_latency_s", s.base_median_latency_s},
        {"cand_median_latency_s", s.cand_median_latency_s},
        {"latency_ratio", s.latency_ratio},
        {"base_median_tokens_per_s", s.base_median_tokens_per_s},
        {"cand_median_tokens_per_s", s.cand_median_tokens_per_s}}) {
    w.Key(name);
    WriteJsonFloat(w, value);
  }
  w.Key("ratio_ci");
  if (s.ratio_ci) {
    w.StartArray();
    WriteJsonFloat(w, s.ratio_ci->lo);
    WriteJsonFloat(w, s.ratio_ci->hi);
    w.EndArray();
  } else {
    w.Null();
  }
  w.Key("verdict");
  WriteJsonString(w, VerdictName(s.verdict));
  w.Key("informational");
  w.Bool(s.informational);
  w.Key("note");
  WriteJsonString(w, s.note);
  w.Key("base_tokens_per_item");
  WriteJsonFloat(w, s.base_tokens_per_item);
  w.Key("cand_tokens_per_item");
  WriteJsonFloat(w, s.cand_tokens_per_item);
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string RenderCompareMarkdown(const Comparison& c) {
  const CompareOptions& o = c.options;
  std::string md = "## gapbench compare\n\n";
  if (c.a_selector.empty()) {
    md += StrCat("- base: `", c.base_source, "`\n- candidate: `", c.cand_source, "`\n");
  } else {
    md += StrCat("- A/B of two settings, paired item by item on the records they share:\n",
                 "- A (base): `", Cell(c.a_selector), "` in `", c.base_source, "`\n",
                 "- B (candidate): `", Cell(c.b_selector), "` in `", c.cand_source, "`\n");
  }
  md += StrCat("- ", c.groups.size(), " compared group pair(s); alpha ", o.alpha, " (",
               CorrectionName(o.correction), " correction across groups), minimum effect ",
               o.min_effect, ", power ", o.power, "; speed threshold ",
               Fmt("%.0f%%", 100 * o.speed_threshold), "\n");
  const size_t not_compared = c.base_only_groups.size() + c.cand_only_groups.size();
  if (not_compared > 0) {
    md += StrCat("- **NOT compared: ", not_compared, " group(s)** -- ", c.base_only_groups.size(),
                 " only in base, ", c.cand_only_groups.size(),
                 " only in candidate (listed under \"Groups not compared\"); the verdict says "
                 "nothing about them\n");
  }
  if (c.base_duplicates > 0 || c.cand_duplicates > 0) {
    md += StrCat("- repeated records kept once by the loader: ", c.base_duplicates, " in base, ",
                 c.cand_duplicates, " in candidate\n");
  }
  md += "\n";
  if (c.regressions > 0) {
    md += StrCat("**Verdict: REGRESSION** in ", c.regressions, " of ", c.groups.size(),
                 " group(s)\n\n");
  } else {
    md += StrCat("**Verdict: no significant regression** in ", c.groups.size(),
                 " compared group(s) (", c.improvements, " improvement(s))",
                 not_compared ? StrCat("; ", not_compared, " group(s) not compared") : "", "\n\n");
  }
  for (const GroupComparison& g : c.groups) {
    if (g.verdict == Verdict::kRegression || g.verdict == Verdict::kImprovement) {
      AppendVerdictLine(md, c, g);
    }
  }
  for (const SpeedFamily& f : c.speed_families) {
    if (f.verdict == Verdict::kRegression || f.verdict == Verdict::kImprovement) {
      md += StrCat("- speed ", f.verdict == Verdict::kRegression ? "REGRESSION" : "improvement",
                   ": ", Cell(f.label), ": median latency ratio ", FamilyCell(f), "\n");
    }
  }
  bool informational = false;
  for (const GroupComparison& g : c.groups) informational = informational || g.speed.informational;
  if (informational) {
    md += StrCat(
        "- latency ratios marked (informational) come from one measurement per side: "
        "no speed verdict (a run's latency on a shared machine is not evidence; speed "
        "is judged over at least ",
        o.speed_min_repeats, " repeated measurements, e.g. seeds)\n");
  }
  md +=
      "\n| model | configuration | strategy | suite | setting | items | base | candidate | "
      "difference [95% CI] | p (adj.) | MDD | correct->wrong | wrong->correct | latency ratio | "
      "verdict |\n|---|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|---|\n";
  for (const GroupComparison& g : c.groups) {
    md += StrCat("| ", PairCell(g.key.model_label, g.cand_key.model_label), " | ",
                 PairCell(g.key.config_label, g.cand_key.config_label), " | ",
                 PairCell(Strategy(g.key), Strategy(g.cand_key)), " | ",
                 PairCell(g.key.suite_label, g.cand_key.suite_label), " | ",
                 PairCell(g.key.setting_label, g.cand_key.setting_label), " | ", g.n_items, " | ",
                 Acc(g.base_accuracy), " | ", Acc(g.cand_accuracy), " | ", DiffWithCi(g.diff),
                 " | ", PValue(g.p_adjusted), " | ", Acc(g.mdd), " | ", g.correct_to_wrong.size(),
                 " | ", g.wrong_to_correct.size(), " | ", SpeedCell(g.speed), " | ",
                 VerdictName(g.verdict), " |\n");
  }
  for (const GroupComparison& g : c.groups) AppendGroupSection(md, c, g);
  if (!c.base_only_groups.empty() || !c.cand_only_groups.empty()) {
    md += "\n### Groups not compared\n\n";
    for (const CompareKey& k : c.base_only_groups)
      md += StrCat("- only in base: ", Cell(k.Describe()), "\n");
    for (const CompareKey& k : c.cand_only_groups) {
      md += StrCat("- only in candidate: ", Cell(k.Describe()), "\n");
    }
  }
  return md;
}

std::string RenderCompareJson(const Comparison& c) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("schema");
  WriteJsonString(w, "gapbench.compare/1");
  w.Key("base");
  WriteJsonString(w, c.base_source);
  w.Key("candidate");
  WriteJsonString(w, c.cand_source);
  w.Key("a_selector");
  WriteJsonString(w, c.a_selector);
  w.Key("b_selector");
  WriteJsonString(w, c.b_selector);
  w.Key("options");
  w.StartObject();
  for (const auto& [name, value] : {std::pair<const char*, double>{"alpha", c.options.alpha},
                                    {"min_effect", c.options.min_effect},
                                    {"power", c.options.power},
                                    {"speed_threshold", c.options.speed_threshold}}) {
    w.Key(name);
    WriteJsonFloat(w, value);
  }
  w.Key("correction");
  WriteJsonString(w, CorrectionName(c.options.correction));
  w.Key("bootstrap_resamples");
  w.Int64(c.options.bootstrap_resamples);
  w.Key("seed");
  w.Uint64(c.options.seed);
  w.EndObject();
  w.Key("base_duplicates");
  w.Int64(c.base_duplicates);
  w.Key("cand_duplicates");
  w.Int64(c.cand_duplicates);
  w.Key("regressions");
  w.Int64(c.regressions);
  w.Key("improvements");
  w.Int64(c.improvements);
  w.Key("speed_regressions");
  w.Int64(c.speed_regressions);
  w.Key("speed_families");
  w.StartArray();
  for (const SpeedFamily& f : c.speed_families) {
    w.StartObject();
    w.Key("label");
    WriteJsonString(w, f.label);
    w.Key("repeats");
    w.Int64(f.repeats);
    w.Key("ratio");
    WriteJsonFloat(w, f.ratio);
    w.Key("ratio_ci");
    if (f.ci) {
      w.StartArray();
      WriteJsonFloat(w, f.ci->lo);
      WriteJsonFloat(w, f.ci->hi);
      w.EndArray();
    } else {
      w.Null();
    }
    w.Key("verdict");
    WriteJsonString(w, VerdictName(f.verdict));
    w.EndObject();
  }
  w.EndArray();
  w.Key("groups");
  w.StartArray();
  for (const GroupComparison& g : c.groups) WriteGroup(w, g);
  w.EndArray();
  w.Key("base_only_groups");
  w.StartArray();
  for (const CompareKey& k : c.base_only_groups) WriteKey(w, k);
  w.EndArray();
  w.Key("cand_only_groups");
  w.StartArray();
  for (const CompareKey& k : c.cand_only_groups) WriteKey(w, k);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString()) + "\n";
}

}  // namespace gapbench::reports
