// gapbench eval: a single-process evaluation of one model (with an engine configuration) on one
// suite -- the same code a worker runs on a shard. Prints accuracy with its standard error and
// writes one JSON record per item. Multiple choice by log-likelihood (acc and LME's acc_norm),
// generation by exact / numeric / regex match, code by running the completions in the sandbox
// (pass@k with the unbiased estimator over --samples completions per item).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <type_traits>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/strategy.h"
#include "engine/engine_lm.h"
#include "reports/eval_tally.h"
#include "reports/guard_metrics.h"
#include "reports/guard_report.h"
#include "reports/pass_at_k.h"
#include "reports/route_metrics.h"
#include "suites/loaders.h"
#include "suites/prompt.h"
#include "suites/record.h"
#include "suites/sandbox.h"
#include "suites/scoring.h"
#include "worker/model_factory.h"
#include "worker/runner.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench eval",
      .summary =
          "Evaluates the model on the suite (format detected from the path when omitted) and\n"
          "prints accuracy with its standard error; --out writes one JSON record per item (per\n"
          "sample for code). --limit N evaluates the first N items in file order, with the same\n"
          "few-shot examples (drawn from the whole suite) as a sweep of the same setting.\n"
          "--small SMALL evaluates the routed system SMALL -> --model (docs/STRATEGIES.md):\n"
          "records carry both members' answers and the signal; the summary adds the routing\n"
          "curve's APGR and CPT.\n"
          "--guard GUARD evaluates the guarded system GUARD -> --model: GUARD screens every\n"
          "request and refused ones get the refusal (scored wrong); on a suite labelled\n"
          "allow/refuse (world guard.jsonl) the summary adds the guard's precision, recall,\n"
          "F1, false-refusal rate (per phrasing split) and its added latency.",
      .options = WithEngineOptions({
          {"suite", "PATH", "the suite: a folder or file in any format below (docs/SUITES.md)",
           true},
          {"format", "F", suites::SuiteFormatList(" | ") + " (default: from the path)"},
          {"limit", "N", "evaluate the first N items (N >= 1)"},
          {"fewshot", "K", "few-shot examples per item (default 0)"},
          {"seed", "S", "few-shot draw and sampling seed (default 1234)"},
          {"out", "FILE", "write one JSON record per item (per sample for code)"},
          {"samples", "N", "completions per generation/code item (default 1)"},
          {"k", "1,10", "pass@k values for code (each <= --samples)"},
          {"max-tokens", "N", "generation budget per completion (default 256)"},
          {"temperature", "T", "sampling temperature (default 0; 0.8 with --samples > 1)"},
          {"timeout", "S", "sandbox wall seconds per code completion (default 10)"},
          {"parallel", "N", "code completions run at once (default 2)"},
          {"json", "", "print the summary as one JSON object"},
          {"chat", "",
           "put generation prompts in the model's chat template (lm-eval's "
           "--apply_chat_template)"},
          {"fewshot-as-multiturn", "", "with --chat: each shot a user and an assistant turn"},
          {"system-prompt", "TEXT", "with --chat: a system turn (lm-eval's --system_instruction)"},
          {"small", "FILE", "routed system: FILE answers first, --model when unsure"},
          {"signal", "S", "routing signal for multiple choice: top_prob (default) | margin"},
          {"threshold", "P", "escalate multiple choice below this signal (default 0.5)"},
          {"gen-signal", "S", "routing signal for generation: mean_logprob | min_logprob"},
          {"gen-threshold", "LP", "escalate generation below this signal (default -1)"},
          {"guard", "FILE", "guarded system: FILE screens each request for --model"},
          {"guard-template", "T",
           "the guard's prompt, {prompt} = the request (default \"{prompt}\\nDecision:\")"},
          {"guard-allow", "TEXT", "the guard's allow continuation (default \" allow\")"},
          {"guard-refuse", "TEXT", "the guard's refuse continuation (default \" refuse\")"},
          {"guard-threshold", "P", "refuse when the guard's P(refuse) >= P (default 0.5)"},
          {"refusal", "TEXT", "what a refused request gets (default \"I can't help with that.\")"},
      }),
  };
  return kSpec;
}

