// gapbench eval: a single-process evaluation of one model (with an engine configuration) on one
// suite -- the same code a worker runs on a shard. Prints accuracy with its standard error and
// writes one JSON record per item. Multiple choice by log-likelihood (acc and LME's acc_norm),
// generation by exact / numeric / regex match, code by running the completions in the sandbox
// (pass@k with the unbiased estimator over --samples completions per item).

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "common/json.h"
#include "common/progress.h"
#include "engine/engine_lm.h"
#include "reports/proportion.h"
#include "suites/loaders.h"
#include "suites/prompt.h"
#include "suites/record.h"
#include "suites/sandbox.h"
#include "suites/scoring.h"
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
          "few-shot examples (drawn from the whole suite) as a sweep of the same setting.",
      .options = WithEngineOptions({
          {"suite", "PATH", "the suite: MMLU folder, GSM8K/HumanEval/gapbench JSONL", true},
          {"format", "F", "mmlu | humaneval | gsm8k | gapbench (default: from the path)"},
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
      }),
  };
  return kSpec;
}

// The report's accuracy summary (reports/proportion.h): one SE convention everywhere,
// SE = sqrt(p(1 − p)/n), and the same interval (Wilson or Wald by UseWilson).
reports::AccuracySummary Summary(size_t correct, size_t n) {
  return reports::AccuracyFromCounts(static_cast<int64_t>(correct), static_cast<int64_t>(n));
}
double StdErr(size_t correct, size_t n) { return n > 0 ? *Summary(correct, n).mean.se : 0.0; }

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
  const auto out_path = args.Get("out");
  if (out_path && std::filesystem::is_directory(*out_path)) {
    Fail("--out ", *out_path, ": is a directory, expected the records file to write");
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
  std::ofstream out;
  if (out_path) {
    out.open(*out_path, std::ios::binary | std::ios::trunc);
    if (!out) Fail(*out_path, ": cannot write the records file");
  }

  EngineSetup e = SetupEngine(args, kernels::GgmlType::kF16);
  // The context is engine::ContextFor's (the training context unless --ctx or the config set
  // one); prompts that do not fit are left-truncated and counted (records' truncated_tokens).
  engine::EngineModel lm(*e.model, e.session);
  const int64_t n_ctx = engine::ContextFor(*e.model, e.session);
  worker::LazySandbox sandbox([](const std::string& warning) {
    std::fprintf(stderr, "gapbench eval: warning: %s\n", warning.c_str());
  });
  worker::RunOptions run;
  run.shots = shots;
  run.samples = samples;
  run.gen_defaults = gen_defaults;
  run.sandbox_timeout_s = timeout;
  run.sandbox_parallel = parallel;

  ProgressLine progress("eval");
  size_t n_correct = 0, n_scored = 0, n_norm_correct = 0, n_mc = 0, n_timeouts = 0;
  std::map<std::string, std::pair<size_t, size_t>> by_subject;  // subject -> (correct, n)
  std::vector<std::pair<int64_t, int64_t>> code_counts;         // (n, c) per code item
  int64_t tokens_in = 0, tokens_out = 0;
  size_t n_truncated = 0;  // items whose prompt was left-truncated to fit the context
  const std::string timeout_name = suites::RunStatusName(suites::RunStatus::kTimeout);
  worker::RunItems(suite, 0, static_cast<int64_t>(n_eval), run, lm, sandbox, {}, nullptr,
                   [&](worker::ItemResult& result) {
                     const suites::Item& item = suite.items[static_cast<size_t>(result.item_index)];
                     if (item.kind == suites::ItemKind::kCode) {
                       int64_t c = 0;
                       for (const auto& sr : result.samples) {
                         c += sr.record.correct.value_or(false) ? 1 : 0;
                         if (sr.record.prediction == timeout_name) ++n_timeouts;
                       }
                       code_counts.emplace_back(static_cast<int64_t>(result.samples.size()), c);
                     }
                     const auto& first = result.samples.front().record;
                     n_truncated += first.truncated_tokens > 0 ? 1 : 0;
                     const bool ok = first.correct.value_or(false);
                     n_correct += ok ? 1 : 0;
                     ++n_scored;
                     if (first.correct_norm) {
                       ++n_mc;
                       n_norm_correct += *first.correct_norm ? 1 : 0;
                     }
                     auto& subj = by_subject[item.tags.subject];
                     subj.first += ok ? 1 : 0;
                     subj.second += 1;
                     for (const auto& sr : result.samples) {
                       tokens_in += sr.record.tokens_in;
                       tokens_out += sr.record.tokens_out;
                       if (out) out << suites::ItemRecordToJson(sr.record) << '\n';
                     }
                     if (out) out.flush();  // a crash loses nothing already scored
                     char acc[32];
                     std::snprintf(acc, sizeof acc, "acc %.4f",
                                   static_cast<double>(n_correct) / static_cast<double>(n_scored));
                     progress.Draw(static_cast<int64_t>(n_scored), static_cast<int64_t>(n_eval),
                                   acc, n_scored == n_eval);
                   });

  const double secs = progress.elapsed_s();
  const double n = static_cast<double>(n_scored);
  const double acc = static_cast<double>(n_correct) / n;
  double macro = 0;
  for (const auto& [s, cn] : by_subject)
    macro += static_cast<double>(cn.first) / static_cast<double>(cn.second);
  macro /= static_cast<double>(by_subject.size());
  std::map<int32_t, double> pass_at;
  for (int32_t k : ks) {
    if (code_counts.empty()) break;
    double sum = 0;
    for (const auto& [nn, c] : code_counts) sum += suites::PassAtK(nn, c, k);
    pass_at[k] = sum / static_cast<double>(code_counts.size());
  }
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
    w.Uint64(n_scored);
    w.Key("accuracy");
    w.Double(acc);
    w.Key("accuracy_se");
    w.Double(StdErr(n_correct, n_scored));
    if (n_scored > 0) {
      const auto summary = Summary(n_correct, n_scored);
      w.Key("accuracy_ci");
      w.StartArray();
      w.Double(summary.ci.lo);
      w.Double(summary.ci.hi);
      w.EndArray();
      w.Key("accuracy_ci_method");
      w.String(reports::IntervalMethodName(summary.method));
    }
    if (n_mc > 0) {
      const double an = static_cast<double>(n_norm_correct) / static_cast<double>(n_mc);
      w.Key("acc_norm");
      w.Double(an);
      w.Key("acc_norm_se");
      w.Double(StdErr(n_norm_correct, n_mc));
    }
    if (by_subject.size() > 1) {
      w.Key("macro_accuracy");
      w.Double(macro);
    }
    for (const auto& [k, v] : pass_at) {
      w.Key(StrCat("pass@", k).c_str());
      w.Double(v);
    }
    if (!code_counts.empty()) {
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
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf("suite %s (%s, hash %s): %zu items\n", suite.manifest.name.c_str(),
                suite.manifest.format.c_str(), suite.manifest.content_hash.c_str(), n_scored);
    std::printf("accuracy (micro): %.4f ± %.4f (SE)", acc, StdErr(n_correct, n_scored));
    if (n_scored > 0) {
      const auto summary = Summary(n_correct, n_scored);
      std::printf(", 95%% CI [%.4f, %.4f] %s", summary.ci.lo, summary.ci.hi,
                  reports::IntervalMethodName(summary.method));
    }
    std::printf("\n");
    if (n_mc > 0) {
      const double an = static_cast<double>(n_norm_correct) / static_cast<double>(n_mc);
      std::printf("acc_norm (per character, LME): %.4f ± %.4f\n", an, StdErr(n_norm_correct, n_mc));
    }
    if (by_subject.size() > 1)
      std::printf("accuracy (macro over %zu subjects): %.4f\n", by_subject.size(), macro);
    for (const auto& [k, v] : pass_at) std::printf("pass@%d: %.4f\n", k, v);
    if (!code_counts.empty()) std::printf("timeouts: %zu\n", n_timeouts);
    if (n_truncated > 0) {
      std::printf("prompts left-truncated to the %lld-token context: %zu items\n",
                  static_cast<long long>(n_ctx), n_truncated);
    }
    std::printf("%.1f s, %.2f items/s, %lld tokens evaluated (%lld in prompts before reuse)\n",
                secs, n / secs,
                static_cast<long long>(lm.Cost().prompt_tokens + lm.Cost().completion_tokens),
                static_cast<long long>(tokens_in));
  }
  return 0;
}

}  // namespace gapbench::cli
