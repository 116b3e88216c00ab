// The k-quant (Q4_K, Q5_K, Q6_K) and Q5_0 panel kernels for x86 (AVX2 code, also run on AVX3 and
// AVX3_DL), with their RunQ4_K / RunQ5_K / RunQ6_K / RunQ5_0 entry points.
//
// Not a standalone header: matmul_simd.cpp includes it once per Highway target, inside
// gapbench::kernels::HWY_NAMESPACE and under `#if GB_MATMUL_X86`, after the helpers it uses
// (Opaque, HalfToFloat, the panel layout constants of matmul_simd.h). It is a separate file only
// to keep matmul_simd.cpp within the house limit on file length; the toggle guard below is
// Highway's per-target -inl.h convention.
#if defined(GAPBENCH_KERNELS_MATMUL_KQUANT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GAPBENCH_KERNELS_MATMUL_KQUANT_INL_H_
#undef GAPBENCH_KERNELS_MATMUL_KQUANT_INL_H_
#else
#define GAPBENCH_KERNELS_MATMUL_KQUANT_INL_H_
#endif

// ---- Q4_K weights, x86 (AVX2 code; also run on AVX3 and AVX3_DL): panel kernel, exact -------
// The q4_K panel layout (matmul_simd.h) holds, per 256-column block, 4 bytes of each of 8 rows
// per 32-byte load, one row per int32 lane: low nibbles are 4 values of sub-block 2c, high
// nibbles 4 values of sub-block 2c + 1. `vpmaddubsw` of the nibbles (u8, 0..15) with 4 Q8_K
// quants broadcast to every lane gives int16 pair sums; the 8 loads of a 64-value chunk add up in
// int16 (16 products of at most 15 * 128 per lane: <= 30720, no saturation), and one `vpmaddwd`
// with the rows' sub-block scales as int16 pairs (sc, sc) gives sc_j * dot_j in int32. The mins
// enter as DotQ4_KQ8_KReference's sum_j m_j (bsum_2j + bsum_2j+1): `vpmaddwd` of the rows' (m_2p,
// m_2p+1) byte pairs widened to int16 with the token's sub-block sums. Both int32 sums are the
// reference's, exactly; then per (row, token, block) the reference's float operations: d =
// d_w * d_x and dmin = dmin_w * d_x in f32, then in f64 acc + (d * sum_q - dmin * sum_m), where
// both products are exact (24-bit x 25-bit), so FMA contraction cannot change them; the f64
// accumulator rounds to f32 at the end. Bit-identical to MatMulReference on every row and token.
// Raw intrinsics: Highway 1.0.3 has no u8 x i8 multiply-add (vpmaddubsw); the f64 part uses
// the matching raw 256-bit types to stay in registers with the integer sums.
// The 8 rows' scale sc_j (8 bytes) as int16 pairs (sc, sc), one row per int32 lane.
HWY_INLINE __m256i Q4KScalePairs(const uint8_t* p) {
  const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  return _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
}

// ---- Q5_K weights: the same kernel with the fifth bits --------------------------------------
// The q5_K panel layout (matmul_simd.h) is q4_K's plus the fifth bits: the 4-byte qh group s of
// each row (one row per int32 lane) sits beside nibble group s, and its bits 2c / 2c + 1 are the
// fifth bits of chunk c's low / high nibbles. Per load: hb = qh >> 2c (16-bit lanes: a byte's bits
// 0 and 1 stay in that byte, 2c <= 6), then u = nibble | ((hb << 4) & 16) for the low values and
// nibble | ((hb << 3) & 16) for the high ones, u in 0..31, and `vpmaddubsw` against 4 broadcast
// Q8_K quants as for q4_K.
// No int16 saturation: a `vpmaddubsw` pair is at most 2 * 31 * 128 = 7936 in magnitude (Q8_K
// quants are in [-127, 127], 128 bounds them with margin), so the instruction never saturates;
// the kernel adds 4 loads (8 products per int16 lane, at most 8 * 31 * 128 = 31744 <= 32767) in
// int16, then widens that half of the chunk with `vpmaddwd` by the sub-block scales (q4_K adds
// all 8 loads, 16 products of at most 15 * 128 = 30720; 16 x 31 x 127 = 62992 would wrap).
// MatMulPacked.Q5_KPanelsGiveTheReferenceBits has a row of all-31 quants and all-63 scales
// against all-127 activations of one sign, the worst case. Everything else, the mins and the
// float steps, is q4_K's: bit-identical to DotQ5_KQ8_KReference and Q5_KPanelMatMulReference.

