// gb_membw: the machine's memory bandwidth, STREAM-like (read, copy, triad), with the threads
// gapbench uses; the read figure is the ceiling of a memory-bound decode step
// (docs/PERFORMANCE.md). usage: gb_membw [MiB per array, default 256] [threads, default 2]
// [repetitions, default 5]
#include "kernels/membw.h"

#include <cstdio>
#include <cstdlib>

#include "kernels/parallel.h"

int main(int argc, char** argv) {
  const long mib = argc > 1 ? std::atol(argv[1]) : 256;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  if (mib <= 0 || threads < 0 || reps <= 0) {
    std::fprintf(stderr, "usage: gb_membw [MiB per array > 0] [threads >= 0] [repetitions > 0]\n");
    return 2;
  }
  gapbench::kernels::SetNumThreads(threads);
  const auto m = gapbench::kernels::MeasureMemoryBandwidth(int64_t{mib} << 20, reps);
  std::printf(
      "{\"buffer_bytes\": %lld, \"threads\": %d, \"read_gb_per_s\": %.2f, "
      "\"copy_gb_per_s\": %.2f, \"triad_gb_per_s\": %.2f}\n",
      static_cast<long long>(m.buffer_bytes), m.threads, m.read_gb_per_s, m.copy_gb_per_s,
      m.triad_gb_per_s);
  return 0;
}
