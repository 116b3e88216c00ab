// K-quant x Q8_K dot products (Q4_K, Q5_K, Q6_K) with Google Highway, compiled for every x86-64
// target and dispatched at run time (HWY_DYNAMIC_DISPATCH).
//
// Per 64-value chunk the 32 weight bytes are widened to int16 and split into low nibbles
// (sub-block 2c) and high nibbles (sub-block 2c + 1); each nibble lane is multiplied by its
// 6-bit sub-block scale (<= 15 * 63 = 945, still int16), then multiplied with the Q8_K quants
// widened to int16 by pairwise widening multiply-add into int32 (vpmaddwd). The int32 lanes of a
// whole block are summed once per block; the mins come from the Q8_K bsums, as in the reference.
// Int16 lanes rather than u8 x i8 (maddubs) keep the code to ops Highway 1.0 offers on every
// target; at decode the kernel is bound by the 144-byte weight blocks anyway.
// Left out: multi-row / multi-token tiles (the matmul's job), VNNI dot-product instructions.
//
// Also here: QuantizeRowQ8_K, the activations of every k-quant product (a prefill quantises each
// input row once per projection input; scalar, it was 3% of a Qwen3-0.6B Q4_K_M prefill).
#include <cmath>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_k.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/quant_k_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// f16 bits -> f32 without the renormalising loop of F16ToF32: the magnitude bits shifted into
// an f32 are the value times 2^-112 (subnormal halves included), so one exact multiply restores
// it. Same value as F16ToF32 for every input.
HWY_INLINE float HalfToFloat(uint16_t h) {
  if ((h & 0x7c00u) == 0x7c00u) [[unlikely]] {
    return F16ToF32(h);  // inf / NaN
  }
  const float mag = F32FromBits(static_cast<uint32_t>(h & 0x7fffu) << 13) * 0x1p112f;
  return F32FromBits(BitsFromF32(mag) | (static_cast<uint32_t>(h & 0x8000u) << 16));
}

float DotQ4_KQ8_KImpl(const BlockQ4_K* w, const BlockQ8_K* x, int64_t n) {
  // At most 32 int16 lanes: one vector never spans two 32-value sub-blocks.
  const hn::CappedTag<int16_t, 32> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const hn::Rebind<uint8_t, decltype(d16)> du8;
  const hn::Rebind<int8_t, decltype(d16)> di8;
  using VI = decltype(hn::Zero(d32));
  const auto n16 = static_cast<int64_t>(hn::Lanes(d16));
  const auto mask_lo = hn::Set(d16, 15);
  double sum = 0;
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ4_K& wb = w[block_idx];
    const BlockQ8_K& xb = x[block_idx];
    uint8_t sc[8];
    uint8_t m[8];
    UnpackScaleMinK4(wb.scales, sc, m);
    VI acc_lo = hn::Zero(d32);  // low-nibble and high-nibble sub-blocks: two madd chains
    VI acc_hi = hn::Zero(d32);
    VI unused = hn::Zero(d32);  // odd products on targets whose widening madd reorders lanes
    for (int chunk = 0; chunk < 4; ++chunk) {
      const uint8_t* qw = wb.qs + 32 * chunk;
      const int8_t* qx = xb.qs + 64 * chunk;
      const auto sc_lo = hn::Set(d16, static_cast<int16_t>(sc[2 * chunk]));
      const auto sc_hi = hn::Set(d16, static_cast<int16_t>(sc[2 * chunk + 1]));
      for (int64_t k = 0; k < 32; k += n16) {
        const auto bytes = hn::PromoteTo(d16, hn::LoadU(du8, qw + k));  // 0..255
        const auto w_lo = hn::Mul(hn::And(bytes, mask_lo), sc_lo);
        const auto w_hi = hn::Mul(hn::ShiftRight<4>(bytes), sc_hi);
        const auto x_lo = hn::PromoteTo(d16, hn::LoadU(di8, qx + k));
        const auto x_hi = hn::PromoteTo(d16, hn::LoadU(di8, qx + 32 + k));
        acc_lo = hn::ReorderWidenMulAccumulate(d32, w_lo, x_lo, acc_lo, unused);
        acc_hi = hn::ReorderWidenMulAccumulate(d32, w_hi, x_hi, acc_hi, unused);
      }
    }
    const VI acc = hn::Add(hn::Add(acc_lo, acc_hi), unused);
    const int32_t sum_q = hn::GetLane(hn::SumOfLanes(d32, acc));
    int32_t sum_m = 0;
    for (int j = 0; j < 8; ++j) sum_m += m[j] * (xb.bsums[2 * j] + xb.bsums[2 * j + 1]);
    // Same float operations, in the same order, as DotQ4_KQ8_KReference.
    const float d = HalfToFloat(wb.d) * xb.d;
    const float dmin = HalfToFloat(wb.dmin) * xb.d;
    sum += static_cast<double>(d) * sum_q - static_cast<double>(dmin) * sum_m;
  }
  return static_cast<float>(sum);
}

