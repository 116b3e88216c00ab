// The Q5_1 and Q4_1 panel kernels for x86 (AVX2 code, also run on AVX3 and AVX3_DL), and on every
// other target their vec dots per row and token, with the RunQ5_1 / RunQ4_1 entry points.
//
// Not a standalone header: matmul_simd.cpp includes it once per Highway target, inside
// gapbench::kernels::HWY_NAMESPACE after the `#if GB_MATMUL_X86` block, after the helpers it uses
// (Opaque, Load4, the panel layout constants of matmul_simd.h). A separate file to keep
// matmul_simd.cpp within the house limit on file length; the toggle guard below is Highway's
// per-target -inl.h convention.
#if defined(GAPBENCH_KERNELS_MATMUL_Q5_1_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GAPBENCH_KERNELS_MATMUL_Q5_1_INL_H_
#undef GAPBENCH_KERNELS_MATMUL_Q5_1_INL_H_
#else
#define GAPBENCH_KERNELS_MATMUL_Q5_1_INL_H_
#endif

// One weight row against Q8_1-style activations (Q8Row: d, quants, exact block sums): the vec dot
// of q5_1 (kFifth) or q4_1, bit-identical to its reference and to the panel kernel.
template <bool kFifth>
HWY_INLINE float MinTypeDot(const uint8_t* row, const Q8Row& x, int64_t cols) {
  if constexpr (kFifth) return DotQ5_1Q8_1(reinterpret_cast<const BlockQ5_1*>(row), x, cols);
  return DotQ4_1Q8_1(reinterpret_cast<const BlockQ4_1*>(row), x, cols);
}

template <bool kFifth>
HWY_INLINE void MinTypeVecDots(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t nb = a.cols / 32;
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      const Q8Row x{a.xd + t * nb, a.xq + t * a.cols, a.xs + t * nb};
      a.y[t * a.y_stride + r] = MinTypeDot<kFifth>(a.w + r * a.row_bytes, x, a.cols);
    }
  }
}

#if GB_MATMUL_X86
// ---- Q5_1 and Q4_1 weights, x86 (AVX2 code; also run on AVX3 and AVX3_DL): panel kernel, exact --
// The q5_1 panel layout (matmul_simd.h) is q5_0's with each row's f16 min after the scales: the
// nibble groups of q4_0 plus the 32 fifth bits, permuted at load so that byte i of a row's 4 holds
// in bit s the fifth bit of element 4s + i and in bit 4 + s that of element 16 + 4s + i; q4_1 is
// d, m and the nibble groups. For nibble group s, one 16-bit shift and an `and` with 16 bring the
// fifth bits to bit 4 of each byte ((h << (4 - s)) & 16 and (h >> s) & 16: no other bit lands
// there), or'ed into the nibbles: u = q in 0..31 (q4_1: 0..15), `vpmaddubsw`'d against 4
// broadcast Q8_0 quants (|x| <= 127), one row per int32 lane. No int16 saturation: a pair is at
// most 2 * 31 * 127 = 7874; the low and high halves of a block add up in two int16 sums of 4
// pairs each (<= 31496 < 32767; one sum of all 8 pairs could reach 62992 and wrap; q4_1's pairs
// are at most 3810, but it shares the two sums); `vpmaddwd` with ones widens them: the int32 block
// sum is DotQ5_1Q8_1Reference's (DotQ4_1Q8_1Reference's) sumi exactly. Then its float steps per
// (row, token, block): dd = d_w * d_x and md = m_w * d_x in f32 (plain multiplies, not fed to an
// f32 add, so nothing to contract), then in f64 acc + (dd * sumi + md * s_x), both products exact
// (24-bit x 17-bit and 24-bit x 13-bit: |sumi| < 2^17, |s_x| <= 32 * 127), so FMA contraction
// of either cannot change a bit; one rounding to f32 at the end: bit-identical to MatMulReference.
template <bool kFifth, int kN>
HWY_INLINE void MinPanelTile(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row, int g,
                             int64_t nr, int64_t token) {
  constexpr int64_t kBlock = kFifth ? kQ5_1PanelBlock : kQ4_1PanelBlock;
  constexpr int64_t kMin = kFifth ? kQ5_1PanelMin : kQ4_1PanelMin;
  constexpr int64_t kQuants = kFifth ? kQ5_1PanelQuants : kQ4_1PanelQuants;
  const int64_t cols = a.cols;
  const int64_t nb = cols / 32;
  const __m256i m15 = _mm256_set1_epi8(15);
  const __m256i m16 = _mm256_set1_epi8(16);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256d acc[kN][2];
#pragma GCC unroll 8
  for (int j = 0; j < kN; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_pd();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = panel + b * kBlock;
    const int8_t* xb[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) xb[j] = a.xq + (token + j) * cols + b * 32;
    __m256i h = _mm256_setzero_si256();
    if constexpr (kFifth) {
      h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kQ5_1PanelHigh + 32 * g));
    }
    __m256i s_lo[kN], s_hi[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) s_lo[j] = s_hi[j] = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      const __m256i v =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kQuants + 64 * s + 32 * g));
      __m256i lo = _mm256_and_si256(v, m15);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m15);
      if constexpr (kFifth) {
        const __m256i h_lo = s == 0   ? _mm256_slli_epi16(h, 4)
                             : s == 1 ? _mm256_slli_epi16(h, 3)
                             : s == 2 ? _mm256_slli_epi16(h, 2)
                                      : _mm256_slli_epi16(h, 1);
        const __m256i h_hi = s == 0   ? h
                             : s == 1 ? _mm256_srli_epi16(h, 1)
                             : s == 2 ? _mm256_srli_epi16(h, 2)
                                      : _mm256_srli_epi16(h, 3);
        lo = _mm256_or_si256(lo, _mm256_and_si256(h_lo, m16));
        hi = _mm256_or_si256(hi, _mm256_and_si256(h_hi, m16));
      }
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        const __m256i xl = _mm256_set1_epi32(Load4(xb[j] + 4 * s));
        const __m256i xh = _mm256_set1_epi32(Load4(xb[j] + 16 + 4 * s));
        s_lo[j] = _mm256_add_epi16(s_lo[j], _mm256_maddubs_epi16(lo, xl));
        s_hi[j] = _mm256_add_epi16(s_hi[j], _mm256_maddubs_epi16(hi, xh));
      }
    }
    const __m256 dw =
        _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * g)));
    const __m256 mw =
        _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kMin + 16 * g)));
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      const int64_t xi = (token + j) * nb + b;
      const __m256i sumi =
          _mm256_add_epi32(_mm256_madd_epi16(s_lo[j], ones), _mm256_madd_epi16(s_hi[j], ones));
      const __m256 xd = _mm256_set1_ps(a.xd[xi]);
      const __m256 dd = _mm256_mul_ps(dw, xd);
      const __m256 md = _mm256_mul_ps(mw, xd);
      const __m256d xs = _mm256_set1_pd(static_cast<double>(a.xs[xi]));
