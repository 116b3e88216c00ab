// The gated FFN activations in SIMD: SwiGLU, silu(gate) * up, and GeGLU with tanh-GELU (Gemma),
// gelu_tanh(gate) * up. Highway with run-time dispatch and Highway's vectorised exp (max error a
// few ulp, where libm's expf is correctly rounded or nearly so), so results differ from
// SwiGluReference / GeGluTanhReference by a few ulp; they do not depend on the thread count or on
// where a row starts (every element is computed independently; the tail goes through a padded
// buffer with the same vector arithmetic).
//
// Not here: the soft-cap (softcap.cpp, SIMD) and the other elementwise ops (ops.cpp, scalar: a
// small share of a forward).
#include <algorithm>
#include <cstdint>

#include "kernels/ops.h"
#include "kernels/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/swiglu.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// After highway.h (its own block so include sorting cannot move it above foreach_target.h).
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[i] = f(gate[i], up[i]) for i < n, f a vector function; the tail through a zero-padded
// buffer with the same vector arithmetic as the body, so a value's result does not depend on
// where it lies.
template <class D, class F>
HWY_INLINE void GatedMap(D df, const float* gate, const float* up, float* out, int64_t n, F f) {
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(f(hn::LoadU(df, gate + i), hn::LoadU(df, up + i)), df, out + i);
  }
  if (i < n) {
    HWY_ALIGN float g[hn::MaxLanes(df)] = {}, u[hn::MaxLanes(df)] = {}, o[hn::MaxLanes(df)];
    const auto rest = static_cast<size_t>(n - i);
    std::copy(gate + i, gate + n, g);
    std::copy(up + i, up + n, u);
    hn::Store(f(hn::Load(df, g), hn::Load(df, u)), df, o);
    std::copy(o, o + rest, out + i);
  }
}

void SwiGluImpl(const float* gate, const float* up, float* out, int64_t n) {
  const hn::ScalableTag<float> df;
  const auto one = hn::Set(df, 1.0f);
  auto silu_times = [&](auto g, auto u) {
    return hn::Mul(hn::Div(g, hn::Add(one, hn::Exp(df, hn::Neg(g)))), u);
  };
  GatedMap(df, gate, up, out, n, silu_times);
}

// gelu_tanh(x) = 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3), is x / (1 + e^(-2z))
// exactly (1 + tanh z = 2 / (1 + e^(-2z))). That form has no cancellation where tanh(z) is near
// -1 (libm's form loses digits there) and needs only exp and a division. -2z is clamped to
// [-88, 88]: Highway's exp is valid up to +104 only, and z is +-inf once x^3 overflows; beyond the
// clamp the result is x (to float precision) or a value below 1e-38 |x|, as the reference's.
void GeGluTanhImpl(const float* gate, const float* up, float* out, int64_t n) {
  const hn::ScalableTag<float> df;
  const auto one = hn::Set(df, 1.0f);
  const auto k = hn::Set(df, 0.7978845608028654f);  // sqrt(2 / pi)
  const auto c = hn::Set(df, 0.044715f);
  const auto m2 = hn::Set(df, -2.0f);
  const auto lo = hn::Set(df, -88.0f), hi = hn::Set(df, 88.0f);
  auto gelu_times = [&](auto x, auto u) {
    const auto z = hn::Mul(k, hn::MulAdd(hn::Mul(c, x), hn::Mul(x, x), x));
    const auto e = hn::Exp(df, hn::Min(hn::Max(hn::Mul(m2, z), lo), hi));
    return hn::Mul(hn::Div(x, hn::Add(one, e)), u);
  };
  GatedMap(df, gate, up, out, n, gelu_times);
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gapbench::kernels {

HWY_EXPORT(SwiGluImpl);
HWY_EXPORT(GeGluTanhImpl);

void SwiGlu(const float* gate, const float* up, float* out, int64_t n) {
  HWY_DYNAMIC_DISPATCH(SwiGluImpl)(gate, up, out, n);
}

// Element-wise, so splitting the range over threads changes no bit (each value goes through the
// same lane arithmetic wherever a chunk or the tail puts it). A Gemma-3-1B prompt of 512 tokens
// has 3.5M values per layer; with libm's tanh (~20 ns a value) this was 18% of a one-thread
// prefill.
void GeGluTanh(const float* gate, const float* up, float* out, int64_t n) {
  ParallelFor(0, n, int64_t{1} << 14, [&](int64_t begin, int64_t end) {
    HWY_DYNAMIC_DISPATCH(GeGluTanhImpl)(gate + begin, up + begin, out + begin, end - begin);
  });
}

}  // namespace gapbench::kernels
#endif