// The strategy options and the parameter each sets (common/strategy.h VisitFields declares the
// parameters: their types and checks), with the kind that takes them. One table serves building
// the strategy and naming an option in the parser's errors.
struct StrategyOption {
  const char* option;
  StrategyKind kind;
  const char* key;
};
constexpr StrategyOption kStrategyOptions[] = {
    {"guard-template", StrategyKind::kGuard, "template"},
    {"guard-allow", StrategyKind::kGuard, "allow"},
    {"guard-refuse", StrategyKind::kGuard, "refuse"},
    {"guard-threshold", StrategyKind::kGuard, "threshold"},
    {"refusal", StrategyKind::kGuard, "refusal"},
    {"signal", StrategyKind::kRoute, "signal"},
    {"threshold", StrategyKind::kRoute, "threshold"},
    {"gen-signal", StrategyKind::kRoute, "gen_signal"},
    {"gen-threshold", StrategyKind::kRoute, "gen_threshold"},
};

// Whether `key` of `kind` is a number (else a string: text or a signal's name).
bool IsNumberParameter(StrategyKind kind, std::string_view key) {
  StrategyConfig c;
  c.kind = kind;
  bool number = false;
  VisitFields(c, [&](const char* k, const auto& value, const auto&, FieldRule) {
    if (k == key) number = std::is_same_v<std::remove_cvref_t<decltype(value)>, double>;
  });
  return number;
}

// --small / --guard and their options -> the strategy (common/strategy.h validates the values).
StrategyConfig StrategyFromArgs(const Args& args) {
  const bool routed = args.Has("small");
  const bool guarded = args.Has("guard");
  if (routed && guarded) Fail("--small and --guard are two strategies: give one");
  const StrategyKind kind = routed    ? StrategyKind::kRoute
                            : guarded ? StrategyKind::kGuard
                                      : StrategyKind::kSingle;
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("kind", rapidjson::Value(std::string(StrategyKindName(kind)).c_str(), a), a);
  for (const StrategyOption& o : kStrategyOptions) {
    const auto v = args.Get(o.option);
    if (!v) continue;
    if (o.kind != kind) {
      Fail("--", o.option, " needs ",
           o.kind == StrategyKind::kGuard ? "--guard (a guarded system)"
                                          : "--small (a routed system)");
    }
    rapidjson::Value value = IsNumberParameter(o.kind, o.key)
                                 ? rapidjson::Value(args.GetDouble(o.option, 0.0))
                                 : rapidjson::Value(v->c_str(), a);
    d.AddMember(rapidjson::Value(o.key, a), value, a);
  }
  std::vector<std::string> errors;
  StrategyConfig c = ParseStrategyConfig(d, "--", errors);
  if (!errors.empty()) {
    std::string all;
    for (std::string e : errors) {
      // The parser names a key ("--.gen_threshold: ..."): name its option ("--gen-threshold: ...").
      for (const StrategyOption& o : kStrategyOptions) {
        if (o.kind == kind && e.starts_with(StrCat("--.", o.key, ":"))) {
          e.replace(2, std::strlen(o.key) + 1, o.option);
          break;
        }
      }
      all += (all.empty() ? "" : "; ") + e;
    }
    Fail(all);
  }
  return c;
}

void WriteRouteValue(JsonWriter& w, const char* key, const reports::RouteValue& v) {
  w.Key(key);
  if (v.value) {
    WriteJsonFloat(w, *v.value);
  } else {
    w.Null();
  }
  if (v.ci) {
    w.Key(StrCat(key, "_ci").c_str());
    w.StartArray();
    WriteJsonFloat(w, v.ci->lo);
    WriteJsonFloat(w, v.ci->hi);
    w.EndArray();
  }
}

std::string RouteText(const reports::RouteValue& v) {
  if (!v.value) return "n/a";
  char buf[96];
  if (v.ci) {
    std::snprintf(buf, sizeof buf, "%.3f [%.3f, %.3f]", *v.value, v.ci->lo, v.ci->hi);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f", *v.value);
  }
  return buf;
}

}  // namespace