// Decode streams each panel once from memory, and a q4_K / q5_K block's loads jump between its
// scale, nibble and high-bit regions (2368 / 2880 bytes), which the hardware prefetchers follow
// poorly: perf put a fifth of a Q5_K_M decode on the first loads of each block. So each tile asks
// for the next block's cache lines while it works on this one. Past the weight's end a prefetch
// does not fault, and the address is computed as an integer, so no pointer leaves its buffer.
// Logits unchanged; decode +39-41% on Llama-3.2-1B / Qwen3-0.6B Q5_K_M on a quiet machine
// (PERFORMANCE.md "k-quant decode"). q6_K's layout is in reading order instead (below).
HWY_INLINE void PrefetchNextBlock(const uint8_t* blk, int64_t bytes) {
  const auto next = reinterpret_cast<uintptr_t>(blk) + static_cast<uintptr_t>(bytes);
  for (int64_t off = 0; off < bytes; off += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(next + static_cast<uintptr_t>(off)), _MM_HINT_T0);
  }
}

// Rows of kG 8-row groups (from group g0 of the panel) x kN tokens from token; kFifth: q5_K
// (the fifth bits, int16 sums over half a chunk), else q4_K (over a whole chunk).
template <bool kFifth, int kG, int kN>
HWY_INLINE void Q45KPanelTile(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row, int g0,
                              int64_t nr, int64_t token) {
  constexpr int64_t kBlock = kFifth ? kQ5_KPanelBlock : kQ4_KPanelBlock;
  constexpr int kHalves = kFifth ? 2 : 1;  // int16 sums per chunk
  constexpr int kLoads = 8 / kHalves;      // 32-byte loads per int16 sum
  const int64_t nb = a.cols / 256;
  // Only the panel's first tile streams it from memory; the later ones (the other group, more
  // tokens) find it in L1 / L2, where 37-53 prefetches a block cost prefill 4-9%.
  const bool first_pass = token == 0 && g0 == 0;
  const __m256i m15 = _mm256_set1_epi8(15);
  [[maybe_unused]] const __m256i m16 = _mm256_set1_epi8(16);
  __m256d acc[kG][kN][2];
#pragma GCC unroll 8
  for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) acc[g][j][0] = acc[g][j][1] = _mm256_setzero_pd();
  }
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = panel + b * kBlock;
    if (first_pass) PrefetchNextBlock(blk, kBlock);
    const BlockQ8_K* xb[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) xb[j] = a.xk + (token + j) * nb + b;
    __m256i sum_q[kG][kN];
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) sum_q[g][j] = _mm256_setzero_si256();
    }
#pragma GCC unroll 1
    for (int c = 0; c < 4; ++c) {
      const uint8_t* quants = blk + kQ4_KPanelQuants + 512 * c + 32 * g0;
      [[maybe_unused]] const uint8_t* high = blk + kQ5_KPanelHigh + 32 * g0;
      // The fifth-bit loads do not depend on c: without this GCC hoists all 8 (16) of them out
      // of the chunk loop and spills them, an extra store and load per use.
      if constexpr (kFifth) asm("" : "+r"(high));
      [[maybe_unused]] const __m128i shift = _mm_cvtsi32_si128(2 * c);
#pragma GCC unroll 2
      for (int half = 0; half < kHalves; ++half) {
        __m256i s_lo[kG][kN], s_hi[kG][kN];
#pragma GCC unroll 8
        for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
          for (int j = 0; j < kN; ++j) s_lo[g][j] = s_hi[g][j] = _mm256_setzero_si256();
        }
#pragma GCC unroll 8
        for (int s = kLoads * half; s < kLoads * half + kLoads; ++s) {
          __m256i lo[kG], hi[kG];
#pragma GCC unroll 8
          for (int g = 0; g < kG; ++g) {
            const __m256i v =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(quants + 64 * s + 32 * g));
            lo[g] = _mm256_and_si256(v, m15);
            hi[g] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m15);
            if constexpr (kFifth) {
              const __m256i hb = _mm256_srl_epi16(
                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(high + 64 * s + 32 * g)),
                  shift);
              lo[g] = _mm256_or_si256(lo[g], _mm256_and_si256(_mm256_slli_epi16(hb, 4), m16));
              hi[g] = _mm256_or_si256(hi[g], _mm256_and_si256(_mm256_slli_epi16(hb, 3), m16));
            }
          }