#pragma GCC unroll 2
      for (int k = 0; k < 2; ++k) {
        const __m128 d4 = k == 0 ? _mm256_castps256_ps128(dd) : _mm256_extractf128_ps(dd, 1);
        const __m128 m4 = k == 0 ? _mm256_castps256_ps128(md) : _mm256_extractf128_ps(md, 1);
        const __m128i q4 =
            k == 0 ? _mm256_castsi256_si128(sumi) : _mm256_extracti128_si256(sumi, 1);
        const __m256d term =
            _mm256_add_pd(_mm256_mul_pd(_mm256_cvtps_pd(d4), _mm256_cvtepi32_pd(q4)),
                          _mm256_mul_pd(_mm256_cvtps_pd(m4), xs));
        acc[j][k] = _mm256_add_pd(acc[j][k], term);
      }
    }
  }
  const int64_t n = std::min<int64_t>(8, nr - 8 * g);
#pragma GCC unroll 8
  for (int j = 0; j < kN; ++j) {
    const __m256 out8 = _mm256_set_m128(_mm256_cvtpd_ps(acc[j][1]), _mm256_cvtpd_ps(acc[j][0]));
    float* out = a.y + (token + j) * a.y_stride + row + 8 * g;
    if (n == 8) {
      _mm256_storeu_ps(out, out8);
    } else {
      const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
      _mm256_maskstore_ps(out, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes),
                          out8);
    }
  }
}

// One 8-row group x 4 tokens, then the tails (as the q5_0 kernel).
template <bool kFifth>
HWY_INLINE void MinRunPanel(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row,
                            int64_t nr) {
  const int64_t nt = a.n_tokens;
  for (int g = 0; 8 * g < nr; ++g) {
    int64_t t = 0;
    for (; t + 4 <= nt; t += 4) MinPanelTile<kFifth, 4>(a, panel, row, g, nr, t);
    switch (nt - t) {
      case 3:
        MinPanelTile<kFifth, 3>(a, panel, row, g, nr, t);
        break;
      case 2:
        MinPanelTile<kFifth, 2>(a, panel, row, g, nr, t);
        break;
      case 1:
        MinPanelTile<kFifth, 1>(a, panel, row, g, nr, t);
        break;
      default:
        break;
    }
  }
}

// A weight not packed at load, for one or two tokens: the vec dot on the file's rows (the same
// bits), since packing its panels per call costs more than the product (as q5_0).
constexpr int64_t kMinTypePerCallPanelMinTokens = 3;

template <bool kFifth>
HWY_INLINE void RunMinType(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  if (a.packed == nullptr && a.n_tokens < kMinTypePerCallPanelMinTokens) {
    return MinTypeVecDots<kFifth>(a, row_begin, row_end);
  }
  constexpr GgmlType kType = kFifth ? GgmlType::kQ5_1 : GgmlType::kQ4_1;
  constexpr int64_t kBlock = kFifth ? kQ5_1PanelBlock : kQ4_1PanelBlock;
  thread_local std::vector<uint8_t> buf;
  const int64_t per_panel = a.cols / 32 * kBlock;
  for (int64_t row = row_begin; row < row_end; row += 16) {
    const int64_t nr = std::min<int64_t>(16, row_end - row);
    const uint8_t* panel;
    if (a.packed != nullptr && row % 16 == 0) {
      panel = a.packed + row / 16 * per_panel;
    } else {
      if (buf.size() < static_cast<size_t>(per_panel)) buf.resize(static_cast<size_t>(per_panel));
      PackPanelRows(kType, a.w + row * a.row_bytes, a.row_bytes, a.cols, nr, buf.data());
      panel = buf.data();
    }
    MinRunPanel<kFifth>(a, panel, row, nr);
  }
}

#else  // !GB_MATMUL_X86: no panel kernel, the vec dots (the same bits)

template <bool kFifth>
HWY_INLINE void RunMinType(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  MinTypeVecDots<kFifth>(a, row_begin, row_end);
}

#endif  // GB_MATMUL_X86

HWY_INLINE void RunQ5_1(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  RunMinType<true>(a, row_begin, row_end);
}

HWY_INLINE void RunQ4_1(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  RunMinType<false>(a, row_begin, row_end);
}

#endif  // GAPBENCH_KERNELS_MATMUL_Q5_1_INL_H_ toggle
