// KV cache laid out by the engine configuration: only layers that own their K/V store them
// (KV sharing), windowed layers keep a ring of W positions (sliding window), rows are f32, f16
// or Q8_0. A chunk being evaluated is first staged (rows [0, T) of a per-layer staging area), its
// queries see cached positions plus the staged rows, and Commit moves the staged rows into the
// cache -- so a ring of exactly W rows is enough however long the chunk is.
// Storage of global layers grows with the positions committed (doubling, up to n_ctx), so a
// session may hold the model's whole training context and pay only for what it uses; windowed
// layers hold their ring from the start.
// Copyable on purpose (Session::Fork); the copy is the cost of a fork.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/engine_config.h"
#include "kernels/attention.h"
#include "kernels/types.h"

namespace gapbench::engine {

struct HParams;

class KvCache {
 public:
  // n_ctx: positions the session may hold; n_batch: the largest chunk passed to Stage/Commit.
  KvCache(const HParams& hp, const EngineConfig& cfg, int64_t n_ctx, int64_t n_batch);

  // Bytes the cache of a model with this configuration holds at a context of n_ctx positions
  // (2 * sum over layers with their own K/V of rows * row bytes, rows = min(n_ctx, W) for
  // windowed layers). allocated_bytes() reaches BytesFor for the session's n_ctx once the
  // context is full (from the start when n_ctx <= kInitialRows).
  static int64_t BytesFor(const HParams& hp, const EngineConfig& cfg, int64_t n_ctx);
  int64_t allocated_bytes() const;
  // Rows a global layer allocates before any position is committed.
  static constexpr int64_t kInitialRows = 512;

  int64_t n_ctx() const { return n_ctx_; }
  kernels::GgmlType type() const { return type_; }
  bool Owns(int64_t il) const { return source_[static_cast<size_t>(il)] == il; }

  // Stages chunk row t (position n_past + t) of layer il: K and V, [n_kv_heads * head_dim] f32.
  void Stage(int64_t il, int64_t t, const float* k, const float* v);
  // The positions a query of layer il at position n_past + t attends to (its window, causal),
  // for one KV head, as at most 3 runs in position order. Returns the number of runs.
  size_t Segments(int64_t il, int64_t kv_head, int64_t n_past, int64_t t,
                  std::array<kernels::KvSegment, 3>& out) const;
  // The first position a query of layer il at position p attends to: 0, or p - W + 1 in a
  // window of W.
  int64_t FirstPosition(int64_t il, int64_t p) const;
  // The positions the queries t in [0, n_tokens) of a chunk attend to together, for one KV head:
  // from FirstPosition of the first query's position to the last query's position, as at most 3
  // runs in position order. Query t's positions are then the union's indices
  // [FirstPosition(il, n_past + t) - FirstPosition(il, n_past), t + n_past - FirstPosition(il,
  // n_past)] (the union is contiguous in position). Returns the number of runs.
  size_t ChunkSegments(int64_t il, int64_t kv_head, int64_t n_past, int64_t n_tokens,
                       std::array<kernels::KvSegment, 3>& out) const;
  // Moves staged rows [0, n_tokens) into the cache at positions n_past...
  void Commit(int64_t n_past, int64_t n_tokens);
  // Copies positions [0, n_past) (whole rings) from a cache of the same layout.
  void CopyFrom(const KvCache& other, int64_t n_past);
  // Whether positions >= n can be dropped (false once a ring has overwritten what n needs).
  bool CanTruncate(int64_t n_past, int64_t n) const;

 private:
  // Grows the storage of global layers to hold positions [0, n_rows) (doubling, at most n_ctx
  // rows). A resource Error when the grown cache would not fit in the machine's memory.
  void Reserve(int64_t n_rows);
  // Positions [first, n_past + t] of layer il, kv_head (first >= the window start of n_past).
  size_t Runs(int64_t il, int64_t kv_head, int64_t first, int64_t n_past, int64_t t,
              std::array<kernels::KvSegment, 3>& out) const;

  struct Layer {
    int64_t cap = 0;                        // rows of storage when full (rows of k/v: grows)
    int64_t window = 0;                     // 0: global
    bool ring = false;                      // window < n_ctx: position p lives in row p % cap
    std::vector<uint8_t> k, v;              // [cap, row_bytes]
    std::vector<uint8_t> k_stage, v_stage;  // [n_batch, row_bytes]
  };

  int64_t n_ctx_, n_batch_, n_kv_;
  kernels::GgmlType type_;
  int64_t row_bytes_, head_bytes_;
  std::vector<int64_t> source_;  // per layer: the layer whose K/V it uses
  std::vector<Layer> layers_;    // per layer; empty storage for layers that share
};

}  // namespace gapbench::engine
