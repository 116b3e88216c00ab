// SIMD row kernels of MatMul, written once with Google Highway and compiled for every x86-64
// target (SSE4, AVX2, AVX-512, ...); HWY_DYNAMIC_DISPATCH picks the best one at run time.
//
// Float weights (f32, f16, bf16): widened to f32 lanes, FMA into two accumulators per token.
// Int8 weights (q8_0, q4_0): unpacked to int16 lanes and multiplied with the activations (Q8_0
// quants already widened to int16 by the caller) by pairwise widening multiply-add into int32
// (vpmaddwd); per 32-block the int32 lanes are converted to f32 and scaled by d_w * d_x.
// Int16 lanes instead of maddubs-style u8 x i8 keep the code portable Highway and free of
// saturation; the kernel stays memory-bound at decode, which is what counts.
// Left out: k-quant dot products, weight repacking (interleaving rows), AMX/VNNI.
#include "kernels/matmul_simd.h"

#include <cstring>

#include "kernels/fp16.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// f16 bits -> f32 without branches for finite values: the magnitude bits shifted into an f32 are
// the value times 2^-112 (also for subnormal halves), so one exact multiply restores it.
HWY_INLINE float HalfToFloat(uint16_t h) {
  if ((h & 0x7c00u) == 0x7c00u) [[unlikely]] {
    return F16ToF32(h);  // inf / NaN
  }
  const float mag = F32FromBits(static_cast<uint32_t>(h & 0x7fffu) << 13) * 0x1p112f;
  return F32FromBits(BitsFromF32(mag) | (static_cast<uint32_t>(h & 0x8000u) << 16));
}

// kT tokens x one weight row of a float type. load_w(df, i) gives lanes [i, i + N) of the row
// widened to f32, load_w1(i) element i (for the tail when cols is not a multiple of N).
// x: [kT, cols] f32; y: kT outputs, y_stride apart.
template <size_t kT, class LoadW, class LoadW1>
HWY_INLINE void FloatTile(const LoadW& load_w, const LoadW1& load_w1, const float* x, int64_t cols,
                          float* y, int64_t y_stride) {
  const hn::ScalableTag<float> df;
  using V = decltype(hn::Zero(df));
  const auto n = static_cast<int64_t>(hn::Lanes(df));
  V acc0[kT];
  V acc1[kT];  // second accumulator hides FMA latency at decode (kT = 1)
  for (size_t t = 0; t < kT; ++t) acc0[t] = acc1[t] = hn::Zero(df);
  int64_t i = 0;
  for (; i + 2 * n <= cols; i += 2 * n) {
    const V w0 = load_w(df, i);
    const V w1 = load_w(df, i + n);
    for (size_t t = 0; t < kT; ++t) {
      const float* xt = x + static_cast<int64_t>(t) * cols;
      acc0[t] = hn::MulAdd(w0, hn::LoadU(df, xt + i), acc0[t]);
      acc1[t] = hn::MulAdd(w1, hn::LoadU(df, xt + i + n), acc1[t]);
    }
  }
  for (; i + n <= cols; i += n) {
    const V w0 = load_w(df, i);
    for (size_t t = 0; t < kT; ++t) {
      acc0[t] = hn::MulAdd(w0, hn::LoadU(df, x + static_cast<int64_t>(t) * cols + i), acc0[t]);
    }
  }
  for (size_t t = 0; t < kT; ++t) {
    float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(acc0[t], acc1[t])));
    const float* xt = x + static_cast<int64_t>(t) * cols;
    for (int64_t j = i; j < cols; ++j) sum += load_w1(j) * xt[j];
    y[static_cast<int64_t>(t) * y_stride] = sum;
  }
}

// Q8_0 weight quants [k, k + N16) of a block as int16 lanes.
struct UnpackQ8_0 {
  static constexpr int64_t kBlockBytes = 34;
  template <class D16>
  HWY_INLINE auto operator()(D16 d16, const uint8_t* qs, int64_t k) const {
    const hn::Rebind<int8_t, D16> d8;
    return hn::PromoteTo(d16, hn::LoadU(d8, reinterpret_cast<const int8_t*>(qs) + k));
  }
};

// Q4_0 weight quants [k, k + N16) of a block as int16 lanes in [-8, 7]: elements 0..15 are the
// low nibbles of bytes 0..15, elements 16..31 the high nibbles. N16 <= 16, so a chunk never
// straddles the two halves.
struct UnpackQ4_0 {
  static constexpr int64_t kBlockBytes = 18;
  template <class D16>
  HWY_INLINE auto operator()(D16 d16, const uint8_t* qs, int64_t k) const {
    const hn::Rebind<uint8_t, D16> d8;
    const auto bytes = hn::PromoteTo(d16, hn::LoadU(d8, qs + (k & 15)));  // zero-extended
    const auto nibbles = k < 16 ? hn::And(bytes, hn::Set(d16, 15)) : hn::ShiftRight<4>(bytes);
    return hn::Sub(nibbles, hn::Set(d16, 8));
  }
};

