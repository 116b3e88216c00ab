// Per-target (Highway) softmax helper shared by the attention kernels; included after
// hwy/highway.h from inside a foreach_target translation unit, like Highway's own -inl headers.
#if defined(GAPBENCH_KERNELS_SOFTMAX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GAPBENCH_KERNELS_SOFTMAX_INL_H_
#undef GAPBENCH_KERNELS_SOFTMAX_INL_H_
#else
#define GAPBENCH_KERNELS_SOFTMAX_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "hwy/highway.h"
// After highway.h (own block: include sorting must not move it first).
#include "hwy/contrib/math/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// scratch[j] = exp(scratch[j] - mx) for j < n, vectorised (Highway's exp; the tail through a
// padded buffer with the same arithmetic); returns their sum, accumulated in float lanes over
// blocks of 256 keys and in double across blocks so long contexts keep their precision.
inline double ExpShiftSum(float* scratch, int64_t n, float mx) {
  const hn::ScalableTag<float> df;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto vmx = hn::Set(df, mx);
  double sum = 0.0;
  auto block = hn::Zero(df);
  int64_t j = 0, in_block = 0;
  for (; j + lanes <= n; j += lanes) {
    const auto e = hn::Exp(df, hn::Sub(hn::LoadU(df, scratch + j), vmx));
    hn::StoreU(e, df, scratch + j);
    block = hn::Add(block, e);
    if ((in_block += lanes) >= 256) {
      sum += hn::GetLane(hn::SumOfLanes(df, block));
      block = hn::Zero(df);
      in_block = 0;
    }
  }
  if (j < n) {
    HWY_ALIGN float buf[hn::MaxLanes(df)];
    std::fill(buf, buf + lanes, -INFINITY);  // exp(-inf) = 0: padding adds nothing
    std::copy(scratch + j, scratch + n, buf);
    const auto e = hn::Exp(df, hn::Sub(hn::Load(df, buf), vmx));
    hn::Store(e, df, buf);
    std::copy(buf, buf + (n - j), scratch + j);
    block = hn::Add(block, e);
  }
  return sum + hn::GetLane(hn::SumOfLanes(df, block));
}

// x[j] = cap * tanh(x[j] / cap) for j < n (Gemma 2's attention and final-logit soft-caps) with
// Highway's tanh (within 4 ulp of libm's; the division and the product are the reference's),
// the tail through a padded buffer with the same arithmetic. Returns the largest capped value
// (-inf for n = 0).
inline float CapInPlace(float* x, int64_t n, float cap) {
  const hn::ScalableTag<float> df;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto vcap = hn::Set(df, cap);
  auto vmx = hn::Set(df, -INFINITY);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    const auto c = hn::Mul(vcap, hn::Tanh(df, hn::Div(hn::LoadU(df, x + j), vcap)));
    hn::StoreU(c, df, x + j);
    vmx = hn::Max(vmx, c);
  }
  float mx = hn::GetLane(hn::MaxOfLanes(df, vmx));
  if (j < n) {
    HWY_ALIGN float buf[hn::MaxLanes(df)] = {};
    std::copy(x + j, x + n, buf);
    hn::Store(hn::Mul(vcap, hn::Tanh(df, hn::Div(hn::Load(df, buf), vcap))), df, buf);
    std::copy(buf, buf + (n - j), x + j);
    for (int64_t i = j; i < n; ++i) mx = std::max(mx, x[i]);
  }
  return mx;
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggled per target
