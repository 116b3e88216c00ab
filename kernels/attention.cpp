// Single-query attention over f32 / f16 cache rows. The two inner loops (q.K_j and the
// probability-weighted sum of V_j) are Highway SIMD with run-time dispatch; f16 rows are widened
// with PromoteTo (F16C where the CPU has it). The softmax between them is scalar: it touches
// n_keys floats, not n_keys * head_dim.
#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "kernels/fp16.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gapbench::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Lanes [i, i + Lanes(df)) of a row as f32.
template <class D>
HWY_INLINE hn::Vec<D> LoadRow(D df, const float* p, int64_t i) {
  return hn::LoadU(df, p + i);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadRow(D df, const uint16_t* p, int64_t i) {
  const hn::Rebind<hwy::float16_t, D> dh;
  return hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p) + i));
}
HWY_INLINE float Scalar(const float* p, int64_t i) { return p[i]; }
HWY_INLINE float Scalar(const uint16_t* p, int64_t i) { return F16ToF32(p[i]); }

template <typename T>
void AttendT(const float* q, const T* k, int64_t k_stride, const T* v, int64_t v_stride,
             int64_t n_keys, int64_t head_dim, float scale, float* scratch, float* out) {
  const hn::ScalableTag<float> df;
  const auto n = static_cast<int64_t>(hn::Lanes(df));
  const int64_t main = head_dim / n * n;
  float mx = -INFINITY;
  for (int64_t j = 0; j < n_keys; ++j) {
    const T* kr = k + j * k_stride;
    auto acc = hn::Zero(df);
    for (int64_t d = 0; d < main; d += n)
      acc = hn::MulAdd(hn::LoadU(df, q + d), LoadRow(df, kr, d), acc);
    float s = hn::GetLane(hn::SumOfLanes(df, acc));
    for (int64_t d = main; d < head_dim; ++d) s += q[d] * Scalar(kr, d);
    s *= scale;
    scratch[j] = s;
    mx = std::max(mx, s);
  }
  double sum = 0.0;
  for (int64_t j = 0; j < n_keys; ++j) {
    scratch[j] = std::exp(scratch[j] - mx);
    sum += scratch[j];
  }
  const auto inv = static_cast<float>(1.0 / sum);
  std::fill(out, out + head_dim, 0.0f);
  for (int64_t j = 0; j < n_keys; ++j) {
    const float p = scratch[j] * inv;
    const T* vr = v + j * v_stride;
    const auto pv = hn::Set(df, p);
    for (int64_t d = 0; d < main; d += n) {
      hn::StoreU(hn::MulAdd(pv, LoadRow(df, vr, d), hn::LoadU(df, out + d)), df, out + d);
    }
    for (int64_t d = main; d < head_dim; ++d) out[d] += p * Scalar(vr, d);
  }
}

void AttendImpl(const float* q, const KvView& k, const KvView& v, int64_t n_keys, int64_t head_dim,
                float scale, float* scratch, float* out) {
  if (k.type == GgmlType::kF32) {
    AttendT(q, static_cast<const float*>(k.data), k.row_stride, static_cast<const float*>(v.data),
            v.row_stride, n_keys, head_dim, scale, scratch, out);
  } else {
    AttendT(q, static_cast<const uint16_t*>(k.data), k.row_stride,
            static_cast<const uint16_t*>(v.data), v.row_stride, n_keys, head_dim, scale, scratch,
            out);
  }
}

}  // namespace gapbench::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gapbench::kernels {

HWY_EXPORT(AttendImpl);

void AttendOne(const float* q, const KvView& k, const KvView& v, int64_t n_keys, int64_t head_dim,
               float scale, float* scratch, float* out) {
  GB_CHECK(k.type == v.type, "K and V cache types differ");
  GB_CHECK(k.type == GgmlType::kF32 || k.type == GgmlType::kF16, "unsupported KV cache type ",
           TypeName(k.type));
  HWY_DYNAMIC_DISPATCH(AttendImpl)(q, k, v, n_keys, head_dim, scale, scratch, out);
}

void AttendOneReference(const float* q, const KvView& k, const KvView& v, int64_t n_keys,
                        int64_t head_dim, float scale, float* scratch, float* out) {
  auto load = [](const KvView& kv, int64_t i) {
    return kv.type == GgmlType::kF32 ? static_cast<const float*>(kv.data)[i]
                                     : F16ToF32(static_cast<const uint16_t*>(kv.data)[i]);
  };
  double mx = -INFINITY;
  for (int64_t j = 0; j < n_keys; ++j) {
    double s = 0.0;
    for (int64_t d = 0; d < head_dim; ++d)
      s += static_cast<double>(q[d]) * load(k, j * k.row_stride + d);
    scratch[j] = static_cast<float>(s * scale);
    mx = std::max(mx, static_cast<double>(scratch[j]));
  }
  double sum = 0.0;
  std::vector<double> p(static_cast<size_t>(n_keys));
  for (int64_t j = 0; j < n_keys; ++j) {
    p[static_cast<size_t>(j)] = std::exp(scratch[j] - mx);
    sum += p[static_cast<size_t>(j)];
  }
  for (int64_t d = 0; d < head_dim; ++d) {
    double acc = 0.0;
    for (int64_t j = 0; j < n_keys; ++j)
      acc += p[static_cast<size_t>(j)] / sum * load(v, j * v.row_stride + d);
    out[d] = static_cast<float>(acc);
  }
}

void StoreKvRow(GgmlType t, const float* x, void* dst, int64_t n) {
  if (t == GgmlType::kF32) {
    std::memcpy(dst, x, static_cast<size_t>(n) * sizeof(float));
  } else if (t == GgmlType::kF16) {
    auto* d = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = F32ToF16(x[i]);
  } else {
    GB_CHECK(false, "unsupported KV cache type ", TypeName(t));
  }
}

}  // namespace gapbench::kernels
#endif  // HWY_ONCE
