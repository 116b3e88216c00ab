// Shared by the kernel tests: an RAII guard that pins Highway's run-time dispatch to one SIMD
// target (restored when the guard leaves scope, also when a failed ASSERT returns early), the
// list of targets to run, and the error metric of the kernel table (kernel_table_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "hwy/targets.h"

namespace gapbench::kernels::kernel_test {

// Every Highway target this binary was compiled for and this CPU supports, best first.
inline std::vector<int64_t> CompiledTargets() { return hwy::SupportedAndGeneratedTargets(); }

inline std::string TargetName(int64_t target) { return hwy::TargetName(target); }

// Restricts dispatch (process-wide, every Highway module) to `target` for the guard's lifetime.
// Not thread-safe: construct it outside parallel regions, as the kernels' own ParallelFor runs
// under it.
class ScopedSimdTarget {
 public:
  explicit ScopedSimdTarget(int64_t target) { Set(target); }
  ~ScopedSimdTarget() { Set(0); }
  ScopedSimdTarget(const ScopedSimdTarget&) = delete;
  ScopedSimdTarget& operator=(const ScopedSimdTarget&) = delete;

 private:
  static void Set(int64_t target) {
    hwy::SetSupportedTargetsForTest(target);                 // 0: the CPU's full set again
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());  // re-resolve on the next call
  }
};

// Normalised mean squared error sum (out - ref)^2 / sum ref^2 (as llama.cpp's
// test-backend-ops), in double; the plain sum of squared errors when ref is all zero. A
// non-finite output where the reference is finite counts as infinite error.
inline double Nmse(std::span<const float> out, std::span<const double> ref) {
  double err = 0.0, norm = 0.0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i]) && std::isfinite(ref[i])) return INFINITY;
    const double d = static_cast<double>(out[i]) - ref[i];
    err += d * d;
    norm += ref[i] * ref[i];
  }
  return norm > 0.0 ? err / norm : err;
}

// How a kernel's output must relate to its scalar reference.
struct Bound {
  bool bit_identical = false;  // every output equals the (float) reference bit for bit
  double max_nmse = 0.0;       // else: Nmse(out, ref) <= max_nmse
};

// Checks out against ref under bound; the message names the first differing element.
inline ::testing::AssertionResult MeetsBound(std::span<const float> out,
                                             std::span<const double> ref, const Bound& bound) {
  if (out.size() != ref.size()) {
    return ::testing::AssertionFailure()
           << "output has " << out.size() << " values, reference " << ref.size();
  }
  if (bound.bit_identical) {
    for (size_t i = 0; i < out.size(); ++i) {
      const auto want = static_cast<float>(ref[i]);
      if (std::bit_cast<uint32_t>(out[i]) != std::bit_cast<uint32_t>(want)) {
        return ::testing::AssertionFailure()
               << "not bit-identical at " << i << ": " << out[i] << " vs reference " << want
               << " (nmse " << Nmse(out, ref) << ")";
      }
    }
    return ::testing::AssertionSuccess();
  }
  const double nmse = Nmse(out, ref);
  if (nmse <= bound.max_nmse) return ::testing::AssertionSuccess();
  size_t worst = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!(std::fabs(out[i] - ref[i]) <= std::fabs(out[worst] - ref[worst]))) worst = i;
  }
  return ::testing::AssertionFailure()
         << "nmse " << nmse << " > " << bound.max_nmse << "; worst element " << worst << ": "
         << out[worst] << " vs reference " << ref[worst];
}

}  // namespace gapbench::kernels::kernel_test