#pragma GCC unroll 8
          for (int j = 0; j < kN; ++j) {
            const __m256i xl = _mm256_set1_epi32(Load4(xb[j]->qs + 64 * c + 4 * s));
            const __m256i xh = _mm256_set1_epi32(Load4(xb[j]->qs + 64 * c + 32 + 4 * s));
#pragma GCC unroll 8
            for (int g = 0; g < kG; ++g) {
              s_lo[g][j] = _mm256_add_epi16(s_lo[g][j], _mm256_maddubs_epi16(lo[g], xl));
              s_hi[g][j] = _mm256_add_epi16(s_hi[g][j], _mm256_maddubs_epi16(hi[g], xh));
            }
          }
        }
#pragma GCC unroll 8
        for (int g = 0; g < kG; ++g) {
          const uint8_t* sc = blk + kQ4_KPanelScales + 8 * (g0 + g);
          const __m256i sc_lo = Q4KScalePairs(sc + 16 * (2 * c));
          const __m256i sc_hi = Q4KScalePairs(sc + 16 * (2 * c + 1));
#pragma GCC unroll 8
          for (int j = 0; j < kN; ++j) {
            sum_q[g][j] = _mm256_add_epi32(sum_q[g][j],
                                           _mm256_add_epi32(_mm256_madd_epi16(s_lo[g][j], sc_lo),
                                                            _mm256_madd_epi16(s_hi[g][j], sc_hi)));
          }
        }
      }
    }
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
      const __m256 dw =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * (g0 + g))));
      const __m256 dmw = _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 32 + 16 * (g0 + g))));
      __m256i mins[4];
#pragma GCC unroll 4
      for (int p = 0; p < 4; ++p) {
        mins[p] = _mm256_cvtepu8_epi16(_mm_loadu_si128(
            reinterpret_cast<const __m128i*>(blk + kQ4_KPanelMins + 32 * p + 16 * (g0 + g))));
      }
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        const int16_t* sub = a.xk_sub + ((token + j) * nb + b) * 8;
        __m256i sum_m = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (int p = 0; p < 4; ++p) {
          int32_t pair;
          std::memcpy(&pair, sub + 2 * p, sizeof(pair));
          sum_m = _mm256_add_epi32(sum_m, _mm256_madd_epi16(mins[p], _mm256_set1_epi32(pair)));
        }
        const __m256 xd = _mm256_set1_ps(xb[j]->d);
        const __m256 d = _mm256_mul_ps(dw, xd);
        const __m256 dmin = _mm256_mul_ps(dmw, xd);
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          const __m128 d4 = h == 0 ? _mm256_castps256_ps128(d) : _mm256_extractf128_ps(d, 1);
          const __m128 m4 = h == 0 ? _mm256_castps256_ps128(dmin) : _mm256_extractf128_ps(dmin, 1);
          const __m128i q4 = h == 0 ? _mm256_castsi256_si128(sum_q[g][j])
                                    : _mm256_extracti128_si256(sum_q[g][j], 1);
          const __m128i s4 =
              h == 0 ? _mm256_castsi256_si128(sum_m) : _mm256_extracti128_si256(sum_m, 1);
          const __m256d t =
              _mm256_sub_pd(_mm256_mul_pd(_mm256_cvtps_pd(d4), _mm256_cvtepi32_pd(q4)),
                            _mm256_mul_pd(_mm256_cvtps_pd(m4), _mm256_cvtepi32_pd(s4)));
          acc[g][j][h] = _mm256_add_pd(acc[g][j][h], t);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < kG; ++g) {
    const int64_t n = std::min<int64_t>(8, nr - 8 * (g0 + g));
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      const __m256 out8 =
          _mm256_set_m128(_mm256_cvtpd_ps(acc[g][j][1]), _mm256_cvtpd_ps(acc[g][j][0]));
      float* out = a.y + (token + j) * a.y_stride + row + 8 * (g0 + g);
      if (n == 8) {
        _mm256_storeu_ps(out, out8);
      } else {
        const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
        _mm256_maskstore_ps(out, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes),
                            out8);
      }
    }
  }
}

