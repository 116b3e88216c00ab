// MatMul throughput at the shapes of a Qwen2.5-0.5B-sized model (hidden 896, ffn 4864, vocab
// 151936), for decode (1 token: memory-bound, read the `bytes_per_second` counter) and prefill
// (64 tokens: compute-bound, read `FLOPS`), plus MatMulReference at one shape to show the
// speed-up of the SIMD path. Threads: GB_BENCH_THREADS (default 2).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"

namespace gapbench::kernels {
namespace {

int BenchThreads() {
  const char* env = std::getenv("GB_BENCH_THREADS");
  return env != nullptr ? std::atoi(env) : 2;
}

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
  state.SetLabel(std::string(TypeName(type)) + (kReference ? " reference 1 thread" : ""));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(2 * rows * cols * n_tokens),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    for (int64_t n_tokens : {1, 64}) {
      for (int64_t rows : {896, 4864, 151936}) {
        b->Args({static_cast<int64_t>(t), rows, 896, n_tokens});
      }
    }
  }
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

}  // namespace
}  // namespace gapbench::kernels
