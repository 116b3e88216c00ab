// The int8 MatMul paths beyond matmul_test.cpp: the SIMD activation quantiser equals
// QuantizeRowQ8_0 byte for byte (ties at .5 included) on every target; on AVX2, AVX-512 and
// AVX-512 VNNI the q8_0 / q4_0 kernels (panel kernels on packed and unpacked weights, VNNI's
// small tiles) equal MatMulReference bit for bit; and on every target a token gives the same bits
// alone as in batches large enough to take the prefill path (and with row counts that are not a
// multiple of the 16-row panel).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/matmul.h"
#include "kernels/matmul_simd.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"
#include "tests/kernels/kernel_check.h"

namespace gapbench::kernels {
namespace {

std::vector<uint8_t> MakeWeight(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 0.1f);
  const int64_t row_bytes = RowBytes(Traits(type), cols);
  std::vector<uint8_t> w(static_cast<size_t>(rows * row_bytes));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = dist(rng);
    QuantizeRow(type, row.data(), w.data() + r * row_bytes, cols);
  }
  return w;
}

std::vector<float> MakeActivations(int64_t n_tokens, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> x(static_cast<size_t>(n_tokens * cols));
  for (auto& v : x) v = dist(rng);
  return x;
}

bool HasTarget(const std::string& name) {
  for (int64_t t : SimdMatMulTargets()) {
    if (SimdTargetName(t) == name) return true;
  }
  return false;
}

int64_t TargetBits(const std::string& name) {
  for (int64_t t : SimdMatMulTargets()) {
    if (SimdTargetName(t) == name) return t;
  }
  return 0;
}

TEST(SimdQuantizeQ8_0Rows, EqualsQuantizeRowQ8_0OnEveryTarget) {
  const int64_t cols = 128, n_tokens = 6;
  std::mt19937 rng(5);
  std::vector<float> x = MakeActivations(n_tokens, cols, rng);
  // Token 1, block 0: amax 127 so 1/d = 1 and x * id keeps every .5 tie (both signs).
  for (int64_t j = 0; j < 32; ++j) x[cols + j] = static_cast<float>(j % 9) - 4.5f;
  x[cols + 31] = 127.0f;
  // Token 2, block 1: all zeros (d = 0, id = 0). Token 3, block 2: tiny values.
  std::fill(x.begin() + 2 * cols + 32, x.begin() + 2 * cols + 64, 0.0f);
  for (int64_t j = 0; j < 32; ++j) x[3 * cols + 64 + j] = 1e-30f * static_cast<float>(j - 16);
  const int64_t nb = cols / kQK;
  for (int64_t target : SimdMatMulTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    std::vector<float> xd(static_cast<size_t>(n_tokens * nb));
    std::vector<int8_t> xq(static_cast<size_t>(n_tokens * cols));
    std::vector<int32_t> xs(static_cast<size_t>(n_tokens * nb));
    SimdQuantizeQ8_0Rows(x.data(), n_tokens, cols, xd.data(), xq.data(), xs.data());
    std::vector<BlockQ8_0> ref(static_cast<size_t>(nb));
    for (int64_t t = 0; t < n_tokens; ++t) {
      QuantizeRowQ8_0(x.data() + t * cols, ref.data(), cols);
      for (int64_t b = 0; b < nb; ++b) {
        ASSERT_EQ(F32ToF16(xd[t * nb + b]), ref[b].d) << SimdTargetName(target);
        int32_t sum = 0;
        for (int64_t j = 0; j < kQK; ++j) {
          ASSERT_EQ(xq[t * cols + b * kQK + j], ref[b].qs[j])
              << SimdTargetName(target) << " t=" << t << " b=" << b << " j=" << j;
          sum += ref[b].qs[j];
        }
        ASSERT_EQ(xs[t * nb + b], sum);
      }
    }
  }
}

class Int8Types : public ::testing::TestWithParam<GgmlType> {};

