// Attention of many query rows against one widened KV head (attention_rows.h). Two register-
// blocked passes per tile of kR rows: scores S = scale * Q K^T over transposed keys (kR rows x 2
// vectors of keys per step, each key vector loaded once for kR queries, no horizontal sums), then
// O = softmax(S) V in passes over the head's columns (each value vector loaded once for kR
// queries, kR x kPassVectors accumulators), so any head size that is a multiple of two vectors
// has a path (AVX2: 64, 96, 128, 256; Qwen3 and Phi-3 have 128 / 96, Gemma 3 256).
#include "kernels/attention_rows.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "kernels/quant.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention_rows.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// After highway.h (own block: include sorting must not move it above foreach_target.h).
#include "kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if !HWY_HAVE_SCALABLE
// Rows per tile and value vectors per pass of O = softmax(S) V: the kR x kVc accumulators, kVc
// value vectors and one broadcast fit 16 vector registers (11 of them), and the score pass's
// kR x 2 accumulators, two key vectors and one broadcast too. A head of any multiple of kVc
// vectors (AVX2: 16 floats, so 64, 96, 128, 256) goes through O in passes of kVc vectors.
constexpr int kTileRows = 4, kPassVectors = 2;

// One tile of kR rows (q[r], keys [first[r], n_keys[r]), out[r] for r < kR) over a head of
// head_dim floats (a multiple of kPassVectors vectors). s: kR * stride floats of scratch. Keys
// before the tile's smallest first (rounded down to a step of the score pass) are not touched.
// Each output element's operations do not depend on the tile or pass shape: its score is one
// FMA chain over d, its output one FMA chain over keys j, then one product.
template <int kR>
void Tile(const float* const* q, const int64_t* first, const int64_t* n_keys, const float* kt,
          const float* v, int64_t stride, int64_t head_dim, float scale, float softcap, float* s,
          float* const* out) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t n_max = 0, j0 = stride;
