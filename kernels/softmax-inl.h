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

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggled per target
