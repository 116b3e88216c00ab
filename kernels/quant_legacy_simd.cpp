// Q5_0 x Q8_0, Q5_1 x Q8_1 and Q4_1 x Q8_1 dot products with Google Highway, compiled for every
// x86-64 target and dispatched at run time (HWY_DYNAMIC_DISPATCH).
//
// Per 32-value block the 16 quant bytes are widened to int16 and split into low nibbles
// (elements 0..15) and high nibbles (16..31); for the 5-bit types the fifth bits are tested per
// lane against a table of single-bit masks of the qh word (16 at a time) and add 16 (Q5_1) or
// take 16 off where missing (Q5_0: q - 16 = nibble - 16 * !bit). The weights (|.| <= 31) multiply
// the Q8 quants widened to int16 by pairwise widening multiply-add into int32, and the block's
// lanes are summed once per block, so the int32 sum equals the reference's; the f32 / f64 tail is
// the reference's code. At most 16 int16 lanes, so one vector never spans two blocks.
// Left out: multi-row tiles and u8 x i8 instructions (vpmaddubsw / vpdpbusd).
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/quant_legacy.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/quant_legacy_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Single-bit masks for lanes 0..15 (as int16 bit patterns).
alignas(64) constexpr int16_t kBitOf[16] = {
    0x0001, 0x0002, 0x0004, 0x0008, 0x0010, 0x0020, 0x0040, 0x0080,
    0x0100, 0x0200, 0x0400, 0x0800, 0x1000, 0x2000, 0x4000, static_cast<int16_t>(0x8000)};

enum class Kind { kQ5_0, kQ5_1, kQ4_1 };

// The int32 sum over one block of (weight quant as the dot uses it) x (activation quant).
// qs: 16 nibble bytes; qh: the fifth bits (unused for Q4_1); xq: 32 activation quants.
template <Kind kKind>
HWY_INLINE int32_t BlockSum(const uint8_t* qs, uint32_t qh, const int8_t* xq) {
  const hn::CappedTag<int16_t, 16> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const hn::Rebind<uint8_t, decltype(d16)> du8;
  const hn::Rebind<int8_t, decltype(d16)> di8;
  const auto n16 = static_cast<int>(hn::Lanes(d16));
  const auto mask_lo = hn::Set(d16, 15);
  const auto sixteen = hn::Set(d16, 16);
  const auto zero = hn::Zero(d16);
  const auto h_lo = hn::Set(d16, static_cast<int16_t>(qh & 0xffffu));  // bits of elements 0..15
  const auto h_hi = hn::Set(d16, static_cast<int16_t>(qh >> 16));      // elements 16..31
  auto acc = hn::Zero(d32);
  auto unused = hn::Zero(d32);
  for (int k = 0; k < 16; k += n16) {
    const auto bytes = hn::PromoteTo(d16, hn::LoadU(du8, qs + k));  // 0..255
    auto w_lo = hn::And(bytes, mask_lo);
    auto w_hi = hn::ShiftRight<4>(bytes);
    if constexpr (kKind != Kind::kQ4_1) {
      const auto bits = hn::Load(d16, kBitOf + k);
      const auto set_lo = hn::Ne(hn::And(h_lo, bits), zero);
      const auto set_hi = hn::Ne(hn::And(h_hi, bits), zero);
      if constexpr (kKind == Kind::kQ5_0) {
        w_lo = hn::Sub(w_lo, hn::IfThenZeroElse(set_lo, sixteen));
        w_hi = hn::Sub(w_hi, hn::IfThenZeroElse(set_hi, sixteen));
      } else {
        w_lo = hn::Add(w_lo, hn::IfThenElseZero(set_lo, sixteen));
        w_hi = hn::Add(w_hi, hn::IfThenElseZero(set_hi, sixteen));
      }
    }
    const auto x_lo = hn::PromoteTo(d16, hn::LoadU(di8, xq + k));
    const auto x_hi = hn::PromoteTo(d16, hn::LoadU(di8, xq + 16 + k));
    acc = hn::ReorderWidenMulAccumulate(d32, w_lo, x_lo, acc, unused);
    acc = hn::ReorderWidenMulAccumulate(d32, w_hi, x_hi, acc, unused);
  }
  return hn::GetLane(hn::SumOfLanes(d32, hn::Add(acc, unused)));
}

inline uint32_t LoadQh(const uint8_t qh[4]) {
  uint32_t v;
  std::memcpy(&v, qh, sizeof(v));  // little-endian, as ggml
  return v;
}

// Same float operations, in the same order, as the references in quant_legacy.cpp.
float DotQ5_0Q8_0Impl(const BlockQ5_0* w, const Q8Row& x, int64_t n) {
  double sum = 0;
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const int32_t sumi = BlockSum<Kind::kQ5_0>(w[b].qs, LoadQh(w[b].qh), x.q + b * kQK5);
    const float dd = F16ToF32(w[b].d) * x.d[b];
    sum += static_cast<double>(dd) * sumi;
  }
  return static_cast<float>(sum);
}

float DotQ5_1Q8_1Impl(const BlockQ5_1* w, const Q8Row& x, int64_t n) {
  double sum = 0;
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const int32_t sumi = BlockSum<Kind::kQ5_1>(w[b].qs, LoadQh(w[b].qh), x.q + b * kQK5);
    const float dd = F16ToF32(w[b].d) * x.d[b];
    const float md = F16ToF32(w[b].m) * x.d[b];
    sum += static_cast<double>(dd) * sumi + static_cast<double>(md) * x.s[b];
  }
  return static_cast<float>(sum);
}

float DotQ4_1Q8_1Impl(const BlockQ4_1* w, const Q8Row& x, int64_t n) {
  double sum = 0;
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const int32_t sumi = BlockSum<Kind::kQ4_1>(w[b].qs, 0, x.q + b * kQK5);
    const float dd = F16ToF32(w[b].d) * x.d[b];
    const float md = F16ToF32(w[b].m) * x.d[b];
    sum += static_cast<double>(dd) * sumi + static_cast<double>(md) * x.s[b];
  }
  return static_cast<float>(sum);
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "common/error.h"

namespace gapbench::kernels {

HWY_EXPORT(DotQ5_0Q8_0Impl);
HWY_EXPORT(DotQ5_1Q8_1Impl);
HWY_EXPORT(DotQ4_1Q8_1Impl);

float DotQ5_0Q8_0(const BlockQ5_0* w, const Q8Row& x, int64_t n) {
  GB_CHECK(n % kQK5 == 0, "DotQ5_0Q8_0: n=", n, " is not a multiple of 32");
  return HWY_DYNAMIC_DISPATCH(DotQ5_0Q8_0Impl)(w, x, n);
}

float DotQ5_1Q8_1(const BlockQ5_1* w, const Q8Row& x, int64_t n) {
  GB_CHECK(n % kQK5 == 0, "DotQ5_1Q8_1: n=", n, " is not a multiple of 32");
  return HWY_DYNAMIC_DISPATCH(DotQ5_1Q8_1Impl)(w, x, n);
}

float DotQ4_1Q8_1(const BlockQ4_1* w, const Q8Row& x, int64_t n) {
  GB_CHECK(n % kQK5 == 0, "DotQ4_1Q8_1: n=", n, " is not a multiple of 32");
  return HWY_DYNAMIC_DISPATCH(DotQ4_1Q8_1Impl)(w, x, n);
}

}  // namespace gapbench::kernels
#endif  // HWY_ONCE
