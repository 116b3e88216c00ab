// SoftCap (SIMD, Highway's tanh, over ParallelFor chunks) against SoftCapReference (libm tanh) on
// every SIMD target the CPU supports: lengths around the vector width and across chunks, Gemma 2's
// caps (30 for the final logits, 50 for attention scores), and extremes (values far beyond the
// cap, zeros, tiny values).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "hwy/targets.h"
#include "kernels/ops.h"
#include "tests/kernels/kernel_check.h"

namespace gapbench::kernels {
namespace {

void Check(const std::vector<float>& x, float cap, const char* what) {
  std::vector<float> ref = x, out = x;
  SoftCapReference(ref.data(), static_cast<int64_t>(ref.size()), cap);
  SoftCap(out.data(), static_cast<int64_t>(out.size()), cap);
  for (size_t i = 0; i < x.size(); ++i) {
    // 4 ulp of tanh (expm1-based: relative, down to the smallest inputs) and two roundings.
    const float tol = 2e-6f * std::fabs(ref[i]) + 1e-40f;
    ASSERT_TRUE(std::isfinite(out[i])) << what << " i " << i << " x " << x[i];
    ASSERT_NEAR(out[i], ref[i], tol) << what << " n " << x.size() << " i " << i << " x " << x[i];
    ASSERT_LE(std::fabs(out[i]), cap) << what << " x " << x[i];
  }
}

TEST(SoftCap, MatchesReferenceOnEverySimdTarget) {
  std::mt19937 rng(9);
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    const char* name = hwy::TargetName(target);
    for (float cap : {30.0f, 50.0f}) {
      std::normal_distribution<float> nd(0.0f, cap);
      // 100000 values span several of SoftCap's ParallelFor chunks (32768).
      for (size_t n : {1, 3, 7, 8, 9, 16, 17, 33, 1000, 100000}) {
        std::vector<float> x(n);
        for (auto& v : x) v = nd(rng);
        Check(x, cap, name);
      }
      Check({-1e30f, -3e38f, -1000.0f, -1e-30f, 0.0f, 1e-30f, 1e-3f, 29.0f, 1000.0f, 1e30f, 3e38f},
            cap, name);
    }
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace gapbench::kernels
