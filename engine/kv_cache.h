// KV cache: per layer, keys and values of every cached position, [n_ctx, n_kv_heads, head_dim]
// in f32 or f16. Positions are appended in order; Truncate rewinds. Copyable on purpose
// (Session::Fork) -- the copy is the cost of a fork and is explicit there.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "kernels/types.h"

namespace gapbench::engine {

class KvCache {
 public:
  KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_kv_heads, int64_t head_dim,
          kernels::GgmlType type);

  int64_t n_ctx() const { return n_ctx_; }
  kernels::GgmlType type() const { return type_; }
  int64_t row_elems() const { return n_kv_heads_ * head_dim_; }
  // Bytes per cached token over all layers (K and V).
  int64_t bytes_per_token() const;
  int64_t allocated_bytes() const;

  // Stores K and V rows ([n_kv_heads * head_dim] f32 each) for `pos` in layer `il`.
  void Store(int64_t il, int64_t pos, const float* k, const float* v);
  // Views of one KV head's keys / values in layer il (row j = position j).
  kernels::KvView Keys(int64_t il, int64_t kv_head) const;
  kernels::KvView Values(int64_t il, int64_t kv_head) const;

  // Copies positions [0, n) of `other` (same shape) into this cache.
  void CopyPrefixFrom(const KvCache& other, int64_t n);

 private:
  size_t Offset(int64_t pos) const;  // byte offset of a position's row within a layer buffer

  int64_t n_layer_, n_ctx_, n_kv_heads_, head_dim_;
  kernels::GgmlType type_;
  int64_t elem_bytes_;
  std::vector<std::vector<uint8_t>> k_, v_;  // per layer: [n_ctx, n_kv_heads, head_dim]
};

}  // namespace gapbench::engine