// AVX2, AVX-512 and AVX-512 VNNI: every int8 kernel does the reference's operations in its order
// (exact int32 block sums, then float(sumi) * (d_w * d_x) added block by block), on the GGUF
// layout and on weights packed into panels, so the results are equal.
TEST_P(Int8Types, X86KernelsEqualReferenceBitForBit) {
  int checked = 0;
  for (const char* target : {"AVX2", "AVX3", "AVX3_DL"}) {
    if (!HasTarget(target)) continue;
    ++checked;
    const kernel_test::ScopedSimdTarget guard(TargetBits(target));
    const int saved = NumThreads();
    SetNumThreads(2);
    std::mt19937 rng(17);
    for (int64_t rows : {5, 37, 70}) {
      for (int64_t cols : {32, 96, 160}) {
        for (int64_t n_tokens : {1, 2, 3, 15, 16, 41}) {
          const auto w = MakeWeight(GetParam(), rows, cols, rng);
          const auto x = MakeActivations(n_tokens, cols, rng);
          MatrixView view{GetParam(), w.data(), rows, cols};
          std::vector<float> y(static_cast<size_t>(n_tokens * rows)), y_ref(y.size());
          MatMulReference(view, x.data(), n_tokens, y_ref.data());
          const auto panels =
              SimdPackPanels(GetParam(), w.data(), rows, RowBytes(Traits(GetParam()), cols), cols);
          ASSERT_FALSE(panels.empty()) << target;
          for (const uint8_t* packed : {static_cast<const uint8_t*>(nullptr), panels.data()}) {
            view.packed = packed;
            MatMul(view, x.data(), n_tokens, y.data());
            for (size_t i = 0; i < y.size(); ++i) {
              ASSERT_EQ(y[i], y_ref[i])
                  << target << (packed ? " packed" : "") << " rows=" << rows << " cols=" << cols
                  << " n_tokens=" << n_tokens << " i=" << i;
            }
          }
        }
      }
    }
    SetNumThreads(saved);
  }
  if (checked == 0) GTEST_SKIP() << "CPU without AVX2";
}

// Every target: a batch of 40 tokens (the prefill kernels on AVX-512 VNNI) gives each token the
// bits it gets alone and in a batch of 5, for 1 and 3 threads.
TEST_P(Int8Types, LargeBatchIndependentOfBatchAndThreadsOnEveryTarget) {
  const int64_t rows = 53, cols = 224, n_tokens = 40;
  std::mt19937 rng(23);
  const auto w = MakeWeight(GetParam(), rows, cols, rng);
  const auto x = MakeActivations(n_tokens, cols, rng);
  const MatrixView view{GetParam(), w.data(), rows, cols};
  const int saved = NumThreads();
  for (int64_t target : SimdMatMulTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    const std::string name = SimdTargetName(target);
    std::vector<float> y(static_cast<size_t>(n_tokens * rows)), y3(y.size());
    SetNumThreads(1);
    MatMul(view, x.data(), n_tokens, y.data());
    SetNumThreads(3);
    MatMul(view, x.data(), n_tokens, y3.data());
    ASSERT_EQ(y, y3) << name;
    std::vector<float> y5(static_cast<size_t>(5 * rows)), y1(static_cast<size_t>(rows));
    for (int64_t t = 0; t + 5 <= n_tokens; t += 5) {
      MatMul(view, x.data() + t * cols, 5, y5.data());
      for (int64_t k = 0; k < 5; ++k) {
        MatMul(view, x.data() + (t + k) * cols, 1, y1.data());
        for (int64_t r = 0; r < rows; ++r) {
          ASSERT_EQ(y5[k * rows + r], y[(t + k) * rows + r]) << name << " t=" << t + k;
          ASSERT_EQ(y1[r], y[(t + k) * rows + r]) << name << " t=" << t + k;
        }
      }
    }
  }
  SetNumThreads(saved);
}

INSTANTIATE_TEST_SUITE_P(Q8AndQ4, Int8Types, ::testing::Values(GgmlType::kQ8_0, GgmlType::kQ4_0),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

}  // namespace
}  // namespace gapbench::kernels
