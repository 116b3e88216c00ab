// index.html writer (see html.h).
#include "reports/html.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "common/error.h"
#include "reports/guard_report.h"
#include "reports/markdown.h"
#include "reports/preset_metrics.h"
#include "reports/results_json.h"
#include "reports/route_report.h"
#include "reports/seeds.h"
#include "reports/svg_chart.h"

namespace gapbench::reports {
namespace {

constexpr const char* kCss = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:16px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.table-wrap{max-width:100%;max-height:75vh;overflow:auto;border:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f3f3f3;cursor:pointer;user-select:none;position:sticky;top:0;z-index:1}
thead th[aria-sort=ascending]::after{content:" \25B2"}
thead th[aria-sort=descending]::after{content:" \25BC"}
tbody tr:nth-child(even){background:#fafafa}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));gap:16px;align-items:start}
svg.chart{display:block;width:100%;height:auto;border:1px solid #eee;background:#fff;font-size:11px}
svg.chart.wide{grid-column:1/-1}
svg .frame{fill:none;stroke:#999}svg .grid{stroke:#eee}svg .zero{stroke:#555;stroke-dasharray:4 3}
svg .ref{stroke:#b35900;stroke-dasharray:6 4;stroke-width:1.5}svg .rl{fill:#b35900;font-size:10px}
svg .leader{stroke:#999;stroke-width:0.75}
svg .ct{font-size:13px;font-weight:600}svg .yt{text-anchor:end}svg .xt,svg .al{text-anchor:middle}
svg .xc{text-anchor:end}svg .pl{font-size:10px;fill:#333}
svg .whisker{stroke-width:1.5}svg .pt{stroke-width:1}svg .pt.hi{stroke:#000;stroke-width:2}
svg .series polyline{stroke-width:1.5}
.note{color:#666;font-size:13px}
)css";

// Records errors before anything else runs; the self-test reads them.
constexpr const char* kErrorHookJs = R"js(
(function(){var log=[];window.__gbErrors=log;
function rec(m){log.push(String(m));var h=document.documentElement;
h.setAttribute('data-errors',String(log.length));h.setAttribute('data-error-log',log.join(' | '));}
window.addEventListener('error',function(e){rec(e.message||'error');});
window.addEventListener('unhandledrejection',function(e){rec('unhandled rejection: '+e.reason);});
var ce=console.error;console.error=function(){rec(Array.prototype.join.call(arguments,' '));
if(ce)ce.apply(console,arguments);};
document.documentElement.setAttribute('data-errors','0');})();
)js";

constexpr const char* kSortJs = R"js(
(function(){
function key(td){var v=td.getAttribute('data-value');if(v!==null&&v!==''){var f=parseFloat(v);
if(!isNaN(f))return{n:true,v:f};}return{n:false,v:td.textContent.trim()};}
var coll=new Intl.Collator(undefined,{numeric:true,sensitivity:'base'});
function cmp(a,b){if(a.n&&b.n)return a.v-b.v;if(a.n)return -1;if(b.n)return 1;return coll.compare(a.v,b.v);}
function sortBy(table,col,dir){var tb=table.tBodies[0];var rows=Array.prototype.slice.call(tb.rows);
rows.forEach(function(r,i){r.__i=i;});
rows.sort(function(a,b){var c=cmp(key(a.cells[col]),key(b.cells[col]));return (dir==='ascending'?c:-c)||a.__i-b.__i;});
rows.forEach(function(r){tb.appendChild(r);});
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
if(i===col)th.setAttribute('aria-sort',dir);else th.removeAttribute('aria-sort');});}
function attach(table){Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
th.addEventListener('click',function(){var d=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
sortBy(table,i,d);});});}
Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),attach);
function selftest(){var t=document.getElementById('leaderboard');if(!t)return 'no table';
var ths=t.tHead.rows[0].cells,acc=-1,model=-1;
for(var i=0;i<ths.length;i++){var k=ths[i].getAttribute('data-key');if(k==='accuracy')acc=i;if(k==='model')model=i;}
if(acc<0||model<0)return 'columns missing';
function col(c){return Array.prototype.map.call(t.tBodies[0].rows,function(r){return key(r.cells[c]);});}
function ordered(c,sign){var v=col(c);for(var i=1;i<v.length;i++){if(sign*cmp(v[i-1],v[i])>0)return false;}return true;}
ths[acc].click();if(ths[acc].getAttribute('aria-sort')!=='ascending'||!ordered(acc,1))return 'accuracy ascending';
ths[acc].click();if(ths[acc].getAttribute('aria-sort')!=='descending'||!ordered(acc,-1))return 'accuracy descending';
ths[model].click();if(!ordered(model,1))return 'model ascending';
if(document.querySelectorAll('svg.chart').length<1)return 'no charts';
return 'pass';}
function overlap(a,b){return a.left<b.right-0.5&&b.left<a.right-0.5&&a.top<b.bottom-0.5&&b.top<a.bottom-0.5;}
function layout(){var bad=[],de=document.documentElement,vw=de.clientWidth;
if(de.scrollWidth>vw+1)bad.push('page scrolls sideways: '+de.scrollWidth+' > '+vw);
Array.prototype.forEach.call(document.body.getElementsByTagName('*'),function(e){
var inner=e.parentElement&&e.parentElement.closest('.table-wrap, svg');if(inner)return;
var r=e.getBoundingClientRect();if(r.width>0&&(r.right>vw+1||r.left<-1))
bad.push(e.tagName+(e.id?'#'+e.id:'')+' spans '+Math.round(r.left)+'..'+Math.round(r.right));});
Array.prototype.forEach.call(document.querySelectorAll('svg.chart'),function(svg){var sr=svg.getBoundingClientRect();
Array.prototype.forEach.call(svg.querySelectorAll('text'),function(t){var r=t.getBoundingClientRect();if(!r.width)return;
if(r.left<sr.left-0.5||r.right>sr.right+0.5||r.top<sr.top-0.5||r.bottom>sr.bottom+0.5)
bad.push(svg.id+': text "'+t.textContent.slice(0,40)+'" leaves the chart');});
var data=svg.querySelectorAll('circle.pt, line.whisker');
Array.prototype.forEach.call(svg.querySelectorAll('g.legend rect, g.legend text'),function(l){var a=l.getBoundingClientRect();
for(var k=0;k<data.length;k++){if(overlap(a,data[k].getBoundingClientRect())){bad.push(svg.id+': legend covers data');return;}}});
var pl=svg.querySelectorAll('text.pl'),pts=svg.querySelectorAll('circle.pt');
for(var i=0;i<pl.length;i++){var a=pl[i].getBoundingClientRect();
for(var j=i+1;j<pl.length;j++)if(overlap(a,pl[j].getBoundingClientRect()))bad.push(svg.id+': point labels overlap');
for(var k=0;k<pts.length;k++)if(overlap(a,pts[k].getBoundingClientRect()))bad.push(svg.id+': a point label covers a point');}
if(svg.id.indexOf('chart-pareto')===0){var n=svg.querySelector('g.series').querySelectorAll('circle.pt').length;
if(pl.length!==n)bad.push(svg.id+': '+pl.length+' labels for '+n+' points');}});
return bad;}
if(location.hash==='#selftest'){var r;try{r=selftest();}catch(e){r='exception: '+e.message;}
var lay;try{lay=layout();}catch(e){lay=['exception: '+e.message];}
var de=document.documentElement,tw=document.querySelector('.table-wrap');
de.setAttribute('data-layout',lay.length?'fail: '+lay.slice(0,12).join(' | '):'pass');
de.setAttribute('data-viewport',String(de.clientWidth));
de.setAttribute('data-table-scrolls',tw&&tw.scrollWidth>tw.clientWidth+1?'yes':'no');
document.documentElement.setAttribute('data-selftest',r==='pass'?'pass':'fail: '+r);
document.documentElement.setAttribute('data-rows',String(document.getElementById('leaderboard')?document.getElementById('leaderboard').tBodies[0].rows.length:0));}
})();
)js";

std::string E(std::string_view s) { return HtmlEscape(s); }

// A numeric cell: shown text, sort value in data-value.
std::string NumCell(std::optional<double> v, const std::string& shown) {
  std::ostringstream o;
  o << "<td class=\"num\"";
  if (v && std::isfinite(*v)) o << " data-value=\"" << StrCat(RoundForReport(*v)) << "\"";
  o << '>' << E(shown) << "</td>";
  return o.str();
}

std::string OptIntCell(const std::optional<int64_t>& v) {
  return v ? NumCell(static_cast<double>(*v), std::to_string(*v)) : NumCell(std::nullopt, "-");
}

std::string ArmLabel(const Arm& a) {
  return StrCat(a.model_alias, " / ", a.config_name,
                a.strategy == "single" ? "" : StrCat(" / ", a.strategy), " / ", a.setting_label);
}

std::string GroupArm(const RunGroup& g) {
  return StrCat(g.model.alias, " / ", g.config.name,
                g.strategy_name == "single" ? "" : StrCat(" / ", g.strategy_name), " / ",
                SettingLabel(g.setting));
}

void Table(std::ostringstream& o, const RunData& run, const RunMetrics& m) {
  o << "<table id=\"leaderboard\" class=\"sortable\">\n<thead><tr>";
  const std::pair<const char*, const char*> cols[] = {{"model", "Model"},
                                                      {"config", "Configuration"},
                                                      {"strategy", "Strategy"},
                                                      {"suite", "Suite"},
                                                      {"shots", "shots"},
                                                      {"chat", "chat"},
                                                      {"seed", "seed"},
                                                      {"samples", "samples"},
                                                      {"max_tokens", "max tokens"},
                                                      {"n", "n"},
                                                      {"accuracy", "Accuracy"},
                                                      {"ci", "CI"},
                                                      {"method", "CI method"},
                                                      {"chance", "chance"},
                                                      {"acc_norm", "acc_norm"},
                                                      {"pass", "pass@k"},
                                                      {"mdd", "MDD"},
                                                      {"tps", "tokens/s"},
                                                      {"latency", "latency/item (s)"},
                                                      {"flops", "FLOPs/item"}};
  for (const auto& [key, name] : cols) {
    o << "<th data-key=\"" << key << "\" title=\"click to sort\">"
      << E(key == std::string("ci")
               ? StrCat(static_cast<int>(m.options.confidence * 100 + 0.5), "% CI")
               : name)
      << "</th>";
  }
  o << "</tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < run.groups.size(); ++i) {
    const auto& g = run.groups[i];
    const auto& gm = m.groups[i];
    const bool any = gm.n_items > 0;
    std::string pass;
    for (const auto& p : gm.pass_at_k) {
      if (!pass.empty()) pass += "; ";
      pass += StrCat("@", p.k, " ", FormatEstimate(p.estimate));
    }
    o << "<tr><td>" << E(g.model.alias) << "</td><td title=\"" << E(g.config.canonical) << "\">"
      << E(g.config.name) << "</td><td>" << E(g.strategy_name) << "</td><td>" << E(g.suite.name)
      << "</td>" << OptIntCell(g.setting.fewshot) << "<td>" << E(ChatLabel(g.setting)) << "</td>"
      << NumCell(static_cast<double>(g.setting.seed), std::to_string(g.setting.seed))
      << NumCell(static_cast<double>(g.setting.samples), std::to_string(g.setting.samples))
      << OptIntCell(g.setting.max_tokens)
      << NumCell(static_cast<double>(gm.n_items), std::to_string(gm.n_items))
      << NumCell(any ? std::optional<double>(gm.accuracy.mean.value) : std::nullopt,
                 any ? FormatFixed(gm.accuracy.mean.value) : "-")
      << NumCell(any ? std::optional<double>(gm.ci.lo) : std::nullopt,
                 any ? FormatInterval(gm.ci) : "-")
      << "<td>"
      << E(gm.ci_method == "clustered" ? StrCat("clustered (", gm.cluster_by, ")") : gm.ci_method)
      << "</td>" << NumCell(gm.chance, FormatFixed(gm.chance))
      << NumCell(
             gm.accuracy_norm ? std::optional<double>(gm.accuracy_norm->mean.value) : std::nullopt,
             gm.accuracy_norm ? FormatFixed(gm.accuracy_norm->mean.value) : "-")
      << "<td>" << E(pass.empty() ? "-" : pass) << "</td>" << NumCell(gm.mdd, FormatFixed(gm.mdd))
      << NumCell(gm.cost.tokens_per_s, FormatFixed(gm.cost.tokens_per_s, 1))
      << NumCell(gm.cost.latency_s_mean, FormatFixed(gm.cost.latency_s_mean, 4))
      << NumCell(gm.cost.flops_per_item, FormatSi(gm.cost.flops_per_item)) << "</tr>\n";
  }
  o << "</tbody></table>\n";
}

