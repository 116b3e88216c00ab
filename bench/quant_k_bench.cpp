// Q4_K x Q8_K dot product speed, single thread: each iteration dots `rows` weight rows of 4096
// values (16 blocks, 2304 bytes) with one Q8_K activation row, as a decode-time matvec does.
// Arg: rows (448 rows = 1 MiB of weights, in L2; 28672 rows = 63 MiB, from L3 or DRAM).
// Counters: bytes_per_second of Q4_K weights, s_per_block (time per 256-value block).
// Variants: DotQ4_KQ8_K on each Highway target, the scalar reference, and as the peer a
// dequantise-to-f32-then-dot path (DequantizeRow + a plain f32 dot) over the same rows.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/quant.h"
#include "kernels/quant_k.h"
#include "kernels/types.h"

namespace gapbench::kernels {
namespace {

constexpr int64_t kCols = 4096;
constexpr int64_t kBlocksPerRow = kCols / kQK_K;

struct Operands {
  std::vector<BlockQ4_K> w;  // [rows, kBlocksPerRow]
  std::vector<BlockQ8_K> x;  // [kBlocksPerRow]
  std::vector<float> xf;     // [kCols] the activations as f32, for the peer
};

Operands MakeOperands(int64_t rows) {
  std::mt19937 gen(42);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> row(kCols);
  Operands op;
  op.w.resize(rows * kBlocksPerRow);
  for (int64_t r = 0; r < rows; ++r) {
    // A few distinct rows, repeated: quantising every row of a large matrix takes seconds.
    if (r < 8) {
      for (float& v : row) v = 0.02f * dist(gen);
      QuantizeRowQ4_K(row.data(), op.w.data() + r * kBlocksPerRow, kCols);
    } else {
      std::copy_n(op.w.data() + (r % 8) * kBlocksPerRow, kBlocksPerRow,
                  op.w.data() + r * kBlocksPerRow);
    }
  }
  op.xf.resize(kCols);
  for (float& v : op.xf) v = dist(gen);
  op.x.resize(kBlocksPerRow);
  QuantizeRowQ8_K(op.xf.data(), op.x.data(), kCols);
  return op;
}

void SetCounters(benchmark::State& state, int64_t rows) {
  const auto blocks = static_cast<double>(rows * kBlocksPerRow);
  state.SetBytesProcessed(state.iterations() * rows * kBlocksPerRow *
                          static_cast<int64_t>(sizeof(BlockQ4_K)));
  state.counters["s_per_block"] = benchmark::Counter(
      blocks, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

template <class Dot>
void RunDot(benchmark::State& state, const Dot& dot) {
  const int64_t rows = state.range(0);
  const Operands op = MakeOperands(rows);
  std::vector<float> y(rows);
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r) y[r] = dot(op.w.data() + r * kBlocksPerRow, op.x.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows);
}

void BM_DotQ4_KQ8_K(benchmark::State& state, int64_t target) {
  QuantKForceTarget(target);
  RunDot(state, [](const BlockQ4_K* w, const BlockQ8_K* x) { return DotQ4_KQ8_K(w, x, kCols); });
  QuantKForceTarget(0);
}

void BM_DotQ4_KQ8_KReference(benchmark::State& state) {
  RunDot(state,
         [](const BlockQ4_K* w, const BlockQ8_K* x) { return DotQ4_KQ8_KReference(w, x, kCols); });
}

// Peer: what a kernel without an integer dot would do per row.
void BM_DequantThenF32Dot(benchmark::State& state) {
  const int64_t rows = state.range(0);
  const Operands op = MakeOperands(rows);
  std::vector<float> wf(kCols);
  std::vector<float> y(rows);
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r) {
      DequantizeRow(GgmlType::kQ4_K, op.w.data() + r * kBlocksPerRow, wf.data(), kCols);
      float sum = 0;
      for (int64_t i = 0; i < kCols; ++i) sum += wf[i] * op.xf[i];
      y[r] = sum;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows);
}

const bool kRegistered = [] {
  for (const int64_t t : QuantKTargets()) {
    benchmark::RegisterBenchmark(("BM_DotQ4_KQ8_K/" + QuantKTargetName(t)).c_str(), BM_DotQ4_KQ8_K,
                                 t)
        ->Arg(448)
        ->Arg(28672);
  }
  return true;
}();

BENCHMARK(BM_DotQ4_KQ8_KReference)->Arg(448)->Arg(28672);
BENCHMARK(BM_DequantThenF32Dot)->Arg(448)->Arg(28672);

}  // namespace
}  // namespace gapbench::kernels
