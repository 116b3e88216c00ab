// Speed of the quantised dot products that MatMul runs per weight row and token (q4_K, q5_K, q6_K
// with Q8_K activations; q5_0, q5_1, q4_1 with Q8_0 / Q8_1), single thread: each iteration dots
// `rows` weight rows of 4096 values with one activation row, as a decode-time matvec does.
// Arg: rows (448 rows of 4096 = 1 MiB of q4_K weights, in L2; 28672 rows = 63 MiB of q4_K).
// Counters: bytes_per_second of weights, s_per_row (time per 4096-value row: "45n" = 45 ns),
// s_per_block (time per 256 values).
// Variants per type: the SIMD dot on each Highway target, the scalar reference, and as the peer a
// dequantise-to-f32-then-dot path (DequantizeRow + a plain f32 dot) over the same rows.
// No timing is asserted anywhere; the numbers are for docs/KERNELS.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "kernels/matmul_simd.h"
#include "kernels/quant.h"
#include "kernels/quant_k.h"
#include "kernels/quant_legacy.h"
#include "kernels/types.h"

namespace gapbench::kernels {
namespace {

constexpr int64_t kCols = 4096;

struct Operands {
  GgmlType type = GgmlType::kF32;
  int64_t row_bytes = 0;
  std::vector<uint8_t> w;    // [rows, row_bytes]
  std::vector<BlockQ8_K> x;  // [kCols / 256] the activations as Q8_K
  std::vector<float> xd;     // the activations as Q8_0 / Q8_1 (quant_legacy.h Q8Row)
  std::vector<int8_t> xq;
  std::vector<int32_t> xs;
  std::vector<float> xf;  // [kCols] the activations as f32, for the peer
};

Operands MakeOperands(GgmlType type, int64_t rows) {
  std::mt19937 gen(42);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> row(kCols);
  Operands op;
  op.type = type;
  op.row_bytes = RowBytes(Traits(type), kCols);
  op.w.resize(static_cast<size_t>(rows * op.row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    // A few distinct rows, repeated: quantising every row of a large matrix takes seconds.
    if (r < 8) {
      for (float& v : row) v = 0.02f * dist(gen);
      QuantizeRow(type, row.data(), op.w.data() + r * op.row_bytes, kCols);
    } else {
      std::copy_n(op.w.data() + (r % 8) * op.row_bytes, op.row_bytes,
                  op.w.data() + r * op.row_bytes);
    }
  }
  op.xf.resize(kCols);
  for (float& v : op.xf) v = dist(gen);
  op.x.resize(kCols / kQK_K);
  QuantizeRowQ8_K(op.xf.data(), op.x.data(), kCols);
  op.xd.resize(kCols / 32);
  op.xq.resize(kCols);
  op.xs.resize(kCols / 32);
  SimdQuantizeQ8_0Rows(op.xf.data(), 1, kCols, op.xd.data(), op.xq.data(), op.xs.data());
  return op;
}

void SetCounters(benchmark::State& state, const Operands& op, int64_t rows) {
  state.SetBytesProcessed(state.iterations() * rows * op.row_bytes);
  state.counters["s_per_row"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate |
                                                        benchmark::Counter::kInvert);
  state.counters["s_per_block"] = benchmark::Counter(
      static_cast<double>(rows * kCols / kQK_K),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// One weight row (of op.type) dotted with the activations.
using DotFn = float (*)(const Operands& op, const uint8_t* row);

template <class Block, float (*kDot)(const Block*, const BlockQ8_K*, int64_t)>
float DotK(const Operands& op, const uint8_t* row) {
  return kDot(reinterpret_cast<const Block*>(row), op.x.data(), kCols);
}

template <class Block, float (*kDot)(const Block*, const Q8Row&, int64_t)>
float Dot32(const Operands& op, const uint8_t* row) {
  return kDot(reinterpret_cast<const Block*>(row), Q8Row{op.xd.data(), op.xq.data(), op.xs.data()},
              kCols);
}

struct Kernel {
  GgmlType type;
  DotFn simd;
  DotFn reference;
};

const Kernel kKernels[] = {
    {GgmlType::kQ4_K, DotK<BlockQ4_K, DotQ4_KQ8_K>, DotK<BlockQ4_K, DotQ4_KQ8_KReference>},
    {GgmlType::kQ5_K, DotK<BlockQ5_K, DotQ5_KQ8_K>, DotK<BlockQ5_K, DotQ5_KQ8_KReference>},
    {GgmlType::kQ6_K, DotK<BlockQ6_K, DotQ6_KQ8_K>, DotK<BlockQ6_K, DotQ6_KQ8_KReference>},
    {GgmlType::kQ5_0, Dot32<BlockQ5_0, DotQ5_0Q8_0>, Dot32<BlockQ5_0, DotQ5_0Q8_0Reference>},
    {GgmlType::kQ5_1, Dot32<BlockQ5_1, DotQ5_1Q8_1>, Dot32<BlockQ5_1, DotQ5_1Q8_1Reference>},
    {GgmlType::kQ4_1, Dot32<BlockQ4_1, DotQ4_1Q8_1>, Dot32<BlockQ4_1, DotQ4_1Q8_1Reference>},
};

void BM_Dot(benchmark::State& state, GgmlType type, DotFn dot, int64_t target) {
  if (target != 0) QuantKForceTarget(target);
  const int64_t rows = state.range(0);
  const Operands op = MakeOperands(type, rows);
  std::vector<float> y(static_cast<size_t>(rows));
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r) y[r] = dot(op, op.w.data() + r * op.row_bytes);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, op, rows);
  if (target != 0) QuantKForceTarget(0);
}

// Peer: what a kernel without an integer dot would do per row.
void BM_DequantThenF32Dot(benchmark::State& state, GgmlType type) {
  const int64_t rows = state.range(0);
  const Operands op = MakeOperands(type, rows);
  std::vector<float> wf(kCols);
  std::vector<float> y(static_cast<size_t>(rows));
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r) {
      DequantizeRow(type, op.w.data() + r * op.row_bytes, wf.data(), kCols);
      float sum = 0;
      for (int64_t i = 0; i < kCols; ++i) sum += wf[i] * op.xf[i];
      y[r] = sum;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, op, rows);
}

const bool kRegistered = [] {
  for (const Kernel& k : kKernels) {
    const std::string name(TypeName(k.type));
    for (const int64_t t : QuantKTargets()) {
      benchmark::RegisterBenchmark(("BM_Dot/" + name + "/" + QuantKTargetName(t)).c_str(), BM_Dot,
                                   k.type, k.simd, t)
          ->Arg(448)
          ->Arg(28672);
    }
    benchmark::RegisterBenchmark(("BM_Dot/" + name + "/reference").c_str(), BM_Dot, k.type,
                                 k.reference, int64_t{0})
        ->Arg(448)
        ->Arg(28672);
    benchmark::RegisterBenchmark(("BM_DequantThenF32Dot/" + name).c_str(), BM_DequantThenF32Dot,
                                 k.type)
        ->Arg(448)
        ->Arg(28672);
  }
  return true;
}();

}  // namespace
}  // namespace gapbench::kernels
