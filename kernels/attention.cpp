// Attention over f32 / f16 / Q8_0 cache rows. The two inner loops (q.K_j and the
// probability-weighted sum of V_j) are Highway SIMD with run-time dispatch; f16 rows are widened
// with PromoteTo (F16C where the CPU has it) and Q8_0 blocks are widened int8 -> f32 and scaled.
// The softmax between them is vectorised too (Highway's exp, sums blocked into double).
#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "kernels/fp16.h"
#include "kernels/quant.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// After highway.h (own block: include sorting must not move it above foreach_target.h).
#include "kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Row access for each cache type: Dot(q, row) and Axpy(p, row, out).
struct RowF32 {
  template <class D>
  static hn::Vec<D> Load(D df, const void* row, int64_t i) {
    return hn::LoadU(df, static_cast<const float*>(row) + i);
  }
  static float Dot(const float* q, const void* row, int64_t n) {
    const auto* r = static_cast<const float*>(row);
    const hn::ScalableTag<float> df;
    const auto lanes = static_cast<int64_t>(hn::Lanes(df));
    auto acc = hn::Zero(df);
    int64_t d = 0;
    for (; d + lanes <= n; d += lanes)
      acc = hn::MulAdd(hn::LoadU(df, q + d), hn::LoadU(df, r + d), acc);
    float s = hn::GetLane(hn::SumOfLanes(df, acc));
    for (; d < n; ++d) s += q[d] * r[d];
    return s;
  }
  static void Axpy(float p, const void* row, float* out, int64_t n) {
    const auto* r = static_cast<const float*>(row);
    const hn::ScalableTag<float> df;
    const auto lanes = static_cast<int64_t>(hn::Lanes(df));
    const auto pv = hn::Set(df, p);
    int64_t d = 0;
    for (; d + lanes <= n; d += lanes) {
      hn::StoreU(hn::MulAdd(pv, hn::LoadU(df, r + d), hn::LoadU(df, out + d)), df, out + d);
    }
    for (; d < n; ++d) out[d] += p * r[d];
  }
};

struct RowF16 {
  template <class D>
  static hn::Vec<D> Load(D df, const uint16_t* r, int64_t i) {
    const hn::Rebind<hwy::float16_t, D> dh;
    return hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(r) + i));
  }
  template <class D>
  static hn::Vec<D> Load(D df, const void* row, int64_t i) {
    return Load(df, static_cast<const uint16_t*>(row), i);
  }
  static float Dot(const float* q, const void* row, int64_t n) {
    const auto* r = static_cast<const uint16_t*>(row);
    const hn::ScalableTag<float> df;
    const auto lanes = static_cast<int64_t>(hn::Lanes(df));
    auto acc = hn::Zero(df);
    int64_t d = 0;
    for (; d + lanes <= n; d += lanes) acc = hn::MulAdd(hn::LoadU(df, q + d), Load(df, r, d), acc);
    float s = hn::GetLane(hn::SumOfLanes(df, acc));
    for (; d < n; ++d) s += q[d] * F16ToF32(r[d]);
    return s;
  }
  static void Axpy(float p, const void* row, float* out, int64_t n) {
    const auto* r = static_cast<const uint16_t*>(row);
    const hn::ScalableTag<float> df;
    const auto lanes = static_cast<int64_t>(hn::Lanes(df));
    const auto pv = hn::Set(df, p);
    int64_t d = 0;
    for (; d + lanes <= n; d += lanes) {
      hn::StoreU(hn::MulAdd(pv, Load(df, r, d), hn::LoadU(df, out + d)), df, out + d);
    }
    for (; d < n; ++d) out[d] += p * F16ToF32(r[d]);
  }
};

