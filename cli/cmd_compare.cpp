// `gapbench compare BASE CANDIDATE`: the regression gate for nightly CI. Loads two runs (results
// databases or run directories), compares them group by group (reports/compare.h), prints a
// Markdown summary (or JSON) and sets the exit code: 0 no gated regression, 1 a gated
// regression, 2 a usage or input error. `gapbench compare RUN [RUN_B] --a SEL --b SEL` compares
// two settings (A/B) instead. Statistics and their choices: docs/COMPARE.md.
//
// Not here: the statistics (reports/compare.cpp), loading (reports/run_data.cpp).
#include <cstdint>
#include <cstdio>
#include <fstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "reports/compare.h"
#include "reports/run_data.h"

namespace gapbench::cli {
namespace {

constexpr int kExitRegression = 1;
constexpr int kExitInput = 2;

constexpr const char* kUsage =
    "usage: gapbench compare BASE CANDIDATE [options]\n"
    "       gapbench compare RUN [RUN_B] --a SELECTOR --b SELECTOR [options]\n"
    "  BASE, CANDIDATE: results databases (results.sqlite) or run directories holding one.\n"
    "  Paired, item-level comparison of every model x configuration x strategy x suite x setting\n"
    "  group present in both; a Markdown summary on stdout (docs/COMPARE.md).\n"
    "  With --a/--b: A/B of two settings of RUN (or A from RUN, B from RUN_B), paired on every\n"
    "  dimension the selectors do not name. SELECTOR: DIM=VALUE[,DIM=VALUE...], DIM one of\n"
    "  model, config, strategy, suite, fewshot, seed, samples, max_tokens, temperature;\n"
    "  e.g. --a config=base --b config=q4_0, or --a fewshot=0 --b fewshot=2.\n"
    "options:\n"
    "  --a SELECTOR, --b SELECTOR the two settings to compare (A is the base, B the candidate)\n"
    "  --alpha A                  family-wise significance level (default 0.05)\n"
    "  --min-effect D             smallest accuracy change a verdict needs (default 0.01)\n"
    "  --correction holm|bonferroni|none   across groups (default holm)\n"
    "  --power P                  for the minimum detectable difference (default 0.8)\n"
    "  --fail-on-regression       exit 1 when any group is a significant accuracy regression\n"
    "                             larger than --min-effect (the default; the flag says it\n"
    "                             explicitly)\n"
    "  --report-only              exit 0 whatever the verdicts (input errors still exit 2)\n"
    "  --speed-threshold R        relative latency increase a speed verdict needs (default 0.10)\n"
    "  --fail-on-speed-regression also exit 1 on a speed regression (timing is noisy: opt in;\n"
    "                             speed is judged only over repeated measurements)\n"
    "  --speed-min-repeats K      repeated measurements (seeds) a speed verdict needs (default "
    "3);\n"
    "                             fewer: latency ratios are informational\n"
    "  --max-flips N              flipped item ids listed per direction and group (default 20)\n"
    "  --resamples N              bootstrap resamples for non-binary scores (default 10000)\n"
    "  --seed S                   bootstrap seed (default 20240101)\n"
    "  --json                     print JSON instead of Markdown\n"
    "  --out FILE.md              also write the Markdown summary to FILE.md\n"
    "exit codes: 0 no (gated) regression, 1 regression, 2 usage or input error\n";

int Compare(const Argv& argv) {
  Args args("gapbench compare", argv,
            {"alpha", "min-effect", "correction", "power", "speed-threshold", "max-flips",
             "resamples", "seed", "out", "a", "b", "speed-min-repeats"},
            {"fail-on-regression", "fail-on-speed-regression", "report-only", "json"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool ab = args.Has("a") || args.Has("b");
  if (ab && !(args.Has("a") && args.Has("b"))) {
    std::fputs(kUsage, stderr);
    Fail("--a and --b go together: name both settings");
  }
  const size_t n_runs = args.positionals().size();
  if (ab ? (n_runs < 1 || n_runs > 2) : n_runs != 2) {
    std::fputs(kUsage, stderr);
    Fail(ab ? "expected RUN or RUN_A RUN_B with --a/--b" : "expected BASE and CANDIDATE", ", got ",
         n_runs, " argument(s)");
  }
  reports::CompareOptions o;
  o.alpha = args.GetDouble("alpha", o.alpha);
  o.min_effect = args.GetDouble("min-effect", o.min_effect);
  o.power = args.GetDouble("power", o.power);
  o.speed_threshold = args.GetDouble("speed-threshold", o.speed_threshold);
  if (auto c = args.Get("correction")) o.correction = reports::ParseCorrection(*c);
  o.max_flips_listed = args.GetInt("max-flips", o.max_flips_listed, 0, 1000000);
  o.bootstrap_resamples = args.GetInt("resamples", o.bootstrap_resamples, 1, 10000000);
  o.seed = static_cast<uint64_t>(args.GetInt("seed", static_cast<int64_t>(o.seed), 0, INT64_MAX));
  o.speed_min_repeats = args.GetInt("speed-min-repeats", o.speed_min_repeats, 2, 1000000);
  if (args.Has("report-only") && args.Has("fail-on-regression")) {
    Fail("gapbench compare: --report-only and --fail-on-regression contradict each other");
  }

  reports::Comparison c;
  if (ab) {
    const reports::Selector sel_a = reports::ParseSelector(*args.Get("a"));
    const reports::Selector sel_b = reports::ParseSelector(*args.Get("b"));
    const reports::CompareRun run_a =
        reports::ToCompareRun(reports::LoadRun(args.positionals()[0]));
    if (n_runs == 1) {
      c = reports::CompareSettings(run_a, sel_a, run_a, sel_b, o);
    } else {
      const reports::CompareRun run_b =
          reports::ToCompareRun(reports::LoadRun(args.positionals()[1]));
      c = reports::CompareSettings(run_a, sel_a, run_b, sel_b, o);
    }
  } else {
    const reports::CompareRun base = reports::ToCompareRun(reports::LoadRun(args.positionals()[0]));
    const reports::CompareRun cand = reports::ToCompareRun(reports::LoadRun(args.positionals()[1]));
    c = reports::CompareRuns(base, cand, o);
  }

  const std::string md = reports::RenderCompareMarkdown(c);
  if (auto out = args.Get("out")) {
    std::ofstream f(*out, std::ios::binary | std::ios::trunc);
    f << md;
    f.close();
    if (!f) Fail(*out, ": cannot write the Markdown summary");
  }
  const std::string text = args.Has("json") ? reports::RenderCompareJson(c) : md;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);

  // Accuracy regressions fail by default (the nightly gate); speed only when asked, because
  // timing on shared machines is noisy.
  const bool report_only = args.Has("report-only");
  const bool gated =
      (!report_only && c.regressions > 0) ||
      (!report_only && args.Has("fail-on-speed-regression") && c.speed_regressions > 0);
  std::fprintf(stderr,
               "gapbench compare: %lld accuracy regression(s), %lld improvement(s), %lld speed "
               "regression(s) in %zu compared group(s), %zu not compared%s\n",
               static_cast<long long>(c.regressions), static_cast<long long>(c.improvements),
               static_cast<long long>(c.speed_regressions), c.groups.size(),
               c.base_only_groups.size() + c.cand_only_groups.size(),
               gated ? "; failing (exit 1)" : "");
  return gated ? kExitRegression : 0;
}

}  // namespace

int CmdCompare(const Argv& args) {
  // Every Error here is about the user's input (options, files, databases): exit 2, so a CI
  // job can tell "the gate could not run" from "the gate found a regression".
  try {
    return Compare(args);
  } catch (const Error& e) {
    std::fprintf(stderr, "gapbench compare: %s\n", e.what());
    return kExitInput;
  }
}

}  // namespace gapbench::cli
