// Per-group accuracy, the three gaps, the Pareto front (see gap_metrics.h). Cost figures are in
// cost_metrics.cpp.
#include "reports/gap_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "common/error.h"
#include "reports/pass_at_k.h"
#include "reports/power.h"

namespace gapbench::reports {

namespace {

// Tags that name a shared context, most specific first; "subject" (MMLU) last.
constexpr const char* kClusterTags[] = {"cluster", "passage", "fact"};
// Fewest clusters for which the clustered interval is the headline one (see ComputeGroup).
constexpr int64_t kMinClusters = 10;

std::vector<ItemScore> FoldSamples(const RunGroup& group, int64_t& n_unscored) {
  std::vector<ItemScore> out;
  // Graded items (TruthfulQA MC2): the running sum of record.score, which replaces 0/1 correct.
  std::vector<std::optional<double>> graded;
  n_unscored = 0;
  for (const auto& it : group.items) {  // sorted by (item_id, sample)
    const auto& r = it.record;
    if (!r.correct) {
      ++n_unscored;
      continue;
    }
    if (out.empty() || out.back().item_id != it.item_id) {
      ItemScore s;
      s.item_id = it.item_id;
      s.tags = &r.tags;
      out.push_back(s);
      graded.emplace_back();
    }
    auto& s = out.back();
    if (r.kind == suites::ItemKind::kMultipleChoice && s.samples == 0) {
      s.choices = static_cast<int64_t>(r.choice_logprobs.size());
    }
    ++s.samples;
    if (*r.correct) ++s.correct_samples;
    if (r.score) graded.back() = graded.back().value_or(0) + *r.score;
    if (r.kind == suites::ItemKind::kMultipleChoice && r.correct_norm) {
      // Running sum; divided below.
      s.score_norm = s.score_norm.value_or(0) + (*r.correct_norm ? 1.0 : 0.0);
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    auto& s = out[i];
    s.score = static_cast<double>(graded[i] ? *graded[i] : static_cast<double>(s.correct_samples)) /
              static_cast<double>(s.samples);
    if (s.score_norm) *s.score_norm /= static_cast<double>(s.samples);
  }
  return out;
}

// Mean of 1/k over the items; only when every item is multiple choice with k >= 2 recorded.
std::optional<double> ChanceLevel(const std::vector<ItemScore>& items) {
  if (items.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& s : items) {
    if (s.choices < 2) return std::nullopt;
    sum += 1.0 / static_cast<double>(s.choices);
  }
  return sum / static_cast<double>(items.size());
}

AccuracySummary Summarise(const std::vector<double>& scores, double confidence) {
  return Accuracy(scores, confidence);
}

std::string ClusterTag(const std::vector<ItemScore>& items, std::vector<std::string>& ids) {
  std::string tag;
  for (const char* t : kClusterTags) {
    for (const auto& s : items) {
      if (s.tags->extra.count(t)) {
        tag = t;
        break;
      }
    }
    if (!tag.empty()) break;
  }
  if (tag.empty()) {
    for (const auto& s : items) {
      if (!s.tags->subject.empty()) {
        tag = "subject";
        break;
      }
    }
  }
  if (tag.empty()) return "";
  ids.clear();
  for (const auto& s : items) {
    std::string v;
    if (tag == "subject") {
      v = s.tags->subject;
    } else {
      const auto it = s.tags->extra.find(tag);
      if (it != s.tags->extra.end()) v = it->second;
    }
    // An item without the tag is its own cluster.
    ids.push_back(v.empty() ? StrCat("\x01item:", s.item_id) : StrCat("=", v));
  }
  return tag;
}

GroupMetrics ComputeGroup(const RunData& run, size_t index, const MetricsOptions& o) {
  const RunGroup& g = run.groups[index];
  GroupMetrics m;
  m.group = index;
  m.items = FoldSamples(g, m.n_unscored);
  m.n_items = static_cast<int64_t>(m.items.size());
  m.cost = ComputeCost(run, g);
  if (m.items.empty()) return m;

  std::vector<double> scores, norm;
  for (const auto& s : m.items) {
    scores.push_back(s.score);
    if (s.score_norm) norm.push_back(*s.score_norm);
  }
  m.accuracy = Summarise(scores, o.confidence);
  m.ci = m.accuracy.ci;
  m.ci_method = IntervalMethodName(m.accuracy.method);
  if (!norm.empty() && norm.size() == scores.size()) {
    m.accuracy_norm = Summarise(norm, o.confidence);
  }

  std::vector<std::string> cluster_ids;
  const std::string tag = ClusterTag(m.items, cluster_ids);
  if (!tag.empty()) {
    auto cm = ClusteredMeanOf(scores, cluster_ids, o.confidence);
    // Clustering matters only when some cluster holds two items. The cluster-robust SE is
    // itself unreliable with few clusters (Cameron & Miller 2015: G well under ~20 understates
    // or wildly overstates it; with 4 subjects the interval can leave [0, 1]), so the headline
    // interval is clustered only from kMinClusters clusters on; below that the iid interval
    // stays and the clustered result is still reported beside it.
    if (cm.clusters < m.n_items) {
      m.cluster_by = tag;
      if (cm.mean.ci && cm.clusters >= kMinClusters) {
        m.ci = *cm.mean.ci;
        // An accuracy lies in [0, 1]; so does any interval we print for it.
        m.ci.lo = std::clamp(m.ci.lo, 0.0, 1.0);
        m.ci.hi = std::clamp(m.ci.hi, 0.0, 1.0);
        m.ci_method = "clustered";
      }
      m.clustered = std::move(cm);
    }
  }

  if (g.samples > 1) {
    std::vector<TaskSamples> tasks;
    int64_t min_n = g.samples;
    for (const auto& s : m.items) {
      tasks.push_back({s.samples, s.correct_samples});
      min_n = std::min(min_n, s.samples);
    }
    for (int64_t k : {int64_t{1}, int64_t{5}, int64_t{10}, int64_t{100}}) {
      if (k > min_n) break;
      m.pass_at_k.push_back({k, PassAtK(tasks, k, o.confidence)});
    }
  }

  // At an observed accuracy of exactly 0 or 1 the library keeps the level one item away from
  // the bounds (power.h), so the MDD is never 0.
  m.mdd = MinimumDetectableDifferenceUnpaired(m.accuracy.mean.value, m.n_items, m.n_items, o.alpha,
                                              o.power);
  m.chance = ChanceLevel(m.items);
  return m;
}

Arm ArmOf(const RunGroup& g) {
  return {g.model.id,      g.model.alias, g.config.hash,          g.config.name,
          g.strategy_name, g.key.setting, SettingLabel(g.setting)};
}

// (config hash, strategy) identify an arm's setting across models.
using Setting = std::tuple<std::string, std::string>;

Estimate CltMean(const std::vector<double>& v, double confidence) {
  return Accuracy(v, confidence).mean;
}

// The family a group's gap rows are filed under: the `family` tag its items share, else the
// suite's name (a synthetic world's suites are their own families, docs/WORLD.md).
std::string GroupFamily(const GroupMetrics& gm, const RunGroup& g) {
  std::string family;
  for (const auto& s : gm.items) {
    const std::string& f = s.tags->family;
    if (f.empty() || (!family.empty() && f != family)) return g.suite.name;
    family = f;
  }
  return family.empty() ? g.suite.name : family;
}

// ---- generalisation ----

struct SplitScores {
  std::map<std::string, double> id, ood;  // suite_hash + '/' + item_id -> score
};

void Generalisation(const RunData& run, RunMetrics& out) {
  const double conf = out.options.confidence;
  // (model id, config hash, strategy + setting, family) -> scores: arms of different settings
  // (few-shot count, seed, ...) are never merged.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, SplitScores> by;
  std::map<std::tuple<std::string, std::string, std::string>, Arm> arms;
  for (const auto& gm : out.groups) {
    const RunGroup& g = run.groups[gm.group];
    const std::string strategy_setting = StrCat(g.strategy_name, "\n", g.key.setting);
    arms[{g.key.model_id, g.key.config_hash, strategy_setting}] = ArmOf(g);
    for (const auto& s : gm.items) {
      const std::string family = s.tags->family.empty() ? g.suite.name : s.tags->family;
      auto& split = by[{g.key.model_id, g.key.config_hash, strategy_setting, family}];
      const std::string key = StrCat(g.key.suite_hash, "/", s.item_id);
      if (s.tags->split == "id") split.id[key] = s.score;
      if (s.tags->split == "ood") split.ood[key] = s.score;
    }
  }
  auto values = [](const std::map<std::string, double>& m) {
    std::vector<double> v;
    for (const auto& [k, x] : m) v.push_back(x);
    return v;
  };
  for (const auto& [key, split] : by) {
    if (split.id.empty() || split.ood.empty()) continue;
    const auto& [model, config, strategy, family] = key;
    GeneralisationGap gap;
    gap.arm = arms[{model, config, strategy}];
    gap.family = family;
    gap.n_id = static_cast<int64_t>(split.id.size());
    gap.n_ood = static_cast<int64_t>(split.ood.size());
    const auto id = values(split.id), ood = values(split.ood);
    gap.acc_id = CltMean(id, conf);
    gap.acc_ood = CltMean(ood, conf);
    gap.gap = AccuracyGap(id, ood, conf);
    out.generalisation.push_back(std::move(gap));
  }
  std::set<std::tuple<std::string, std::string, std::string>> settings;
  for (const auto& [key, split] : by) {
    settings.insert({std::get<1>(key), std::get<2>(key), std::get<3>(key)});
  }
  for (const ModelPair& pair : out.pairs) {
    for (const auto& [config, strategy, family] : settings) {
      const auto s = by.find({pair.small_id, config, strategy, family});
      const auto l = by.find({pair.large_id, config, strategy, family});
      if (s == by.end() || l == by.end()) continue;
      if (s->second.id.empty() || s->second.ood.empty() || l->second.id.empty() ||
          l->second.ood.empty()) {
        continue;
      }
      GeneralisationDiff d;
      const Arm& arm = arms[{pair.small_id, config, strategy}];
      d.config_name = arm.config_name;
      d.config_hash = config;
      d.strategy = arm.strategy;
      d.setting_label = arm.setting_label;
      d.family = family;
      d.small_alias = pair.small_alias;
      d.large_alias = pair.large_alias;
      // Pair by item within each split.
      std::vector<double> sid, lid, sood, lood;
      for (const auto& [k, v] : s->second.id) {
        const auto it = l->second.id.find(k);
        if (it == l->second.id.end()) continue;
        sid.push_back(v);
        lid.push_back(it->second);
      }
      for (const auto& [k, v] : s->second.ood) {
        const auto it = l->second.ood.find(k);
        if (it == l->second.ood.end()) continue;
        sood.push_back(v);
        lood.push_back(it->second);
      }
      if (!sid.empty() && !sood.empty()) {
        const auto did = GapDifferenceInDifferences(sid, lid, sood, lood, conf);
        d.paired = true;
        d.n_id = static_cast<int64_t>(sid.size());
        d.n_ood = static_cast<int64_t>(sood.size());
        d.gap_small = did.gap_small;
        d.gap_large = did.gap_large;
        d.diff = did.did;
      } else {
        d.gap_small = AccuracyGap(values(s->second.id), values(s->second.ood), conf);
        d.gap_large = AccuracyGap(values(l->second.id), values(l->second.ood), conf);
        d.diff = IndependentDifference(d.gap_small, d.gap_large, conf);
        d.diff.note = "no items in common: independent difference of the two gaps";
      }
      out.generalisation_diff.push_back(std::move(d));
    }
  }
}

// ---- reasoning ----

void Reasoning(const RunData& run, RunMetrics& out) {
  const double conf = out.options.confidence;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, size_t> index;
  for (const auto& gm : out.groups) {
    const RunGroup& g = run.groups[gm.group];
    std::map<int64_t, std::vector<double>> buckets;
    std::vector<double> x, y;
    for (const auto& s : gm.items) {
      if (!s.tags->steps) continue;
      buckets[*s.tags->steps].push_back(s.score);
      x.push_back(static_cast<double>(*s.tags->steps));
      y.push_back(s.score);
    }
    if (buckets.empty()) continue;
    ReasoningGap r;
    r.arm = ArmOf(g);
    r.group = gm.group;
    for (const auto& [steps, v] : buckets) r.buckets.push_back({steps, Accuracy(v, conf)});
    if (buckets.size() < 2 || x.size() < 3) {
      r.note = "needs at least 3 items over 2 distinct step counts for a slope";
    } else {
      r.fit = OlsSlope(x, y, conf);
    }
    index[{g.key.model_id, g.key.config_hash, StrCat(g.strategy_name, "\n", g.key.setting),
           g.key.suite_hash}] = out.reasoning.size();
    out.reasoning.push_back(std::move(r));
  }
  for (const ModelPair& pair : out.pairs) {
    for (const auto& [key, si] : index) {
      if (std::get<0>(key) != pair.small_id) continue;
      const auto li =
          index.find({pair.large_id, std::get<1>(key), std::get<2>(key), std::get<3>(key)});
      if (li == index.end()) continue;
      const auto& s = out.reasoning[si];
      const auto& l = out.reasoning[li->second];
      if (!s.fit || !l.fit) continue;
      ReasoningDiff d;
      d.config_name = s.arm.config_name;
      d.config_hash = s.arm.config_hash;
      d.strategy = s.arm.strategy;
      d.setting_label = s.arm.setting_label;
      d.suite = run.groups[s.group].suite.name;
      d.family = GroupFamily(out.groups[s.group], run.groups[s.group]);
      d.small_alias = pair.small_alias;
      d.large_alias = pair.large_alias;
      d.slope_small = s.fit->slope_hc1;
      d.slope_large = l.fit->slope_hc1;
      d.diff = IndependentDifference(d.slope_small, d.slope_large, conf);
      out.reasoning_diff.push_back(std::move(d));
    }
  }
}

// ---- knowledge ----

// bucket label -> (order, item key -> score)
using Buckets = std::map<std::string, std::pair<double, std::map<std::string, double>>>;

std::string KnowledgeBuckets(const GroupMetrics& gm, Buckets& b) {
  bool any_freq = false;
  for (const auto& s : gm.items) any_freq = any_freq || s.tags->fact_frequency.has_value();
  for (const auto& s : gm.items) {
    if (any_freq) {
      if (!s.tags->fact_frequency) continue;
      const auto [label, order] = FrequencyBucket(*s.tags->fact_frequency);
      auto& slot = b[label];
      slot.first = order;
      slot.second[s.item_id] = s.score;
    } else if (!s.tags->subject.empty()) {
      b[s.tags->subject].second[s.item_id] = s.score;
    }
  }
  if (b.empty()) return "";
  return any_freq ? "fact_frequency" : "subject";
}

void Knowledge(const RunData& run, RunMetrics& out) {
  const double conf = out.options.confidence;
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::pair<size_t, Buckets>>
      index;
  for (const auto& gm : out.groups) {
    const RunGroup& g = run.groups[gm.group];
    Buckets b;
    const std::string by = KnowledgeBuckets(gm, b);
    if (by.empty()) continue;
    KnowledgeGap k;
    k.arm = ArmOf(g);
    k.group = gm.group;
    k.by = by;
    for (const auto& [label, slot] : b) {
      std::vector<double> v;
      for (const auto& [id, x] : slot.second) v.push_back(x);
      k.buckets.push_back({label, slot.first, Accuracy(v, conf)});
    }
    std::stable_sort(k.buckets.begin(), k.buckets.end(),
                     [](const KnowledgeBucket& a, const KnowledgeBucket& b) {
                       return std::tie(a.order, a.bucket) < std::tie(b.order, b.bucket);
                     });
    index[{g.key.model_id, g.key.config_hash, StrCat(g.strategy_name, "\n", g.key.setting),
           g.key.suite_hash}] = {out.knowledge.size(), std::move(b)};
    out.knowledge.push_back(std::move(k));
  }
  for (const ModelPair& pair : out.pairs) {
    for (const auto& [key, sv] : index) {
      if (std::get<0>(key) != pair.small_id) continue;
      const auto lv =
          index.find({pair.large_id, std::get<1>(key), std::get<2>(key), std::get<3>(key)});
      if (lv == index.end()) continue;
      const auto& s = out.knowledge[sv.first];
      const auto& l = out.knowledge[lv->second.first];
      if (s.by != l.by) continue;
      KnowledgeDiff d;
      d.config_name = s.arm.config_name;
      d.config_hash = s.arm.config_hash;
      d.strategy = s.arm.strategy;
      d.setting_label = s.arm.setting_label;
      d.suite = run.groups[s.group].suite.name;
      d.by = s.by;
      d.family = GroupFamily(out.groups[s.group], run.groups[s.group]);
      d.small_alias = pair.small_alias;
      d.large_alias = pair.large_alias;
      for (const auto& bucket : s.buckets) {  // in display order
        const auto& sb = sv.second.at(bucket.bucket).second;
        const auto lb_it = lv->second.second.find(bucket.bucket);
        if (lb_it == lv->second.second.end()) continue;
        std::vector<double> a, b;
        for (const auto& [id, x] : sb) {
          const auto it = lb_it->second.second.find(id);
          if (it == lb_it->second.second.end()) continue;
          a.push_back(x);
          b.push_back(it->second);
        }
        if (a.empty()) continue;
        KnowledgeDiffRow row;
        row.bucket = bucket.bucket;
        row.n = static_cast<int64_t>(a.size());
        row.diff = PairedDiff(a, b, conf);
        row.mdd = MinimumDetectableDifferencePaired(row.diff.sd_diff, row.n, out.options.alpha,
                                                    out.options.power);
        d.rows.push_back(std::move(row));
      }
      if (!d.rows.empty()) out.knowledge_diff.push_back(std::move(d));
    }
  }
}

// ---- Pareto ----

void Pareto(const RunData& run, RunMetrics& out) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_suite;
  for (const auto& gm : out.groups) {
    if (gm.n_items == 0) continue;
    const RunGroup& g = run.groups[gm.group];
    by_suite[{g.suite.name, g.key.suite_hash}].push_back(gm.group);
  }
  for (const auto& [suite, groups] : by_suite) {
    // One front per cost axis that every point has: the measured latency (depends on the machine
    // and its load) and, beside it, machine-independent costs (FLOPs per item, weight bytes), so
    // a front can be read without trusting one run's timing. Mixing axes would compare unlike
    // things, so an axis some group lacks gets no front.
    using Cost = std::optional<double> CostMetrics::*;
    const std::pair<const char*, Cost> axes[] = {
        {"latency_s_per_item", &CostMetrics::latency_s_mean},
        {"flops_per_item", &CostMetrics::flops_per_item},
        {"weight_bytes", &CostMetrics::weight_bytes}};
    bool any = false;
    for (const auto& [metric, field] : axes) {
      bool all = true;
      for (size_t gi : groups) all = all && (out.groups[gi].cost.*field).has_value();
      if (!all) continue;
      any = true;
      ParetoFront f;
      f.suite_name = suite.first;
      f.suite_hash = suite.second;
      f.cost_metric = metric;
      for (size_t gi : groups) {
        const auto& gm = out.groups[gi];
        f.points.push_back({gi, gm.accuracy.mean.value, *(gm.cost.*field), false});
      }
      MarkParetoFront(f.points);
      out.pareto.push_back(std::move(f));
    }
    if (!any) {
      out.notes.push_back(StrCat("suite ", suite.first,
                                 ": no Pareto front (latency and FLOPs missing for some groups)"));
    }
  }
}

void PickSmallAndLarge(const RunData& run, RunMetrics& out) {
  std::map<std::string, const ModelRow*> used;
  for (const auto& g : run.groups) used[g.key.model_id] = &g.model;
  if (used.size() < 2) return;
  bool all_params = true;
  for (const auto& [id, m] : used) all_params = all_params && ModelParameters(*m).has_value();
  out.size_basis = all_params ? "parameters" : "file size";
  std::vector<std::tuple<double, std::string, const ModelRow*>> sized;
  for (const auto& [id, m] : used) {
    const double size = all_params ? *ModelParameters(*m) : static_cast<double>(m->size_bytes);
    sized.emplace_back(size, id, m);
  }
  std::sort(sized.begin(), sized.end());
  const auto* small = std::get<2>(sized.front());
  const auto* large = std::get<2>(sized.back());
  if (std::get<0>(sized.front()) == std::get<0>(sized.back())) {
    out.notes.push_back(
        StrCat("models have the same ", out.size_basis, ": small vs large is by id order"));
  }
  out.small_model_id = small->id;
  out.large_model_id = large->id;
  out.small_model_alias = small->alias;
  out.large_model_alias = large->alias;
  for (size_t i = 0; i < sized.size(); ++i) {
    for (size_t j = i + 1; j < sized.size(); ++j) {
      const auto* a = std::get<2>(sized[i]);
      const auto* b = std::get<2>(sized[j]);
      out.pairs.push_back({a->id, a->alias, b->id, b->alias});
    }
  }
  if (used.size() > 2) {
    out.notes.push_back(StrCat("small − large rows compare every pair of the ", used.size(),
                               " models (", out.pairs.size(), " pairs, the smaller first); ",
                               "small_vs_large names the smallest (", small->alias,
                               ") and the largest (", large->alias, ")"));
  }
}

}  // namespace

std::pair<std::string, double> FrequencyBucket(double frequency) {
  if (!(frequency > 0)) return {"0", -1e9};
  const double e = std::floor(std::log10(frequency) + 1e-12);
  const int ei = static_cast<int>(e);
  return {StrCat("[1e", ei, ", 1e", ei + 1, ")"), e};
}

void MarkParetoFront(std::vector<ParetoPoint>& points) {
  std::stable_sort(points.begin(), points.end(), [](const ParetoPoint& a, const ParetoPoint& b) {
    return std::tie(a.cost, b.accuracy, a.group) < std::tie(b.cost, a.accuracy, b.group);
  });
  // Dominated: another point at most as costly and at least as accurate, better in one of them.
  for (auto& p : points) {
    p.on_front = true;
    for (const auto& q : points) {
      if (q.cost <= p.cost && q.accuracy >= p.accuracy &&
          (q.cost < p.cost || q.accuracy > p.accuracy)) {
        p.on_front = false;
        break;
      }
    }
  }
}

GroupMetrics ComputeGroupMetrics(const RunData& run, size_t index, const MetricsOptions& options) {
  GB_CHECK(index < run.groups.size(), "group ", index, " of ", run.groups.size());
  return ComputeGroup(run, index, options);
}

RunMetrics ComputeMetrics(const RunData& run, const MetricsOptions& options) {
  RunMetrics out;
  out.options = options;
  for (size_t i = 0; i < run.groups.size(); ++i) {
    out.groups.push_back(ComputeGroup(run, i, options));
  }
  PickSmallAndLarge(run, out);
  Generalisation(run, out);
  Reasoning(run, out);
  Knowledge(run, out);
  Pareto(run, out);
  // Rows by the names people read (the maps above are keyed by ids and hashes).
  std::stable_sort(
      out.generalisation.begin(), out.generalisation.end(),
      [](const GeneralisationGap& a, const GeneralisationGap& b) {
        return std::tie(a.arm.model_alias, a.arm.config_name, a.arm.strategy, a.family) <
               std::tie(b.arm.model_alias, b.arm.config_name, b.arm.strategy, b.family);
      });
  // Small − large rows grouped by family (a world's suites side by side), then configuration;
  // model pairs stay in size order within (stable sort).
  std::stable_sort(out.generalisation_diff.begin(), out.generalisation_diff.end(),
                   [](const GeneralisationDiff& a, const GeneralisationDiff& b) {
                     return std::tie(a.family, a.config_name, a.strategy) <
                            std::tie(b.family, b.config_name, b.strategy);
                   });
  std::stable_sort(out.reasoning_diff.begin(), out.reasoning_diff.end(),
                   [](const ReasoningDiff& a, const ReasoningDiff& b) {
                     return std::tie(a.family, a.config_name, a.strategy, a.suite) <
                            std::tie(b.family, b.config_name, b.strategy, b.suite);
                   });
  std::stable_sort(out.knowledge_diff.begin(), out.knowledge_diff.end(),
                   [](const KnowledgeDiff& a, const KnowledgeDiff& b) {
                     return std::tie(a.family, a.config_name, a.strategy, a.suite) <
                            std::tie(b.family, b.config_name, b.strategy, b.suite);
                   });
  if (run.duplicates > 0) {
    out.notes.push_back(StrCat(run.duplicates,
                               " item records were stored by more than one shard; each is "
                               "counted once"));
  }
  return out;
}

}  // namespace gapbench::reports