// Settings measured under several seeds (reports/seeds.h); nothing when there are none.
void SeedsTable(std::ostringstream& o, const RunData& run, const RunMetrics& m) {
  const auto seeds = SummariseSeeds(run, m);
  if (seeds.empty()) return;
  o << "<h2>Seeds (repeated measurements of one setting)</h2>\n<div class=\"table-wrap\">\n"
       "<table id=\"seeds\">\n<thead><tr>"
       "<th>Model</th><th>Configuration</th><th>Strategy</th><th>Suite</th><th>Setting</th>"
       "<th>accuracy per seed</th><th>mean</th><th>SD across seeds</th><th>pooled</th><th>"
    << static_cast<int>(m.options.confidence * 100 + 0.5)
    << "% CI (pooled)</th><th>items</th></tr></thead>\n<tbody>\n";
  for (const auto& s : seeds) {
    const RunGroup& g = run.groups[s.groups.front()];
    std::string per_seed;
    for (size_t i = 0; i < s.seeds.size(); ++i) {
      per_seed += StrCat(i ? ", " : "", s.seeds[i], ": ", FormatFixed(s.accuracies[i]));
    }
    o << "<tr><td>" << E(g.model.alias) << "</td><td>" << E(g.config.name) << "</td><td>"
      << E(g.strategy_name) << "</td><td>" << E(g.suite.name) << "</td><td>"
      << E(SettingLabel(g.setting, /*with_seed=*/false)) << "</td><td>" << E(per_seed) << "</td>"
      << NumCell(s.mean, FormatFixed(s.mean)) << NumCell(s.sd, FormatFixed(s.sd))
      << NumCell(s.pooled.mean.value, FormatFixed(s.pooled.mean.value))
      << NumCell(s.pooled.ci.lo, FormatInterval(s.pooled.ci))
      << NumCell(static_cast<double>(s.n_items), std::to_string(s.n_items)) << "</tr>\n";
  }
  o << "</tbody></table>\n</div>\n";
}