// Q8_0 rows: n / 32 blocks; each block's int8 quants are widened to f32 8 (or 16) at a time.
struct RowQ8 {
  using DF = hn::CappedTag<float, 16>;
  template <class D>
  static hn::Vec<D> Load(D df, const int8_t* qs, int64_t i) {
    const hn::Rebind<int32_t, D> di;
    const hn::Rebind<int8_t, D> d8;
    return hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(d8, qs + i)));
  }
  static float Dot(const float* q, const void* row, int64_t n) {
    const auto* b = static_cast<const BlockQ8_0*>(row);
    const DF df;
    const auto lanes = static_cast<int64_t>(hn::Lanes(df));
    auto acc = hn::Zero(df);
    for (int64_t blk = 0; blk < n / kQK; ++blk) {
      auto part = hn::Zero(df);
      for (int64_t i = 0; i < kQK; i += lanes) {
        part = hn::MulAdd(hn::LoadU(df, q + blk * kQK + i), Load(df, b[blk].qs, i), part);
      }
      acc = hn::MulAdd(part, hn::Set(df, F16ToF32(b[blk].d)), acc);
    }
    return hn::GetLane(hn::SumOfLanes(df, acc));
  }
  static void Axpy(float p, const void* row, float* out, int64_t n) {
    const auto* b = static_cast<const BlockQ8_0*>(row);
    const DF df;
    const auto lanes = static_cast<int64_t>(hn::Lanes(df));
    for (int64_t blk = 0; blk < n / kQK; ++blk) {
      const auto pd = hn::Set(df, p * F16ToF32(b[blk].d));
      float* o = out + blk * kQK;
      for (int64_t i = 0; i < kQK; i += lanes) {
        hn::StoreU(hn::MulAdd(pd, Load(df, b[blk].qs, i), hn::LoadU(df, o + i)), df, o + i);
      }
    }
  }
};

template <class Row>
void AttendT(const float* q, const KvSegment* segs, size_t n_segs, int64_t head_dim, float scale,
             float softcap, float* scratch, float* out) {
  float mx = -INFINITY;
  int64_t j = 0;
  for (size_t s = 0; s < n_segs; ++s) {
    const auto* k = static_cast<const uint8_t*>(segs[s].k.data);
    for (int64_t r = 0; r < segs[s].n; ++r, ++j) {
      const float x = Row::Dot(q, k + r * segs[s].k.row_bytes, head_dim) * scale;
      scratch[j] = x;
      mx = std::max(mx, x);
    }
  }
  const int64_t n_keys = j;
  if (softcap > 0.0f) {
    mx = CapInPlace(scratch, n_keys, softcap);  // Gemma 2; tanh rounding may move the max
  }
  const double sum = ExpShiftSum(scratch, n_keys, mx);
  const auto inv = static_cast<float>(1.0 / sum);
  std::fill(out, out + head_dim, 0.0f);
  j = 0;
  for (size_t s = 0; s < n_segs; ++s) {
    const auto* v = static_cast<const uint8_t*>(segs[s].v.data);
    for (int64_t r = 0; r < segs[s].n; ++r, ++j) {
      Row::Axpy(scratch[j] * inv, v + r * segs[s].v.row_bytes, out, head_dim);
    }
  }
}