// kT tokens x one weight row of Q8_0 / Q4_0 blocks (a 2-byte f16 scale, then the quants).
// xd: [kT, nb] activation scales; xq: [kT, cols] activation quants as int16.
template <size_t kT, class Unpack>
HWY_INLINE void Int8Tile(const Unpack& unpack, const uint8_t* w_row, int64_t nb, const float* xd,
                         const int16_t* xq, int64_t cols, float* y, int64_t y_stride) {
  // At most 16 int16 lanes (256 bits): a Q4_0 half-block is 16 values.
  const hn::CappedTag<int16_t, 16> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const hn::Rebind<float, decltype(d32)> df;
  using VF = decltype(hn::Zero(df));
  using VI = decltype(hn::Zero(d32));
  const auto n16 = static_cast<int64_t>(hn::Lanes(d16));
  VF acc[kT];
  for (size_t t = 0; t < kT; ++t) acc[t] = hn::Zero(df);
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = w_row + b * Unpack::kBlockBytes;
    uint16_t d_bits;
    std::memcpy(&d_bits, block, sizeof(d_bits));
    const float dw = HalfToFloat(d_bits);
    VI sum0[kT];
    VI sum1[kT];  // the odd products on targets whose widening multiply-add reorders lanes
    for (size_t t = 0; t < kT; ++t) sum0[t] = sum1[t] = hn::Zero(d32);
    for (int64_t k = 0; k < 32; k += n16) {
      const auto wq = unpack(d16, block + 2, k);
      for (size_t t = 0; t < kT; ++t) {
        const auto xv = hn::LoadU(d16, xq + static_cast<int64_t>(t) * cols + b * 32 + k);
        sum0[t] = hn::ReorderWidenMulAccumulate(d32, wq, xv, sum0[t], sum1[t]);
      }
    }
    for (size_t t = 0; t < kT; ++t) {
      // Each lane's int32 partial sum is below 2^24, so the conversion is exact.
      const VF s = hn::ConvertTo(df, hn::Add(sum0[t], sum1[t]));
      acc[t] = hn::MulAdd(s, hn::Set(df, dw * xd[static_cast<int64_t>(t) * nb + b]), acc[t]);
    }
  }
  for (size_t t = 0; t < kT; ++t) {
    y[static_cast<int64_t>(t) * y_stride] = hn::GetLane(hn::SumOfLanes(df, acc[t]));
  }
}

// Tokens [t0, t0 + kT) x weight row r.
template <size_t kT>
HWY_INLINE void RowTile(const SimdMatMulArgs& a, int64_t r, int64_t t0) {
  const uint8_t* w_row = a.w + r * a.row_bytes;
  float* y = a.y + t0 * a.y_stride + r;
  const float* x = a.x + t0 * a.cols;  // only read on the float paths
  const int64_t nb = a.cols / 32;
  switch (a.type) {
    case GgmlType::kF32: {
      const auto* w = reinterpret_cast<const float*>(w_row);
      FloatTile<kT>([w](auto df, int64_t i) { return hn::LoadU(df, w + i); },
                    [w](int64_t i) { return w[i]; }, x, a.cols, y, a.y_stride);
      return;
    }
    case GgmlType::kF16: {
      const auto* w = reinterpret_cast<const hwy::float16_t*>(w_row);
      const auto* w_bits = reinterpret_cast<const uint16_t*>(w_row);
      FloatTile<kT>(
          [w](auto df, int64_t i) {
            const hn::Rebind<hwy::float16_t, decltype(df)> dh;
            return hn::PromoteTo(df, hn::LoadU(dh, w + i));
          },
          [w_bits](int64_t i) { return F16ToF32(w_bits[i]); }, x, a.cols, y, a.y_stride);
      return;
    }
    case GgmlType::kBF16: {
      const auto* w = reinterpret_cast<const hwy::bfloat16_t*>(w_row);
      const auto* w_bits = reinterpret_cast<const uint16_t*>(w_row);
      FloatTile<kT>(
          [w](auto df, int64_t i) {
            const hn::Rebind<hwy::bfloat16_t, decltype(df)> dh;
            return hn::PromoteTo(df, hn::LoadU(dh, w + i));
          },
          [w_bits](int64_t i) { return BF16ToF32(w_bits[i]); }, x, a.cols, y, a.y_stride);
      return;
    }
    case GgmlType::kQ8_0:
      Int8Tile<kT>(UnpackQ8_0(), w_row, nb, a.xd + t0 * nb, a.xq + t0 * a.cols, a.cols, y,
                   a.y_stride);
      return;
    case GgmlType::kQ4_0:
      Int8Tile<kT>(UnpackQ4_0(), w_row, nb, a.xd + t0 * nb, a.xq + t0 * a.cols, a.cols, y,
                   a.y_stride);
      return;
    default:
      return;  // matmul.cpp rejects other types before dispatching
  }
}

void MatMulRowsImpl(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  // Tokens per pass over a weight row: 2 measured faster than 4 on the dev VM (AVX-512 Xeon,
  // noisy shared host); revisit with 2-row x 2-token tiles.
  constexpr int64_t kTile = 2;
  for (int64_t r = row_begin; r < row_end; ++r) {
    int64_t t0 = 0;
    for (; t0 + kTile <= a.n_tokens; t0 += kTile) RowTile<kTile>(a, r, t0);
    switch (a.n_tokens - t0) {
      case 3:
        RowTile<3>(a, r, t0);
        break;
      case 2:
        RowTile<2>(a, r, t0);
        break;
      case 1:
        RowTile<1>(a, r, t0);
        break;
      default:
        break;
    }
  }
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gapbench::kernels {

HWY_EXPORT(MatMulRowsImpl);

void SimdMatMulRows(const SimdMatMulArgs& args, int64_t row_begin, int64_t row_end) {
  HWY_DYNAMIC_DISPATCH(MatMulRowsImpl)(args, row_begin, row_end);
}

}  // namespace gapbench::kernels
#endif  // HWY_ONCE