// Decode (one or two tokens): both 8-row groups at once, so each activation broadcast serves 16
// rows (q5_K too, now that its fifth-bit loads are not hoisted and spilled); prefill: one group x
// 4 tokens.
template <bool kFifth>
HWY_INLINE void Q45KRunPanel(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row,
                             int64_t nr) {
  const int64_t nt = a.n_tokens;
  if (nt <= 2 && nr > 8) {
    for (int64_t t = 0; t < nt; ++t) Q45KPanelTile<kFifth, 2, 1>(a, panel, row, 0, nr, t);
    return;
  }
  for (int g = 0; 8 * g < nr; ++g) {
    int64_t t = 0;
    for (; t + 4 <= nt; t += 4) Q45KPanelTile<kFifth, 1, 4>(a, panel, row, g, nr, t);
    switch (nt - t) {
      case 3:
        Q45KPanelTile<kFifth, 1, 3>(a, panel, row, g, nr, t);
        break;
      case 2:
        Q45KPanelTile<kFifth, 1, 2>(a, panel, row, g, nr, t);
        break;
      case 1:
        Q45KPanelTile<kFifth, 1, 1>(a, panel, row, g, nr, t);
        break;
      default:
        break;
    }
  }
}

// The panels of rows [row_begin, row_end): the packed ones, or packed per call into a buffer.
template <bool kFifth>
HWY_INLINE void Q45KRunRows(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  constexpr GgmlType kType = kFifth ? GgmlType::kQ5_K : GgmlType::kQ4_K;
  thread_local std::vector<uint8_t> buf;
  const int64_t per_panel = a.cols / 256 * (kFifth ? kQ5_KPanelBlock : kQ4_KPanelBlock);
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
    Q45KRunPanel<kFifth>(a, panel, row, nr);
  }
}

HWY_INLINE void RunQ4_K(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  Q45KRunRows<false>(a, row_begin, row_end);
}

HWY_INLINE void RunQ5_K(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  // Not packed at load, one or two tokens: the vec dot on the file's rows (the same bits), as
  // packing the panels per call costs more than the product.
  if (a.packed == nullptr && a.n_tokens < 3) {
    const int64_t nb = a.cols / 256;
    for (int64_t r = row_begin; r < row_end; ++r) {
      const auto* w = reinterpret_cast<const BlockQ5_K*>(a.w + r * a.row_bytes);
      for (int64_t t = 0; t < a.n_tokens; ++t) {
        a.y[t * a.y_stride + r] = DotQ5_KQ8_K(w, a.xk + t * nb, a.cols);
      }
    }
    return;
  }
  Q45KRunRows<true>(a, row_begin, row_end);
}

// ---- Q6_K weights, x86 (AVX2 code; also run on AVX3 and AVX3_DL): panel kernel, exact -------
// The q6_K panel layout (matmul_simd.h) holds the file's bytes in the order this kernel reads
// them: per block, half h and 8-row group, the 4 quarters' scales, then for each 4-byte group s
// the three 32-byte loads (4 bytes of each of the 8 rows, one row per int32 lane) that give
// elements 32k + 4s..+3 of all four quarters k: ql group 16h + s (low nibbles for k = 0, high
// for k = 2), ql group 16h + 8 + s (k = 1, 3) and qh group 8h + s (bits 2k, 2k + 1). The
// unsigned quant u = q + 32 in 0..63 of 4 values of 8 rows is two loads, at most two shifts,
// two ands and an or. `vpmaddubsw` of u (u8) with 4 Q8_K quants x (i8, in [-128, 127]) broadcast to
// every lane gives int16 pair sums u0 x0 + u1 x1 in [-16128, 16002] (no saturation); two of them
// (groups s, s + 1: 8 values of one 16-value scale group) add up in int16 to [-32256, 32004] (no
// wrap-around); one `vpmaddwd` with the rows' group scale as int16 pairs (sc, sc) gives sc_g
// times the 8 products in int32. Over the block, sum_g sc_g sum u x <= 16 * 128 * 16 * 63 * 128
// < 2^28 in magnitude. The offset comes off once per block through the Q8_K group sums: sum (u -
// 32) x = sum u x - 32 bsum_g, so the block's int32 is DotQ6_KQ8_KReference's sum_q exactly,
// with sum_g sc_g bsum_g (<= 2^22) from `vpmaddwd` of the rows' (sc_2p, sc_2p+1) pairs with the
// token's (bsum_2p, bsum_2p+1). Then per (row, token, block) the reference's float operations:
// d = d_w * d_x in f32, acc + d * sum_q in f64 (the product is exact, so FMA contraction cannot
// change it), rounded to f32 at the end: bit-identical to MatMulReference on every row and token
// (tested with all quants 63 and -32 against activations of -128 and 127). Raw intrinsics:
// Highway 1.0.3 has no u8 x i8 multiply-add (vpmaddubsw).

