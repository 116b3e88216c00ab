// `gapbench compare BASE CANDIDATE`: the regression gate for nightly CI. Loads two runs (results
// databases or run directories), compares them group by group (reports/compare.h), prints a
// Markdown summary (or JSON) and sets the exit code: 0 no gated regression, 1 a gated
// regression, 2 a usage or input error. Statistics and their choices: docs/COMPARE.md.
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
    "  BASE, CANDIDATE: results databases (results.sqlite) or run directories holding one.\n"
    "  Paired, item-level comparison of every model x configuration x strategy x suite group\n"
    "  present in both; a Markdown summary on stdout (docs/COMPARE.md).\n"
    "options:\n"
    "  --alpha A                  family-wise significance level (default 0.05)\n"
    "  --min-effect D             smallest accuracy change a verdict needs (default 0.01)\n"
    "  --correction holm|bonferroni|none   across groups (default holm)\n"
    "  --power P                  for the minimum detectable difference (default 0.8)\n"
    "  --fail-on-regression       exit 1 when any group is a significant accuracy regression\n"
    "                             larger than --min-effect (the default; the flag says it\n"
    "                             explicitly)\n"
    "  --report-only              exit 0 whatever the verdicts (input errors still exit 2)\n"
    "  --speed-threshold R        relative latency increase a speed verdict needs (default 0.10)\n"
    "  --fail-on-speed-regression also exit 1 on a speed regression (timing is noisy: opt in)\n"
    "  --max-flips N              flipped item ids listed per direction and group (default 20)\n"
    "  --resamples N              bootstrap resamples for non-binary scores (default 10000)\n"
    "  --seed S                   bootstrap seed (default 20240101)\n"
    "  --json                     print JSON instead of Markdown\n"
    "  --out FILE.md              also write the Markdown summary to FILE.md\n"
    "exit codes: 0 no (gated) regression, 1 regression, 2 usage or input error\n";

int Compare(const Argv& argv) {
  Args args("gapbench compare", argv,
            {"alpha", "min-effect", "correction", "power", "speed-threshold", "max-flips",
             "resamples", "seed", "out"},
            {"fail-on-regression", "fail-on-speed-regression", "report-only", "json"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.positionals().size() != 2) {
    std::fputs(kUsage, stderr);
    Fail("expected BASE and CANDIDATE, got ", args.positionals().size(), " argument(s)");
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

  const reports::CompareRun base = reports::ToCompareRun(reports::LoadRun(args.positionals()[0]));
  const reports::CompareRun cand = reports::ToCompareRun(reports::LoadRun(args.positionals()[1]));
  const reports::Comparison c = reports::CompareRuns(base, cand, o);

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

  if (args.Has("report-only") && args.Has("fail-on-regression")) {
    Fail("gapbench compare: --report-only and --fail-on-regression contradict each other");
  }
  // Accuracy regressions fail by default (the nightly gate); speed only when asked, because
  // timing on shared machines is noisy.
  const bool report_only = args.Has("report-only");
  const bool gated =
      (!report_only && c.regressions > 0) ||
      (!report_only && args.Has("fail-on-speed-regression") && c.speed_regressions > 0);
  std::fprintf(stderr,
               "gapbench compare: %lld accuracy regression(s), %lld improvement(s), %lld speed "
               "regression(s) in %zu group(s)%s\n",
               static_cast<long long>(c.regressions), static_cast<long long>(c.improvements),
               static_cast<long long>(c.speed_regressions), c.groups.size(),
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
