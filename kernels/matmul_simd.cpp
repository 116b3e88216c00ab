// Tile kernels of MatMul, compiled once per x86-64 target with Google Highway (SSE4, AVX2,
// AVX-512, AVX-512 VNNI = AVX3_DL) and picked at run time by HWY_DYNAMIC_DISPATCH.
//
// Every kernel computes a register tile of kM weight rows x kN tokens (tinyBLAS-style): each
// weight vector loaded is used kN times, each activation vector kM times. A task walks its rows
// in panels of kSimdRowPanel rows; per panel it runs all token tiles, so the panel stays in L1
// while the activations stream from L2.
//
// Which code runs on which target (the #if blocks below follow this list):
//   - Float weights (f32, f16, bf16), every target: portable Highway, widened to f32 lanes, one
//     FMA accumulator per (row, token); a single token (decode) runs 8-row x 1-token tiles.
//   - Int8 weights (q8_0, q4_0) against Q8_0 activations, per 32-block:
//     - AVX2 and AVX3 (AVX-512 without VNNI): raw intrinsics, a panel kernel on the panel layout
//       of matmul_simd.h (packed at load by SimdPackPanels, else per 16-row panel per call):
//       one row per int32 lane, `vpmaddubsw` on 4 quants of 8 rows against 4 broadcast
//       activation quants (q4_0: the raw nibbles; q8_0: the sign trick), exact int32 block
//       sums and the reference's f32 operations in its order, so bit-identical to
//       MatMulReference.
//     - AVX3_DL (AVX-512 VNNI): raw intrinsics, `vpdpbusd` on u8 w + offset; exact int32 sums per
//       block and the reference's f32 operations in its order, so bit-identical to
//       MatMulReference; the 16-row panel kernel on the same layout, or (a weight not packed,
//       fewer than 16 tokens) small tiles on the GGUF layout.
//     - other targets (SSE4, SSSE3, ...): portable Highway, quants widened to int16,
//       `ReorderWidenMulAccumulate` into int32, int32 lanes converted to f32 and FMA'd with
//       d_w * d_x (bounded difference to the reference).
//   - Activation quantisation (QuantizeQ8_0RowsImpl), every target: portable Highway.
// Why raw intrinsics for int8: Highway 1.0.3 has no u8 x i8 multiply-add (x86's `vpmaddubsw`,
// `vpdpbusd`), which is what makes int8 dots fast; each sits in its own small function below
// (DotI8, DotU8I8) or in the panel tiles with that reason, and the tiles use the matching raw
// register types rather than converting between Highway vectors and __m256i/__m512i in the
// inner loops. The operation sequence for one output element does not depend on the tile shape,
// the row range or the token count, so MatMul is independent of the thread count and of
// batching (on the x86 int8 paths it equals the reference, which is independent by
// construction).
//   - Q4_K weights against Q8_K activations: on AVX2 / AVX3 / AVX3_DL the q4_K panel kernel (AVX2
//     code, `vpmaddubsw`, exact int32 sums per sub-block, DotQ4_KQ8_KReference's float
//     operations: bit-identical to MatMulReference); on other targets DotQ4_KQ8_K
//     (quant_k_simd.cpp) per row and token, the same bits.
//   - Q5_K weights against Q8_K activations: the same on q5_K panels (Q45KPanelTile<true>: the
//     fifth bits or'ed into the nibbles, int16 sums over half a chunk), bit-identical to
//     DotQ5_KQ8_KReference; on other targets DotQ5_KQ8_K per row and token.
//   - Q5_0 weights against Q8_0 activations: a panel kernel of the same kind on q5_0 panels
//     (Q50PanelTile), bit-identical to DotQ5_0Q8_0Reference; elsewhere DotQ5_0Q8_0 per row.
//   - Q6_K weights against Q8_K activations: the same scheme, the q6_K panel kernel (AVX2 code,
//     `vpmaddubsw` on the unsigned 6-bit quants, the -32 offset through the Q8_K group sums,
//     DotQ6_KQ8_KReference's float operations: bit-identical); other targets DotQ6_KQ8_K.
//   - Q5_1 and Q4_1 weights against Q8_1-style activations (the Q8_0 quants and their exact block
//     sums): the same kind of panel kernel on q5_1 / q4_1 panels (MinPanelTile in
//     matmul_q5_1-inl.h: q5_0's fifth-bit trick without the -16 offset, m_w * d_x * s_x added
//     per block), bit-identical to DotQ5_1Q8_1Reference / DotQ4_1Q8_1Reference; elsewhere
//     DotQ5_1Q8_1 / DotQ4_1Q8_1 per row and token.
// Left out: AMX.
#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL  // VNNI (vpdpbusd) on Ice Lake / Zen 4 and later
#endif

#include "kernels/matmul_simd.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/quant_legacy.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#include <immintrin.h>
#define GB_MATMUL_X86 1
#else
#define GB_MATMUL_X86 0
#endif

HWY_BEFORE_NAMESPACE();
// Highway 1.0.3 compiles AVX3_DL with "avxvnni" (the VEX form, absent on Ice Lake and Zen 4)
// although its run-time check is for AVX512-VNNI. Enable AVX512-VNNI here and use only the
// EVEX-only 512-bit vpdpbusd, so the code matches what the check guarantees.
#if HWY_TARGET == HWY_AVX3_DL
#if HWY_COMPILER_CLANG
#pragma clang attribute push(__attribute__((target("avx512vnni"))), apply_to = function)
#else
#pragma GCC target("avx512vnni")
#endif
#endif
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Tile shapes (rows x tokens), chosen so accumulators + operands fit the register file: 32
// vector registers on AVX-512, 16 elsewhere.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr int kFloatRows = 4, kFloatTokens = 4, kInt8Rows = 4, kInt8Tokens = 3;
#elif HWY_TARGET == HWY_AVX2
constexpr int kFloatRows = 4, kFloatTokens = 3;  // int8: the panel kernel (8-row groups)
#else
constexpr int kFloatRows = 2, kFloatTokens = 2, kInt8Rows = 2, kInt8Tokens = 2;
#endif