// Groups s and s + 1 (elements 32kK + 4s..+7) of quarter kK of half h, 8 rows (the segment's
// bits at seg + 64) x kN tokens: sum_q += sc (the group's (sc, sc) pairs) sum u x.
template <int kK, int kN>
HWY_INLINE void Q6KStep(const uint8_t* seg, int h, int s, const BlockQ8_K* const* xb, __m256i sc,
                        __m256i (&sum_q)[kN]) {
  const __m256i m4 = _mm256_set1_epi8(15);
  const __m256i m3 = _mm256_set1_epi8(0x30);
  const uint8_t* bits = seg + 64 + 96 * s;
  // Quarters k and k + 2 load the same ql bytes and all four the same qh bytes: without this
  // GCC keeps those 6 loads live across the quarters and spills them.
  asm("" : "+r"(bits));
  __m256i u[2];
#pragma GCC unroll 2
  for (int e = 0; e < 2; ++e) {
    __m256i lo =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 96 * e + 32 * (kK % 2)));
    __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + 96 * e + 64));
    if constexpr (kK >= 2) lo = _mm256_srli_epi16(lo, 4);
    // Bits 2k, 2k + 1 of the high byte to bits 4, 5 (16-bit shifts: the mask drops what crosses
    // a byte).
    if constexpr (kK == 0) hi = _mm256_slli_epi16(hi, 4);
    if constexpr (kK == 1) hi = _mm256_slli_epi16(hi, 2);
    if constexpr (kK == 3) hi = _mm256_srli_epi16(hi, 2);
    u[e] = _mm256_or_si256(_mm256_and_si256(lo, m4), _mm256_and_si256(hi, m3));
  }
#pragma GCC unroll 8
  for (int j = 0; j < kN; ++j) {
    const int8_t* xq = xb[j]->qs + 128 * h + 32 * kK + 4 * s;
    const __m256i x0 = _mm256_set1_epi32(Load4(xq));
    const __m256i x1 = _mm256_set1_epi32(Load4(xq + 4));
    const __m256i p16 =
        _mm256_add_epi16(_mm256_maddubs_epi16(u[0], x0), _mm256_maddubs_epi16(u[1], x1));
    sum_q[j] = _mm256_add_epi32(sum_q[j], _mm256_madd_epi16(p16, sc));
  }
}

// Scale pair k of the 8 rows of a segment: even bytes sc_{8h+2k}, odd sc_{8h+2k+1}; the odd
// ones' (or even ones') bytes, duplicated and sign-extended, as (sc, sc) int16 pairs.
HWY_INLINE __m256i Q6KScales(const uint8_t* seg, int k, int odd) {
  const __m128i dup_even = _mm_setr_epi8(0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14);
  const __m128i dup_odd = _mm_setr_epi8(1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15);
  const __m128i pair = _mm_loadu_si128(reinterpret_cast<const __m128i*>(seg + 16 * k));
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(pair, odd == 0 ? dup_even : dup_odd));
}

// Scale group 8h + 2kK + odd (groups s = 4 odd..4 odd + 3 of quarter kK) of a segment.
template <int kK, int kN>
HWY_INLINE void Q6KQuarterGroups(const uint8_t* seg, int h, int odd, const BlockQ8_K* const* xb,
                                 __m256i (&sum_q)[kN]) {
  const __m256i sc = Q6KScales(seg, kK, odd);
  Q6KStep<kK, kN>(seg, h, 4 * odd, xb, sc, sum_q);
  Q6KStep<kK, kN>(seg, h, 4 * odd + 2, xb, sc, sum_q);
}