// Q5_K: Q4_K's kernel with the fifth bit of each nibble lane from qh (bit 2c for the low nibbles
// of chunk c, 2c + 1 for the high ones) added as 16; |w * sc| <= 31 * 63 = 1953, still int16.
float DotQ5_KQ8_KImpl(const BlockQ5_K* w, const BlockQ8_K* x, int64_t n) {
  const hn::CappedTag<int16_t, 32> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const hn::Rebind<uint8_t, decltype(d16)> du8;
  const hn::Rebind<int8_t, decltype(d16)> di8;
  using VI = decltype(hn::Zero(d32));
  const auto n16 = static_cast<int64_t>(hn::Lanes(d16));
  const auto mask_lo = hn::Set(d16, 15);
  const auto one = hn::Set(d16, 1);
  double sum = 0;
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ5_K& wb = w[block_idx];
    const BlockQ8_K& xb = x[block_idx];
    uint8_t sc[8];
    uint8_t m[8];
    UnpackScaleMinK4(wb.scales, sc, m);
    VI acc_lo = hn::Zero(d32);
    VI acc_hi = hn::Zero(d32);
    VI unused = hn::Zero(d32);
    for (int chunk = 0; chunk < 4; ++chunk) {
      const uint8_t* qw = wb.qs + 32 * chunk;
      const int8_t* qx = xb.qs + 64 * chunk;
      const auto sc_lo = hn::Set(d16, static_cast<int16_t>(sc[2 * chunk]));
      const auto sc_hi = hn::Set(d16, static_cast<int16_t>(sc[2 * chunk + 1]));
      for (int64_t k = 0; k < 32; k += n16) {
        const auto bytes = hn::PromoteTo(d16, hn::LoadU(du8, qw + k));  // 0..255
        const auto high =
            hn::ShiftRightSame(hn::PromoteTo(d16, hn::LoadU(du8, wb.qh + k)), 2 * chunk);
        const auto q_lo = hn::Or(hn::And(bytes, mask_lo), hn::ShiftLeft<4>(hn::And(high, one)));
        const auto q_hi = hn::Or(hn::ShiftRight<4>(bytes),
                                 hn::ShiftLeft<4>(hn::And(hn::ShiftRight<1>(high), one)));
        const auto x_lo = hn::PromoteTo(d16, hn::LoadU(di8, qx + k));
        const auto x_hi = hn::PromoteTo(d16, hn::LoadU(di8, qx + 32 + k));
        acc_lo = hn::ReorderWidenMulAccumulate(d32, hn::Mul(q_lo, sc_lo), x_lo, acc_lo, unused);
        acc_hi = hn::ReorderWidenMulAccumulate(d32, hn::Mul(q_hi, sc_hi), x_hi, acc_hi, unused);
      }
    }
    const VI acc = hn::Add(hn::Add(acc_lo, acc_hi), unused);
    const int32_t sum_q = hn::GetLane(hn::SumOfLanes(d32, acc));
    int32_t sum_m = 0;
    for (int j = 0; j < 8; ++j) sum_m += m[j] * (xb.bsums[2 * j] + xb.bsums[2 * j + 1]);
    // Same float operations, in the same order, as DotQ5_KQ8_KReference.
    const float d = HalfToFloat(wb.d) * xb.d;
    const float dmin = HalfToFloat(wb.dmin) * xb.d;
    sum += static_cast<double>(d) * sum_q - static_cast<double>(dmin) * sum_m;
  }
  return static_cast<float>(sum);
}

