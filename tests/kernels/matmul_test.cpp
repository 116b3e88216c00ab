// MatMul (SIMD, threaded) against MatMulReference (scalar) and against a double-precision dot of
// the dequantised weights with the effective activations, for every supported type on awkward
// shapes; DotRow against MatMul; thread-count independence; error reporting.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"

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

INSTANTIATE_TEST_SUITE_P(AllTypes, MatMulTypes,
                         ::testing::Values(GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16,
                                           GgmlType::kQ8_0, GgmlType::kQ4_0),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

TEST(MatMul, RejectsUnsupportedTypesAndShapes) {
  std::vector<uint8_t> w(4096);
  std::vector<float> x(256), y(16);
  EXPECT_THROW(MatMul(MatrixView{GgmlType::kQ4_K, w.data(), 1, 256}, x.data(), 1, y.data()), Error);
  EXPECT_THROW(MatMulReference(MatrixView{GgmlType::kQ5_0, w.data(), 1, 32}, x.data(), 1, y.data()),
               Error);
  EXPECT_THROW(MatMul(MatrixView{GgmlType::kQ8_0, w.data(), 1, 48}, x.data(), 1, y.data()), Error);
  EXPECT_THROW(DotRow(MatrixView{GgmlType::kQ6_K, w.data(), 1, 256}, 0, x.data()), Error);
}

}  // namespace
}  // namespace gapbench::kernels
