// results.json writer (see results_json.h; the schema is documented in docs/REPORTS.md).
#include "reports/results_json.h"

#include <rapidjson/prettywriter.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "reports/preset_metrics.h"
#include "reports/seeds.h"

namespace gapbench::reports {
namespace {

void Str(JsonWriter& w, const char* key, std::string_view v) {
  w.Key(key);
  WriteJsonString(w, v);
}

void Num(JsonWriter& w, const char* key, double v) {
  w.Key(key);
  WriteReportNumber(w, v);
}

void OptNum(JsonWriter& w, const char* key, const std::optional<double>& v) {
  w.Key(key);
  if (v) {
    WriteReportNumber(w, *v);
  } else {
    w.Null();
  }
}

void Int(JsonWriter& w, const char* key, int64_t v) {
  w.Key(key);
  w.Int64(v);
}

void OptInt(JsonWriter& w, const char* key, const std::optional<int64_t>& v) {
  w.Key(key);
  if (v) {
    w.Int64(*v);
  } else {
    w.Null();
  }
}

void WriteInterval(JsonWriter& w, const Interval& i) {
  w.StartArray();
  WriteReportNumber(w, i.lo);
  WriteReportNumber(w, i.hi);
  w.EndArray();
}

void WriteArm(JsonWriter& w, const Arm& a) {
  Str(w, "model_id", a.model_id);
  Str(w, "model_alias", a.model_alias);
  Str(w, "config_hash", a.config_hash);
  Str(w, "config_name", a.config_name);
  Str(w, "strategy", a.strategy);
  Str(w, "setting_label", a.setting_label);
}

// {"n", "successes", "value", "se", "ci", "method"[, "wilson"]}
void WriteSummary(JsonWriter& w, const AccuracySummary& s) {
  w.StartObject();
  Int(w, "n", s.n);
  if (s.binary) Int(w, "successes", s.successes);
  Num(w, "value", s.mean.value);
  OptNum(w, "se", s.mean.se);
  w.Key("ci");
  WriteInterval(w, s.ci);
  Str(w, "method", IntervalMethodName(s.method));
  if (s.wilson) {
    w.Key("wilson");
    WriteInterval(w, *s.wilson);
  }
  w.EndObject();
}

void WriteCost(JsonWriter& w, const CostMetrics& c) {
  w.StartObject();
  Int(w, "samples_timed", c.items_timed);
  OptNum(w, "latency_s_mean", c.latency_s_mean);
  OptNum(w, "tokens_per_s", c.tokens_per_s);
  Num(w, "tokens_in_mean", c.tokens_in_mean);
  Num(w, "tokens_out_mean", c.tokens_out_mean);
  OptNum(w, "parameters", c.parameters);
  OptNum(w, "weight_bytes", c.weight_bytes);
  OptNum(w, "kv_bytes_per_token", c.kv_bytes_per_token);
  OptNum(w, "flops_per_item", c.flops_per_item);
  w.Key("notes");
  w.StartArray();
  for (const auto& n : c.notes) WriteJsonString(w, n);
  w.EndArray();
  w.EndObject();
}

// The fields naming a group's model, configuration, strategy and suite (groups[] and seeds[]).
void WriteGroupNames(JsonWriter& w, const RunGroup& g, bool with_strategy_json) {
  Str(w, "model_id", g.key.model_id);
  Str(w, "model_alias", g.model.alias);
  Str(w, "config_hash", g.key.config_hash);
  Str(w, "config_name", g.config.name);
  Str(w, "strategy", g.strategy_name);
  if (with_strategy_json) Str(w, "strategy_json", g.key.strategy);
  Str(w, "suite_hash", g.key.suite_hash);
  Str(w, "suite_name", g.suite.name);
}

void WriteGroup(JsonWriter& w, const RunGroup& g, const GroupMetrics& m) {
  w.StartObject();
  WriteGroupNames(w, g, /*with_strategy_json=*/true);
  Int(w, "samples", g.samples);
  // The rest of the group's identity (run_data.h): few-shot count, seed, max tokens, ...
  OptInt(w, "fewshot", g.setting.fewshot);
  w.Key("seed");
  w.Uint64(g.setting.seed);
  OptInt(w, "max_tokens", g.setting.max_tokens);
  Str(w, "temperature", g.setting.temperature);
  w.Key("chat");  // null for a plain prompt
  if (g.setting.chat) {
    w.StartObject();
    w.Key("fewshot_as_multiturn");
    w.Bool(g.setting.fewshot_as_multiturn);
    Str(w, "system_prompt", g.setting.system_prompt);
    w.EndObject();
  } else {
    w.Null();
  }
  Str(w, "setting_label", SettingLabel(g.setting));
  w.Key("setting");
  ParseJson(g.key.setting, "group setting").Accept(w);
  Int(w, "n_items", m.n_items);
  Int(w, "n_unscored", m.n_unscored);
  w.Key("accuracy");
  if (m.n_items == 0) {
    w.Null();
  } else {
    w.StartObject();
    Num(w, "value", m.accuracy.mean.value);
    w.Key("ci");
    WriteInterval(w, m.ci);
    Str(w, "ci_method", m.ci_method);
    w.Key("iid");
    WriteSummary(w, m.accuracy);
    w.Key("clustered");
    if (m.clustered) {
      w.StartObject();
      Str(w, "by", m.cluster_by);
      Int(w, "clusters", m.clustered->clusters);
      w.Key("estimate");
      WriteEstimate(w, m.clustered->mean);
      OptNum(w, "design_effect", m.clustered->design_effect);
      w.EndObject();
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.Key("accuracy_norm");
  if (m.accuracy_norm) {
    WriteSummary(w, *m.accuracy_norm);
  } else {
    w.Null();
  }
  w.Key("pass_at_k");
  w.StartArray();
  for (const auto& p : m.pass_at_k) {
    w.StartObject();
    Int(w, "k", p.k);
    w.Key("estimate");
    WriteEstimate(w, p.estimate);
    w.EndObject();
  }
  w.EndArray();
  OptNum(w, "mdd", m.mdd);
  OptNum(w, "chance", m.chance);
  w.Key("cost");
  WriteCost(w, m.cost);
  w.EndObject();
}

// Settings measured under several seeds (reports/seeds.h): per-seed accuracies, their mean and
// spread, and the pooled estimate over items.
void WriteSeeds(JsonWriter& w, const RunData& run, const RunMetrics& m) {
  w.StartArray();
  for (const SeedSummary& s : SummariseSeeds(run, m)) {
    const RunGroup& g = run.groups[s.groups.front()];
    w.StartObject();
    WriteGroupNames(w, g, /*with_strategy_json=*/false);
    Str(w, "setting_label", SettingLabel(g.setting, /*with_seed=*/false));
    w.Key("setting");
    ParseJson(SettingWithoutSeed(g.key.setting), "group setting").Accept(w);
    w.Key("seeds");
    w.StartArray();
    for (size_t i = 0; i < s.seeds.size(); ++i) {
      w.StartObject();
      w.Key("seed");
      w.Uint64(s.seeds[i]);
      Num(w, "accuracy", s.accuracies[i]);
      w.EndObject();
    }
    w.EndArray();
    Num(w, "mean", s.mean);
    OptNum(w, "sd", s.sd);
    Num(w, "min", s.min);
    Num(w, "max", s.max);
    Int(w, "n_items", s.n_items);
    w.Key("pooled");
    WriteSummary(w, s.pooled);
    w.EndObject();
  }
  w.EndArray();
}

void WriteGaps(JsonWriter& w, const RunData& run, const RunMetrics& m) {
  w.StartObject();
  w.Key("small_vs_large");
  if (m.small_model_id.empty()) {
    w.Null();
  } else {
    w.StartObject();
    Str(w, "basis", m.size_basis);
    Str(w, "small_model_id", m.small_model_id);
    Str(w, "small_model_alias", m.small_model_alias);
    Str(w, "large_model_id", m.large_model_id);
    Str(w, "large_model_alias", m.large_model_alias);
    w.EndObject();
  }
  w.Key("pairs");
  w.StartArray();
  for (const auto& p : m.pairs) {
    w.StartObject();
    Str(w, "small_model_id", p.small_id);
    Str(w, "small_model_alias", p.small_alias);
    Str(w, "large_model_id", p.large_id);
    Str(w, "large_model_alias", p.large_alias);
    w.EndObject();
  }
  w.EndArray();
  w.Key("generalisation");
  w.StartArray();
  for (const auto& g : m.generalisation) {
    w.StartObject();
    WriteArm(w, g.arm);
    Str(w, "family", g.family);
    Int(w, "n_id", g.n_id);
    Int(w, "n_ood", g.n_ood);
    w.Key("acc_id");
    WriteEstimate(w, g.acc_id);
    w.Key("acc_ood");
    WriteEstimate(w, g.acc_ood);
    w.Key("gap");
    WriteEstimate(w, g.gap);
    w.EndObject();
  }
  w.EndArray();
  w.Key("generalisation_small_minus_large");
  w.StartArray();
  for (const auto& d : m.generalisation_diff) {
    w.StartObject();
    Str(w, "config_hash", d.config_hash);
    Str(w, "config_name", d.config_name);
    Str(w, "strategy", d.strategy);
    Str(w, "setting_label", d.setting_label);
    Str(w, "family", d.family);
    Str(w, "small_model_alias", d.small_alias);
    Str(w, "large_model_alias", d.large_alias);
    w.Key("paired");
    w.Bool(d.paired);
    Int(w, "n_id", d.n_id);
    Int(w, "n_ood", d.n_ood);
    w.Key("gap_small");
    WriteEstimate(w, d.gap_small);
    w.Key("gap_large");
    WriteEstimate(w, d.gap_large);
    w.Key("difference");
    WriteEstimate(w, d.diff);
    w.EndObject();
  }
  w.EndArray();
  w.Key("reasoning");
  w.StartArray();
  for (const auto& r : m.reasoning) {
    w.StartObject();
    WriteArm(w, r.arm);
    Str(w, "suite_name", run.groups[r.group].suite.name);
    Str(w, "suite_hash", run.groups[r.group].key.suite_hash);
    w.Key("by_steps");
    w.StartArray();
    for (const auto& b : r.buckets) {
      w.StartObject();
      Int(w, "steps", b.steps);
      w.Key("accuracy");
      WriteSummary(w, b.accuracy);
      w.EndObject();
    }
    w.EndArray();
    w.Key("slope");
    if (r.fit) {
      w.StartObject();
      Int(w, "n", r.fit->n);
      Num(w, "intercept", r.fit->intercept);
      w.Key("hc1");
      WriteEstimate(w, r.fit->slope_hc1);
      w.Key("hc3");
      WriteEstimate(w, r.fit->slope_hc3);
      Num(w, "se_classical", r.fit->se_classical);
      w.EndObject();
    } else {
      w.Null();
    }
    if (!r.note.empty()) Str(w, "note", r.note);
    w.EndObject();
  }
  w.EndArray();
  w.Key("reasoning_small_minus_large");
  w.StartArray();
  for (const auto& d : m.reasoning_diff) {
    w.StartObject();
    Str(w, "config_hash", d.config_hash);
    Str(w, "config_name", d.config_name);
    Str(w, "strategy", d.strategy);
    Str(w, "setting_label", d.setting_label);
    Str(w, "suite_name", d.suite);
    Str(w, "family", d.family);
    Str(w, "small_model_alias", d.small_alias);
    Str(w, "large_model_alias", d.large_alias);
    w.Key("slope_small");
    WriteEstimate(w, d.slope_small);
    w.Key("slope_large");
    WriteEstimate(w, d.slope_large);
    w.Key("difference");
    WriteEstimate(w, d.diff);
    w.EndObject();
  }
  w.EndArray();
  w.Key("knowledge");
  w.StartArray();
  for (const auto& k : m.knowledge) {
    w.StartObject();
    WriteArm(w, k.arm);
    Str(w, "suite_name", run.groups[k.group].suite.name);
    Str(w, "suite_hash", run.groups[k.group].key.suite_hash);
    Str(w, "by", k.by);
    w.Key("buckets");
    w.StartArray();
    for (const auto& b : k.buckets) {
      w.StartObject();
      Str(w, "bucket", b.bucket);
      w.Key("accuracy");
      WriteSummary(w, b.accuracy);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("knowledge_small_minus_large");
  w.StartArray();
  for (const auto& d : m.knowledge_diff) {
    w.StartObject();
    Str(w, "config_hash", d.config_hash);
    Str(w, "config_name", d.config_name);
    Str(w, "strategy", d.strategy);
    Str(w, "setting_label", d.setting_label);
    Str(w, "suite_name", d.suite);
    Str(w, "family", d.family);
    Str(w, "small_model_alias", d.small_alias);
    Str(w, "large_model_alias", d.large_alias);
    Str(w, "by", d.by);
    w.Key("buckets");
    w.StartArray();
    for (const auto& r : d.rows) {
      w.StartObject();
      Str(w, "bucket", r.bucket);
      Int(w, "n", r.n);
      w.Key("difference");
      WriteEstimate(w, r.diff.diff);
      OptNum(w, "mdd", r.mdd);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WritePareto(JsonWriter& w, const RunData& run, const RunMetrics& m) {
  w.StartArray();
  for (const auto& f : m.pareto) {
    w.StartObject();
    Str(w, "suite_name", f.suite_name);
    Str(w, "suite_hash", f.suite_hash);
    Str(w, "cost_metric", f.cost_metric);
    w.Key("points");
    w.StartArray();
    for (const auto& p : f.points) {
      const auto& g = run.groups[p.group];
      w.StartObject();
      Str(w, "model_alias", g.model.alias);
      Str(w, "config_name", g.config.name);
      Str(w, "config_hash", g.key.config_hash);
      Str(w, "strategy", g.strategy_name);
      Str(w, "setting_label", SettingLabel(g.setting));
      Num(w, "accuracy", p.accuracy);
      Num(w, "cost", p.cost);
      w.Key("on_front");
      w.Bool(p.on_front);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

// Preset averages (preset_metrics.h): one object per entry, model, configuration, strategy, seed.
void WritePresets(JsonWriter& w, const std::vector<PresetAverage>& presets) {
  w.StartArray();
  for (const PresetAverage& a : presets) {
    w.StartObject();
    Str(w, "preset", a.preset);
    Str(w, "entry", a.entry);
    Str(w, "model_id", a.model_id);
    Str(w, "model_alias", a.model_alias);
    Str(w, "config_hash", a.config_hash);
    Str(w, "config_name", a.config_name);
    Str(w, "strategy", a.strategy);
    Int(w, "seed", static_cast<int64_t>(a.seed));
    w.Key("tasks");
    w.StartArray();
    for (const PresetTaskScore& t : a.tasks) {
      w.StartObject();
      Str(w, "task", t.task);
      Str(w, "metric", t.metric);
      Int(w, "fewshot", t.fewshot);
      Int(w, "n", t.n_items);
      if (t.n_subjects > 0) Int(w, "subjects", t.n_subjects);
      w.Key("score");
      WriteEstimate(w, t.score);
      w.EndObject();
    }
    w.EndArray();
    w.Key("missing");
    w.StartArray();
    for (const auto& task : a.missing) WriteJsonString(w, task);
    w.EndArray();
    w.Key("average");
    if (a.average) {
      WriteEstimate(w, *a.average);
    } else {
      w.Null();
    }
    Str(w, "se_method", kPresetSeMethod);
    if (!a.note.empty()) Str(w, "note", a.note);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

double RoundForReport(double v) {
  if (!std::isfinite(v) || v == 0) return v;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", kReportDigits, v);
  return std::strtod(buf, nullptr);
}

void WriteReportNumber(JsonWriter& w, double v) {
  const double r = RoundForReport(v);
  // Integral values print without a fraction ("3", not "3.0"), so counts read as counts.
  if (std::isfinite(r) && r == std::floor(r) && std::fabs(r) < 9.0e15) {
    w.Int64(static_cast<int64_t>(r));
  } else {
    WriteJsonFloat(w, r);
  }
}

void WriteEstimate(JsonWriter& w, const Estimate& e) {
  w.StartObject();
  Num(w, "value", e.value);
  OptNum(w, "se", e.se);
  w.Key("ci");
  if (e.ci) {
    WriteInterval(w, *e.ci);
  } else {
    w.Null();
  }
  if (e.ci && !e.ci_method.empty()) Str(w, "ci_method", e.ci_method);
  if (!e.note.empty()) Str(w, "note", e.note);
  w.EndObject();
}

std::string ResultsJson(const RunData& run, const RunMetrics& m) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Int(w, "schema_version", kResultsSchemaVersion);
  Num(w, "confidence", m.options.confidence);
  Num(w, "alpha", m.options.alpha);
  Num(w, "power", m.options.power);
  w.Key("sweeps");
  w.StartArray();
  for (const auto& s : run.sweeps) {
    w.StartObject();
    Str(w, "id", s.id);
    Str(w, "name", s.name);
    Str(w, "git_commit", s.git_commit);
    Str(w, "gapbench_version", s.gapbench_version);
    Str(w, "machine", s.machine);
    Str(w, "started_at", s.started_at);
    Str(w, "ended_at", s.ended_at);
    w.EndObject();
  }
  w.EndArray();
  w.Key("shards");
  w.StartObject();
  Int(w, "total", run.shards_total);
  Int(w, "done", run.shards_done);
  Int(w, "poison", run.shards_poison);
  Int(w, "duplicate_records", run.duplicates);
  w.EndObject();
  w.Key("models");
  w.StartArray();
  for (const auto& mo : run.models) {
    w.StartObject();
    Str(w, "id", mo.id);
    Str(w, "alias", mo.alias);
    Str(w, "file_hash", mo.file_hash);
    Int(w, "size_bytes", mo.size_bytes);
    OptNum(w, "parameters", ModelParameters(mo));
    w.EndObject();
  }
  w.EndArray();
  w.Key("configurations");
  w.StartArray();
  for (const auto& c : run.configurations) {
    w.StartObject();
    Str(w, "hash", c.hash);
    Str(w, "name", c.name);
    Str(w, "canonical", c.canonical);
    w.EndObject();
  }
  w.EndArray();
  w.Key("suites");
  w.StartArray();
  for (const auto& s : run.suites) {
    w.StartObject();
    Str(w, "content_hash", s.content_hash);
    Str(w, "name", s.name);
    Str(w, "format", s.format);
    Str(w, "version", s.version);
    Int(w, "n_items", s.n_items);
    w.EndObject();
  }
  w.EndArray();
  w.Key("groups");
  w.StartArray();
  for (size_t i = 0; i < run.groups.size(); ++i) WriteGroup(w, run.groups[i], m.groups[i]);
  w.EndArray();
  w.Key("seeds");
  WriteSeeds(w, run, m);
  w.Key("gaps");
  WriteGaps(w, run, m);
  w.Key("pareto");
  WritePareto(w, run, m);
  // Absent in runs without a preset entry, so their results.json is unchanged.
  if (const auto presets = ComputePresetAverages(run, m.options.confidence); !presets.empty()) {
    w.Key("presets");
    WritePresets(w, presets);
  }
  w.Key("notes");
  w.StartArray();
  for (const auto& n : m.notes) WriteJsonString(w, n);
  w.EndArray();
  w.EndObject();

  // Re-indent for people and diffs; member order and numbers are kept as written.
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(buf.GetString(), buf.GetSize());
  rapidjson::StringBuffer pretty;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> pw(pretty);
  pw.SetIndent(' ', 2);
  doc.Accept(pw);
  return std::string(pretty.GetString(), pretty.GetSize()) + "\n";
}

}  // namespace gapbench::reports