// Q6_K: per 128-value half, bytes l of ql[0..32), ql[32..64) and qh[0..32) hold the four values
// 32k + l (k = 0..3). Each is rebuilt as (nibble | 2 high bits << 4) - 32 in int16 lanes,
// multiplied by its group's signed 8-bit scale (|.| <= 32 * 128 = 4096, still int16), then
// multiplied with the Q8_K quants by widening multiply-add into int32. At most 16 lanes, so one
// vector never spans two 16-value groups.
float DotQ6_KQ8_KImpl(const BlockQ6_K* w, const BlockQ8_K* x, int64_t n) {
  const hn::CappedTag<int16_t, 16> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const hn::Rebind<uint8_t, decltype(d16)> du8;
  const hn::Rebind<int8_t, decltype(d16)> di8;
  using VI = decltype(hn::Zero(d32));
  const auto n16 = static_cast<int64_t>(hn::Lanes(d16));
  const auto mask4 = hn::Set(d16, 15);
  const auto mask2 = hn::Set(d16, 3);
  const auto offset = hn::Set(d16, 32);
  double sum = 0;
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ6_K& wb = w[block_idx];
    const BlockQ8_K& xb = x[block_idx];
    VI acc0 = hn::Zero(d32);
    VI acc1 = hn::Zero(d32);
    VI acc2 = hn::Zero(d32);
    VI acc3 = hn::Zero(d32);
    VI unused = hn::Zero(d32);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = wb.ql + 64 * half;
      const uint8_t* qh = wb.qh + 32 * half;
      const int8_t* sc = wb.scales + 8 * half;
      const int8_t* qx = xb.qs + 128 * half;
      for (int64_t l = 0; l < 32; l += n16) {
        const int64_t g = l / 16;
        const auto a = hn::PromoteTo(d16, hn::LoadU(du8, ql + l));
        const auto b = hn::PromoteTo(d16, hn::LoadU(du8, ql + 32 + l));
        const auto h = hn::PromoteTo(d16, hn::LoadU(du8, qh + l));
        const auto w0 =
            hn::Sub(hn::Or(hn::And(a, mask4), hn::ShiftLeft<4>(hn::And(h, mask2))), offset);
        const auto w1 = hn::Sub(
            hn::Or(hn::And(b, mask4), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<2>(h), mask2))),
            offset);
        const auto w2 = hn::Sub(
            hn::Or(hn::ShiftRight<4>(a), hn::ShiftLeft<4>(hn::And(hn::ShiftRight<4>(h), mask2))),
            offset);
        const auto w3 =
            hn::Sub(hn::Or(hn::ShiftRight<4>(b), hn::ShiftLeft<4>(hn::ShiftRight<6>(h))), offset);
        const auto s0 = hn::Set(d16, static_cast<int16_t>(sc[g]));
        const auto s1 = hn::Set(d16, static_cast<int16_t>(sc[2 + g]));
        const auto s2 = hn::Set(d16, static_cast<int16_t>(sc[4 + g]));
        const auto s3 = hn::Set(d16, static_cast<int16_t>(sc[6 + g]));
        acc0 = hn::ReorderWidenMulAccumulate(
            d32, hn::Mul(w0, s0), hn::PromoteTo(d16, hn::LoadU(di8, qx + l)), acc0, unused);
        acc1 = hn::ReorderWidenMulAccumulate(
            d32, hn::Mul(w1, s1), hn::PromoteTo(d16, hn::LoadU(di8, qx + 32 + l)), acc1, unused);
        acc2 = hn::ReorderWidenMulAccumulate(
            d32, hn::Mul(w2, s2), hn::PromoteTo(d16, hn::LoadU(di8, qx + 64 + l)), acc2, unused);
        acc3 = hn::ReorderWidenMulAccumulate(
            d32, hn::Mul(w3, s3), hn::PromoteTo(d16, hn::LoadU(di8, qx + 96 + l)), acc3, unused);
      }
    }
    const VI acc = hn::Add(hn::Add(hn::Add(acc0, acc1), hn::Add(acc2, acc3)), unused);
    const int32_t sum_q = hn::GetLane(hn::SumOfLanes(d32, acc));
    // Same float operations, in the same order, as DotQ6_KQ8_KReference.
    const float d = HalfToFloat(wb.d) * xb.d;
    sum += static_cast<double>(d) * sum_q;
  }
  return static_cast<float>(sum);
}