// Preset averages (preset_metrics.h), one row per entry, model, configuration, strategy and
// seed, each task's score in the row; nothing when the run has no preset entry.
void PresetTable(std::ostringstream& o, const RunData& run, const RunMetrics& m) {
  const std::vector<PresetAverage> presets = ComputePresetAverages(run, m.options.confidence);
  if (presets.empty()) return;
  o << "<h2>Preset averages</h2>\n<div class=\"table-wrap\">\n<table id=\"presets\">\n"
       "<thead><tr><th>Preset</th><th>Model</th><th>Configuration</th><th>Strategy</th>"
       "<th>Seed</th><th>tasks</th><th>average</th><th>"
    << static_cast<int>(m.options.confidence * 100 + 0.5) << "% CI</th></tr></thead>\n<tbody>\n";
  for (const PresetAverage& a : presets) {
    std::string tasks;
    for (const PresetTaskScore& t : a.tasks) {
      tasks +=
          StrCat(tasks.empty() ? "" : ", ", t.task, " ", t.metric, " ", FormatFixed(t.score.value));
    }
    for (const auto& missing : a.missing) tasks += StrCat(", ", missing, " missing");
    const std::optional<double> avg =
        a.average ? std::optional<double>(a.average->value) : std::nullopt;
    o << "<tr><td>" << E(a.entry == a.preset ? a.preset : StrCat(a.entry, " (", a.preset, ")"))
      << "</td><td>" << E(a.model_alias) << "</td><td>" << E(a.config_name) << "</td><td>"
      << E(a.strategy) << "</td><td>" << a.seed << "</td><td>" << E(tasks) << "</td>"
      << NumCell(avg, avg ? FormatFixed(*avg) : "-");
    if (a.average && a.average->ci) {
      o << NumCell(a.average->ci->lo, FormatInterval(*a.average->ci));
    } else {
      o << "<td>" << E(StrCat("- (", a.average ? a.average->note : a.note, ")")) << "</td>";
    }
    o << "</tr>\n";
  }
  o << "</tbody></table>\n</div>\n<p class=\"note\">The leaderboard's average weights the tasks "
       "equally (MMLU: the mean of its subjects' accuracies); the interval is Wald with the "
       "delta-method standard error, items as the unit.</p>\n";
}