// Half h of one 8-row group (its segment seg) x kN tokens: sum_q += sc_g sum u x over the
// half's 8 scale groups. Tiles of 1-2 tokens (decode; prefill tails) stream the segment front
// to back: per pair of groups s all four quarters, with their 4 scales in registers. Tiles of
// 3-4 tokens (prefill) find the panel in cache, where that order would only cost registers (4
// scales beside 4 tokens' sums spill): quarter by quarter, one scale at a time.
template <int kN>
HWY_INLINE void Q6KSegment(const uint8_t* seg, int h, const BlockQ8_K* const* xb_in,
                           __m256i (&sum_q)[kN]) {
  // The tokens' pointers as opaque values: else GCC shares the activation broadcasts between
  // the two groups of a decode tile and spills them (and prefill ran 20-40% slower without).
  const BlockQ8_K* xb[kN];
#pragma GCC unroll 8
  for (int j = 0; j < kN; ++j) {
    xb[j] = xb_in[j];
    asm("" : "+r"(xb[j]));
  }
#pragma GCC unroll 2
  for (int odd = 0; odd < 2; ++odd) {  // groups s = 0..3 take each quarter's even scale group
    if constexpr (kN <= 2) {
      const __m256i sc[4] = {Q6KScales(seg, 0, odd), Q6KScales(seg, 1, odd), Q6KScales(seg, 2, odd),
                             Q6KScales(seg, 3, odd)};
#pragma GCC unroll 2
      for (int s = 4 * odd; s < 4 * odd + 4; s += 2) {
        Q6KStep<0, kN>(seg, h, s, xb, sc[0], sum_q);
        Q6KStep<1, kN>(seg, h, s, xb, sc[1], sum_q);
        Q6KStep<2, kN>(seg, h, s, xb, sc[2], sum_q);
        Q6KStep<3, kN>(seg, h, s, xb, sc[3], sum_q);
      }
    } else {
      Q6KQuarterGroups<0, kN>(seg, h, odd, xb, sum_q);
      Q6KQuarterGroups<1, kN>(seg, h, odd, xb, sum_q);
      Q6KQuarterGroups<2, kN>(seg, h, odd, xb, sum_q);
      Q6KQuarterGroups<3, kN>(seg, h, odd, xb, sum_q);
    }
  }
}

// Rows of kG 8-row groups (from group g0 of the panel) x kN tokens from token.
template <int kG, int kN>
HWY_INLINE void Q6KPanelTile(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row, int g0,
                             int64_t nr, int64_t token) {
  const int64_t nb = a.cols / 256;
  __m256d acc[kG][kN][2];
#pragma GCC unroll 8
  for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) acc[g][j][0] = acc[g][j][1] = _mm256_setzero_pd();
  }
  for (int64_t b = 0; b < nb; ++b) {
    // No software prefetch: the layout streams each block front to back, which the hardware
    // prefetchers follow (PrefetchNextBlock here cost decode 5-15%: its 53 prefetches a block
    // fill the miss buffers).
    const uint8_t* blk = panel + b * kQ6_KPanelBlock;
    const BlockQ8_K* xb[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) xb[j] = a.xk + (token + j) * nb + b;
    __m256i sum_q[kG][kN];
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) sum_q[g][j] = _mm256_setzero_si256();
    }
#pragma GCC unroll 1
    for (int h = 0; h < 2; ++h) {
#pragma GCC unroll 2
      for (int g = 0; g < kG; ++g) {
        Q6KSegment<kN>(blk + Q6KPanelSegment(h, g0 + g), h, xb, sum_q[g]);
      }
    }
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
      const __m256 dw =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * (g0 + g))));
      __m256i sc_pairs[8];  // pair p = 4h + k: quarter k's scale pair of half h
#pragma GCC unroll 8
      for (int p = 0; p < 8; ++p) {
        sc_pairs[p] = _mm256_cvtepi8_epi16(_mm_loadu_si128(
            reinterpret_cast<const __m128i*>(blk + Q6KPanelSegment(p / 4, g0 + g) + 16 * (p % 4))));
      }
#pragma GCC unroll 8
      for (int j = 0; j < kN; ++j) {
        __m256i offset = _mm256_setzero_si256();  // sum_g sc_g bsum_g
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p) {
          int32_t pair;
          std::memcpy(&pair, xb[j]->bsums + 2 * p, sizeof(pair));
          offset =
              _mm256_add_epi32(offset, _mm256_madd_epi16(sc_pairs[p], _mm256_set1_epi32(pair)));
        }
        const __m256i q = _mm256_sub_epi32(sum_q[g][j], _mm256_slli_epi32(offset, 5));
        const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(xb[j]->d));
#pragma GCC unroll 2
        for (int hh = 0; hh < 2; ++hh) {
          const __m128 d4 = hh == 0 ? _mm256_castps256_ps128(d) : _mm256_extractf128_ps(d, 1);
          const __m128i q4 = hh == 0 ? _mm256_castsi256_si128(q) : _mm256_extracti128_si256(q, 1);
          acc[g][j][hh] = _mm256_add_pd(acc[g][j][hh],
                                        _mm256_mul_pd(_mm256_cvtps_pd(d4), _mm256_cvtepi32_pd(q4)));
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < kG; ++g) {
    const int64_t n = std::min<int64_t>(8, nr - 8 * (g0 + g));
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      const __m256 out8 =
          _mm256_set_m128(_mm256_cvtpd_ps(acc[g][j][1]), _mm256_cvtpd_ps(acc[g][j][0]));
      float* out = a.y + (token + j) * a.y_stride + row + 8 * (g0 + g);
      if (n == 8) {
        _mm256_storeu_ps(out, out8);
      } else {
        const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
        _mm256_maskstore_ps(out, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes),
                            out8);
      }
    }
  }
}

