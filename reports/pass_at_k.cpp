// pass@k with a CI across tasks; docs/STATISTICS.md §3.
#include "reports/pass_at_k.h"

#include <cmath>
#include <vector>

#include "common/error.h"
#include "suites/scoring.h"

namespace gapbench::reports {

Estimate PassAtK(std::span<const TaskSamples> tasks, int64_t k, double confidence) {
  if (tasks.empty()) Fail("pass@", k, ": no tasks; the estimate is undefined");
  std::vector<double> values(tasks.size());  // [tasks]
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (tasks[t].n < k) {
      Fail("pass@", k, ": task ", t, " has only ", tasks[t].n, " samples (needs >= ", k, ")");
    }
    values[t] = suites::PassAtK(tasks[t].n, tasks[t].correct, k);
  }
  const Moments m = ComputeMoments(values, "pass@k");
  // Every task at the same value (e.g. all solved): the SE is 0; bound the interval instead.
  if (!(m.variance > 0)) return AllEqualEstimate(m.mean, m.n, 0, 1, confidence, "tasks");
  return MakeEstimate(m.mean, std::sqrt(m.variance / static_cast<double>(m.n)), confidence);
}

}  // namespace gapbench::reports