// The chance level of a suite's groups as a reference line, when they all have the same one
// (a suite's groups share its items, so they do unless some records lack their choices).
void SetChanceLine(ChartSpec& c, const RunMetrics& m, const std::vector<size_t>& groups) {
  std::optional<double> chance;
  for (size_t gi : groups) {
    const auto& g = m.groups[gi].chance;
    if (!g || (chance && std::fabs(*chance - *g) > 1e-12)) return;
    chance = g;
  }
  if (!chance) return;
  c.reference_y = chance;
  c.reference_label = StrCat("chance ", FormatFixed(*chance));
}

// Charts: accuracy by configuration (one chart per suite).
void AccuracyCharts(std::ostringstream& o, const RunData& run, const RunMetrics& m) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_suite;
  for (size_t i = 0; i < run.groups.size(); ++i) {
    if (m.groups[i].n_items > 0) {
      by_suite[{run.groups[i].suite.name, run.groups[i].key.suite_hash}].push_back(i);
    }
  }
  int n = 0;
  for (const auto& [suite, groups] : by_suite) {
    ChartSpec c;
    c.id = StrCat("chart-accuracy-", n++);
    c.title = StrCat("Accuracy by configuration: ", suite.first);
    c.y_label = "accuracy";
    c.y_min = 0;
    c.y_max = 1;
    SetChanceLine(c, m, groups);
    ChartSeries s;
    for (size_t gi : groups) {
      const auto& gm = m.groups[gi];
      c.categories.push_back(GroupArm(run.groups[gi]));
      s.points.push_back({static_cast<double>(s.points.size()), gm.accuracy.mean.value, gm.ci,
                          StrCat(GroupArm(run.groups[gi]), ": ",
                                 FormatFixed(gm.accuracy.mean.value), " ", FormatInterval(gm.ci)),
                          false, ""});
    }
    c.series.push_back(std::move(s));
    o << SvgChart(c);
  }
}