#if !HWY_HAVE_SCALABLE
// The same attention for f32/f16 rows whose head_dim is exactly kV vectors: q and the output
// stay in registers, and four keys are dotted at once with independent accumulators (each key's
// dot keeps AttendT's order: lanes accumulated over the vectors in turn, then summed), so the
// scores equal AttendT's bit for bit and only the weighted sum of V is accumulated differently
// (unnormalised in registers, scaled once at the end).
template <class Row, int kV>
void AttendFixed(const float* q, const KvSegment* segs, size_t n_segs, float scale, float softcap,
                 float* scratch, float* out) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  V qv[kV];
  for (int i = 0; i < kV; ++i) qv[i] = hn::LoadU(df, q + i * lanes);
  float mx = -INFINITY;
  int64_t j = 0;
  for (size_t s = 0; s < n_segs; ++s) {
    const auto* k = static_cast<const uint8_t*>(segs[s].k.data);
    const int64_t rb = segs[s].k.row_bytes, n = segs[s].n;
    int64_t r = 0;
    for (; r + 4 <= n; r += 4, j += 4) {
      V a0 = hn::Zero(df), a1 = hn::Zero(df), a2 = hn::Zero(df), a3 = hn::Zero(df);
      const uint8_t* k0 = k + r * rb;
      for (int i = 0; i < kV; ++i) {
        a0 = hn::MulAdd(qv[i], Row::Load(df, static_cast<const void*>(k0), i * lanes), a0);
        a1 = hn::MulAdd(qv[i], Row::Load(df, static_cast<const void*>(k0 + rb), i * lanes), a1);
        a2 = hn::MulAdd(qv[i], Row::Load(df, static_cast<const void*>(k0 + 2 * rb), i * lanes), a2);
        a3 = hn::MulAdd(qv[i], Row::Load(df, static_cast<const void*>(k0 + 3 * rb), i * lanes), a3);
      }
      const float x0 = hn::GetLane(hn::SumOfLanes(df, a0)) * scale;
      const float x1 = hn::GetLane(hn::SumOfLanes(df, a1)) * scale;
      const float x2 = hn::GetLane(hn::SumOfLanes(df, a2)) * scale;
      const float x3 = hn::GetLane(hn::SumOfLanes(df, a3)) * scale;
      scratch[j] = x0;
      scratch[j + 1] = x1;
      scratch[j + 2] = x2;
      scratch[j + 3] = x3;
      mx = std::max(mx, std::max(std::max(x0, x1), std::max(x2, x3)));
    }
    for (; r < n; ++r, ++j) {
      V a = hn::Zero(df);
      for (int i = 0; i < kV; ++i) {
        a = hn::MulAdd(qv[i], Row::Load(df, static_cast<const void*>(k + r * rb), i * lanes), a);
      }
      const float x = hn::GetLane(hn::SumOfLanes(df, a)) * scale;
      scratch[j] = x;
      mx = std::max(mx, x);
    }
  }
  const int64_t n_keys = j;
  if (softcap > 0.0f) {
    mx = CapInPlace(scratch, n_keys, softcap);  // Gemma 2; tanh rounding may move the max
  }
  const double sum = ExpShiftSum(scratch, n_keys, mx);
  V acc[kV];
  for (int i = 0; i < kV; ++i) acc[i] = hn::Zero(df);
  j = 0;
  for (size_t s = 0; s < n_segs; ++s) {
    const auto* v = static_cast<const uint8_t*>(segs[s].v.data);
    const int64_t rb = segs[s].v.row_bytes;
    for (int64_t r = 0; r < segs[s].n; ++r, ++j) {
      const V p = hn::Set(df, scratch[j]);
      const void* row = v + r * rb;
      for (int i = 0; i < kV; ++i) acc[i] = hn::MulAdd(p, Row::Load(df, row, i * lanes), acc[i]);
    }
  }
  const V inv = hn::Set(df, static_cast<float>(1.0 / sum));
  for (int i = 0; i < kV; ++i) hn::StoreU(hn::Mul(acc[i], inv), df, out + i * lanes);
}

template <class Row>
bool TryAttendFixed(const float* q, const KvSegment* segs, size_t n_segs, int64_t head_dim,
                    float scale, float softcap, float* scratch, float* out) {
  const auto lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  if (head_dim == 2 * lanes) {
    AttendFixed<Row, 2>(q, segs, n_segs, scale, softcap, scratch, out);
  } else if (head_dim == 4 * lanes) {
    AttendFixed<Row, 4>(q, segs, n_segs, scale, softcap, scratch, out);
  } else if (head_dim == 8 * lanes) {
    AttendFixed<Row, 8>(q, segs, n_segs, scale, softcap, scratch, out);
  } else {
    return false;
  }
  return true;
}
#endif

void AttendImpl(const float* q, const KvSegment* segs, size_t n_segs, int64_t head_dim, float scale,
                float softcap, float* scratch, float* out) {
  switch (segs[0].k.type) {
    case GgmlType::kF32:
#if !HWY_HAVE_SCALABLE
      if (TryAttendFixed<RowF32>(q, segs, n_segs, head_dim, scale, softcap, scratch, out)) return;
#endif
      return AttendT<RowF32>(q, segs, n_segs, head_dim, scale, softcap, scratch, out);
    case GgmlType::kF16:
#if !HWY_HAVE_SCALABLE
      if (TryAttendFixed<RowF16>(q, segs, n_segs, head_dim, scale, softcap, scratch, out)) return;
#endif
      return AttendT<RowF16>(q, segs, n_segs, head_dim, scale, softcap, scratch, out);
    default:
      return AttendT<RowQ8>(q, segs, n_segs, head_dim, scale, softcap, scratch, out);
  }
}

