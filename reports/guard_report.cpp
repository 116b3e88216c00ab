// The guard section of report.md and index.html (see guard_report.h).
#include "reports/guard_report.h"

#include <sstream>

#include "common/error.h"
#include "reports/markdown.h"
#include "reports/svg_chart.h"

namespace gapbench::reports {
namespace {

std::string ValueText(const GuardValue& v) {
  if (!v.value) return "-";
  std::string s = FormatFixed(*v.value);
  if (v.ci) s += " " + FormatInterval(*v.ci);
  return s;
}

std::string System(const RunData& run, const GuardGroup& gg) {
  const RunGroup& g = run.groups[gg.group];
  return gg.guarded > 0 ? StrCat(g.strategy_name, " (protects ", g.model.alias, ")")
                        : StrCat(g.model.alias, " (alone, as a guard)");
}

// One table row's cells: system, suite, setting, split, items, then the rates and the cost.
std::vector<std::string> Cells(const RunData& run, const GuardGroup& gg, const std::string& split,
                               const GuardRates& r) {
  const RunGroup& g = run.groups[gg.group];
  const GuardMetrics& m = gg.metrics;
  const bool all = split == "all";
  return {System(run, gg),
          g.suite.name,
          SettingLabel(g.setting),
          split,
          StrCat(r.n),
          StrCat(r.tp, "/", r.fp, "/", r.fn, "/", r.tn),
          ValueText(r.precision),
          ValueText(r.recall),
          ValueText(r.f1),
          ValueText(r.frr),
          all ? FormatFixed(m.mean_seconds, 4) : "",
          all ? FormatFixed(m.mean_tokens, 1) : ""};
}

constexpr const char* kHeader[] = {"system", "suite",       "setting",   "split",
                                   "items",  "TP/FP/FN/TN", "precision", "recall",
                                   "F1",     "FRR",         "s/request", "tokens/request"};

}  // namespace

std::vector<GuardGroup> GuardGroups(const RunData& run) {
  std::vector<GuardGroup> out;
  for (size_t i = 0; i < run.groups.size(); ++i) {
    GuardGroup gg;
    gg.group = i;
    std::vector<GuardItem> items;
    for (const auto& item : run.groups[i].items) {
      if (item.record.guard) {
        ++gg.guarded;
        gg.refused += item.record.guard->refused ? 1 : 0;
      }
      if (const auto g = GuardItemOf(item.record)) items.push_back(*g);
    }
    if (items.empty()) continue;
    gg.metrics = ComputeGuardMetrics(items);
    out.push_back(std::move(gg));
  }
  return out;
}

std::string GuardMarkdown(const RunData& run, const std::vector<GuardGroup>& groups) {
  if (groups.empty()) return "";
  std::ostringstream o;
  o << "## Guard\n\nDecisions on items labelled allow/refuse, refuse as the positive class: a "
       "guarded system's guard, or a model alone judged as a guard (its answer to the "
       "allow/refuse question). FRR = share of the benign (allow) items refused. Split: the "
       "request's phrasing (id = as in the training corpus, ood = paraphrased). s/request and "
       "tokens/request: what the guard adds to each request (a model alone: its own cost). "
       "Intervals: bootstrap over items, 95%.\n\n|";
  for (const char* h : kHeader) o << ' ' << h << " |";
  o << "\n|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& gg : groups) {
    auto row = [&](const std::string& split, const GuardRates& r) {
      o << '|';
      for (const auto& c : Cells(run, gg, split, r)) o << ' ' << c << " |";
      o << '\n';
    };
    row("all", gg.metrics.all);
    for (const auto& [split, r] : gg.metrics.by_split) row(split, r);
  }
  o << '\n';
  return o.str();
}

std::string GuardHtml(const RunData& run, const std::vector<GuardGroup>& groups) {
  if (groups.empty()) return "";
  std::ostringstream o;
  o << "<h2>Guard</h2>\n<p class=\"note\">Allow/refuse decisions on labelled items, refuse as "
       "the positive class (a guarded system's guard, or a model alone judged as a guard). FRR = "
       "share of benign items refused; split = the request's phrasing (id as in the corpus, ood "
       "paraphrased); cost per request is what the guard adds. Intervals: bootstrap over items, "
       "95%.</p>\n<div class=\"table-wrap\">\n<table>\n<tr>";
  for (const char* h : kHeader) o << "<th>" << HtmlEscape(h) << "</th>";
  o << "</tr>\n";
  for (const auto& gg : groups) {
    auto row = [&](const std::string& split, const GuardRates& r) {
      o << "<tr>";
      for (const auto& c : Cells(run, gg, split, r)) o << "<td>" << HtmlEscape(c) << "</td>";
      o << "</tr>\n";
    };
    row("all", gg.metrics.all);
    for (const auto& [split, r] : gg.metrics.by_split) row(split, r);
  }
  o << "</table>\n</div>\n";
  return o.str();
}

void WriteGuardRatesJson(JsonWriter& w, const GuardRates& r) {
  w.StartObject();
  for (const auto& [key, n] : {std::pair<const char*, int64_t>{"n", r.n},
                               {"tp", r.tp},
                               {"fp", r.fp},
                               {"fn", r.fn},
                               {"tn", r.tn}}) {
    w.Key(key);
    w.Int64(n);
  }
  for (const auto& [key, v] : {std::pair<const char*, const GuardValue*>{"precision", &r.precision},
                               {"recall", &r.recall},
                               {"f1", &r.f1},
                               {"frr", &r.frr}}) {
    w.Key(key);
    if (v->value) {
      WriteJsonFloat(w, *v->value);
    } else {
      w.Null();
    }
    if (v->ci) {
      w.Key(StrCat(key, "_ci").c_str());
      w.StartArray();
      WriteJsonFloat(w, v->ci->lo);
      WriteJsonFloat(w, v->ci->hi);
      w.EndArray();
    }
  }
  w.EndObject();
}

void WriteGuardMetricsJson(JsonWriter& w, const GuardMetrics& m) {
  w.StartObject();
  w.Key("all");
  WriteGuardRatesJson(w, m.all);
  w.Key("splits");
  w.StartObject();
  for (const auto& [split, r] : m.by_split) {
    w.Key(split.c_str());
    WriteGuardRatesJson(w, r);
  }
  w.EndObject();
  w.Key("n_guarded");
  w.Int64(m.n_guarded);
  w.Key("mean_seconds");
  WriteJsonFloat(w, m.mean_seconds);
  w.Key("mean_tokens");
  WriteJsonFloat(w, m.mean_tokens);
  w.EndObject();
}

std::string GuardRatesText(const GuardRates& r) {
  return StrCat("precision ", ValueText(r.precision), ", recall ", ValueText(r.recall), ", F1 ",
                ValueText(r.f1), ", FRR ", ValueText(r.frr), " (", r.n, " items, TP/FP/FN/TN ",
                r.tp, "/", r.fp, "/", r.fn, "/", r.tn, ")");
}

}  // namespace gapbench::reports