// GCC implements the x86 add/mul intrinsics as generic vector operators and, with its default
// -ffp-contract=fast, fuses a multiply feeding an add into an FMA (one rounding instead of two).
// The exact kernels and the quantiser need the two roundings of the reference, so their products
// go through this opaque register move, which the compiler cannot see through.
template <class V>
HWY_INLINE V Opaque(V v) {
#if GB_MATMUL_X86
  asm("" : "+v"(v));
#endif
  return v;
}

// f16 bits -> f32 without branches for finite values: the magnitude bits shifted into an f32 are
// the value times 2^-112 (also for subnormal halves), so one exact multiply restores it.
HWY_INLINE float HalfToFloat(uint16_t h) {
  if ((h & 0x7c00u) == 0x7c00u) [[unlikely]] {
    return F16ToF32(h);  // inf / NaN
  }
  const float mag = F32FromBits(static_cast<uint32_t>(h & 0x7fffu) << 13) * 0x1p112f;
  return F32FromBits(BitsFromF32(mag) | (static_cast<uint32_t>(h & 0x8000u) << 16));
}

HWY_INLINE float BlockScale(const uint8_t* block) {
  uint16_t d_bits;
  std::memcpy(&d_bits, block, sizeof(d_bits));
  return HalfToFloat(d_bits);
}

// Runs tile.Run<m, n>(row, token) with the largest m <= kM, n <= kN not above (nr, nt).
template <int kM, int kN, class Tile>
HWY_INLINE void DispatchTile(const Tile& tile, int64_t nr, int64_t nt, int64_t row, int64_t token) {
  if constexpr (kM > 1) {
    if (nr < kM) return DispatchTile<kM - 1, kN>(tile, nr, nt, row, token);
  }
  if constexpr (kN > 1) {
    if (nt < kN) return DispatchTile<kM, kN - 1>(tile, nr, nt, row, token);
  }
  tile.template Run<kM, kN>(row, token);
}

// Rows [row_begin, row_end) x all tokens: row panels outside, token tiles, then row tiles.
template <int kM, int kN, class Tile>
HWY_INLINE void RunTiles(const Tile& tile, int64_t n_tokens, int64_t row_begin, int64_t row_end) {
  for (int64_t panel = row_begin; panel < row_end; panel += kSimdRowPanel) {
    const int64_t panel_end = std::min(row_end, panel + kSimdRowPanel);
    for (int64_t t = 0; t < n_tokens; t += kN) {
      const int64_t nt = std::min<int64_t>(kN, n_tokens - t);
      for (int64_t r = panel; r < panel_end; r += kM) {
        DispatchTile<kM, kN>(tile, std::min<int64_t>(kM, panel_end - r), nt, r, t);
      }
    }
  }
}

// ---- Float weights -------------------------------------------------------------------------

// load_w(df, row, c): lanes [c, c + N) of a weight row widened to f32; load_w1(row, c): one
// element (tail when cols is not a multiple of N).
template <class LoadW, class LoadW1>
struct FloatTiles {
  const SimdMatMulArgs& a;
  LoadW load_w;
  LoadW1 load_w1;

  template <int kM, int kN>
  HWY_INLINE void Run(int64_t row, int64_t token) const {
    const hn::ScalableTag<float> df;
    using V = decltype(hn::Zero(df));
    const auto n = static_cast<int64_t>(hn::Lanes(df));
    const int64_t cols = a.cols;
    const uint8_t* w = a.w + row * a.row_bytes;
    const float* x = a.x + token * cols;
    V acc[kM][kN];
#pragma GCC unroll 8
    for (int i = 0; i < kM; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) acc[i][j] = hn::Zero(df);
    }
    int64_t c = 0;
    for (; c + n <= cols; c += n) {
      V xv[kN];
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) xv[j] = hn::LoadU(df, x + j * cols + c);
#pragma GCC unroll 8
      for (int i = 0; i < kM; ++i) {
        const V wv = load_w(df, w + i * a.row_bytes, c);
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) acc[i][j] = hn::MulAdd(wv, xv[j], acc[i][j]);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < kM; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        float sum = hn::GetLane(hn::SumOfLanes(df, acc[i][j]));
        for (int64_t k = c; k < cols; ++k) sum += load_w1(w + i * a.row_bytes, k) * x[j * cols + k];
        a.y[(token + j) * a.y_stride + row + i] = sum;
      }
    }
  }
};

// Weight rows per tile for a single token (decode): bandwidth-bound, so more rows in flight (eight
// weight streams of one 16-row panel at once) rather than activation reuse. Eight accumulators,
// the activation vector and one weight vector use 10 of the 16 vector registers of AVX2 / SSE4.
// Measured single-threaded on Zen 3 (126 MB of f16 weights, 1024 columns): 13.4-13.6 GB/s with
// 4-row tiles, 13.8-15.2 GB/s with 8-row tiles; 2-row tiles fell to 8-10 GB/s. Software prefetch
// (512 or 1024 bytes ahead on every row) was no faster, so there is none.
constexpr int kFloatDecodeRows = 8;

template <class LoadW, class LoadW1>
HWY_INLINE void RunFloat(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end,
                         const LoadW& load_w, const LoadW1& load_w1) {
  const FloatTiles<LoadW, LoadW1> tiles{a, load_w, load_w1};
  if (a.n_tokens == 1) {
    // Same per-element operations as every other tile shape, so decode equals the batch.
    RunTiles<kFloatDecodeRows, 1>(tiles, 1, row_begin, row_end);
    return;
  }
  RunTiles<kFloatRows, kFloatTokens>(tiles, a.n_tokens, row_begin, row_end);
}