// A line chart before it is drawn: its axes, and its series with the model each belongs to.
struct LineChart {
  ChartSpec spec;
  std::vector<std::pair<std::string, ChartSeries>> series;  // (model alias, series)
  std::vector<size_t> groups;                               // for the chance line
};

// Most lines in one panel; beyond it the chart becomes one panel per model (and a model with
// more arms than this, several panels), all on the same axes.
constexpr size_t kMaxLines = 4;

void EmitLineCharts(std::ostringstream& o, LineChart& lc, const RunMetrics& m) {
  if (lc.spec.y_max == 1.0) SetChanceLine(lc.spec, m, lc.groups);
  if (lc.series.size() <= kMaxLines) {
    for (auto& [model, s] : lc.series) lc.spec.series.push_back(std::move(s));
    o << SvgChart(lc.spec);
    return;
  }
  std::vector<std::string> models;  // in first-seen order
  for (const auto& [model, s] : lc.series) {
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
  }
  int panel = 0;
  for (const auto& model : models) {
    std::vector<ChartSeries> mine;
    for (auto& [owner, s] : lc.series) {
      if (owner != model) continue;
      // The panel names the model; its lines need only the rest of the arm label.
      const std::string prefix = StrCat(model, " / ");
      if (s.name.rfind(prefix, 0) == 0) s.name = s.name.substr(prefix.size());
      mine.push_back(std::move(s));
    }
    for (size_t begin = 0; begin < mine.size(); begin += kMaxLines) {
      ChartSpec c = lc.spec;
      c.id = StrCat(lc.spec.id, "-", panel++);
      // Model first: a long title is shortened at its end, and the model must stay readable.
      c.title =
          StrCat(model, mine.size() > kMaxLines ? StrCat(" (", begin / kMaxLines + 1, ")") : "",
                 ": ", lc.spec.title);
      for (size_t i = begin; i < std::min(mine.size(), begin + kMaxLines); ++i) {
        c.series.push_back(std::move(mine[i]));
      }
      o << SvgChart(c);
    }
  }
}

