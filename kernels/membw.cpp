// STREAM-like kernels (read, copy, triad) over ParallelFor; plain loops that the compiler
// vectorises, with several independent sums so the read is not one long dependency chain.
#include "kernels/membw.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "kernels/parallel.h"

namespace gapbench::kernels {
namespace {

constexpr int64_t kChunk = 1 << 16;  // doubles per ParallelFor task (512 KiB)

template <class Fn>
double BestSeconds(int reps, const Fn& fn) {
  double best = 1e30;
  for (int r = 0; r < std::max(1, reps); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

MemoryBandwidth MeasureMemoryBandwidth(int64_t bytes, int reps) {
  const int64_t n = std::max<int64_t>(kChunk, bytes / 8 / kChunk * kChunk);
  std::vector<double> a(static_cast<size_t>(n), 1.0), b(a.size(), 2.0), c(a.size(), 0.5);
  const int64_t tasks = n / kChunk;
  std::vector<double> sums(static_cast<size_t>(tasks), 0.0);
  const double read_s = BestSeconds(reps, [&]() {
    ParallelFor(0, tasks, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const double* p = b.data() + t * kChunk;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (int64_t i = 0; i < kChunk; i += 8) {
          s0 += p[i];
          s1 += p[i + 1];
          s2 += p[i + 2];
          s3 += p[i + 3];
          s4 += p[i + 4];
          s5 += p[i + 5];
          s6 += p[i + 6];
          s7 += p[i + 7];
        }
        sums[static_cast<size_t>(t)] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
      }
    });
  });
  const double copy_s = BestSeconds(reps, [&]() {
    ParallelFor(0, tasks, 1, [&](int64_t t0, int64_t t1) {
      std::copy(b.begin() + t0 * kChunk, b.begin() + t1 * kChunk, a.begin() + t0 * kChunk);
    });
  });
  const double triad_s = BestSeconds(reps, [&]() {
    ParallelFor(0, tasks, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t i = t0 * kChunk; i < t1 * kChunk; ++i) a[i] = b[i] + 3.0 * c[i];
    });
  });
  // Keep the results observable so no pass is optimised away.
  volatile double sink = sums[0] + a[static_cast<size_t>(n - 1)];
  (void)sink;
  MemoryBandwidth m;
  const double array_bytes = static_cast<double>(n) * 8.0;
  m.buffer_bytes = n * 8;
  m.threads = NumThreads();
  m.read_gb_per_s = array_bytes / read_s / 1e9;
  m.copy_gb_per_s = 2.0 * array_bytes / copy_s / 1e9;
  m.triad_gb_per_s = 3.0 * array_bytes / triad_s / 1e9;
  return m;
}

}  // namespace gapbench::kernels