// ---- Int8 weights, x86 ---------------------------------------------------------------------
#if GB_MATMUL_X86

// The 32 quants of a Q8_0 block (2-byte scale, then 32 int8); Offset: as u8 w + kOffset.
// kGroups: 4-byte groups of a block in the panel layout (matmul_simd.h).
struct LoadQ8_0X86 {
  static constexpr int64_t kBlockBytes = 34;
  static constexpr int kOffset = 128;
  static constexpr int kGroups = 8;
  HWY_INLINE __m256i operator()(const uint8_t* block) const {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
  }
  HWY_INLINE __m256i Offset(const uint8_t* block) const {
    return _mm256_xor_si256((*this)(block), _mm256_set1_epi8(-128));
  }
};

// The 32 quants of a Q4_0 block as int8 in [-8, 7]: low nibbles are elements 0..15, high
// nibbles 16..31.
// Offset: the raw nibbles, w + 8.
struct LoadQ4_0X86 {
  static constexpr int64_t kBlockBytes = 18;
  static constexpr int kOffset = 8;
  static constexpr int kGroups = 4;
  HWY_INLINE __m256i operator()(const uint8_t* block) const {
    return _mm256_sub_epi8(Offset(block), _mm256_set1_epi8(8));
  }
  HWY_INLINE __m256i Offset(const uint8_t* block) const {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m128i mask = _mm_set1_epi8(15);
    const __m128i lo = _mm_and_si128(bytes, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
    return _mm256_set_m128i(hi, lo);
  }
};

// Bytes of one 32-column block of a panel (matmul_simd.h): 16 f16 scales, then the groups.
template <class LoadW>
constexpr int64_t PanelBlockBytes() {
  return 32 + 64 * LoadW::kGroups;
}

// Four activation quants as one int32, for a broadcast to every lane.
HWY_INLINE int32_t Load4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The panel to compute rows [row, row + nr) from: the packed weight's (row is a multiple of 16
// whenever packed is set: MatMul splits at panel boundaries), else the rows packed now into buf.
template <class LoadW>
HWY_INLINE const uint8_t* PanelFor(const SimdMatMulArgs& a, int64_t row, int64_t nr,
                                   std::vector<uint8_t>& buf) {
  const int64_t per_panel = a.cols / 32 * PanelBlockBytes<LoadW>();
  if (a.packed != nullptr && row % 16 == 0) return a.packed + row / 16 * per_panel;
  if (buf.size() < static_cast<size_t>(per_panel)) buf.resize(static_cast<size_t>(per_panel));
  PackPanelRows(a.type, a.w + row * a.row_bytes, a.row_bytes, a.cols, nr, buf.data());
  return buf.data();
}

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3
// ---- Int8 weights, AVX2 (and AVX-512 without VNNI): panel kernel, exact ---------------------
// One 256-bit register holds 4 quants of each of 8 rows of the panel layout (one row per int32
// lane), so a u8 x i8 multiply-add against 4 activation quants broadcast to every lane advances 8
// rows of one token by 4 elements: no shuffles and no horizontal sums. Per (row, token, block)
// the int32 sum is exact, then acc = acc + float(sumi) * (d_w * d_x) with separate multiply and
// add, the operations of MatMulReference in its order: bit-identical to it (so also independent
// of tiles, threads and batch).
//   - q4_0: u = the raw nibble (w + 8, in 0..15) times x with `vpmaddubsw`: a pair is at most
//     2 * 15 * 127 = 3810 in magnitude, so the 16 products per lane of one block add up in int16
//     without saturation (<= 30480); one `vpmaddwd` with ones widens them, and -8 * sum(x of the
//     block) (SimdMatMulArgs::xs) removes the offset.
//   - q8_0: the sign trick, |w| times x negated where w < 0 (`vpsignb`), then `vpmaddubsw` +
//     `vpmaddwd` (a pair is at most 2 * 128 * 127 < 2^15; tested with -128 weights).
// Raw intrinsics: Highway 1.0.3 has no u8 x i8 multiply-add (vpmaddubsw).
// The AVX3 target (AVX-512 without VNNI) runs the same 256-bit code.

// Exact int32 sums of 4 consecutive products |w| * sign(x, w) = w * x per lane.
HWY_INLINE __m256i DotI8(__m256i abs_w, __m256i signed_x) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(abs_w, signed_x), _mm256_set1_epi16(1));
}