// Decode (one or two tokens): both 8-row groups at once, so each activation broadcast serves 16
// rows; prefill: one group x 4 tokens.
HWY_INLINE void Q6KRunPanel(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row,
                            int64_t nr) {
  const int64_t nt = a.n_tokens;
  if (nt <= 2 && nr > 8) {
    for (int64_t t = 0; t < nt; ++t) Q6KPanelTile<2, 1>(a, panel, row, 0, nr, t);
    return;
  }
  for (int g = 0; 8 * g < nr; ++g) {
    int64_t t = 0;
    for (; t + 4 <= nt; t += 4) Q6KPanelTile<1, 4>(a, panel, row, g, nr, t);
    switch (nt - t) {
      case 3:
        Q6KPanelTile<1, 3>(a, panel, row, g, nr, t);
        break;
      case 2:
        Q6KPanelTile<1, 2>(a, panel, row, g, nr, t);
        break;
      case 1:
        Q6KPanelTile<1, 1>(a, panel, row, g, nr, t);
        break;
      default:
        break;
    }
  }
}

HWY_INLINE void RunQ6_K(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  thread_local std::vector<uint8_t> buf;
  const int64_t per_panel = a.cols / 256 * kQ6_KPanelBlock;
  for (int64_t row = row_begin; row < row_end; row += 16) {
    const int64_t nr = std::min<int64_t>(16, row_end - row);
    const uint8_t* panel;
    if (a.packed != nullptr && row % 16 == 0) {
      panel = a.packed + row / 16 * per_panel;
    } else {
      if (buf.size() < static_cast<size_t>(per_panel)) buf.resize(static_cast<size_t>(per_panel));
      PackPanelRows(GgmlType::kQ6_K, a.w + row * a.row_bytes, a.row_bytes, a.cols, nr, buf.data());
      panel = buf.data();
    }
    Q6KRunPanel(a, panel, row, nr);
  }
}

