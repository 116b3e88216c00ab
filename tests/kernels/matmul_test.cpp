// MatMul (SIMD, threaded) against MatMulReference (scalar) and against a double-precision dot of
// the dequantised weights with the effective activations, for every supported type on awkward
// shapes, on every SIMD target this CPU supports (AVX-512 VNNI, AVX-512, AVX2, SSE4, ...);
// DotRow against MatMul; independence of the thread count and of the batch a token is in;
// extreme int8 quants (no saturation in the u8 x i8 multiply-adds); error reporting.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "kernels/fp16.h"
#include "kernels/matmul_simd.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"
#include "tests/kernels/kernel_check.h"

namespace gapbench::kernels {
namespace {

struct Problem {
  GgmlType type;
  int64_t rows, cols, n_tokens;
  std::vector<uint8_t> w;    // [rows, RowBytes(cols)] in `type`
  std::vector<float> w_deq;  // [rows, cols] dequantised weights
  std::vector<float> x;      // [n_tokens, cols]
  std::vector<float> x_eff;  // x as the kernels see it (Q8_0 round trip for q types)
  MatrixView view() const { return MatrixView{type, w.data(), rows, cols}; }
};

Problem MakeProblem(GgmlType type, int64_t rows, int64_t cols, int64_t n_tokens, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Problem p{type, rows, cols, n_tokens, {}, {}, {}, {}};
  const int64_t row_bytes = RowBytes(Traits(type), cols);
  p.w.resize(static_cast<size_t>(rows * row_bytes));
  p.w_deq.resize(static_cast<size_t>(rows * cols));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = dist(rng) * 0.1f;
    QuantizeRow(type, row.data(), p.w.data() + r * row_bytes, cols);
    DequantizeRow(type, p.w.data() + r * row_bytes, p.w_deq.data() + r * cols, cols);
  }
  p.x.resize(static_cast<size_t>(n_tokens * cols));
  for (auto& v : p.x) v = dist(rng) * 2.0f;
  p.x_eff = p.x;
  if (type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0) {
    std::vector<BlockQ8_0> xq(static_cast<size_t>(cols / kQK));
    for (int64_t t = 0; t < n_tokens; ++t) {
      QuantizeRowQ8_0(p.x.data() + t * cols, xq.data(), cols);
      DequantizeRow(GgmlType::kQ8_0, xq.data(), p.x_eff.data() + t * cols, cols);
    }
  }
  return p;
}

// Error bound. MatMul and the reference compute the same products and differ only in the order
// of the f32 additions (and, for q types, in where the per-block scale multiply rounds), so by
// the standard summation bound |y - y_ref| <= gamma_k * sum_c |w_c| |x_c| with
// gamma_k ~ k * eps, k = cols + 2 covering the adds and the two roundings of each scaled
// block. The double-precision dot is exact to ~1e-16 relative, so the same bound holds against
// it. A tiny absolute term covers an all-zero row.
double Bound(const Problem& p, int64_t t, int64_t r) {
  double abs_sum = 0.0;
  for (int64_t c = 0; c < p.cols; ++c) {
    abs_sum += std::fabs(static_cast<double>(p.w_deq[r * p.cols + c]) * p.x_eff[t * p.cols + c]);
  }
  const double eps = std::numeric_limits<float>::epsilon();
  return static_cast<double>(p.cols + 2) * eps * abs_sum + 1e-30;
}

class MatMulTypes : public ::testing::TestWithParam<GgmlType> {};

TEST_P(MatMulTypes, MatchesReferenceAndDoubleDot) {
  const GgmlType type = GetParam();
  const bool float_type = Traits(type).block_size == 1;
  std::vector<int64_t> cols_list = {32, 96, 544};
  if (float_type) cols_list.insert(cols_list.end(), {3, 17, 35});  // SIMD tails
  uint32_t seed = 1;
  double worst_ratio = 0.0;  // largest observed error / bound, for the log
  for (int64_t rows : {1, 3, 17, 65, 257}) {
    for (int64_t cols : cols_list) {
      for (int64_t n_tokens : {1, 2, 5, 13}) {
        const Problem p = MakeProblem(type, rows, cols, n_tokens, seed++);
        std::vector<float> y(static_cast<size_t>(n_tokens * rows), -1.0f);
        std::vector<float> y_ref(y.size(), -2.0f);
        MatMul(p.view(), p.x.data(), n_tokens, y.data());
        MatMulReference(p.view(), p.x.data(), n_tokens, y_ref.data());
        for (int64_t t = 0; t < n_tokens; ++t) {
          for (int64_t r = 0; r < rows; ++r) {
            double exact = 0.0;
            for (int64_t c = 0; c < cols; ++c) {
              exact += static_cast<double>(p.w_deq[r * cols + c]) * p.x_eff[t * cols + c];
            }
            const double bound = Bound(p, t, r);
            const float got = y[t * rows + r];
            const float ref = y_ref[t * rows + r];
            ASSERT_LE(std::fabs(got - ref), bound)
                << TypeName(type) << " rows=" << rows << " cols=" << cols << " t=" << t
                << " r=" << r << " got=" << got << " ref=" << ref;
            ASSERT_LE(std::fabs(got - exact), bound) << "vs double, r=" << r;
            ASSERT_LE(std::fabs(ref - exact), bound) << "reference vs double, r=" << r;
            worst_ratio = std::max(worst_ratio, std::fabs(got - exact) / bound);
          }
        }
      }
    }
  }
  RecordProperty("worst_error_over_bound", std::to_string(worst_ratio));
  std::printf("%s: worst |MatMul - exact| / bound = %.3g\n", std::string(TypeName(type)).c_str(),
              worst_ratio);
}

// DotRow runs the same per-token kernel as MatMul, so it must agree bit for bit.
TEST_P(MatMulTypes, DotRowEqualsMatMul) {
  const Problem p = MakeProblem(GetParam(), 17, 96, 5, 7);
  std::vector<float> y(5 * 17);
  MatMul(p.view(), p.x.data(), 5, y.data());
  for (int64_t t = 0; t < 5; ++t) {
    for (int64_t r = 0; r < 17; ++r) {
      EXPECT_EQ(DotRow(p.view(), r, p.x.data() + t * 96), y[t * 17 + r]) << "t=" << t;
    }
  }
}

// Each output is computed by one task in a fixed order, so the thread count cannot change it.
TEST_P(MatMulTypes, IndependentOfThreadCount) {
  const Problem p = MakeProblem(GetParam(), 1000, 256, 3, 11);
  std::vector<float> y1(3 * 1000), y4(3 * 1000);
  const int saved = NumThreads();
  SetNumThreads(1);
  MatMul(p.view(), p.x.data(), 3, y1.data());
  SetNumThreads(4);
  MatMul(p.view(), p.x.data(), 3, y4.data());
  SetNumThreads(saved);
  EXPECT_EQ(y1, y4);
}

// A token's outputs do not depend on the other tokens of the batch: every token computed alone
// equals the batched product bit for bit (the tile kernels run the same operations per element
// whatever the tile shape).
TEST_P(MatMulTypes, IndependentOfBatch) {
  const int64_t rows = 37, cols = 160, n_tokens = 11;
  const Problem p = MakeProblem(GetParam(), rows, cols, n_tokens, 13);
  std::vector<float> y(static_cast<size_t>(n_tokens * rows));
  MatMul(p.view(), p.x.data(), n_tokens, y.data());
  std::vector<float> y1(static_cast<size_t>(rows));
  for (int64_t t = 0; t < n_tokens; ++t) {
    MatMul(p.view(), p.x.data() + t * cols, 1, y1.data());
    for (int64_t r = 0; r < rows; ++r) {
      ASSERT_EQ(y1[r], y[t * rows + r]) << "t=" << t << " r=" << r;
    }
  }
}

// Every compiled SIMD target the CPU supports (not only the best one) agrees with the reference
// within the bound and keeps the thread-count and batch independence.
TEST_P(MatMulTypes, EverySimdTarget) {
  const GgmlType type = GetParam();
  const std::vector<int64_t> targets = SimdMatMulTargets();
  ASSERT_FALSE(targets.empty());
  const int saved = NumThreads();
  for (int64_t target : targets) {
    const kernel_test::ScopedSimdTarget guard(target);
    const std::string name = SimdTargetName(target);
    std::printf("%s: target %s\n", std::string(TypeName(type)).c_str(), name.c_str());
    uint32_t seed = 100;
    for (int64_t rows : {5, 70}) {
      for (int64_t cols : {64, 96}) {
        for (int64_t n_tokens : {1, 7}) {
          const Problem p = MakeProblem(type, rows, cols, n_tokens, seed++);
          std::vector<float> y(static_cast<size_t>(n_tokens * rows));
          std::vector<float> y_ref(y.size()), y_threads(y.size());
          SetNumThreads(1);
          MatMul(p.view(), p.x.data(), n_tokens, y.data());
          SetNumThreads(3);
          MatMul(p.view(), p.x.data(), n_tokens, y_threads.data());
          MatMulReference(p.view(), p.x.data(), n_tokens, y_ref.data());
          EXPECT_EQ(y, y_threads) << name;
          for (int64_t t = 0; t < n_tokens; ++t) {
            std::vector<float> y1(static_cast<size_t>(rows));
            MatMul(p.view(), p.x.data() + t * cols, 1, y1.data());
            for (int64_t r = 0; r < rows; ++r) {
              ASSERT_LE(std::fabs(y[t * rows + r] - y_ref[t * rows + r]), Bound(p, t, r))
                  << name << " rows=" << rows << " cols=" << cols << " t=" << t << " r=" << r;
              ASSERT_EQ(y1[r], y[t * rows + r]) << name << " batch dependence, t=" << t;
            }
          }
        }
      }
    }
  }
  SetNumThreads(saved);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatMulTypes,
                         ::testing::Values(GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16,
                                           GgmlType::kQ8_0, GgmlType::kQ4_0),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

// Extreme quants: Q8_0 weights of -128 and 127 (a hostile or foreign file may hold -128) with
// activations that quantise to +-127. Products then reach 128 * 127 per element and 2^15 - 256
// per pair, the edge of the int16 pair sums of the AVX2 path; with unit scales every partial sum
// is an integer below 2^24, so MatMul must equal the reference exactly, on every target.
TEST(MatMul, ExtremeInt8QuantsDoNotSaturate) {
  const int64_t rows = 6, cols = 128, n_tokens = 3, nb = cols / kQK;
  std::vector<BlockQ8_0> w(static_cast<size_t>(rows * nb));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      BlockQ8_0& block = w[static_cast<size_t>(r * nb + b)];
      block.d = F32ToF16(1.0f);
      for (int64_t j = 0; j < kQK; ++j) {
        // Row-dependent patterns of -128 / 127 / -127 / 0 (all -128 in row 0).
        const int64_t k = (r * 7 + j * (r + 1) + b) % 4;
        block.qs[j] = static_cast<int8_t>(r == 0 ? -128
                                                 : (k == 0   ? -128
                                                    : k == 1 ? 127
                                                    : k == 2 ? -127
                                                             : 0));
      }
    }
  }
  std::vector<float> x(static_cast<size_t>(n_tokens * cols));
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t c = 0; c < cols; ++c) {
      // +-127 exactly (so the Q8_0 scale is 1), signs varying with t and c.
      x[t * cols + c] = ((c + t) % 3 == 0 ? -127.0f : 127.0f);
    }
  }
  const MatrixView view{GgmlType::kQ8_0, w.data(), rows, cols};
  std::vector<float> y_ref(static_cast<size_t>(n_tokens * rows));
  MatMulReference(view, x.data(), n_tokens, y_ref.data());
  // The reference against exact integer arithmetic (the sums are below 2^24, so exact in f32).
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      int64_t exact = 0;
      for (int64_t c = 0; c < cols; ++c) {
        exact += int64_t{w[static_cast<size_t>(r * nb + c / kQK)].qs[c % kQK]} *
                 static_cast<int64_t>(x[t * cols + c]);
      }
      ASSERT_EQ(y_ref[t * rows + r], static_cast<float>(exact)) << "t=" << t << " r=" << r;
    }
  }
  for (int64_t target : SimdMatMulTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    std::vector<float> y(y_ref.size());
    MatMul(view, x.data(), n_tokens, y.data());
    EXPECT_EQ(y, y_ref) << SimdTargetName(target);
  }
}

TEST(MatMul, RejectsUnsupportedTypesAndShapes) {
  std::vector<uint8_t> w(4096);
  std::vector<float> x(256), y(16);
  EXPECT_THROW(MatMul(MatrixView{GgmlType::kQ2_K, w.data(), 1, 256}, x.data(), 1, y.data()), Error);
  EXPECT_THROW(
      MatMulReference(MatrixView{GgmlType::kQ3_K, w.data(), 1, 256}, x.data(), 1, y.data()), Error);
  EXPECT_THROW(MatMul(MatrixView{GgmlType::kQ8_0, w.data(), 1, 48}, x.data(), 1, y.data()), Error);
  EXPECT_THROW(DotRow(MatrixView{GgmlType::kQ2_K, w.data(), 1, 256}, 0, x.data()), Error);
}

}  // namespace
}  // namespace gapbench::kernels