// Rows of kG 8-row groups (from group g0 of the panel) x kN tokens from token.
template <class LoadW, int kG, int kN>
HWY_INLINE void PanelTile(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row, int g0,
                          int64_t nr, int64_t token) {
  const int64_t cols = a.cols;
  const int64_t nb = cols / 32;
  constexpr int64_t kBlockBytes = PanelBlockBytes<LoadW>();
  __m256 acc[kG][kN];
#pragma GCC unroll 8
  for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) acc[g][j] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = panel + b * kBlockBytes;
    const uint8_t* quants = blk + 32 + 32 * g0;
    const int8_t* xb[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) xb[j] = a.xq + (token + j) * cols + b * 32;
    __m256i sums[kG][kN];
    if constexpr (LoadW::kOffset == 8) {  // q4_0: int16 sums of u * x, then widened
      const __m256i m = _mm256_set1_epi8(15);
#pragma GCC unroll 8
      for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) sums[g][j] = _mm256_setzero_si256();
      }
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        __m256i lo[kG], hi[kG];
#pragma GCC unroll 8
        for (int g = 0; g < kG; ++g) {
          const __m256i v =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(quants + 64 * s + 32 * g));
          lo[g] = _mm256_and_si256(v, m);
          hi[g] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
        }
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) {
          const __m256i xl = _mm256_set1_epi32(Load4(xb[j] + 4 * s));
          const __m256i xh = _mm256_set1_epi32(Load4(xb[j] + 16 + 4 * s));
#pragma GCC unroll 8
          for (int g = 0; g < kG; ++g) {
            sums[g][j] = _mm256_add_epi16(
                sums[g][j],
                _mm256_add_epi16(_mm256_maddubs_epi16(lo[g], xl), _mm256_maddubs_epi16(hi[g], xh)));
          }
        }
      }
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        const __m256i bias = _mm256_set1_epi32(-8 * a.xs[(token + j) * nb + b]);
#pragma GCC unroll 8
        for (int g = 0; g < kG; ++g) {
          sums[g][j] = _mm256_add_epi32(_mm256_madd_epi16(sums[g][j], _mm256_set1_epi16(1)), bias);
        }
      }
    } else {  // q8_0: int32 sums with the sign trick
#pragma GCC unroll 8
      for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) sums[g][j] = _mm256_setzero_si256();
      }
#pragma GCC unroll 8
      for (int s = 0; s < 8; ++s) {
        __m256i w[kG], abs_w[kG];
#pragma GCC unroll 8
        for (int g = 0; g < kG; ++g) {
          w[g] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(quants + 64 * s + 32 * g));
          abs_w[g] = _mm256_sign_epi8(w[g], w[g]);
        }
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) {
          const __m256i xv = _mm256_set1_epi32(Load4(xb[j] + 4 * s));
#pragma GCC unroll 8
          for (int g = 0; g < kG; ++g) {
            sums[g][j] = _mm256_add_epi32(sums[g][j], DotI8(abs_w[g], _mm256_sign_epi8(xv, w[g])));
          }
        }
      }
    }
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
      const __m256 dw =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * (g0 + g))));
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(a.xd[(token + j) * nb + b]));
        acc[g][j] =
            _mm256_add_ps(acc[g][j], Opaque(_mm256_mul_ps(_mm256_cvtepi32_ps(sums[g][j]), scale)));
      }
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < kG; ++g) {
    const int64_t n = std::min<int64_t>(8, nr - 8 * (g0 + g));
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      float* out = a.y + (token + j) * a.y_stride + row + 8 * (g0 + g);
      if (n == 8) {
        _mm256_storeu_ps(out, acc[g][j]);
      } else {
        const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
        _mm256_maskstore_ps(out, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes),
                            acc[g][j]);
      }
    }
  }
}

// Tokens of one 8-row group in tiles of 4 (prefill), or both groups of a panel at once for one
// or two tokens (decode: each activation broadcast serves 16 rows).
template <class LoadW>
HWY_INLINE void RunPanel(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row, int64_t nr) {
  const int64_t nt = a.n_tokens;
  if (nt <= 2 && nr > 8) {
    for (int64_t t = 0; t < nt; t += 2) {
      if (nt - t >= 2) {
        PanelTile<LoadW, 2, 2>(a, panel, row, 0, nr, t);
      } else {
        PanelTile<LoadW, 2, 1>(a, panel, row, 0, nr, t);
      }
    }
    return;
  }
  for (int g = 0; 8 * g < nr; ++g) {
    int64_t t = 0;
    for (; t + 4 <= nt; t += 4) PanelTile<LoadW, 1, 4>(a, panel, row, g, nr, t);
    switch (nt - t) {
      case 3:
        PanelTile<LoadW, 1, 3>(a, panel, row, g, nr, t);
        break;
      case 2:
        PanelTile<LoadW, 1, 2>(a, panel, row, g, nr, t);
        break;
      case 1:
        PanelTile<LoadW, 1, 1>(a, panel, row, g, nr, t);
        break;
      default:
        break;
    }
  }
}

template <class LoadW>
HWY_INLINE void RunInt8(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  thread_local std::vector<uint8_t> buf;
  for (int64_t row = row_begin; row < row_end; row += 16) {
    const int64_t nr = std::min<int64_t>(16, row_end - row);
    RunPanel<LoadW>(a, PanelFor<LoadW>(a, row, nr, buf), row, nr);
  }
}
#define GB_HAVE_PANEL_KERNEL 1
#endif  // HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3

#if HWY_TARGET == HWY_AVX3_DL
// ---- Int8 weights, AVX-512 VNNI: exact block sums, the reference's arithmetic ---------------
// Both kernels below compute, per (row, token), the exact int32 sum of each 32-block, then
// acc = acc + float(sumi) * (d_w * d_x) block after block with separate multiplies and adds:
// the operations of MatMulReference in its order, so the result is the reference's bit for bit
// (hence independent of tiles, threads and batch by construction). The int part is exact in any
// order, which is what lets the kernels regroup it freely:
//   - few tokens (decode) on a weight that was not packed: GGUF layout, 4 rows x kN tokens,
//     vpdpbusd over two blocks per register, then an integer transpose-reduction to one sum per
//     (row, block);
//   - otherwise the panel layout (matmul_simd.h; packed at load by SimdPackPanels, else per call
//     for n_tokens >= kPanelMinTokens): one 64-byte vector holds 4 consecutive quants of each of
//     the 16 rows, so one vpdpbusd with a broadcast 4-byte activation operand advances 16 rows
//     of one token by 4 elements; the tile is 16 rows x 8 tokens.
// Both use u = w + kOffset (q8_0: w ^ 0x80; q4_0: the raw nibble) and add
// -kOffset * sum(x of the block) (SimdMatMulArgs::xs) to the block sum.
constexpr int64_t kPanelMinTokens = 16;
constexpr int kPanelTokens = 8;