// ---- Q5_0 weights, x86 (AVX2 code; also run on AVX3 and AVX3_DL): panel kernel, exact -------
// The q5_0 panel layout (matmul_simd.h) is q4_0's nibble groups plus each row's 32 fifth bits,
// permuted at load so that byte i of a row's 4 bytes holds, in bit s, the fifth bit of element
// 4s + i (the low nibble of nibble group s, byte i) and in bit 4 + s that of element 16 + 4s + i
// (its high nibble). For group s one 16-bit shift and an `and` with 16 bring those bits to bit 4
// of each byte ((h << (4 - s)) & 16 and (h >> s) & 16: no other bit lands there), so u = nibble
// | fifth bit << 4, in 0..31, is `vpmaddubsw`'d against 4 broadcast Q8_0 quants. No int16
// saturation: a pair is at most 2 * 31 * 128 = 7936, and the low and high halves add up in two
// int16 sums of 4 pairs each (<= 31744; one sum of 8 pairs could reach 62992 and wrap); `vpmaddwd`
// with ones widens them, and -16 * sum(x of the block) (SimdMatMulArgs::xs) removes the offset,
// so the int32 block sum is DotQ5_0Q8_0Reference's sumi exactly. Then its float steps: dd = d_w
// * d_x in f32, acc + dd * sumi in f64 (|sumi| < 2^17: the product is exact), one rounding to
// f32 at the end: bit-identical to MatMulReference.
template <int kN>
HWY_INLINE void Q50PanelTile(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row, int g,
                             int64_t nr, int64_t token) {
  const int64_t cols = a.cols;
  const int64_t nb = cols / 32;
  const __m256i m15 = _mm256_set1_epi8(15);
  const __m256i m16 = _mm256_set1_epi8(16);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256d acc[kN][2];
#pragma GCC unroll 8
  for (int j = 0; j < kN; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_pd();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = panel + b * kQ5_0PanelBlock;
    const int8_t* xb[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) xb[j] = a.xq + (token + j) * cols + b * 32;
    const __m256i h =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kQ5_0PanelHigh + 32 * g));
    __m256i s_lo[kN], s_hi[kN];
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) s_lo[j] = s_hi[j] = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      const __m256i v = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(blk + kQ5_0PanelQuants + 64 * s + 32 * g));
      const __m256i h_lo = s == 0   ? _mm256_slli_epi16(h, 4)
                           : s == 1 ? _mm256_slli_epi16(h, 3)
                           : s == 2 ? _mm256_slli_epi16(h, 2)
                                    : _mm256_slli_epi16(h, 1);
      const __m256i h_hi = s == 0   ? h
                           : s == 1 ? _mm256_srli_epi16(h, 1)
                           : s == 2 ? _mm256_srli_epi16(h, 2)
                                    : _mm256_srli_epi16(h, 3);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(v, m15), _mm256_and_si256(h_lo, m16));
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), m15),
                                         _mm256_and_si256(h_hi, m16));
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
#pragma GCC unroll 8
    for (int j = 0; j < kN; ++j) {
      const int64_t xi = (token + j) * nb + b;
      const __m256i sumi = _mm256_add_epi32(
          _mm256_add_epi32(_mm256_madd_epi16(s_lo[j], ones), _mm256_madd_epi16(s_hi[j], ones)),
          _mm256_set1_epi32(-16 * a.xs[xi]));
      const __m256 dd = _mm256_mul_ps(dw, _mm256_set1_ps(a.xd[xi]));
#pragma GCC unroll 2
      for (int k = 0; k < 2; ++k) {
        const __m128 d4 = k == 0 ? _mm256_castps256_ps128(dd) : _mm256_extractf128_ps(dd, 1);
        const __m128i q4 =
            k == 0 ? _mm256_castsi256_si128(sumi) : _mm256_extracti128_si256(sumi, 1);
        acc[j][k] =
            _mm256_add_pd(acc[j][k], _mm256_mul_pd(_mm256_cvtps_pd(d4), _mm256_cvtepi32_pd(q4)));
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

// One 8-row group x 4 tokens, then the tails (as Q45KRunPanel for three or more tokens).
HWY_INLINE void Q50RunPanel(const SimdMatMulArgs& a, const uint8_t* panel, int64_t row,
                            int64_t nr) {
  const int64_t nt = a.n_tokens;
  for (int g = 0; 8 * g < nr; ++g) {
    int64_t t = 0;
    for (; t + 4 <= nt; t += 4) Q50PanelTile<4>(a, panel, row, g, nr, t);
    switch (nt - t) {
      case 3:
        Q50PanelTile<3>(a, panel, row, g, nr, t);
        break;
      case 2:
        Q50PanelTile<2>(a, panel, row, g, nr, t);
        break;
      case 1:
        Q50PanelTile<1>(a, panel, row, g, nr, t);
        break;
      default:
        break;
    }
  }
}

// A weight that was not packed at load, for one or two tokens: the vec dot on the file's rows
// (the same bits), since packing its panels per call costs more than the product.
constexpr int64_t kQ5PerCallPanelMinTokens = 3;

HWY_INLINE void RunQ5_0(const SimdMatMulArgs& a, int64_t row_begin, int64_t row_end) {
  if (a.packed == nullptr && a.n_tokens < kQ5PerCallPanelMinTokens) {
    const int64_t nb = a.cols / 32;
    for (int64_t r = row_begin; r < row_end; ++r) {
      const auto* w = reinterpret_cast<const BlockQ5_0*>(a.w + r * a.row_bytes);
      for (int64_t t = 0; t < a.n_tokens; ++t) {
        const Q8Row x{a.xd + t * nb, a.xq + t * a.cols, a.xs + t * nb};
        a.y[t * a.y_stride + r] = DotQ5_0Q8_0(w, x, a.cols);
      }
    }
    return;
  }
  thread_local std::vector<uint8_t> buf;
  const int64_t per_panel = a.cols / 32 * kQ5_0PanelBlock;
  for (int64_t row = row_begin; row < row_end; row += 16) {
    const int64_t nr = std::min<int64_t>(16, row_end - row);
    const uint8_t* panel;
    if (a.packed != nullptr && row % 16 == 0) {
      panel = a.packed + row / 16 * per_panel;
    } else {
      if (buf.size() < static_cast<size_t>(per_panel)) buf.resize(static_cast<size_t>(per_panel));
      PackPanelRows(GgmlType::kQ5_0, a.w + row * a.row_bytes, a.row_bytes, a.cols, nr, buf.data());
      panel = buf.data();
    }
    Q50RunPanel(a, panel, row, nr);
  }
}

#endif  // GAPBENCH_KERNELS_MATMUL_KQUANT_INL_H_ toggle