void GapCharts(std::ostringstream& o, const RunData& run, const RunMetrics& m) {
  if (!m.generalisation.empty()) {
    ChartSpec c;
    c.id = "chart-generalisation";
    c.title = "Generalisation gap: acc(id) − acc(ood)";
    c.y_label = "gap";
    c.zero_line = true;
    ChartSeries s;
    for (const auto& g : m.generalisation) {
      c.categories.push_back(StrCat(ArmLabel(g.arm), " · ", g.family));
      s.points.push_back({static_cast<double>(s.points.size()), g.gap.value, g.gap.ci,
                          StrCat(ArmLabel(g.arm), " ", g.family, ": ", FormatEstimate(g.gap)),
                          false, ""});
    }
    c.series.push_back(std::move(s));
    o << SvgChart(c);
  }
  // Reasoning and knowledge: one chart per suite, one line per arm; with more than kMaxLines
  // arms, one panel per model (small multiples on the same axes), so lines stay tellable apart.
  std::map<std::string, LineChart> reasoning;
  for (const auto& r : m.reasoning) {
    const std::string suite = run.groups[r.group].suite.name;
    auto& lc = reasoning[suite];
    if (lc.spec.id.empty()) {
      lc.spec.id = StrCat("chart-reasoning-", reasoning.size() - 1);
      lc.spec.title = StrCat("Reasoning gap: accuracy by steps, ", suite);
      lc.spec.x_label = "steps";
      lc.spec.y_label = "accuracy";
      lc.spec.x_axis = XAxis::kLinear;
      lc.spec.y_min = 0;
      lc.spec.y_max = 1;
    }
    ChartSeries s;
    s.name = ArmLabel(r.arm);
    s.line = true;
    for (const auto& b : r.buckets) {
      s.points.push_back({static_cast<double>(b.steps), b.accuracy.mean.value, b.accuracy.ci,
                          StrCat(s.name, ", ", b.steps, " steps: ",
                                 FormatFixed(b.accuracy.mean.value), " (n=", b.accuracy.n, ")"),
                          false, ""});
    }
    lc.groups.push_back(r.group);
    lc.series.emplace_back(r.arm.model_alias, std::move(s));
  }
  for (auto& [suite, lc] : reasoning) EmitLineCharts(o, lc, m);

  std::map<std::string, LineChart> knowledge;
  for (const auto& k : m.knowledge) {
    const std::string suite = run.groups[k.group].suite.name;
    auto& lc = knowledge[suite];
    auto& c = lc.spec;
    if (c.id.empty()) {
      c.id = StrCat("chart-knowledge-", knowledge.size() - 1);
      c.title = StrCat("Knowledge gap: accuracy by ", k.by, ", ", suite);
      c.y_label = "accuracy";
      c.y_min = 0;
      c.y_max = 1;
      for (const auto& b : k.buckets) c.categories.push_back(b.bucket);
    }
    ChartSeries s;
    s.name = ArmLabel(k.arm);
    s.line = true;
    for (const auto& b : k.buckets) {
      // Place by the chart's categories (the first arm's buckets; others may lack some).
      const auto pos = std::find(c.categories.begin(), c.categories.end(), b.bucket);
      if (pos == c.categories.end()) {
        c.categories.push_back(b.bucket);
      }
      const auto x =
          std::find(c.categories.begin(), c.categories.end(), b.bucket) - c.categories.begin();
      s.points.push_back({static_cast<double>(x), b.accuracy.mean.value, b.accuracy.ci,
                          StrCat(s.name, ", ", b.bucket, ": ", FormatFixed(b.accuracy.mean.value),
                                 " (n=", b.accuracy.n, ")"),
                          false, ""});
    }
    lc.groups.push_back(k.group);
    lc.series.emplace_back(k.arm.model_alias, std::move(s));
  }
  for (auto& [suite, lc] : knowledge) EmitLineCharts(o, lc, m);
}