int CmdEval(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  // Every option is read and checked before the suite or the model is loaded.
  const std::string suite_path = args.Require("suite");
  const int64_t limit = args.GetInt("limit", INT64_MAX, 1, INT64_MAX);
  suites::FewShotOptions shots;
  shots.k = static_cast<int>(args.GetInt("fewshot", 0, 0, 1000));
  shots.seed = static_cast<uint64_t>(args.GetInt("seed", 1234));
  const int64_t samples = args.GetInt("samples", 1, 1, 100000);
  GenRequest gen_defaults;
  gen_defaults.max_tokens = args.GetInt("max-tokens", 256, 1, engine::kMaxContext);
  gen_defaults.temperature = args.GetDouble("temperature", samples > 1 ? 0.8 : 0.0);
  gen_defaults.seed = shots.seed;
  if (samples > 1 && gen_defaults.temperature <= 0) {
    Fail("--samples > 1 needs --temperature > 0 (greedy completions would all be equal)");
  }
  std::vector<int32_t> ks = ParseIntList(args.Get("k").value_or("1"), "--k");
  for (int32_t k : ks) {
    if (k < 1 || k > samples) Fail("--k ", k, " must be between 1 and --samples (", samples, ")");
  }
  const double timeout = args.GetDouble("timeout", 10.0);
  const int parallel = static_cast<int>(args.GetInt("parallel", 2, 1, 256));
  const StrategyConfig strategy = StrategyFromArgs(args);
  const auto out_path = args.Get("out");
  if (out_path && std::filesystem::is_directory(*out_path)) {
    Fail("--out ", *out_path, ": is a directory, expected the records file to write");
  }

  suites::ChatOptions chat;
  const bool use_chat = args.Has("chat");
  chat.fewshot_as_multiturn = args.Has("fewshot-as-multiturn");
  chat.system_prompt = args.Get("system-prompt").value_or("");
  if (!use_chat && (chat.fewshot_as_multiturn || args.Has("system-prompt"))) {
    Fail("--fewshot-as-multiturn and --system-prompt need --chat");
  }

  suites::LoadOptions lo;
  lo.format = args.Get("format").value_or("");
  // The whole suite stays loaded: few-shot examples are drawn from all of it (as the workers
  // do), and --limit only cuts the range of items evaluated.
  const suites::Suite suite = suites::LoadSuite(suite_path, lo);
  if (suite.items.empty()) Fail(suite_path, ": the suite has no items");
  const size_t n_eval = std::min(suite.items.size(), static_cast<size_t>(limit));
  // A few-shot count the suite cannot meet fails here, before the model is loaded.
  if (const std::string why = suites::CheckFewShot(suite, n_eval, shots); !why.empty()) Fail(why);
  if (use_chat) {
    if (const std::string why = suites::CheckChat(suite, n_eval); !why.empty()) Fail(why);
  }
  std::ofstream out;
  if (out_path) {
    out.open(*out_path, std::ios::binary | std::ios::trunc);
    if (!out) Fail(*out_path, ": cannot write the records file");
  }

  EngineSetup e = SetupEngine(args, kernels::GgmlType::kF16);
  // The context is engine::ContextFor's (the training context unless --ctx or the config set
  // one); prompts that do not fit are left-truncated and counted (records' truncated_tokens).
  // A routed system's small member loads with the same engine configuration.
  std::unique_ptr<engine::Model> small;
  std::vector<worker::MemberModel> members;
  if (strategy.kind == StrategyKind::kRoute) {
    const std::string small_path = *args.Get("small");
    CheckInputFile(small_path, "--small");
    small = engine::Model::Load(small_path, e.model->config());
    members.push_back({small.get(), e.session});
  }
  // A guarded system's guard loads with the same engine configuration too.
  std::unique_ptr<engine::Model> guard;
  if (strategy.kind == StrategyKind::kGuard) {
    const std::string guard_path = *args.Get("guard");
    CheckInputFile(guard_path, "--guard");
    guard = engine::Model::Load(guard_path, e.model->config());
    members.push_back({guard.get(), e.session});
  }
  members.push_back({e.model.get(), e.session});
  std::optional<suites::ChatTemplate> chat_template;
  if (use_chat) {
    // A guard reads the request in its own template, not in a chat format: the protected model's
    // template alone renders the prompt.
    std::vector<const engine::Model*> system;
    for (const auto& m : members) system.push_back(m.model);
    if (guard) system.erase(system.begin());
    chat_template = worker::SystemChatTemplate(system);
  }
  chat.chat_template = chat_template ? &*chat_template : nullptr;
  const std::unique_ptr<LanguageModel> lm_ptr = worker::MakeLanguageModel(strategy, members);
  LanguageModel& lm = *lm_ptr;
  std::vector<reports::RouteItem> routed;       // records with both members scored
  std::vector<reports::GuardItem> guard_items;  // labelled allow/refuse records
  int64_t n_refused = 0, n_screened = 0;        // guarded records
  const int64_t n_ctx = engine::ContextFor(*e.model, e.session);
  worker::LazySandbox sandbox(
      [](const std::string& warning) { LogWarn("gapbench eval", warning); });
  worker::RunOptions run;
  run.shots = shots;
  run.samples = samples;
  run.gen_defaults = gen_defaults;
  run.sandbox_timeout_s = timeout;
  run.sandbox_parallel = parallel;
  run.chat = chat;

  ProgressLine progress("eval");
  reports::EvalTally tally(suite.manifest.name, suite.manifest.content_hash, samples);
  size_t n_done = 0, n_timeouts = 0;
  int64_t samples_scored = 0, samples_correct = 0;  // for the progress line only
  bool has_code = false;
  int64_t tokens_in = 0, tokens_out = 0;
  size_t n_truncated = 0;  // items whose prompt was left-truncated to fit the context
  const std::string timeout_name = suites::RunStatusName(suites::RunStatus::kTimeout);
  worker::RunItems(suite, 0, static_cast<int64_t>(n_eval), run, lm, sandbox, {}, nullptr,
                   [&](worker::ItemResult& result) {
                     const suites::Item& item = suite.items[static_cast<size_t>(result.item_index)];
                     has_code |= item.kind == suites::ItemKind::kCode;
                     n_truncated += result.samples.front().record.truncated_tokens > 0 ? 1 : 0;
                     for (size_t j = 0; j < result.samples.size(); ++j) {
                       const auto& r = result.samples[j].record;
                       tally.Add(static_cast<int64_t>(j), r);
                       if (r.correct) {
                         ++samples_scored;
                         samples_correct += *r.correct ? 1 : 0;
                       }
                       if (item.kind == suites::ItemKind::kCode && r.prediction == timeout_name) {
                         ++n_timeouts;
                       }
                       if (const auto ri = reports::RouteItemOf(r)) routed.push_back(*ri);
                       if (const auto gi = reports::GuardItemOf(r)) guard_items.push_back(*gi);
                       if (r.guard) {
                         ++n_screened;
                         n_refused += r.guard->refused ? 1 : 0;
                       }
                       tokens_in += r.tokens_in;
                       tokens_out += r.tokens_out;
                       if (out) out << suites::ItemRecordToJson(r) << '\n';
                     }
                     if (out) out.flush();  // a crash loses nothing already scored
                     ++n_done;
                     char acc[32];
                     std::snprintf(acc, sizeof acc, "acc %.4f",
                                   samples_scored ? static_cast<double>(samples_correct) /
                                                        static_cast<double>(samples_scored)
                                                  : 0.0);
                     progress.Draw(static_cast<int64_t>(n_done), static_cast<int64_t>(n_eval), acc,
                                   n_done == n_eval);
                   });

  const double secs = progress.elapsed_s();
  // The report's numbers for these records (reports/eval_tally.h): the same per-item folding of
  // samples, the same interval rule (iid, or clustered when items share subjects), pass@k.
  const reports::GroupMetrics m = tally.Metrics();
  const double n = static_cast<double>(n_done);
  const double acc = m.accuracy.mean.value;
  const double acc_se = m.accuracy.mean.se.value_or(0.0);
  const std::map<std::string, double> subjects = reports::EvalTally::SubjectMeans(m);
  double macro = 0;
  for (const auto& [subject, mean] : subjects) macro += mean;
  if (!subjects.empty()) macro /= static_cast<double>(subjects.size());
  std::map<int32_t, double> pass_at;
  if (has_code && !m.items.empty()) {
    std::vector<reports::TaskSamples> tasks;
    for (const auto& item : m.items) tasks.push_back({item.samples, item.correct_samples});
    for (int32_t k : ks) pass_at[k] = reports::PassAtK(tasks, k).value;
  }

  std::optional<reports::RouteMetrics> route;
  if (!routed.empty()) {
    route = reports::ComputeRouteMetrics(routed);
  }
  std::optional<reports::GuardMetrics> guard_metrics;
  if (!guard_items.empty()) guard_metrics = reports::ComputeGuardMetrics(guard_items);
  const engine::Model& model = *e.model;
  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("suite");
    w.String(suite.manifest.name.c_str());
    w.Key("suite_hash");
    w.String(suite.manifest.content_hash.c_str());
    w.Key("model");
    w.String(model.path().c_str());
    w.Key("config_hash");
    w.String(model.config().Hash().c_str());
    w.Key("n_items");
    w.Uint64(n_done);
    if (chat_template) {
      w.Key("chat_template");
      w.String(chat_template->family().c_str());
    }
    w.Key("samples");
    w.Int64(samples);
    w.Key("accuracy");
    w.Double(acc);
    w.Key("accuracy_se");
    w.Double(acc_se);
    if (m.n_items > 0) {
      w.Key("accuracy_ci");
      w.StartArray();
      w.Double(m.ci.lo);
      w.Double(m.ci.hi);
      w.EndArray();
      w.Key("accuracy_ci_method");
      w.String(m.ci_method.c_str());
      if (m.clustered) {
        w.Key("clustered_by");
        w.String(m.cluster_by.c_str());
        w.Key("clusters");
        w.Int64(m.clustered->clusters);
      }
    }
    if (m.accuracy_norm) {
      w.Key("acc_norm");
      w.Double(m.accuracy_norm->mean.value);
      w.Key("acc_norm_se");
      w.Double(m.accuracy_norm->mean.se.value_or(0.0));
    }
    if (m.chance) {
      w.Key("chance");
      w.Double(*m.chance);
    }
    if (!subjects.empty()) {
      w.Key("macro_accuracy");
      w.Double(macro);
    }
    for (const auto& [k, v] : pass_at) {
      w.Key(StrCat("pass@", k).c_str());
      w.Double(v);
    }
    if (has_code) {
      w.Key("timeouts");
      w.Uint64(n_timeouts);
    }
    w.Key("context");
    w.Int64(n_ctx);
    w.Key("truncated_items");
    w.Uint64(n_truncated);
    w.Key("seconds");
    w.Double(secs);
    w.Key("items_per_s");
    w.Double(n / secs);
    w.Key("tokens_in");
    w.Int64(tokens_in);
    w.Key("tokens_out");
    w.Int64(tokens_out);
    w.Key("tokens_evaluated");
    w.Int64(lm.Cost().prompt_tokens + lm.Cost().completion_tokens);
    if (strategy.kind == StrategyKind::kRoute) {
      w.Key("small");
      w.String(small->path().c_str());
      w.Key("route");
      w.StartObject();
      WriteStrategyFieldsJson(w, strategy);
      if (route) {
        w.Key("n_items");
        w.Int64(route->n_items);
        w.Key("small_quality");
        WriteJsonFloat(w, route->small_quality);
        w.Key("large_quality");
        WriteJsonFloat(w, route->large_quality);
        w.Key("oracle_quality");
        WriteJsonFloat(w, route->oracle_quality);
        w.Key("call_share");
        WriteJsonFloat(w, route->at_threshold.call_share);
        w.Key("quality");
        WriteJsonFloat(w, route->at_threshold.quality);
        WriteRouteValue(w, "pgr", route->pgr_at_threshold);
        WriteRouteValue(w, "apgr", route->apgr);
        WriteRouteValue(w, "cpt50", route->cpt50);
        WriteRouteValue(w, "cpt80", route->cpt80);
        WriteRouteValue(w, "cpt95", route->cpt95);
        WriteRouteValue(w, "oracle_apgr", route->oracle_apgr);
      }
      w.EndObject();
    }
    if (strategy.kind == StrategyKind::kGuard) {
      w.Key("guard");
      w.String(guard->path().c_str());
      w.Key("guard_strategy");
      w.StartObject();
      WriteStrategyFieldsJson(w, strategy);
      w.Key("refused");
      w.Int64(n_refused);
      w.Key("screened");
      w.Int64(n_screened);
      w.EndObject();
    }
    if (guard_metrics) {
      // Labelled allow/refuse items: the guard's (or, without --guard, the model's) decisions.
      w.Key("guard_metrics");
      reports::WriteGuardMetricsJson(w, *guard_metrics);
    }
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf("suite %s (%s, hash %s): %zu items", suite.manifest.name.c_str(),
                suite.manifest.format.c_str(), suite.manifest.content_hash.c_str(), n_done);
    if (samples > 1) std::printf(", %lld samples each", static_cast<long long>(samples));
    if (chat_template) std::printf(", chat template %s", chat_template->family().c_str());
    std::printf("\naccuracy (micro): %.4f ± %.4f (SE)", acc, acc_se);
    if (m.n_items > 0) {
      std::printf(", 95%% CI [%.4f, %.4f] %s", m.ci.lo, m.ci.hi, m.ci_method.c_str());
      if (m.ci_method == "clustered") {
        std::printf(" (by %s, %lld clusters)", m.cluster_by.c_str(),
                    static_cast<long long>(m.clustered->clusters));
      }
    }
    if (m.chance) std::printf("; chance %.4f", *m.chance);
    std::printf("\n");
    if (m.accuracy_norm) {
      std::printf("acc_norm (per character, LME): %.4f ± %.4f\n", m.accuracy_norm->mean.value,
                  m.accuracy_norm->mean.se.value_or(0.0));
    }
    if (!subjects.empty()) {
      std::printf("accuracy (macro over %zu subjects): %.4f\n", subjects.size(), macro);
    }
    for (const auto& [k, v] : pass_at) std::printf("pass@%d: %.4f\n", k, v);
    if (has_code) std::printf("timeouts: %zu\n", n_timeouts);
    if (n_truncated > 0) {
      std::printf("prompts left-truncated to the %lld-token context: %zu items\n",
                  static_cast<long long>(n_ctx), n_truncated);
    }
    std::printf("%.1f s, %.2f items/s, %lld tokens evaluated (%lld in prompts before reuse)\n",
                secs, n / secs,
                static_cast<long long>(lm.Cost().prompt_tokens + lm.Cost().completion_tokens),
                static_cast<long long>(tokens_in));
    if (route) {
      std::printf(
          "routed (small %s -> large): small %.4f, large %.4f, oracle %.4f; at the threshold "
          "%.4f with %.1f%% of items escalated, PGR %s\n",
          small->path().c_str(), route->small_quality, route->large_quality, route->oracle_quality,
          route->at_threshold.quality, 100.0 * route->at_threshold.call_share,
          RouteText(route->pgr_at_threshold).c_str());
      std::printf(
          "APGR %s (random router 0.550, oracle %s); CPT(50%%) %s, CPT(80%%) %s, "
          "CPT(95%%) %s\n",
          RouteText(route->apgr).c_str(), RouteText(route->oracle_apgr).c_str(),
          RouteText(route->cpt50).c_str(), RouteText(route->cpt80).c_str(),
          RouteText(route->cpt95).c_str());
    }
    if (strategy.kind == StrategyKind::kGuard) {
      std::printf("guarded (guard %s -> %s): %lld of %lld requests refused (threshold %g)\n",
                  guard->path().c_str(), model.path().c_str(), static_cast<long long>(n_refused),
                  static_cast<long long>(n_screened), strategy.guard.threshold);
    }
    if (guard_metrics) {
      const reports::GuardMetrics& g = *guard_metrics;
      std::printf("%s on the allow/refuse labels: %s\n", guard ? "guard" : "the model as a guard",
                  reports::GuardRatesText(g.all).c_str());
      for (const auto& [split, r] : g.by_split) {
        std::printf("  split %s: %s\n", split.c_str(), reports::GuardRatesText(r).c_str());
      }
      std::printf("%s per request: %.4f s, %.1f tokens\n", guard ? "guard added" : "model cost",
                  g.mean_seconds, g.mean_tokens);
    }
  }
  return 0;
}

}  // namespace gapbench::cli