// acc + per lane, the sum of the 4 products of u8 u[4l..4l+3] with i8 x[4l..4l+3] (exact in
// int32). Raw intrinsics: Highway 1.0.3 has no u8 x i8 dot product (AVX-512 VNNI vpdpbusd).
HWY_INLINE __m512i DotU8I8(__m512i acc, __m512i u, __m512i x) {
  return _mm512_dpbusd_epi32(acc, u, x);
}

template <class LoadW>
struct ExactSmallTiles {
  const SimdMatMulArgs& a;
  LoadW load_w;

  // Blocks b and b + 1 (zero when !pair) of one row as u8 w + kOffset.
  HWY_INLINE __m512i OffsetPair(const uint8_t* block, bool pair) const {
    if constexpr (LoadW::kOffset == 128) {  // q8_0: one xor for both halves
      const __m512i lo =
          _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2)));
      const __m512i w =
          pair ? _mm512_inserti64x4(lo,
                                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                                        block + LoadW::kBlockBytes + 2)),
                                    1)
               : lo;
      return _mm512_xor_si512(w, _mm512_set1_epi8(-128));
    } else {
      const __m512i lo = _mm512_zextsi256_si512(load_w.Offset(block));
      return pair ? _mm512_inserti64x4(lo, load_w.Offset(block + LoadW::kBlockBytes), 1) : lo;
    }
  }

  template <int kM, int kN>
  HWY_INLINE void Run(int64_t row, int64_t token) const {
    const int64_t cols = a.cols;
    const int64_t nb = cols / 32;
    const uint8_t* w = a.w + row * a.row_bytes;
    // Scales of rows 0..3 (rows >= kM masked off) of blocks b and b + 1 in one 8-lane gather.
    const auto rb = static_cast<int>(a.row_bytes);
    const auto bb = static_cast<int>(LoadW::kBlockBytes);
    const __m256i scale_index =
        _mm256_set_epi32(3 * rb + bb, 2 * rb + bb, rb + bb, bb, 3 * rb, 2 * rb, rb, 0);
    const __mmask8 rows_mask = static_cast<__mmask8>(((1u << kM) - 1u) * 0x11u);
    __m128 acc[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) acc[j] = _mm_setzero_ps();
    for (int64_t b = 0; b < nb; b += 2) {
      const bool pair = b + 1 < nb;
      __m512i wu[4];
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        wu[i] = i < kM ? OffsetPair(w + i * a.row_bytes + b * LoadW::kBlockBytes, pair)
                       : _mm512_setzero_si512();
      }
      const __mmask8 mask = pair ? rows_mask : static_cast<__mmask8>(rows_mask & 0x0F);
      const __m256i d_bits = _mm256_mmask_i32gather_epi32(_mm256_setzero_si256(), mask, scale_index,
                                                          w + b * LoadW::kBlockBytes, 1);
      const __m256 dw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(d_bits));  // [b rows | b+1 rows]
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        const int8_t* xb = a.xq + (token + j) * cols + b * 32;
        const __m512i xv =
            pair ? _mm512_loadu_si512(xb)
                 : _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb)));
        __m512i s[4];
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) s[i] = DotU8I8(_mm512_setzero_si512(), wu[i], xv);
        // Per 128-bit chunk c: [s0, s1, s2, s3] summed over the chunk's 4 lanes; chunks 0-1 are
        // block b, chunks 2-3 block b + 1.
        const __m512i t01 =
            _mm512_add_epi32(_mm512_unpacklo_epi32(s[0], s[1]), _mm512_unpackhi_epi32(s[0], s[1]));
        const __m512i t23 =
            _mm512_add_epi32(_mm512_unpacklo_epi32(s[2], s[3]), _mm512_unpackhi_epi32(s[2], s[3]));
        const __m512i sums4 =
            _mm512_add_epi32(_mm512_unpacklo_epi64(t01, t23), _mm512_unpackhi_epi64(t01, t23));
        const __m512i ordered = _mm512_shuffle_i32x4(sums4, sums4, _MM_SHUFFLE(3, 1, 2, 0));
        const int64_t xi = (token + j) * nb + b;
        const int32_t bias1 = pair ? -LoadW::kOffset * a.xs[xi + 1] : 0;
        const float dx1 = pair ? a.xd[xi + 1] : 0.0f;
        const __m256i sums = _mm256_add_epi32(
            _mm256_add_epi32(_mm512_castsi512_si256(ordered),
                             _mm512_extracti64x4_epi64(ordered, 1)),
            _mm256_set_m128i(_mm_set1_epi32(bias1), _mm_set1_epi32(-LoadW::kOffset * a.xs[xi])));
        const __m256 dx = _mm256_set_m128(_mm_set1_ps(dx1), _mm_set1_ps(a.xd[xi]));
        const __m256 p = Opaque(_mm256_mul_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(dw, dx)));
        acc[j] = _mm_add_ps(acc[j], _mm256_castps256_ps128(p));
        if (pair) acc[j] = _mm_add_ps(acc[j], _mm256_extractf128_ps(p, 1));
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      float out[4];
      _mm_storeu_ps(out, acc[j]);
      std::memcpy(a.y + (token + j) * a.y_stride + row, out, sizeof(float) * kM);
    }
  }
};

