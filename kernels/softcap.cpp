// Gemma 2's final-logit soft-cap, x -> cap * tanh(x / cap), over a whole logits matrix: SIMD
// (CapInPlace of softmax-inl.h, Highway's tanh, within 4 ulp of libm's) over ParallelFor chunks.
// 256,000 vocabulary entries per position made the scalar loop (libm tanh, ~20 ns a value) about
// 5 ms a token, more than the attention of a short prompt. SoftCapReference (ops.cpp) is the
// plain scalar definition.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/ops.h"
#include "kernels/parallel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/softcap.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// After highway.h (own block: include sorting must not move it above foreach_target.h).
#include "kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {

void SoftCapImpl(float* x, int64_t n, float cap) { CapInPlace(x, n, cap); }

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gapbench::kernels {

HWY_EXPORT(SoftCapImpl);

// Element-wise: every value goes through the same lane arithmetic wherever a chunk puts it, so the
// thread count changes no bit.
void SoftCap(float* x, int64_t n, float cap) {
  ParallelFor(0, n, int64_t{1} << 15, [&](int64_t begin, int64_t end) {
    HWY_DYNAMIC_DISPATCH(SoftCapImpl)(x + begin, end - begin, cap);
  });
}

}  // namespace gapbench::kernels
#endif
