// The float-weight tiles of MatMul (f32, f16, bf16) at the edges of their blocking: 4-row x
// 3-token tiles (AVX2) inside 16-row panels for several tokens, 8-row x 1-token tiles for a single
// token (decode). Row counts around 4, 8 and 16 and token counts around 3 catch a tile or panel
// edge that drops, repeats or misplaces an output: every output must be written, agree with
// MatMulReference within the summation bound, and a token computed alone (the decode tiles) must
// equal the batched product bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"

namespace gapbench::kernels {
namespace {

struct FloatProblem {
  GgmlType type;
  int64_t rows, cols;
  std::vector<uint8_t> w;    // [rows, RowBytes(cols)] in `type`
  std::vector<float> w_deq;  // the same values as f32
  MatrixView view() const { return MatrixView{type, w.data(), rows, cols}; }
};

FloatProblem MakeWeight(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 0.1f);
  FloatProblem p{type, rows, cols, {}, {}};
  const int64_t row_bytes = RowBytes(Traits(type), cols);
  p.w.resize(static_cast<size_t>(rows * row_bytes));
  p.w_deq.resize(static_cast<size_t>(rows * cols));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = dist(rng);
    QuantizeRow(type, row.data(), p.w.data() + r * row_bytes, cols);
    DequantizeRow(type, p.w.data() + r * row_bytes, p.w_deq.data() + r * cols, cols);
  }
  return p;
}

// MatMul and the reference differ only in the order of the f32 additions: the standard bound
// gamma_k * sum |w x| with k = cols + 2 (as matmul_test.cpp), plus a tiny absolute term.
double Bound(const FloatProblem& p, const float* x, int64_t r) {
  double abs_sum = 0.0;
  for (int64_t c = 0; c < p.cols; ++c) {
    abs_sum += std::fabs(static_cast<double>(p.w_deq[r * p.cols + c]) * x[c]);
  }
  return static_cast<double>(p.cols + 2) * std::numeric_limits<float>::epsilon() * abs_sum + 1e-30;
}

// Checks MatMul of p against x ([n_tokens, cols]) as described at the top.
void CheckProduct(const FloatProblem& p, const std::vector<float>& x, int64_t n_tokens) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t rows = p.rows, cols = p.cols;
  std::vector<float> y(static_cast<size_t>(n_tokens * rows), nan), y_ref(y.size(), nan);
  MatMul(p.view(), x.data(), n_tokens, y.data());
  MatMulReference(p.view(), x.data(), n_tokens, y_ref.data());
  std::vector<float> y1(static_cast<size_t>(rows));
  for (int64_t t = 0; t < n_tokens; ++t) {
    std::fill(y1.begin(), y1.end(), nan);
    MatMul(p.view(), x.data() + t * cols, 1, y1.data());
    for (int64_t r = 0; r < rows; ++r) {
      const float got = y[t * rows + r];
      ASSERT_FALSE(std::isnan(got))
          << TypeName(p.type) << " rows=" << rows << " cols=" << cols << " tokens=" << n_tokens
          << ": output t=" << t << " r=" << r << " not written";
      ASSERT_LE(std::fabs(got - y_ref[t * rows + r]), Bound(p, x.data() + t * cols, r))
          << TypeName(p.type) << " rows=" << rows << " cols=" << cols << " tokens=" << n_tokens
          << " t=" << t << " r=" << r;
      ASSERT_EQ(y1[r], got) << TypeName(p.type) << " rows=" << rows << " cols=" << cols
                            << " tokens=" << n_tokens << ": token " << t
                            << " alone differs at r=" << r << " (NaN: not written)";
    }
  }
}

class MatMulFloatTiles : public ::testing::TestWithParam<GgmlType> {};

// One thread, so each product is one row range [0, rows): the tile and panel edges alone.
TEST_P(MatMulFloatTiles, EdgesOfTilesAndPanels) {
  const int saved = NumThreads();
  SetNumThreads(1);
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int64_t rows : {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33, 41}) {
    for (int64_t cols : {8, 17, 64}) {
      const FloatProblem p = MakeWeight(GetParam(), rows, cols, rng);
      for (int64_t n_tokens : {1, 2, 3, 4, 5, 6, 7}) {
        std::vector<float> x(static_cast<size_t>(n_tokens * cols));
        for (auto& v : x) v = dist(rng);
        CheckProduct(p, x, n_tokens);
        if (HasFatalFailure()) {
          SetNumThreads(saved);
          return;
        }
      }
    }
  }
  SetNumThreads(saved);
}

// Several threads: the rows are split at panel boundaries, so row ranges start past 0 and the last
// one ends on an odd row count.
TEST_P(MatMulFloatTiles, RowRangesOfThreads) {
  const int saved = NumThreads();
  SetNumThreads(3);
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const FloatProblem p = MakeWeight(GetParam(), 1001, 4096, rng);
  for (int64_t n_tokens : {1, 4}) {
    std::vector<float> x(static_cast<size_t>(n_tokens * p.cols));
    for (auto& v : x) v = dist(rng);
    CheckProduct(p, x, n_tokens);
  }
  SetNumThreads(saved);
}

INSTANTIATE_TEST_SUITE_P(FloatTypes, MatMulFloatTiles,
                         ::testing::Values(GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16),
                         [](const ::testing::TestParamInfo<GgmlType>& info) {
                           return std::string(TypeName(info.param));
                         });

}  // namespace
}  // namespace gapbench::kernels