// Rows [row, row + nr) x tokens [token, token + kN) from a panel.
template <int kN, class LoadW>
HWY_INLINE void PanelTile(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row, int64_t nr,
                          int64_t token) {
  const int64_t cols = a.cols;
  const int64_t nb = cols / 32;
  constexpr int64_t kBlockBytes = PanelBlockBytes<LoadW>();
  __m512 acc[kN];
#pragma GCC unroll 8
  for (int j = 0; j < kN; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = panel + b * kBlockBytes;
    const int8_t* xb[kN];
    __m512i si[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      xb[j] = a.xq + (token + j) * cols + b * 32;
      si[j] = _mm512_set1_epi32(-LoadW::kOffset * a.xs[(token + j) * nb + b]);
    }
    if constexpr (LoadW::kOffset == 8) {  // q4_0: low nibbles 4s.., high nibbles 16 + 4s..
      const __m512i m = _mm512_set1_epi8(15);
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        const __m512i v = _mm512_loadu_si512(blk + 32 + 64 * s);
        const __m512i lo = _mm512_and_si512(v, m);
        const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) {
          si[j] = DotU8I8(si[j], lo, _mm512_set1_epi32(Load4(xb[j] + 4 * s)));
          si[j] = DotU8I8(si[j], hi, _mm512_set1_epi32(Load4(xb[j] + 16 + 4 * s)));
        }
      }
    } else {  // q8_0: u = w ^ 0x80 = w + 128
#pragma GCC unroll 8
      for (int s = 0; s < 8; ++s) {
        const __m512i u =
            _mm512_xor_si512(_mm512_loadu_si512(blk + 32 + 64 * s), _mm512_set1_epi8(-128));
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) {
          si[j] = DotU8I8(si[j], u, _mm512_set1_epi32(Load4(xb[j] + 4 * s)));
        }
      }
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk)));
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(a.xd[(token + j) * nb + b]));
      acc[j] = _mm512_add_ps(acc[j], Opaque(_mm512_mul_ps(_mm512_cvtepi32_ps(si[j]), scale)));
    }
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << nr) - 1u);
#pragma GCC unroll 8
  for (int j = 0; j < kN; ++j)
    _mm512_mask_storeu_ps(a.y + (token + j) * a.y_stride + row, mask, acc[j]);
}

template <int kN, class LoadW>
HWY_INLINE void DispatchPanelTile(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row,
                                  int64_t nr, int64_t token, int64_t nt) {
  if constexpr (kN > 1) {
    if (nt < kN) return DispatchPanelTile<kN - 1, LoadW>(a, panel, row, nr, token, nt);
  }
  PanelTile<kN, LoadW>(a, panel, row, nr, token);
}

template <class LoadW>
HWY_INLINE void RunInt8(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  // Few tokens: the small tiles, unless the weight was packed at load (then the panels cost
  // nothing to prepare and do fewer operations per weight, which decode needs).
  if (a.n_tokens < kPanelMinTokens && a.packed == nullptr) {
    const ExactSmallTiles<LoadW> tiles{a, LoadW()};
    RunTiles<kInt8Rows, kInt8Tokens>(tiles, a.n_tokens, row_begin, row_end);
    return;
  }
  thread_local std::vector<uint8_t> buf;
  for (int64_t row = row_begin; row < row_end; row += 16) {
    const int64_t nr = std::min<int64_t>(16, row_end - row);
    const uint8_t* panel = PanelFor<LoadW>(a, row, nr, buf);
    for (int64_t t = 0; t < a.n_tokens; t += kPanelTokens) {
      DispatchPanelTile<kPanelTokens, LoadW>(a, panel, row, nr, t,
                                             std::min<int64_t>(kPanelTokens, a.n_tokens - t));
    }
  }
}
#define GB_HAVE_PANEL_KERNEL 1
#endif  // HWY_TARGET == HWY_AVX3_DL

#include "kernels/matmul_kquant-inl.h"  // the k-quant and Q5_0 panel kernels

#else  // !GB_MATMUL_X86: portable Highway int16 path

// Q8_0 weight quants [k, k + N16) of a block as int16 lanes.
struct LoadQ8_0 {
  static constexpr int64_t kBlockBytes = 34;
  template <class D16>
  HWY_INLINE auto operator()(D16 d16, const uint8_t* block, int64_t k) const {
    const hn::Rebind<int8_t, D16> d8;
    return hn::PromoteTo(d16, hn::LoadU(d8, reinterpret_cast<const int8_t*>(block + 2) + k));
  }
};

// Q4_0 weight quants [k, k + N16) as int16 lanes in [-8, 7]: elements 0..15 are the low nibbles
// of bytes 0..15, elements 16..31 the high nibbles. N16 <= 16: no chunk straddles the halves.
struct LoadQ4_0 {
  static constexpr int64_t kBlockBytes = 18;
  template <class D16>
  HWY_INLINE auto operator()(D16 d16, const uint8_t* block, int64_t k) const {
    const hn::Rebind<uint8_t, D16> d8;
    const auto bytes = hn::PromoteTo(d16, hn::LoadU(d8, block + 2 + (k & 15)));
    const auto nibbles = k < 16 ? hn::And(bytes, hn::Set(d16, 15)) : hn::ShiftRight<4>(bytes);
    return hn::Sub(nibbles, hn::Set(d16, 8));
  }
};

template <class LoadW>
struct Int8Tiles {
  const SimdMatMulArgs& a;
  LoadW load_w;

