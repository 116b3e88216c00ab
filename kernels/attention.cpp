#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "kernels/fp16.h"

namespace gapbench::kernels {
namespace {

template <typename Load>
void AttendImpl(const float* q, const KvView& k, const KvView& v, int64_t n_keys,
                int64_t head_dim, float scale, float* scratch, float* out, Load load) {
  float mx = -INFINITY;
  for (int64_t j = 0; j < n_keys; ++j) {
    float s = 0.0f;
    const int64_t base = j * k.row_stride;
    for (int64_t d = 0; d < head_dim; ++d) s += q[d] * load(k.data, base + d);
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
    const int64_t base = j * v.row_stride;
    for (int64_t d = 0; d < head_dim; ++d) out[d] += p * load(v.data, base + d);
  }
}

}  // namespace

void AttendOne(const float* q, const KvView& k, const KvView& v, int64_t n_keys, int64_t head_dim,
               float scale, float* scratch, float* out) {
  GB_CHECK(k.type == v.type, "K and V cache types differ");
  if (k.type == GgmlType::kF32) {
    AttendImpl(q, k, v, n_keys, head_dim, scale, scratch, out,
               [](const void* p, int64_t i) { return static_cast<const float*>(p)[i]; });
  } else if (k.type == GgmlType::kF16) {
    AttendImpl(q, k, v, n_keys, head_dim, scale, scratch, out, [](const void* p, int64_t i) {
      return F16ToF32(static_cast<const uint16_t*>(p)[i]);
    });
  } else {
    GB_CHECK(false, "unsupported KV cache type ", TypeName(k.type));
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
