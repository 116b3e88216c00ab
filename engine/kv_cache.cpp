#include "engine/kv_cache.h"

#include <cstring>

#include "common/error.h"

namespace gapbench::engine {

KvCache::KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_kv_heads, int64_t head_dim,
                 kernels::GgmlType type)
    : n_layer_(n_layer), n_ctx_(n_ctx), n_kv_heads_(n_kv_heads), head_dim_(head_dim), type_(type) {
  if (type != kernels::GgmlType::kF32 && type != kernels::GgmlType::kF16) {
    Fail("KV cache type ", kernels::TypeName(type), " is not supported (f32, f16)");
  }
  elem_bytes_ = type == kernels::GgmlType::kF32 ? 4 : 2;
  const auto layer_bytes = static_cast<size_t>(n_ctx * row_elems() * elem_bytes_);
  k_.assign(static_cast<size_t>(n_layer), std::vector<uint8_t>(layer_bytes));
  v_.assign(static_cast<size_t>(n_layer), std::vector<uint8_t>(layer_bytes));
}

int64_t KvCache::bytes_per_token() const { return 2 * n_layer_ * row_elems() * elem_bytes_; }

int64_t KvCache::allocated_bytes() const {
  int64_t total = 0;
  for (size_t i = 0; i < k_.size(); ++i) {
    total += static_cast<int64_t>(k_[i].size() + v_[i].size());
  }
  return total;
}

size_t KvCache::Offset(int64_t pos) const {
  return static_cast<size_t>(pos * row_elems() * elem_bytes_);
}

void KvCache::Store(int64_t il, int64_t pos, const float* k, const float* v) {
  GB_CHECK(pos >= 0 && pos < n_ctx_, "KV position ", pos, " outside context ", n_ctx_);
  const auto l = static_cast<size_t>(il);
  kernels::StoreKvRow(type_, k, k_[l].data() + Offset(pos), row_elems());
  kernels::StoreKvRow(type_, v, v_[l].data() + Offset(pos), row_elems());
}

kernels::KvView KvCache::Keys(int64_t il, int64_t kv_head) const {
  const auto* base = k_[static_cast<size_t>(il)].data() + kv_head * head_dim_ * elem_bytes_;
  return kernels::KvView{type_, base, row_elems()};
}

kernels::KvView KvCache::Values(int64_t il, int64_t kv_head) const {
  const auto* base = v_[static_cast<size_t>(il)].data() + kv_head * head_dim_ * elem_bytes_;
  return kernels::KvView{type_, base, row_elems()};
}

void KvCache::CopyPrefixFrom(const KvCache& other, int64_t n) {
  GB_CHECK(other.type_ == type_ && other.row_elems() == row_elems() && n <= n_ctx_,
           "incompatible KV caches");
  for (size_t l = 0; l < k_.size(); ++l) {
    std::memcpy(k_[l].data(), other.k_[l].data(), Offset(n));
    std::memcpy(v_[l].data(), other.v_[l].data(), Offset(n));
  }
}

}  // namespace gapbench::engine
