// MatMul throughput at the shapes of a Qwen2.5-0.5B-sized model (hidden 896, ffn 4864, vocab
// 151936), for decode (1 token: memory-bound, read the `bytes_per_second` counter) and prefill
// (64 tokens: compute-bound, read `FLOPS`), plus MatMulReference at one shape to show the
// speed-up of the SIMD path, and the machine's memory read bandwidth (BM_MemRead, same threads)
// as the ceiling for decode. Threads: GB_BENCH_THREADS (default 2). GB_BENCH_TARGET=AVX2 (or
// AVX3, AVX3_DL, SSE4, ...) pins the Highway dispatch target to compare code paths.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_rows.h"
#include "kernels/matmul.h"
#include "kernels/matmul_simd.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"

namespace gapbench::kernels {
namespace {

int BenchThreads() {
  const char* env = std::getenv("GB_BENCH_THREADS");
  return env != nullptr ? std::atoi(env) : 2;
}

// Applies GB_BENCH_TARGET once; returns the name of the target the kernels dispatch to.
std::string BenchTarget() {
  static const std::string name = [] {
    const std::vector<int64_t> targets = SimdMatMulTargets();
    const char* env = std::getenv("GB_BENCH_TARGET");
    if (env != nullptr) {
      for (int64_t t : targets) {
        if (SimdTargetName(t) == env) {
          SimdForceTarget(t);
          return SimdTargetName(t);
        }
      }
    }
    return targets.empty() ? std::string("?") : SimdTargetName(targets.front());
  }();
  return name;
}

// Read bandwidth ceiling: every thread sums its share of a buffer much larger than the caches
// (the weights of a decode step are read once from DRAM, or from L3 when they fit). Arg: MiB.
void BM_MemRead(benchmark::State& state) {
  SetNumThreads(BenchThreads());
  const auto n = static_cast<size_t>(state.range(0)) << 17;  // uint64 words
  std::vector<uint64_t> buf(n, 1);
  std::vector<uint64_t> sums(1024);
  for (auto _ : state) {
    ParallelFor(0, static_cast<int64_t>(n / 4096), 16, [&](int64_t begin, int64_t end) {
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;  // 4 chains: the loop vectorises and pipelines
      for (size_t i = static_cast<size_t>(begin) * 4096; i < static_cast<size_t>(end) * 4096;
           i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      sums[static_cast<size_t>(begin) % sums.size()] = s0 + s1 + s2 + s3;
    });
    benchmark::DoNotOptimize(sums.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n * sizeof(uint64_t)));
}
BENCHMARK(BM_MemRead)
    ->Arg(1)
    ->Arg(16)
    ->Arg(144)
    ->Arg(1024)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// A weight of `rows` x `cols` in `type`. 64 distinct random rows are repeated: the content does
// not change the speed, and building 136M random elements would dominate the run.
std::vector<uint8_t> MakeWeight(GgmlType type, int64_t rows, int64_t cols) {
  constexpr int64_t kDistinct = 64;
  const int64_t row_bytes = RowBytes(Traits(type), cols);
  std::vector<uint8_t> pool(static_cast<size_t>(kDistinct * row_bytes));
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < kDistinct; ++r) {
    for (auto& v : row) v = dist(rng);
    QuantizeRow(type, row.data(), pool.data() + r * row_bytes, cols);
  }
  std::vector<uint8_t> w(static_cast<size_t>(rows * row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(w.data() + r * row_bytes, pool.data() + (r % kDistinct) * row_bytes,
                static_cast<size_t>(row_bytes));
  }
  return w;
}

// Args: {ggml type id, rows, cols, n_tokens}.
template <bool kReference>
void BM_MatMul(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const int64_t rows = state.range(1), cols = state.range(2), n_tokens = state.range(3);
  SetNumThreads(kReference ? 1 : BenchThreads());
  const std::string target = BenchTarget();
  const std::vector<uint8_t> w = MakeWeight(type, rows, cols);
  std::vector<float> x(static_cast<size_t>(n_tokens * cols));
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& v : x) v = dist(rng);
  std::vector<float> y(static_cast<size_t>(n_tokens * rows));
  const MatrixView view{type, w.data(), rows, cols};
  for (auto _ : state) {
    if constexpr (kReference) {
      MatMulReference(view, x.data(), n_tokens, y.data());
    } else {
      MatMul(view, x.data(), n_tokens, y.data());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(TypeName(type)) + (kReference ? " reference 1 thread" : " " + target));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(2 * rows * cols * n_tokens),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// q4_K in Llama-3.2-1B's shapes (attn_q / attn_output 2048 x 2048, ffn_gate / ffn_up 8192 x
// 2048): rows of 2048, a multiple of the 256-value block (Qwen2.5's 896 is not).
void Q4_KShapes(benchmark::internal::Benchmark* b) {
  for (int64_t n_tokens : {1, 64}) {
    for (int64_t rows : {2048, 8192}) {
      b->Args({static_cast<int64_t>(GgmlType::kQ4_K), rows, 2048, n_tokens});
    }
  }
}

// q5_K (the bulk of a Q5_K_M file) in the same shapes.
void Q5_KShapes(benchmark::internal::Benchmark* b) {
  for (int64_t n_tokens : {1, 64}) {
    for (int64_t rows : {2048, 8192}) {
      b->Args({static_cast<int64_t>(GgmlType::kQ5_K), rows, 2048, n_tokens});
    }
  }
}

// q5_0 (llama.cpp's stand-in for q4_K on rows that are not a multiple of 256) in Qwen2.5-0.5B's
// shapes.
void Q5_0Shapes(benchmark::internal::Benchmark* b) {
  for (int64_t n_tokens : {1, 64}) {
    for (int64_t rows : {896, 4864}) {
      b->Args({static_cast<int64_t>(GgmlType::kQ5_0), rows, 896, n_tokens});
    }
  }
}

// q6_K: the LM head of a Llama-3.2-1B q4_K_M / q5_K_M file (q6_K in every such file), its
// 128256 vocabulary rows cut to 8192 (a 13.1 MiB weight, partly L3-resident).
// NOLINTNEXTLINE(readability-identifier-naming): ggml's type name, as Q4_K's
void Q6_KShapes(benchmark::internal::Benchmark* b) {
  for (int64_t n_tokens : {1, 64}) {
    b->Args({static_cast<int64_t>(GgmlType::kQ6_K), 8192, 2048, n_tokens});
  }
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    for (int64_t n_tokens : {1, 64}) {
      for (int64_t rows : {896, 4864, 151936}) {
        b->Args({static_cast<int64_t>(t), rows, 896, n_tokens});
      }
    }
  }
  Q4_KShapes(b);
  Q6_KShapes(b);
  Q5_KShapes(b);
  Q5_0Shapes(b);
  b->ArgNames({"type", "rows", "cols", "tokens"});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

void ReferenceShapes(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::kF32, GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    for (int64_t n_tokens : {1, 64}) b->Args({static_cast<int64_t>(t), 896, 896, n_tokens});
  }
  b->ArgNames({"type", "rows", "cols", "tokens"});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_MatMul<false>)->Apply(Shapes);
BENCHMARK(BM_MatMul<true>)->Apply(ReferenceShapes);

// The same products with the weight packed into panels once (as Model does at load): the
// difference to BM_MatMul is the per-call panel transposition (prefill) and, for decode, the
// panel kernel instead of the small tiles. Empty packing (no panel kernel here) is reported.
void BM_MatMulPacked(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const int64_t rows = state.range(1), cols = state.range(2), n_tokens = state.range(3);
  SetNumThreads(BenchThreads());
  const std::string target = BenchTarget();
  const std::vector<uint8_t> w = MakeWeight(type, rows, cols);
  const std::vector<uint8_t> panels =
      SimdPackPanels(type, w.data(), rows, RowBytes(Traits(type), cols), cols);
  if (panels.empty()) {
    state.SkipWithError("no panel kernel on this CPU's target");
    return;
  }
  std::vector<float> x(static_cast<size_t>(n_tokens * cols));
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& v : x) v = dist(rng);
  std::vector<float> y(static_cast<size_t>(n_tokens * rows));
  MatrixView view{type, w.data(), rows, cols};
  view.packed = panels.data();
  for (auto _ : state) {
    MatMul(view, x.data(), n_tokens, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(TypeName(type)) + " packed " + target);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(panels.size()));
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(2 * rows * cols * n_tokens),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void PackedShapes(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    for (int64_t n_tokens : {1, 64}) {
      for (int64_t rows : {896, 4864}) b->Args({static_cast<int64_t>(t), rows, 896, n_tokens});
    }
  }
  Q4_KShapes(b);
  Q6_KShapes(b);
  Q5_KShapes(b);
  Q5_0Shapes(b);
  b->ArgNames({"type", "rows", "cols", "tokens"});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_MatMulPacked)->Apply(PackedShapes);

// Attention of a prompt chunk for one KV head: T tokens x G query heads against n cached f16
// positions (causal within the chunk), head_dim 64 (Llama, Qwen2), 128 (Qwen3) or 256 (Gemma 3)
// -- per query with Attend (kRows = false) or
// widened once and tiled with AttendRows (true). Single thread: the engine splits KV heads and
// row tiles over threads on top of this.
template <bool kRows>
void BM_AttentionChunk(benchmark::State& state) {
  const int64_t n_past = state.range(0), T = state.range(1), G = state.range(2),
                hd = state.range(3);
  const int64_t n = n_past + T;
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int64_t rb = KvRowBytes(GgmlType::kF16, hd);
  std::vector<uint8_t> k(static_cast<size_t>(n * rb)), v(k.size());
  std::vector<float> row(static_cast<size_t>(hd));
  for (int64_t r = 0; r < n; ++r) {
    for (auto& x : row) x = dist(rng);
    StoreKvRow(GgmlType::kF16, row.data(), k.data() + r * rb, hd);
    for (auto& x : row) x = dist(rng);
    StoreKvRow(GgmlType::kF16, row.data(), v.data() + r * rb, hd);
  }
  std::vector<float> q(static_cast<size_t>(T * G * hd)), out(q.size());
  for (auto& x : q) x = dist(rng);
  const float scale = 0.125f;
  std::vector<const float*> qp;
  std::vector<float*> op;
  std::vector<int64_t> keys;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t g = 0; g < G; ++g) {
      qp.push_back(q.data() + (t * G + g) * hd);
      op.push_back(out.data() + (t * G + g) * hd);
      keys.push_back(n_past + t + 1);
    }
  }
  const int64_t stride = RowsKeyStride(n);
  std::vector<float> kt(static_cast<size_t>(hd * stride)), vf(static_cast<size_t>(n * hd));
  std::vector<float> scratch(static_cast<size_t>(std::max(n, AttendRowsScratch(stride))));
  if (kRows && !AttendRowsSupported(hd)) {
    state.SkipWithError("no AttendRows path for this head_dim here");
    return;
  }
  for (auto _ : state) {
    if constexpr (kRows) {
      const KvSegment seg{{GgmlType::kF16, k.data(), rb}, {GgmlType::kF16, v.data(), rb}, n};
      WidenKv(std::span(&seg, 1), hd, kt.data(), vf.data());
      AttendRows(qp.data(), keys.data(), static_cast<int64_t>(qp.size()), kt.data(), vf.data(),
                 stride, hd, scale, scratch.data(), op.data());
    } else {
      for (size_t i = 0; i < qp.size(); ++i) {
        const KvSegment seg{
            {GgmlType::kF16, k.data(), rb}, {GgmlType::kF16, v.data(), rb}, keys[i]};
        Attend(qp[i], std::span(&seg, 1), hd, scale, scratch.data(), op[i]);
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  int64_t pairs = 0;
  for (int64_t kk : keys) pairs += kk;
  state.SetLabel(kRows ? "AttendRows (widened once)" : "Attend per query");
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(4 * pairs * hd),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void AttentionShapes(benchmark::internal::Benchmark* b) {
  for (int64_t n_past : {0, 450}) b->Args({n_past, 64, 7, 64});
  b->Args({450, 1, 7, 64});
  b->Args({0, 64, 2, 128});  // Qwen3-0.6B: 16 query heads over 8 KV heads
  b->Args({0, 64, 4, 256});  // Gemma-3-1B: 4 query heads over 1 KV head
  b->ArgNames({"n_past", "tokens", "group", "head_dim"});
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_AttentionChunk<false>)->Apply(AttentionShapes);
BENCHMARK(BM_AttentionChunk<true>)->Apply(AttentionShapes);

}  // namespace
}  // namespace gapbench::kernels
