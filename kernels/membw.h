// A small STREAM-like memory-bandwidth probe: the ceiling of a memory-bound decode step, which
// reads every weight once per token. `gapbench bench --json` divides the weight bytes read per
// token by the read bandwidth to get the bandwidth-bound tokens/s; bench/membw prints it alone.
#pragma once

#include <cstdint>

namespace gapbench::kernels {

struct MemoryBandwidth {
  double read_gb_per_s = 0;   // sum of a buffer (what decode does to the weights)
  double copy_gb_per_s = 0;   // STREAM copy, a[i] = b[i], bytes read + written
  double triad_gb_per_s = 0;  // STREAM triad, a[i] = b[i] + s * c[i], bytes read + written
  int64_t buffer_bytes = 0;   // each array's size
  int threads = 0;
};

// Best of `reps` passes of each kernel over arrays of `bytes` each (allocated and touched before
// timing), split over ParallelFor's threads (NumThreads()). Pick bytes well above the last-level
// cache (the default of `gapbench bench` is 256 MiB) to measure DRAM.
MemoryBandwidth MeasureMemoryBandwidth(int64_t bytes, int reps);

}  // namespace gapbench::kernels
