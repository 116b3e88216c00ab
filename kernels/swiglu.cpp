// SwiGLU activation, silu(gate) * up, in SIMD: Highway with run-time dispatch and Highway's
// vectorised exp (max error a few ulp, where libm's expf is correctly rounded or nearly so), so
// results differ from SwiGluReference by a few ulp; they do not depend on the thread count or
// on where a row starts (every element is computed independently; the tail goes through a
// padded buffer with the same vector arithmetic).
//
// Not here: the other elementwise ops (ops.cpp, scalar: they are a small share of a forward).
#include <algorithm>
#include <cstdint>

#include "kernels/ops.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/swiglu.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// After highway.h (its own block so include sorting cannot move it above foreach_target.h).
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void SwiGluImpl(const float* gate, const float* up, float* out, int64_t n) {
  const hn::ScalableTag<float> df;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto one = hn::Set(df, 1.0f);
  auto silu_times = [&](auto g, auto u) {
    return hn::Mul(hn::Div(g, hn::Add(one, hn::Exp(df, hn::Neg(g)))), u);
  };
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(silu_times(hn::LoadU(df, gate + i), hn::LoadU(df, up + i)), df, out + i);
  }
  if (i < n) {
    // The tail through a zero-padded buffer: the same vector arithmetic as the body.
    HWY_ALIGN float g[hn::MaxLanes(df)] = {}, u[hn::MaxLanes(df)] = {}, o[hn::MaxLanes(df)];
    const auto rest = static_cast<size_t>(n - i);
    std::copy(gate + i, gate + n, g);
    std::copy(up + i, up + n, u);
    hn::Store(silu_times(hn::Load(df, g), hn::Load(df, u)), df, o);
    std::copy(o, o + rest, out + i);
  }
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gapbench::kernels {

HWY_EXPORT(SwiGluImpl);

void SwiGlu(const float* gate, const float* up, float* out, int64_t n) {
  HWY_DYNAMIC_DISPATCH(SwiGluImpl)(gate, up, out, n);
}

}  // namespace gapbench::kernels
#endif