#pragma GCC unroll 16
  for (int r = 0; r < kR; ++r) {
    n_max = std::max(n_max, n_keys[r]);
    j0 = std::min(j0, first[r]);
  }
  j0 = j0 / (2 * lanes) * (2 * lanes);
  // Scores, two key vectors per step (stride is a multiple of 64 floats, so the second vector of
  // the last step is still inside the zero-padded columns).
  const V vscale = hn::Set(df, scale);
  for (int64_t j = j0; j < n_max; j += 2 * lanes) {
    V a[kR][2];
#pragma GCC unroll 16
    for (int r = 0; r < kR; ++r) a[r][0] = a[r][1] = hn::Zero(df);
    const float* k = kt + j;
    for (int64_t d = 0; d < head_dim; ++d, k += stride) {
      const V k0 = hn::LoadU(df, k);
      const V k1 = hn::LoadU(df, k + lanes);
#pragma GCC unroll 16
      for (int r = 0; r < kR; ++r) {
        const V qd = hn::Set(df, q[r][d]);
        a[r][0] = hn::MulAdd(qd, k0, a[r][0]);
        a[r][1] = hn::MulAdd(qd, k1, a[r][1]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < kR; ++r) {
      hn::StoreU(hn::Mul(a[r][0], vscale), df, s + r * stride + j);
      hn::StoreU(hn::Mul(a[r][1], vscale), df, s + r * stride + j + lanes);
    }
  }
  // Softmax per row over its own keys; keys outside a row's range weigh nothing.
  float inv[kR];
#pragma GCC unroll 16
  for (int r = 0; r < kR; ++r) {
    float* sr = s + r * stride;
    const int64_t b = first[r], n = n_keys[r];
    if (softcap > 0.0f) CapInPlace(sr + b, n - b, softcap);  // Gemma 2: cap * tanh(s / cap)
    auto vmx = hn::Set(df, -INFINITY);
    int64_t j = b;
    for (; j + lanes <= n; j += lanes) vmx = hn::Max(vmx, hn::LoadU(df, sr + j));
    float mx = hn::GetLane(hn::MaxOfLanes(df, vmx));
    for (; j < n; ++j) mx = std::max(mx, sr[j]);
    inv[r] = static_cast<float>(1.0 / ExpShiftSum(sr + b, n - b, mx));
    std::fill(sr + j0, sr + b, 0.0f);
    std::fill(sr + n, sr + n_max, 0.0f);
  }
  // O in passes of kPassVectors vectors of the head; the probabilities (kR rows of s) stay in L1
  // across passes.
  constexpr int kVc = kPassVectors;
  for (int64_t c = 0; c < head_dim; c += kVc * lanes) {
    V acc[kR][kVc];
#pragma GCC unroll 16
    for (int r = 0; r < kR; ++r) {
#pragma GCC unroll 16
      for (int i = 0; i < kVc; ++i) acc[r][i] = hn::Zero(df);
    }
    const float* row = v + j0 * head_dim + c;
    for (int64_t j = j0; j < n_max; ++j, row += head_dim) {
      V vj[kVc];
#pragma GCC unroll 16
      for (int i = 0; i < kVc; ++i) vj[i] = hn::LoadU(df, row + i * lanes);
#pragma GCC unroll 16
      for (int r = 0; r < kR; ++r) {
        const V p = hn::Set(df, s[r * stride + j]);
#pragma GCC unroll 16
        for (int i = 0; i < kVc; ++i) acc[r][i] = hn::MulAdd(p, vj[i], acc[r][i]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < kR; ++r) {
      const V vi = hn::Set(df, inv[r]);
#pragma GCC unroll 16
      for (int i = 0; i < kVc; ++i) {
        hn::StoreU(hn::Mul(acc[r][i], vi), df, out[r] + c + i * lanes);
      }
    }
  }
}

void Rows(const float* const* q, const int64_t* first, const int64_t* n_keys, int64_t n_rows,
          const float* kt, const float* v, int64_t stride, int64_t head_dim, float scale,
          float softcap, float* s, float* const* out) {
  constexpr int kR = kTileRows;
  int64_t r = 0;
  for (; r + kR <= n_rows; r += kR) {
    Tile<kR>(q + r, first + r, n_keys + r, kt, v, stride, head_dim, scale, softcap, s, out + r);
  }
  // A partial tile: the missing rows repeat the last real one into a throwaway output.
  if (r < n_rows) {
    const float* tq[kR];
    int64_t tf[kR], tn[kR];
    float* to[kR];
    std::vector<float> sink(static_cast<size_t>(head_dim));
    for (int i = 0; i < kR; ++i) {
      const int64_t src = std::min<int64_t>(r + i, n_rows - 1);
      tq[i] = q[src];
      tf[i] = first[src];
      tn[i] = n_keys[src];
      to[i] = r + i < n_rows ? out[r + i] : sink.data();
    }
    Tile<kR>(tq, tf, tn, kt, v, stride, head_dim, scale, softcap, s, to);
  }
}
#endif

// 0: no SIMD path for this head size; else the number of vectors per head (a multiple of
// kPassVectors).
int64_t VectorsPerHead(int64_t head_dim) {
#if HWY_HAVE_SCALABLE
  (void)head_dim;
  return 0;
#else
  const auto lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  if (lanes < 4 || head_dim <= 0 || head_dim % (kPassVectors * lanes) != 0) return 0;
  return head_dim / lanes;
#endif
}

void AttendRowsImpl(const float* const* q, const int64_t* first, const int64_t* n_keys,
                    int64_t n_rows, const float* kt, const float* v, int64_t stride,
                    int64_t head_dim, float scale, float softcap, float* s, float* const* out) {
#if !HWY_HAVE_SCALABLE
  if (VectorsPerHead(head_dim) != 0) {
    return Rows(q, first, n_keys, n_rows, kt, v, stride, head_dim, scale, softcap, s, out);
  }
#endif
  (void)q, (void)first, (void)n_keys, (void)n_rows, (void)kt, (void)v, (void)stride, (void)scale,
      (void)softcap, (void)s, (void)out;
  HWY_ASSERT(false);  // callers check AttendRowsSupported first
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gapbench::kernels {

HWY_EXPORT(VectorsPerHead);
HWY_EXPORT(AttendRowsImpl);

namespace {
constexpr int64_t kRowsMaxTile = 4;  // the largest kR any target uses
}  // namespace

int64_t RowsKeyStride(int64_t n_keys) { return (n_keys + 63) / 64 * 64; }

int64_t AttendRowsScratch(int64_t stride) { return kRowsMaxTile * stride; }

bool AttendRowsSupported(int64_t head_dim) {
  return HWY_DYNAMIC_DISPATCH(VectorsPerHead)(head_dim) != 0;
}

void WidenKv(std::span<const KvSegment> segments, int64_t head_dim, float* kt, float* v) {
  GB_CHECK(!segments.empty(), "WidenKv: no segments");
  int64_t n = 0;
  for (const auto& seg : segments) n += seg.n;
  const int64_t stride = RowsKeyStride(n);
  std::vector<float> row(static_cast<size_t>(head_dim));
  int64_t j = 0;
  for (const auto& seg : segments) {
    for (int64_t r = 0; r < seg.n; ++r, ++j) {
      DequantizeRow(seg.k.type, static_cast<const uint8_t*>(seg.k.data) + r * seg.k.row_bytes,
                    row.data(), head_dim);
      for (int64_t d = 0; d < head_dim; ++d) kt[d * stride + j] = row[static_cast<size_t>(d)];
      DequantizeRow(seg.v.type, static_cast<const uint8_t*>(seg.v.data) + r * seg.v.row_bytes,
                    v + j * head_dim, head_dim);
    }
  }
  for (int64_t d = 0; d < head_dim; ++d)
    std::fill(kt + d * stride + n, kt + (d + 1) * stride, 0.0f);
}

void AttendRows(const float* const* q, const int64_t* n_keys, int64_t n_rows, const float* kt,
                const float* v, int64_t stride, int64_t head_dim, float scale, float* scratch,
                float* const* out, float softcap, const int64_t* first_key) {
  GB_CHECK(AttendRowsSupported(head_dim), "AttendRows: no SIMD path for head_dim ", head_dim);
  GB_CHECK(stride % 64 == 0, "AttendRows: key stride ", stride, " is not a multiple of 64");
  std::vector<int64_t> zeros;
  if (first_key == nullptr) {
    zeros.assign(static_cast<size_t>(n_rows), 0);
    first_key = zeros.data();
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    GB_CHECK(first_key[r] >= 0 && n_keys[r] > first_key[r] && n_keys[r] <= stride,
             "AttendRows: row ", r, " attends to keys [", first_key[r], ", ", n_keys[r], ") of ",
             stride);
  }
  HWY_DYNAMIC_DISPATCH(AttendRowsImpl)
  (q, first_key, n_keys, n_rows, kt, v, stride, head_dim, scale, softcap, scratch, out);
}

}  // namespace gapbench::kernels
#endif  // HWY_ONCE
