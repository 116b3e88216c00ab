// pass@k over a set of tasks with a confidence interval: the per-task unbiased estimator
// (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1) averaged over
// tasks, with the CLT SE across tasks (tasks are the sampling unit; the within-task sampling
// noise is part of each task's value). Not here: running samples (suites/sandbox_exec.h).
#pragma once

#include <cstdint>
#include <span>

#include "reports/stats.h"

namespace gapbench::reports {

struct TaskSamples {
  int64_t n = 0;        // samples drawn for the task
  int64_t correct = 0;  // samples that passed
};

// The per-task estimator 1 − C(n − c, k)/C(n, k) is suites::PassAtK (suites/scoring.h), the one
// the sandbox's own summary uses.

// Mean of the per-task values with SE sqrt(Σ(v − v̄)²/T / T) over T tasks. Throws Error when
// there are no tasks or a task has fewer than k samples.
Estimate PassAtK(std::span<const TaskSamples> tasks, int64_t k, double confidence = 0.95);

}  // namespace gapbench::reports
