// One parallel-for for every kernel (oneTBB underneath), with a process-wide thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace gapbench::kernels {

// Sets the number of worker threads used by ParallelFor (0 = all hardware threads).
void SetNumThreads(int n);
int NumThreads();

// Calls fn(begin_i, end_i) on disjoint sub-ranges covering [begin, end), each at least `grain`
// long (except possibly the last). Runs inline when the range is smaller than 2*grain.
void ParallelFor(int64_t begin, int64_t end, int64_t grain,
                 const std::function<void(int64_t, int64_t)>& fn);

}  // namespace gapbench::kernels