// f32 -> f16 for a KV row, F32ToF16's bits: on AVX2 and AVX-512 F16C's vcvtps2ph (round to
// nearest even, NaN quieted with its payload's top bits, as F32ToF16); elsewhere Highway would
// emulate the conversion with other rounding (as it does on x86 with HWY_DISABLE_F16C), so those
// targets keep the scalar loop.
void StoreF16RowImpl(const float* x, uint16_t* d, int64_t n) {
  int64_t i = 0;
#if (HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL) && \
    !defined(HWY_DISABLE_F16C)
  const hn::ScalableTag<float> df;
  const hn::Rebind<hwy::float16_t, decltype(df)> dh;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  auto* h = reinterpret_cast<hwy::float16_t*>(d);
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::DemoteTo(dh, hn::LoadU(df, x + i)), dh, h + i);
#endif
  for (; i < n; ++i) d[i] = F32ToF16(x[i]);
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gapbench::kernels {
namespace {

bool SupportedKv(GgmlType t) {
  return t == GgmlType::kF32 || t == GgmlType::kF16 || t == GgmlType::kQ8_0;
}

}  // namespace

HWY_EXPORT(AttendImpl);
HWY_EXPORT(StoreF16RowImpl);

void Attend(const float* q, std::span<const KvSegment> segments, int64_t head_dim, float scale,
            float* scratch, float* out, float softcap) {
  GB_CHECK(!segments.empty(), "attention over no segments");
  const GgmlType t = segments[0].k.type;
  GB_CHECK(SupportedKv(t), "unsupported KV cache type ", TypeName(t));
  GB_CHECK(t != GgmlType::kQ8_0 || head_dim % kQK == 0, "q8_0 KV needs head_dim % 32 == 0");
  int64_t n = 0;
  for (const auto& s : segments) {
    GB_CHECK(s.k.type == t && s.v.type == t, "mixed KV cache types");
    n += s.n;
  }
  GB_CHECK(n > 0, "attention over zero keys");
  HWY_DYNAMIC_DISPATCH(AttendImpl)
  (q, segments.data(), segments.size(), head_dim, scale, softcap, scratch, out);
}

namespace {
// One row of a cache segment, dequantised to f32.
std::vector<float> RowValues(const KvView& view, int64_t r, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  DequantizeRow(view.type, static_cast<const uint8_t*>(view.data) + r * view.row_bytes, out.data(),
                n);
  return out;
}
}  // namespace

void AttendReference(const float* q, std::span<const KvSegment> segments, int64_t head_dim,
                     float scale, float* out, float softcap) {
  std::vector<double> logits;
  std::vector<std::vector<float>> values;
  for (const auto& s : segments) {
    for (int64_t r = 0; r < s.n; ++r) {
      const auto k = RowValues(s.k, r, head_dim);
      double dot = 0.0;
      for (int64_t d = 0; d < head_dim; ++d)
        dot += static_cast<double>(q[d]) * k[static_cast<size_t>(d)];
      logits.push_back(softcap > 0.0f ? softcap * std::tanh(dot * scale / softcap) : dot * scale);
      values.push_back(RowValues(s.v, r, head_dim));
    }
  }
  const double mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (auto& l : logits) {
    l = std::exp(l - mx);
    sum += l;
  }
  for (int64_t d = 0; d < head_dim; ++d) {
    double acc = 0.0;
    for (size_t j = 0; j < logits.size(); ++j)
      acc += logits[j] / sum * values[j][static_cast<size_t>(d)];
    out[d] = static_cast<float>(acc);
  }
}

int64_t KvRowBytes(GgmlType t, int64_t n) {
  switch (t) {
    case GgmlType::kF32:
      return 4 * n;
    case GgmlType::kF16:
      return 2 * n;
    case GgmlType::kQ8_0:
      return n / kQK * static_cast<int64_t>(sizeof(BlockQ8_0));
    default:
      GB_CHECK(false, "unsupported KV cache type ", TypeName(t));
  }
}

void StoreKvRow(GgmlType t, const float* x, void* dst, int64_t n) {
  switch (t) {
    case GgmlType::kF32:
      std::memcpy(dst, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16: {
      HWY_DYNAMIC_DISPATCH(StoreF16RowImpl)(x, static_cast<uint16_t*>(dst), n);
      return;
    }
    case GgmlType::kQ8_0:
      QuantizeRowQ8_0(x, static_cast<BlockQ8_0*>(dst), n);
      return;
    default:
      GB_CHECK(false, "unsupported KV cache type ", TypeName(t));
  }
}

}  // namespace gapbench::kernels
#endif  // HWY_ONCE
