#include "engine/kv_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"
#include "engine/model.h"
#include "kernels/quant.h"

namespace gapbench::engine {
namespace {

// Window of layer il's K/V in a context of n_ctx (0 = global). A window that covers the whole
// context is no window.
int64_t LayerWindow(const HParams& hp, const EngineConfig& cfg, int64_t il, int64_t n_ctx) {
  const int64_t w = cfg.LayerWindow(hp, il);
  return w >= n_ctx ? 0 : w;
}

}  // namespace

int64_t KvCache::BytesFor(const HParams& hp, const EngineConfig& cfg, int64_t n_ctx) {
  const int64_t row = kernels::KvRowBytes(cfg.kv_cache, hp.n_kv());
  int64_t total = 0;
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    if (cfg.KvSourceLayer(il) != il) continue;
    const int64_t w = LayerWindow(hp, cfg, il, n_ctx);
    int64_t layer = 0;
    if (__builtin_mul_overflow(2 * (w > 0 ? w : n_ctx), row, &layer) ||
        __builtin_add_overflow(total, layer, &total)) {
      Fail("a KV cache of ", n_ctx, " positions does not fit in 64-bit sizes (lower the context)");
    }
  }
  return total;
}

KvCache::KvCache(const HParams& hp, const EngineConfig& cfg, int64_t n_ctx, int64_t n_batch)
    : n_ctx_(n_ctx), n_batch_(n_batch), n_kv_(hp.n_kv()), type_(cfg.kv_cache) {
  if (type_ != kernels::GgmlType::kF32 && type_ != kernels::GgmlType::kF16 &&
      type_ != kernels::GgmlType::kQ8_0) {
    Fail("KV cache type ", kernels::TypeName(type_), " is not supported (f32, f16, q8_0)");
  }
  if (type_ == kernels::GgmlType::kQ8_0 && hp.head_dim % kernels::kQK != 0) {
    Fail("kv_cache q8_0 needs a head dimension that is a multiple of 32 (the model's is ",
         hp.head_dim, ")");
  }
  row_bytes_ = kernels::KvRowBytes(type_, hp.n_kv());
  // A context whose full cache cannot even be sized is refused here (never a wrapped size);
  // whether it fits in memory is checked as it grows (Reserve).
  BytesFor(hp, cfg, n_ctx);
  head_bytes_ = kernels::KvRowBytes(type_, hp.head_dim);
  source_.resize(static_cast<size_t>(hp.n_layer));
  layers_.resize(static_cast<size_t>(hp.n_layer));
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const int64_t src = cfg.KvSourceLayer(il);
    GB_CHECK(src >= 0 && src <= il, "KV source layer ", src, " for layer ", il);
    source_[static_cast<size_t>(il)] = src;
    if (src != il) continue;
    Layer& L = layers_[static_cast<size_t>(il)];
    L.window = LayerWindow(hp, cfg, il, n_ctx);
    L.ring = L.window > 0;
    L.cap = L.ring ? L.window : n_ctx;
    const int64_t rows = L.ring ? L.cap : std::min(L.cap, std::max(kInitialRows, n_batch));
    L.k.assign(static_cast<size_t>(rows * row_bytes_), 0);
    L.v.assign(L.k.size(), 0);
    L.k_stage.assign(static_cast<size_t>(n_batch * row_bytes_), 0);
    L.v_stage.assign(L.k_stage.size(), 0);
  }
}

void KvCache::Reserve(int64_t n_rows) {
  int64_t grown = allocated_bytes();
  std::vector<std::pair<Layer*, int64_t>> plan;  // layer, new row count
  for (auto& L : layers_) {
    if (L.k.empty() || L.ring) continue;
    const auto rows = static_cast<int64_t>(L.k.size()) / row_bytes_;
    if (rows >= n_rows) continue;
    const int64_t to = std::min(L.cap, std::max(n_rows, 2 * rows));
    plan.emplace_back(&L, to);
    grown += 2 * (to - rows) * row_bytes_;
  }
  if (plan.empty()) return;
  // Refuse with the size in the message what cannot be allocated (never an OOM kill half-way
  // through zero-filling).
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0 && grown / page > pages) {
    FailResource("a KV cache of ", n_rows, " positions needs ", grown / (1 << 20),
                 " MiB, more than this machine's memory (", pages / (1 << 20) * page,
                 " MiB); lower the context or use a smaller kv_cache type");
  }
  for (auto& [L, to] : plan) {
    L->k.resize(static_cast<size_t>(to * row_bytes_), 0);
    L->v.resize(L->k.size(), 0);
  }
}

int64_t KvCache::allocated_bytes() const {
  int64_t total = 0;
  for (const auto& L : layers_) total += static_cast<int64_t>(L.k.size() + L.v.size());
  return total;
}

