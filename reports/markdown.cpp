// report.md writer (see markdown.h).
#include "reports/markdown.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "common/error.h"
#include "reports/guard_report.h"
#include "reports/preset_metrics.h"
#include "reports/route_report.h"
#include "reports/seeds.h"
#include "suites/presets.h"

namespace gapbench::reports {
namespace {

// Table cells: '|' would split the cell and a newline would end the table.
std::string Cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void Row(std::ostringstream& o, const std::vector<std::string>& cells) {
  o << '|';
  for (const auto& c : cells) o << ' ' << Cell(c) << " |";
  o << '\n';
}

void Header(std::ostringstream& o, const std::vector<std::string>& cells) {
  Row(o, cells);
  o << '|';
  for (size_t i = 0; i < cells.size(); ++i) o << "---|";
  o << '\n';
}

std::string Int(int64_t v) { return std::to_string(v); }
std::string OptInt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

// Seeds of one setting as repeated measurements (reports/seeds.h).
void SeedsSection(std::ostringstream& o, const RunData& run, const RunMetrics& m, int conf) {
  const auto seeds = SummariseSeeds(run, m);
  if (seeds.empty()) return;
  o << "## Seeds (repeated measurements of one setting)\n\n";
  Header(o, {"model", "configuration", "strategy", "suite", "setting", "seeds", "accuracy per seed",
             "mean", "SD across seeds", "pooled", StrCat(conf, "% CI (pooled)"), "items"});
  for (const auto& s : seeds) {
    const RunGroup& g = run.groups[s.groups.front()];
    std::string per_seed, list;
    for (size_t i = 0; i < s.seeds.size(); ++i) {
      list += StrCat(i ? ", " : "", s.seeds[i]);
      per_seed += StrCat(i ? ", " : "", s.seeds[i], ": ", FormatFixed(s.accuracies[i]));
    }
    const std::string setting = SettingLabel(g.setting, /*with_seed=*/false);
    Row(o, {g.model.alias, g.config.name, g.strategy_name, g.suite.name, setting, list, per_seed,
            FormatFixed(s.mean), FormatFixed(s.sd), FormatFixed(s.pooled.mean.value),
            FormatInterval(s.pooled.ci), Int(s.n_items)});
  }
  o << "\nPooled: the mean over items of each item's mean score across seeds, with the interval "
       "of that mean (items are the sampling unit); SD: sample standard deviation of the "
       "per-seed accuracies (docs/REPORTS.md, \"Seeds\").\n\n";
}

}  // namespace

std::string FormatFixed(std::optional<double> v, int decimals) {
  if (!v || !std::isfinite(*v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
  // "-0.000" reads as a sign where there is none.
  if (std::string(buf).find_first_not_of("-0.") == std::string::npos && buf[0] == '-') {
    return buf + 1;
  }
  return buf;
}

std::string FormatInterval(const Interval& i, int decimals) {
  return StrCat("[", FormatFixed(i.lo, decimals), ", ", FormatFixed(i.hi, decimals), "]");
}

std::string FormatEstimate(const Estimate& e, int decimals) {
  if (e.ci) {
    // Wald (value ± z·SE) is every estimate column's default; any other method is named.
    const bool named = !e.ci_method.empty() && e.ci_method != kCiWald;
    return StrCat(FormatFixed(e.value, decimals), " ", FormatInterval(*e.ci, decimals),
                  named ? StrCat(" (", e.ci_method, ")") : "");
  }
  return StrCat(FormatFixed(e.value, decimals), " (no CI", e.note.empty() ? "" : ": ", e.note, ")");
}

std::string FormatSi(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "-";
  const char* units[] = {"", " k", " M", " G", " T", " P", " E"};
  double x = *v;
  int u = 0;
  while (std::fabs(x) >= 1000 && u < 6) x /= 1000, ++u;
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.3g%s" : "%.3g%s", x, units[u]);
  return buf;
}

// Preset averages (preset_metrics.h): one table per preset entry, a column per task.
void PresetSection(std::ostringstream& o, const RunData& run, const RunMetrics& m, int conf) {
  const std::vector<PresetAverage> presets = ComputePresetAverages(run, m.options.confidence);
  if (presets.empty()) return;
  o << "## Preset averages\n\n";
  std::string entry;
  std::vector<std::string> columns;  // task names of the current table
  for (const PresetAverage& a : presets) {
    if (a.entry != entry) {
      if (!entry.empty()) o << '\n';
      entry = a.entry;
      columns.clear();
      std::vector<std::string> head = {"model", "configuration", "strategy", "seed"};
      if (const suites::Preset* p = suites::FindPreset(a.preset)) {
        for (const auto& t : p->tasks) {
          columns.push_back(t.task);
          head.push_back(StrCat(t.task, " (", t.metric, ", ", t.fewshot, "-shot)"));
        }
      } else {
        for (const auto& t : a.tasks) {
          columns.push_back(t.task);
          head.push_back(StrCat(t.task, " (", t.metric, ", ", t.fewshot, "-shot)"));
        }
      }
      head.insert(head.end(), {"n", "average", StrCat(conf, "% CI")});
      o << "Preset " << a.preset << " (entry " << a.entry << "):\n\n";
      Header(o, head);
    }
    std::vector<std::string> row = {a.model_alias, a.config_name, a.strategy, StrCat(a.seed)};
    int64_t n = 0;
    for (const std::string& task : columns) {
      const auto t = std::find_if(a.tasks.begin(), a.tasks.end(),
                                  [&](const PresetTaskScore& s) { return s.task == task; });
      row.push_back(t == a.tasks.end() ? "-" : FormatFixed(t->score.value));
      if (t != a.tasks.end()) n += t->n_items;
    }
    row.push_back(Int(n));
    row.push_back(a.average ? FormatFixed(a.average->value) : "-");
    if (a.average && a.average->ci) {
      row.push_back(FormatInterval(*a.average->ci));
    } else {
      row.push_back(StrCat("- (", a.average ? a.average->note : a.note, ")"));
    }
    Row(o, row);
  }
  o << "\nThe leaderboard's average: the task scores weighted equally (MMLU: the mean of its "
       "subjects' accuracies). CI: Wald, with the delta-method standard error "
       "sqrt(Σ SE(task)²)/tasks, items as the unit (docs/REPORTS.md).\n\n";
}

std::string MarkdownReport(const RunData& run, const RunMetrics& m) {
  std::ostringstream o;
  const int conf = static_cast<int>(std::lround(m.options.confidence * 100));
  o << "# gapbench report\n\n";
  if (!run.sweeps.empty()) {
    Header(o, {"sweep", "id", "git commit", "gapbench", "machine", "started", "ended"});
    for (const auto& s : run.sweeps) {
      Row(o, {s.name, s.id, s.git_commit, s.gapbench_version, s.machine, s.started_at,
              s.ended_at.empty() ? "(running)" : s.ended_at});
    }
    o << '\n';
  }
  o << "Shards: " << run.shards_done << " of " << run.shards_total << " done";
  if (run.shards_poison > 0) o << ", " << run.shards_poison << " poison (not scored)";
  o << ". Intervals are " << conf << "% (items are the sampling unit; see docs/REPORTS.md).\n"
    << "An interval is value ± z·SE with SE² = plug-in variance / n (Wald) unless its cell or a "
       "CI method column names another method (docs/STATISTICS.md).\n\n";
  size_t n_truncated = 0;  // records whose prompt was left-truncated to the model's context
  for (const auto& g : run.groups) {
    for (const auto& item : g.items) n_truncated += item.record.truncated_tokens > 0 ? 1 : 0;
  }
  if (n_truncated > 0) {
    o << "Prompts left-truncated to fit the model's context: " << n_truncated
      << " item records (`truncated_tokens` in items.jsonl; docs/SETTINGS.md).\n\n";
  }
  if (!run.poisoned.empty()) {
    // Every poisoned shard with its reason: an input error (fix the sweep or the files) reads
    // differently from a machine that ran out of something.
    o << "## Failed shards\n\n";
    Header(o, {"shard", "suite", "items", "attempts", "reason"});
    std::map<std::string, std::string> suite_names;
    for (const auto& s : run.suites) suite_names[s.content_hash] = s.name;
    for (const auto& p : run.poisoned) {
      const auto name = suite_names.find(p.suite_hash);
      Row(o, {p.id, name == suite_names.end() ? p.suite_hash : name->second,
              StrCat("[", p.begin, ", ", p.end, ")"), StrCat(p.attempts),
              p.reason.empty() ? "(no reason recorded)" : p.reason});
    }
    o << '\n';
  }

  o << "## Accuracy\n\n";
  Header(o, {"model", "configuration", "strategy", "suite", "shots", "chat", "seed", "samples",
             "max tokens", "n", "accuracy", StrCat(conf, "% CI"), "CI method", "chance", "acc_norm",
             "pass@k", "MDD"});
  for (size_t i = 0; i < run.groups.size(); ++i) {
    const auto& g = run.groups[i];
    const auto& gm = m.groups[i];
    std::string pass;
    for (const auto& p : gm.pass_at_k) {
      if (!pass.empty()) pass += "; ";
      pass += StrCat("@", p.k, " ", FormatEstimate(p.estimate));
    }
    std::string method = gm.ci_method;
    if (gm.ci_method == "clustered") {
      method = StrCat("clustered by ", gm.cluster_by, " (", gm.clustered->clusters, ")");
    }
    const bool any = gm.n_items > 0;
    Row(o, {g.model.alias, g.config.name, g.strategy_name, g.suite.name, OptInt(g.setting.fewshot),
            ChatLabel(g.setting), StrCat(g.setting.seed), Int(g.setting.samples),
            OptInt(g.setting.max_tokens),
            gm.n_unscored > 0 ? StrCat(gm.n_items, " (+", gm.n_unscored, " unscored)")
                              : Int(gm.n_items),
            any ? FormatFixed(gm.accuracy.mean.value) : "-", any ? FormatInterval(gm.ci) : "-",
            any ? method : "-", FormatFixed(gm.chance),
            gm.accuracy_norm ? FormatFixed(gm.accuracy_norm->mean.value) : "-",
            pass.empty() ? "-" : pass, FormatFixed(gm.mdd)});
  }
  o << "\nchance: the accuracy of guessing (multiple choice: mean over items of 1/number of "
       "choices).\n";
  o << "MDD: the smallest accuracy difference between two configurations of this size that a "
       "two-sided test at α = "
    << FormatFixed(m.options.alpha, 2) << " would detect with power "
    << FormatFixed(m.options.power, 2) << ".\n\n";

  PresetSection(o, run, m, conf);
  SeedsSection(o, run, m, conf);

  o << "## Cost\n\n";
  Header(o, {"model", "configuration", "strategy", "suite", "setting", "tokens/s",
             "latency/item (s)", "weight bytes", "KV bytes/token", "FLOPs/item"});
  for (size_t i = 0; i < run.groups.size(); ++i) {
    const auto& g = run.groups[i];
    const auto& c = m.groups[i].cost;
    Row(o, {g.model.alias, g.config.name, g.strategy_name, g.suite.name, SettingLabel(g.setting),
            FormatFixed(c.tokens_per_s, 1), FormatFixed(c.latency_s_mean, 4),
            FormatSi(c.weight_bytes), FormatSi(c.kv_bytes_per_token), FormatSi(c.flops_per_item)});
  }
  o << '\n';

  o << "## Generalisation gap (in-distribution − out-of-distribution)\n\n";
  if (m.generalisation.empty()) {
    o << "No suite pair with split id/ood tags and a family in this run.\n\n";
  } else {
    Header(o, {"model", "configuration", "strategy", "setting", "family", "n id", "n ood", "acc id",
               "acc ood", "gap"});
    for (const auto& g : m.generalisation) {
      Row(o, {g.arm.model_alias, g.arm.config_name, g.arm.strategy, g.arm.setting_label, g.family,
              Int(g.n_id), Int(g.n_ood), FormatFixed(g.acc_id.value), FormatFixed(g.acc_ood.value),
              FormatEstimate(g.gap)});
    }
    o << '\n';
    if (!m.generalisation_diff.empty()) {
      o << "Small − large, each pair of models (the smaller first), by family:\n\n";
      Header(o, {"family", "small", "large", "configuration", "strategy", "setting", "gap small",
                 "gap large", "difference", "paired"});
      for (const auto& d : m.generalisation_diff) {
        Row(o, {d.family, d.small_alias, d.large_alias, d.config_name, d.strategy, d.setting_label,
                FormatEstimate(d.gap_small), FormatEstimate(d.gap_large), FormatEstimate(d.diff),
                d.paired ? StrCat("yes (", d.n_id, " id, ", d.n_ood, " ood items)") : "no"});
      }
      o << '\n';
    }
  }

  o << "## Reasoning gap (accuracy by steps)\n\n";
  if (m.reasoning.empty()) {
    o << "No items with a `steps` tag in this run.\n\n";
  } else {
    Header(o, {"model", "configuration", "strategy", "setting", "suite", "accuracy by steps",
               "slope per step (HC1)"});
    for (const auto& r : m.reasoning) {
      std::string by;
      for (const auto& b : r.buckets) {
        if (!by.empty()) by += ", ";
        by +=
            StrCat(b.steps, ": ", FormatFixed(b.accuracy.mean.value, 2), " (n=", b.accuracy.n, ")");
      }
      Row(o, {r.arm.model_alias, r.arm.config_name, r.arm.strategy, r.arm.setting_label,
              run.groups[r.group].suite.name, by,
              r.fit ? FormatEstimate(r.fit->slope_hc1, 4) : StrCat("- (", r.note, ")")});
    }
    o << '\n';
    if (!m.reasoning_diff.empty()) {
      o << "Slope small − large, each pair of models (the smaller first), by family:\n\n";
      Header(o, {"family", "small", "large", "configuration", "strategy", "setting", "suite",
                 "slope small", "slope large", "difference"});
      for (const auto& d : m.reasoning_diff) {
        Row(o, {d.family, d.small_alias, d.large_alias, d.config_name, d.strategy, d.setting_label,
                d.suite, FormatEstimate(d.slope_small, 4), FormatEstimate(d.slope_large, 4),
                FormatEstimate(d.diff, 4)});
      }
      o << '\n';
    }
  }

  o << "## Knowledge gap (accuracy by fact frequency or subject)\n\n";
  if (m.knowledge.empty() && run.groups.empty()) {
    o << "No item results in this run" << (run.poisoned.empty() ? "" : " (see Failed shards)")
      << ".\n\n";
  } else if (m.knowledge.empty()) {
    o << "No items with a `fact_frequency` or `subject` tag in this run.\n\n";
  } else {
    Header(o, {"model", "configuration", "strategy", "setting", "suite", "by", "bucket", "n",
               "accuracy", StrCat(conf, "% CI"), "CI method"});
    for (const auto& k : m.knowledge) {
      for (const auto& b : k.buckets) {
        Row(o, {k.arm.model_alias, k.arm.config_name, k.arm.strategy, k.arm.setting_label,
                run.groups[k.group].suite.name, k.by, b.bucket, Int(b.accuracy.n),
                FormatFixed(b.accuracy.mean.value), FormatInterval(b.accuracy.ci),
                IntervalMethodName(b.accuracy.method)});
      }
    }
    o << '\n';
    if (!m.knowledge_diff.empty()) {
      o << "Small − large, each pair of models (the smaller first), by family, paired by "
           "item:\n\n";
      Header(o, {"family", "small", "large", "configuration", "strategy", "setting", "suite",
                 "bucket", "n", "difference", "MDD"});
      for (const auto& d : m.knowledge_diff) {
        for (const auto& r : d.rows) {
          Row(o,
              {d.family, d.small_alias, d.large_alias, d.config_name, d.strategy, d.setting_label,
               d.suite, r.bucket, Int(r.n), FormatEstimate(r.diff.diff), FormatFixed(r.mdd)});
        }
      }
      o << '\n';
    }
  }

  o << "## Accuracy versus cost (Pareto front)\n\n";
  if (m.pareto.empty()) {
    o << "No suite has a cost figure for every configuration.\n\n";
  } else {
    for (const auto& f : m.pareto) {
      o << "Suite " << f.suite_name << ", cost = " << f.cost_metric << ":\n\n";
      Header(o, {"model", "configuration", "strategy", "setting", "accuracy", "cost", "on front"});
      for (const auto& p : f.points) {
        const auto& g = run.groups[p.group];
        Row(o, {g.model.alias, g.config.name, g.strategy_name, SettingLabel(g.setting),
                FormatFixed(p.accuracy), FormatSi(p.cost), p.on_front ? "yes" : ""});
      }
      o << '\n';
    }
  }

  o << RouteMarkdown(run, RouteGroups(run));
  o << GuardMarkdown(run, GuardGroups(run));
  o << "## Notes\n\n";
  bool any_note = false;
  for (const auto& n : m.notes) {
    o << "- " << n << '\n';
    any_note = true;
  }
  // Cost notes repeat across groups: one line per note with the groups it concerns.
  std::vector<std::pair<std::string, std::vector<std::string>>> cost_notes;
  for (size_t i = 0; i < run.groups.size(); ++i) {
    for (const auto& n : m.groups[i].cost.notes) {
      auto it = std::find_if(cost_notes.begin(), cost_notes.end(),
                             [&](const auto& p) { return p.first == n; });
      if (it == cost_notes.end()) it = cost_notes.insert(cost_notes.end(), {n, {}});
      it->second.push_back(GroupLabel(run.groups[i]));
    }
  }
  for (const auto& [note, groups] : cost_notes) {
    o << "- " << note << " (" << groups.size() << (groups.size() == 1 ? " group: " : " groups: ");
    for (size_t i = 0; i < groups.size() && i < 3; ++i) o << (i ? "; " : "") << groups[i];
    if (groups.size() > 3) o << "; ...";
    o << ")\n";
    any_note = true;
  }
  if (!any_note) o << "None.\n";
  return o.str();
}

}  // namespace gapbench::reports