// QuantizeRowQ8_KReference's bytes: the signed value of largest magnitude (the first on ties)
// maps to -127 through iscale = -127 / max; q = min(127, nearest(iscale * x)), where the
// reference's nearest-int trick (x + 1.5 * 2^23) is round-half-to-even for |v| < 2^22, as the
// conversion under the default rounding mode is; d = 1 / iscale; bsums the 16-value sums.
void QuantizeRowQ8_KImpl(const float* x, BlockQ8_K* y, int64_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<int8_t, decltype(di)> d8;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  for (int64_t bi = 0; bi < n / kQK_K; ++bi) {
    const float* xb = x + bi * kQK_K;
    BlockQ8_K& b = y[bi];
    auto vmax = hn::Zero(df);
    bool finite = true;
    for (int64_t j = 0; j < kQK_K; j += lanes) {
      const auto v = hn::LoadU(df, xb + j);
      finite = finite && hn::AllTrue(df, hn::IsFinite(v));
      vmax = hn::Max(vmax, hn::Abs(v));
    }
    if (!finite) [[unlikely]] {
      // NaN or inf: vector max and conversion treat them otherwise than the reference's scalar
      // compare and integer trick; the block is garbage either way, but byte-identical.
      QuantizeRowQ8_KReference(xb, &b, kQK_K);
      continue;
    }
    const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
    if (amax == 0) {
      b.d = 0;
      std::memset(b.qs, 0, sizeof(b.qs));
      std::memset(b.bsums, 0, sizeof(b.bsums));
      continue;
    }
    float max = 0;
    for (int64_t j = 0; j < kQK_K; ++j) {
      if (std::fabs(xb[j]) == amax) {
        max = xb[j];
        break;
      }
    }
    const float iscale = -127.0f / max;
    if (!std::isfinite(iscale)) [[unlikely]] {
      // |max| < 127 / FLT_MAX: the reference's integer trick on inf / NaN products gives quants
      // the conversion would not (it writes 0 where cvtps2dq gives INT_MIN): take its bytes.
      QuantizeRowQ8_KReference(xb, &b, kQK_K);
      continue;
    }
    const auto vis = hn::Set(df, iscale);
    const auto v127 = hn::Set(di, 127);
    for (int64_t j = 0; j < kQK_K; j += lanes) {
      const auto q = hn::Min(hn::NearestInt(hn::Mul(vis, hn::LoadU(df, xb + j))), v127);
      hn::StoreU(hn::DemoteTo(d8, q), d8, b.qs + j);
    }
    for (int k = 0; k < kQK_K / 16; ++k) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b.qs[16 * k + l];
      b.bsums[k] = static_cast<int16_t>(sum);
    }
    b.d = 1 / iscale;
  }
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "common/error.h"

namespace gapbench::kernels {

HWY_EXPORT(DotQ4_KQ8_KImpl);
HWY_EXPORT(DotQ5_KQ8_KImpl);
HWY_EXPORT(DotQ6_KQ8_KImpl);
HWY_EXPORT(QuantizeRowQ8_KImpl);

void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "QuantizeRowQ8_K: n=", n, " is not a multiple of 256");
  HWY_DYNAMIC_DISPATCH(QuantizeRowQ8_KImpl)(x, y, n);
}

float DotQ4_KQ8_K(const BlockQ4_K* w, const BlockQ8_K* x, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "DotQ4_KQ8_K: n=", n, " is not a multiple of 256");
  return HWY_DYNAMIC_DISPATCH(DotQ4_KQ8_KImpl)(w, x, n);
}

float DotQ5_KQ8_K(const BlockQ5_K* w, const BlockQ8_K* x, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "DotQ5_KQ8_K: n=", n, " is not a multiple of 256");
  return HWY_DYNAMIC_DISPATCH(DotQ5_KQ8_KImpl)(w, x, n);
}

float DotQ6_KQ8_K(const BlockQ6_K* w, const BlockQ8_K* x, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "DotQ6_KQ8_K: n=", n, " is not a multiple of 256");
  return HWY_DYNAMIC_DISPATCH(DotQ6_KQ8_KImpl)(w, x, n);
}

std::vector<int64_t> QuantKTargets() {
  std::vector<int64_t> targets;
  // Best first: Highway's better targets have lower bits on x86.
  for (int64_t bits = hwy::SupportedTargets() & HWY_TARGETS; bits != 0; bits &= bits - 1) {
    targets.push_back(bits & -bits);
  }
  return targets;
}

std::string QuantKTargetName(int64_t target) { return hwy::TargetName(target); }

void QuantKForceTarget(int64_t target) {
  hwy::SetSupportedTargetsForTest(target);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());  // re-resolve on the next call
}

}  // namespace gapbench::kernels
#endif  // HWY_ONCE