void KvCache::Stage(int64_t il, int64_t t, const float* k, const float* v) {
  GB_CHECK(Owns(il) && t >= 0 && t < n_batch_, "Stage(", il, ", ", t, ")");
  Layer& L = layers_[static_cast<size_t>(il)];
  kernels::StoreKvRow(type_, k, L.k_stage.data() + t * row_bytes_, n_kv_);
  kernels::StoreKvRow(type_, v, L.v_stage.data() + t * row_bytes_, n_kv_);
}

int64_t KvCache::FirstPosition(int64_t il, int64_t p) const {
  const Layer& L = layers_[static_cast<size_t>(source_[static_cast<size_t>(il)])];
  return L.window > 0 ? std::max<int64_t>(0, p - L.window + 1) : 0;
}

size_t KvCache::Segments(int64_t il, int64_t kv_head, int64_t n_past, int64_t t,
                         std::array<kernels::KvSegment, 3>& out) const {
  return Runs(il, kv_head, FirstPosition(il, n_past + t), n_past, t, out);
}

size_t KvCache::ChunkSegments(int64_t il, int64_t kv_head, int64_t n_past, int64_t n_tokens,
                              std::array<kernels::KvSegment, 3>& out) const {
  return Runs(il, kv_head, FirstPosition(il, n_past), n_past, n_tokens - 1, out);
}

size_t KvCache::Runs(int64_t il, int64_t kv_head, int64_t first, int64_t n_past, int64_t t,
                     std::array<kernels::KvSegment, 3>& out) const {
  const Layer& L = layers_[static_cast<size_t>(source_[static_cast<size_t>(il)])];
  const int64_t off = kv_head * head_bytes_;
  size_t n = 0;
  auto add = [&](const std::vector<uint8_t>& k, const std::vector<uint8_t>& v, int64_t row,
                 int64_t count) {
    if (count <= 0) return;
    out[n++] = kernels::KvSegment{{type_, k.data() + row * row_bytes_ + off, row_bytes_},
                                  {type_, v.data() + row * row_bytes_ + off, row_bytes_},
                                  count};
  };
  // Cached positions [first, n_past): a ring holds them all, since first is at most W - 1
  // positions before n_past.
  if (first < n_past) {
    const int64_t count = n_past - first;
    if (!L.ring) {
      add(L.k, L.v, first, count);
    } else {
      const int64_t a = first % L.cap;
      const int64_t head = std::min(count, L.cap - a);
      add(L.k, L.v, a, head);
      add(L.k, L.v, 0, count - head);
    }
  }
  // Staged positions [max(first, n_past), n_past + t].
  const int64_t s0 = std::max(first, n_past) - n_past;
  add(L.k_stage, L.v_stage, s0, t - s0 + 1);
  return n;
}

void KvCache::Commit(int64_t n_past, int64_t n_tokens) {
  GB_CHECK(n_past + n_tokens <= n_ctx_ && n_tokens <= n_batch_, "Commit beyond the context");
  Reserve(n_past + n_tokens);
  for (auto& L : layers_) {
    if (L.k.empty()) continue;
    // In a ring only the last cap positions survive; skip the rows they would overwrite.
    const int64_t t0 = L.ring ? std::max<int64_t>(0, n_tokens - L.cap) : 0;
    for (int64_t t = t0; t < n_tokens; ++t) {
      const int64_t pos = n_past + t;
      const int64_t row = L.ring ? pos % L.cap : pos;
      std::memcpy(L.k.data() + row * row_bytes_, L.k_stage.data() + t * row_bytes_,
                  static_cast<size_t>(row_bytes_));
      std::memcpy(L.v.data() + row * row_bytes_, L.v_stage.data() + t * row_bytes_,
                  static_cast<size_t>(row_bytes_));
    }
  }
}

void KvCache::CopyFrom(const KvCache& other, int64_t n_past) {
  GB_CHECK(other.layers_.size() == layers_.size() && other.row_bytes_ == row_bytes_,
           "incompatible KV caches");
  Reserve(n_past);
  for (size_t l = 0; l < layers_.size(); ++l) {
    Layer& L = layers_[l];
    const Layer& O = other.layers_[l];
    GB_CHECK(L.cap == O.cap && L.ring == O.ring, "incompatible KV cache layers");
    if (L.k.empty()) continue;
    const auto bytes = static_cast<size_t>((L.ring ? L.cap : n_past) * row_bytes_);
    std::memcpy(L.k.data(), O.k.data(), bytes);
    std::memcpy(L.v.data(), O.v.data(), bytes);
  }
}

bool KvCache::CanTruncate(int64_t n_past, int64_t n) const {
  for (const auto& L : layers_) {
    // The next query (at n) needs positions [n - window + 1, n); a ring has overwritten every
    // position <= n_past - 1 - cap.
    if (L.ring && n < n_past && n_past - 1 - L.cap >= std::max<int64_t>(0, n - L.window + 1)) {
      return false;
    }
  }
  return true;
}

}  // namespace gapbench::engine
