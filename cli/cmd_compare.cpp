// `gapbench compare BASE CANDIDATE`: the regression gate for nightly CI. Loads two runs (results
// databases or run directories), compares them group by group (reports/compare.h), prints a
// Markdown summary (or JSON) and sets the exit code: 0 no gated regression, 1 a gated
// regression, 2 a usage or input error. `gapbench compare RUN [RUN_B] --a SEL --b SEL` compares
// two settings (A/B) instead. Statistics and their choices: docs/COMPARE.md.
//
// Not here: the statistics (reports/compare.cpp), loading (reports/run_data.cpp).
#include <cstdint>
#include <cstdio>
#include <filesystem>
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

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench compare",
      .positionals = "BASE CANDIDATE | RUN [RUN_B] --a SELECTOR --b SELECTOR",
      .min_positionals = 1,
      .max_positionals = 2,
      .summary =
          "BASE, CANDIDATE: results databases (results.sqlite) or run directories holding one.\n"
          "Paired, item-level comparison of every model x configuration x strategy x suite x\n"
          "setting group present in both; a Markdown summary on stdout (docs/COMPARE.md).\n"
          "With --a/--b: A/B of two settings of RUN (or A from RUN, B from RUN_B), paired on\n"
          "every dimension the selectors do not name. SELECTOR: DIM=VALUE[,DIM=VALUE...], DIM\n"
          "one of model, config, strategy, suite, fewshot, seed, samples, max_tokens,\n"
          "temperature; e.g. --a config=base --b config=q4_0, or --a fewshot=0 --b fewshot=2.",
      .options = {{"a", "SELECTOR", "setting A (the base) of an A/B comparison"},
                  {"b", "SELECTOR", "setting B (the candidate) of an A/B comparison"},
                  {"alpha", "A", "family-wise significance level (default 0.05)"},
                  {"min-effect", "D", "smallest accuracy change a verdict needs (default 0.01)"},
                  {"correction", "holm|bonferroni|none", "across groups (default holm)"},
                  {"power", "P", "for the minimum detectable difference (default 0.8)"},
                  {"fail-on-regression", "",
                   "exit 1 when a group is a significant accuracy regression (the default)"},
                  {"report-only", "", "exit 0 whatever the verdicts (input errors still exit 2)"},
                  {"speed-threshold", "R",
                   "relative latency increase a speed verdict needs (0.10)"},
                  {"fail-on-speed-regression", "",
                   "also exit 1 on a speed regression (judged over repeated measurements only)"},
                  {"speed-min-repeats", "K",
                   "repeated measurements (seeds) a speed verdict needs (default 3)"},
                  {"max-flips", "N",
                   "flipped item ids listed per direction and group (default 20)"},
                  {"resamples", "N", "bootstrap resamples for non-binary scores (default 10000)"},
                  {"seed", "S", "bootstrap seed (default 20240101)"},
                  {"json", "", "print JSON instead of Markdown"},
                  {"out", "FILE.md", "also write the Markdown summary to FILE.md"}},
      .exclusive = {{"report-only", "fail-on-regression"}},
      .notes = "exit codes: 0 no (gated) regression, 1 regression, 2 usage or input error",
  };
  return kSpec;
}

int Compare(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  if (auto out = args.Get("out"); out && std::filesystem::is_directory(*out)) {
    Fail("--out ", *out, ": is a directory, expected the Markdown file to write");
  }
  const bool ab = args.Has("a") || args.Has("b");
  if (ab && !(args.Has("a") && args.Has("b"))) {
    Fail("--a and --b go together: name both settings (see gapbench compare --help)");
  }
  const size_t n_runs = args.positionals().size();
  if (!ab && n_runs != 2) {
    Fail("expected BASE and CANDIDATE (or RUN with --a/--b), got ", n_runs,
         " argument(s) (see gapbench compare --help)");
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