  template <int kM, int kN>
  HWY_INLINE void Run(int64_t row, int64_t token) const {
    const hn::CappedTag<int16_t, 16> d16;  // a Q4_0 half-block is 16 values
    const hn::Rebind<int8_t, decltype(d16)> d8;
    const hn::Repartition<int32_t, decltype(d16)> d32;
    const hn::Rebind<float, decltype(d32)> df;
    using VF = decltype(hn::Zero(df));
    using VI = decltype(hn::Zero(d32));
    const auto n16 = static_cast<int64_t>(hn::Lanes(d16));
    const int64_t cols = a.cols;
    const int64_t nb = cols / 32;
    const uint8_t* w = a.w + row * a.row_bytes;
    const int8_t* xq = a.xq + token * cols;
    const float* xd = a.xd + token * nb;
    VF acc[kM][kN];
#pragma GCC unroll 8
    for (int i = 0; i < kM; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) acc[i][j] = hn::Zero(df);
    }
    for (int64_t b = 0; b < nb; ++b) {
#pragma GCC unroll 8
      for (int i = 0; i < kM; ++i) {
        const uint8_t* block = w + i * a.row_bytes + b * LoadW::kBlockBytes;
        const float dw = BlockScale(block);
#pragma GCC unroll 8
        for (int j = 0; j < kN; ++j) {
          VI sum0 = hn::Zero(d32);
          VI sum1 = hn::Zero(d32);  // odd products where the multiply-add reorders lanes
          for (int64_t k = 0; k < 32; k += n16) {
            const auto xv = hn::PromoteTo(d16, hn::LoadU(d8, xq + j * cols + b * 32 + k));
            sum0 = hn::ReorderWidenMulAccumulate(d32, load_w(d16, block, k), xv, sum0, sum1);
          }
          const VF s = hn::ConvertTo(df, hn::Add(sum0, sum1));  // exact: |lane| < 2^24
          acc[i][j] = hn::MulAdd(s, hn::Set(df, dw * xd[j * nb + b]), acc[i][j]);
        }
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < kM; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        a.y[(token + j) * a.y_stride + row + i] = hn::GetLane(hn::SumOfLanes(df, acc[i][j]));
      }
    }
  }
};

template <class LoadW>
HWY_INLINE void RunInt8(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  const Int8Tiles<LoadW> tiles{a, LoadW()};
  RunTiles<kInt8Rows, kInt8Tokens>(tiles, a.n_tokens, row_begin, row_end);
}

// Q4_K without a panel kernel: the vec dot (quant_k.h) per row and token on the file's rows,
// bit-identical to the panel kernel and the reference.
HWY_INLINE void RunQ4_K(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t nb = a.cols / 256;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const auto* w = reinterpret_cast<const BlockQ4_K*>(a.w + r * a.row_bytes);
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      a.y[t * a.y_stride + r] = DotQ4_KQ8_K(w, a.xk + t * nb, a.cols);
    }
  }
}

// Q5_K without a panel kernel: DotQ5_KQ8_K per row and token, the same bits.
HWY_INLINE void RunQ5_K(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t nb = a.cols / 256;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const auto* w = reinterpret_cast<const BlockQ5_K*>(a.w + r * a.row_bytes);
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      a.y[t * a.y_stride + r] = DotQ5_KQ8_K(w, a.xk + t * nb, a.cols);
    }
  }
}

// Q5_0 without a panel kernel: DotQ5_0Q8_0 per row and token, the same bits.
HWY_INLINE void RunQ5_0(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t nb = a.cols / 32;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const auto* w = reinterpret_cast<const BlockQ5_0*>(a.w + r * a.row_bytes);
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      const Q8Row x{a.xd + t * nb, a.xq + t * a.cols, a.xs + t * nb};
      a.y[t * a.y_stride + r] = DotQ5_0Q8_0(w, x, a.cols);
    }
  }
}

// Q6_K without a panel kernel: the vec dot per row and token, the same bits.
HWY_INLINE void RunQ6_K(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t nb = a.cols / 256;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const auto* w = reinterpret_cast<const BlockQ6_K*>(a.w + r * a.row_bytes);
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      a.y[t * a.y_stride + r] = DotQ6_KQ8_K(w, a.xk + t * nb, a.cols);
    }
  }
}

using LoadQ8_0X86 = LoadQ8_0;  // same names as the x86 path for the dispatch below
using LoadQ4_0X86 = LoadQ4_0;
#endif  // GB_MATMUL_X86

#include "kernels/matmul_q5_1-inl.h"  // Q5_1 and Q4_1: x86 panel kernels, elsewhere vec dots

// ---- Activation quantisation (every target) -----------------------------------------------

// Q8_0 exactly as QuantizeRowQ8_0: amax by lane maxima (max is exact and order-free), the same
// scalar d and 1/d, q = roundf(x * id) as trunc plus one away from zero when |frac| >= 0.5
// (v - trunc(v) is exact for |v| < 2^23, and |v| <= 127 here).
void QuantizeQ8_0RowsImpl(const float* x, int64_t n_tokens, int64_t cols, float* xd, int8_t* xq,
                          int32_t* xs) {
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const auto n = static_cast<int64_t>(hn::Lanes(df));
  const int64_t nb = cols / 32;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t b = 0; b < nb; ++b) {
      const float* xb = x + t * cols + b * 32;
      auto amax = hn::Zero(df);
      for (int64_t i = 0; i < 32; i += n) amax = hn::Max(amax, hn::Abs(hn::LoadU(df, xb + i)));
      const float m = hn::GetLane(hn::MaxOfLanes(df, amax));
      const float d = m / 127.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      xd[t * nb + b] = F16ToF32(F32ToF16(d));
      const auto idv = hn::Set(df, id);
      const auto half = hn::Set(df, 0.5f);
      const auto one = hn::Set(df, 1.0f);
      auto sum = hn::Zero(di);
      for (int64_t i = 0; i < 32; i += n) {
        const auto v = hn::VFromD<decltype(df)>{Opaque(hn::Mul(hn::LoadU(df, xb + i), idv).raw)};
        const auto tr = hn::Trunc(v);
        const auto away = hn::Ge(hn::Abs(hn::Sub(v, tr)), half);
        const auto r = hn::IfThenElse(away, hn::Add(tr, hn::CopySign(one, v)), tr);
        const auto q = hn::ConvertTo(di, r);
        sum = hn::Add(sum, q);
        hn::StoreU(hn::DemoteTo(d8, q), d8, xq + t * cols + b * 32 + i);
      }
      xs[t * nb + b] = hn::GetLane(hn::SumOfLanes(di, sum));
    }
  }
}

