// pass@k with a CI across tasks; docs/STATISTICS.md §3.
#include "reports/pass_at_k.h"

#include <cmath>
#include <vector>

#include "common/error.h"

namespace gapbench::reports {

double PassAtKUnbiased(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || c > n) Fail("pass@k: ", c, " correct of ", n, " samples is invalid");
  if (k < 1 || k > n) Fail("pass@", k, ": needs 1 <= k <= n samples per task (n = ", n, ")");
  if (n - c < k) return 1;  // every k-subset contains a correct sample
  double fail_all = 1;      // C(n − c, k)/C(n, k)
  for (int64_t i = n - c + 1; i <= n; ++i) {
    fail_all *= 1 - static_cast<double>(k) / static_cast<double>(i);
  }
  return 1 - fail_all;
}

Estimate PassAtK(std::span<const TaskSamples> tasks, int64_t k, double confidence) {
  if (tasks.empty()) Fail("pass@", k, ": no tasks; the estimate is undefined");
  std::vector<double> values(tasks.size());  // [tasks]
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (tasks[t].n < k) {
      Fail("pass@", k, ": task ", t, " has only ", tasks[t].n, " samples (needs >= ", k, ")");
    }
    values[t] = PassAtKUnbiased(tasks[t].n, tasks[t].correct, k);
  }
  const Moments m = ComputeMoments(values, "pass@k");
  // Every task at the same value (e.g. all solved): the SE is 0; bound the interval instead.
  if (!(m.variance > 0)) return AllEqualEstimate(m.mean, m.n, 0, 1, confidence, "tasks");
  return MakeEstimate(m.mean, std::sqrt(m.variance / static_cast<double>(m.n)), confidence);
}

}  // namespace gapbench::reports