void ParetoCharts(std::ostringstream& o, const RunData& run, const RunMetrics& m) {
  int n = 0;
  for (const auto& f : m.pareto) {
    ChartSpec c;
    c.id = StrCat("chart-pareto-", n++);
    c.title = StrCat("Accuracy vs cost (Pareto front): ", f.suite_name);
    c.x_label = f.cost_metric == "latency_s_per_item" ? "latency per item (s, log scale)"
                : f.cost_metric == "weight_bytes"     ? "weight bytes (log scale)"
                                                      : "FLOPs per item (log scale)";
    c.y_label = "accuracy";
    c.x_axis = XAxis::kLog10;
    c.y_min = 0;
    c.y_max = 1;
    ChartSeries all, front;
    all.name = "configurations";
    front.name = "Pareto front";
    front.line = true;
    for (const auto& p : f.points) {  // by cost
      const auto& g = run.groups[p.group];
      ChartPoint pt{
          p.cost,
          p.accuracy,
          std::nullopt,
          StrCat(GroupArm(g), ": accuracy ", FormatFixed(p.accuracy), ", cost ", FormatSi(p.cost)),
          p.on_front,
          ""};
      if (p.on_front) front.points.push_back(pt);
      pt.label = GroupArm(g);  // every point named once, on the "configurations" series
      all.points.push_back(pt);
    }
    c.series.push_back(std::move(all));
    c.series.push_back(std::move(front));
    o << SvgChart(c);
  }
}

}  // namespace

std::string HtmlReport(const RunData& run, const RunMetrics& m, const HtmlOptions& options) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>" << E(options.title) << "</title>\n<style>" << kCss << "</style>\n<script>"
    << kErrorHookJs << "</script>\n</head>\n<body>\n<h1>" << E(options.title) << "</h1>\n";
  for (const auto& s : run.sweeps) {
    o << "<p class=\"note\">Sweep <b>" << E(s.name) << "</b> (" << E(s.id) << "), gapbench "
      << E(s.gapbench_version) << ", commit " << E(s.git_commit.empty() ? "unknown" : s.git_commit)
      << ", machine " << E(s.machine) << ", " << E(s.started_at) << " – "
      << E(s.ended_at.empty() ? "running" : s.ended_at) << "</p>\n";
  }
  o << "<p class=\"note\">Shards " << run.shards_done << " of " << run.shards_total
    << " done. Intervals are " << static_cast<int>(m.options.confidence * 100 + 0.5)
    << "%; items are the sampling unit, clustered where items share a subject, passage or fact. "
       "MDD = minimum detectable difference between two configurations at this size (α = "
    << FormatFixed(m.options.alpha, 2) << ", power " << FormatFixed(m.options.power, 2)
    << "). Click a column header to sort.</p>\n";
  if (!run.poisoned.empty()) {
    // Every shard given up, with the worker's reason (as report.md's "Failed shards").
    o << "<h2>Failed shards</h2>\n<div "
         "class=\"table-wrap\">\n<table>\n<tr><th>shard</th><th>items</th><th>attempts</th>"
         "<th>reason</th></tr>\n";
    for (const auto& p : run.poisoned) {
      o << "<tr><td>" << E(p.id) << "</td><td>[" << p.begin << ", " << p.end << ")</td><td>"
        << p.attempts << "</td><td>" << E(p.reason.empty() ? "(no reason recorded)" : p.reason)
        << "</td></tr>\n";
    }
    o << "</table>\n</div>\n";
  }
  o << "<h2>Leaderboard</h2>\n<div class=\"table-wrap\">\n";
  Table(o, run, m);
  o << "</div>\n";
  PresetTable(o, run, m);
  SeedsTable(o, run, m);
  o << "<h2>Accuracy by configuration</h2>\n<div class=\"charts\">\n";
  AccuracyCharts(o, run, m);
  o << "</div>\n<h2>Gaps</h2>\n<div class=\"charts\">\n";
  GapCharts(o, run, m);
  if (m.generalisation.empty() && m.reasoning.empty() && m.knowledge.empty()) {
    o << "<p class=\"note\">No items carry split/family, steps, fact_frequency or subject "
         "tags.</p>\n";
  }
  o << "</div>\n<h2>Accuracy versus cost</h2>\n<div class=\"charts\">\n";
  ParetoCharts(o, run, m);
  if (m.pareto.empty()) o << "<p class=\"note\">No suite has a cost for every configuration.</p>\n";
  o << "</div>\n";
  o << RouteHtml(run, RouteGroups(run));
  o << GuardHtml(run, GuardGroups(run));
  if (!m.notes.empty()) {
    o << "<h2>Notes</h2>\n<ul>\n";
    for (const auto& n : m.notes) o << "<li>" << E(n) << "</li>\n";
    o << "</ul>\n";
  }
  o << "<script>" << kSortJs << "</script>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace gapbench::reports