void MatMulRowsImpl(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  switch (a.type) {
    case GgmlType::kF32:
      RunFloat(
          a, row_begin, row_end,
          [](auto df, const uint8_t* row, int64_t c) {
            return hn::LoadU(df, reinterpret_cast<const float*>(row) + c);
          },
          [](const uint8_t* row, int64_t c) { return reinterpret_cast<const float*>(row)[c]; });
      return;
    case GgmlType::kF16:
      RunFloat(
          a, row_begin, row_end,
          [](auto df, const uint8_t* row, int64_t c) {
            const hn::Rebind<hwy::float16_t, decltype(df)> dh;
            return hn::PromoteTo(df,
                                 hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(row) + c));
          },
          [](const uint8_t* row, int64_t c) {
            uint16_t bits;
            std::memcpy(&bits, row + 2 * c, sizeof(bits));
            return F16ToF32(bits);
          });
      return;
    case GgmlType::kBF16:
      RunFloat(
          a, row_begin, row_end,
          [](auto df, const uint8_t* row, int64_t c) {
            const hn::Rebind<hwy::bfloat16_t, decltype(df)> dh;
            return hn::PromoteTo(df,
                                 hn::LoadU(dh, reinterpret_cast<const hwy::bfloat16_t*>(row) + c));
          },
          [](const uint8_t* row, int64_t c) {
            uint16_t bits;
            std::memcpy(&bits, row + 2 * c, sizeof(bits));
            return BF16ToF32(bits);
          });
      return;
    case GgmlType::kQ8_0:
      RunInt8<LoadQ8_0X86>(a, row_begin, row_end);
      return;
    case GgmlType::kQ4_0:
      RunInt8<LoadQ4_0X86>(a, row_begin, row_end);
      return;
    case GgmlType::kQ4_K:
      RunQ4_K(a, row_begin, row_end);
      return;
    case GgmlType::kQ5_K:
      RunQ5_K(a, row_begin, row_end);
      return;
    case GgmlType::kQ5_0:
      RunQ5_0(a, row_begin, row_end);
      return;
    case GgmlType::kQ6_K:
      RunQ6_K(a, row_begin, row_end);
      return;
    case GgmlType::kQ5_1:
      RunQ5_1(a, row_begin, row_end);
      return;
    case GgmlType::kQ4_1:
      RunQ4_1(a, row_begin, row_end);
      return;
    default:
      return;  // matmul.cpp rejects other types before dispatching
  }
}

// Whether this target's int8 kernels read the panel layout (then weights are worth packing).
bool HasPanelKernel() {
#ifdef GB_HAVE_PANEL_KERNEL
  return true;
#else
  return false;
#endif
}
#undef GB_HAVE_PANEL_KERNEL

}  // namespace gapbench::kernels::HWY_NAMESPACE
#if HWY_TARGET == HWY_AVX3_DL && HWY_COMPILER_CLANG
#pragma clang attribute pop
#endif
HWY_AFTER_NAMESPACE();

#undef GB_MATMUL_X86

#if HWY_ONCE
namespace gapbench::kernels {

HWY_EXPORT(MatMulRowsImpl);
HWY_EXPORT(QuantizeQ8_0RowsImpl);
HWY_EXPORT(HasPanelKernel);

std::vector<uint8_t> SimdPackPanels(GgmlType type, const uint8_t* w, int64_t rows,
                                    int64_t row_bytes, int64_t cols,
                                    const std::function<void(int64_t, int64_t)>& packed_rows) {
  const int64_t block = Traits(type).block_size;
  if (!IsPanelType(type) || cols % block != 0 || rows <= 0 ||
      !HWY_DYNAMIC_DISPATCH(HasPanelKernel)()) {
    return {};
  }
  const int64_t per_panel = cols / block * PanelBytesPerBlock(type);
  std::vector<uint8_t> out(static_cast<size_t>((rows + 15) / 16 * per_panel));
  const int64_t chunk = std::max<int64_t>(16, (int64_t{1} << 20) / row_bytes / 16 * 16);
  for (int64_t begin = 0; begin < rows; begin += chunk) {
    const int64_t end = std::min(rows, begin + chunk);
    for (int64_t row = begin; row < end; row += 16) {
      PackPanelRows(type, w + row * row_bytes, row_bytes, cols, std::min<int64_t>(16, rows - row),
                    out.data() + row / 16 * per_panel);
    }
    if (packed_rows) packed_rows(begin, end);
  }
  return out;
}

void SimdQuantizeQ8_0Rows(const float* x, int64_t n_tokens, int64_t cols, float* xd, int8_t* xq,
                          int32_t* xs) {
  HWY_DYNAMIC_DISPATCH(QuantizeQ8_0RowsImpl)(x, n_tokens, cols, xd, xq, xs);
}

void SimdMatMulRows(const SimdMatMulArgs& args, int64_t row_begin, int64_t row_end) {
  HWY_DYNAMIC_DISPATCH(MatMulRowsImpl)(args, row_begin, row_end);
}

std::vector<int64_t> SimdMatMulTargets() {
  std::vector<int64_t> targets;
  // Best first: Highway's better targets have lower bits on x86.
  for (int64_t bits = hwy::SupportedTargets() & HWY_TARGETS; bits != 0; bits &= bits - 1) {
    targets.push_back(bits & -bits);
  }
  return targets;
}

std::string SimdTargetName(int64_t target) { return hwy::TargetName(target); }

void SimdForceTarget(int64_t target) {
  hwy::SetSupportedTargetsForTest(target);
  // Re-resolve the dispatch table on the next call with the new mask.
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace gapbench::kernels
#endif  // HWY_ONCE
