// SwiGlu and GeGluTanh (SIMD, Highway's exp) against SwiGluReference / GeGluTanhReference (scalar,
// libm exp / tanh) on every SIMD target the CPU supports, at lengths around the vector width and
// at extreme gate values (exp overflow and underflow, x^3 overflow), and in place (out == gate,
// as the forward pass calls them).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "hwy/targets.h"
#include "kernels/ops.h"
#include "tests/kernels/kernel_check.h"

namespace gapbench::kernels {
namespace {

using GatedFn = void (*)(const float*, const float*, float*, int64_t);

void Check(const std::vector<float>& gate, const std::vector<float>& up, const char* what,
           GatedFn fn = SwiGlu, GatedFn reference = SwiGluReference) {
  const auto n = static_cast<int64_t>(gate.size());
  std::vector<float> ref(gate.size()), out(gate.size()), inplace = gate;
  reference(gate.data(), up.data(), ref.data(), n);
  fn(gate.data(), up.data(), out.data(), n);
  fn(inplace.data(), up.data(), inplace.data(), n);
  for (size_t i = 0; i < gate.size(); ++i) {
    // A few ulp of Highway's exp, carried through one division and one product.
    const float tol = 4e-6f * std::max(1.0f, std::fabs(ref[i]));
    ASSERT_TRUE(std::isfinite(out[i])) << what << " i " << i << " gate " << gate[i];
    ASSERT_NEAR(out[i], ref[i], tol) << what << " n " << n << " i " << i << " gate " << gate[i];
    ASSERT_EQ(inplace[i], out[i]) << what << ": in place differs at " << i;
  }
}

TEST(SwiGlu, MatchesReferenceOnEverySimdTarget) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    for (size_t n : {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 1000}) {
      std::vector<float> g(n), u(n);
      for (auto& x : g) x = nd(rng);
      for (auto& x : u) x = nd(rng);
      Check(g, u, hwy::TargetName(target));
    }
    // Extremes: silu(-100) -> -0 (exp(100) overflows), silu(100) -> 100, denormal-sized inputs.
    Check({-100.0f, -88.0f, -20.0f, -1e-30f, 0.0f, 1e-30f, 20.0f, 88.0f, 100.0f},
          {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f}, hwy::TargetName(target));
    if (HasFailure()) break;
  }
}

TEST(GeGluTanh, MatchesReferenceOnEverySimdTarget) {
  std::mt19937 rng(6);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    const char* name = hwy::TargetName(target);
    // 40000 values span several of GeGluTanh's ParallelFor chunks (16384).
    for (size_t n : {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 1000, 40000}) {
      std::vector<float> g(n), u(n);
      for (auto& x : g) x = nd(rng);
      for (auto& x : u) x = nd(rng);
      Check(g, u, name, GeGluTanh, GeGluTanhReference);
    }
    // Extremes: gelu(-100) -> -0, gelu(100) -> 100, z beyond exp's range, x^3 overflowing to
    // +-inf (x = +-1e13), tiny inputs, and -5 where 1 + tanh(z) cancels in the reference's form.
    Check({-1e13f, -100.0f, -20.0f, -5.0f, -1e-30f, 0.0f, 1e-30f, 5.0f, 20.0f, 100.0f, 1e13f},
          {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f, 1.0f, 1e-13f}, name, GeGluTanh,
          GeGluTanhReference);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace gapbench::kernels
