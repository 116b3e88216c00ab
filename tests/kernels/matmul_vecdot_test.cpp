// MatMul with vec-dot weights (the k-quants: activations quantised to Q8_K; q5_0, q5_1, q4_1:
// Q8_0 / Q8_1; one dot per row and token). Checked against MatMulReference (the scalar dots: same
// bits) and against a double-precision dot of the dequantised weights with the dequantised
// activations.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "kernels/matmul.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"
#include "kernels/quant_k.h"

namespace gapbench::kernels {
namespace {

class MatMulVecDot : public ::testing::TestWithParam<GgmlType> {};

TEST_P(MatMulVecDot, MatchesReferenceAndDoubleDot) {
  const GgmlType type = GetParam();
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int64_t rows : {1, 7, 33}) {
    for (int64_t cols : {256, 768}) {
      for (int64_t n_tokens : {1, 3}) {
        std::vector<float> wf(static_cast<size_t>(rows * cols));
        for (auto& v : wf) v = nd(rng);
        const int64_t row_bytes = RowBytes(Traits(type), cols);
        std::vector<uint8_t> wq(static_cast<size_t>(rows * row_bytes));
        for (int64_t r = 0; r < rows; ++r) {
          QuantizeRow(type, wf.data() + r * cols, wq.data() + r * row_bytes, cols);
        }
        std::vector<float> x(static_cast<size_t>(n_tokens * cols));
        for (auto& v : x) v = nd(rng);
        const MatrixView w{type, wq.data(), rows, cols};
        std::vector<float> y(static_cast<size_t>(n_tokens * rows)), ref(y.size());
        for (int threads : {1, 2}) {
          SetNumThreads(threads);
          MatMul(w, x.data(), n_tokens, y.data());
          MatMulReference(w, x.data(), n_tokens, ref.data());
          EXPECT_EQ(y, ref) << rows << "x" << cols << " tokens " << n_tokens;
        }
        // Double dot of what the kernel multiplies: dequantised weights and Q8_K (k-quants) or
        // Q8_0 activations.
        std::vector<float> wd(static_cast<size_t>(cols)), xd(static_cast<size_t>(cols));
        std::vector<BlockQ8_K> xb(static_cast<size_t>(cols / kQK_K));
        std::vector<uint8_t> x8(static_cast<size_t>(RowBytes(Traits(GgmlType::kQ8_0), cols)));
        for (int64_t t = 0; t < n_tokens; ++t) {
          if (Traits(type).block_size == kQK_K) {
            QuantizeRowQ8_K(x.data() + t * cols, xb.data(), cols);
            DequantizeRowQ8_K(xb.data(), xd.data(), cols);
          } else {
            QuantizeRow(GgmlType::kQ8_0, x.data() + t * cols, x8.data(), cols);
            DequantizeRow(GgmlType::kQ8_0, x8.data(), xd.data(), cols);
          }
          for (int64_t r = 0; r < rows; ++r) {
            DequantizeRow(type, wq.data() + r * row_bytes, wd.data(), cols);
            double dot = 0, mag = 0;
            for (int64_t c = 0; c < cols; ++c) {
              dot += static_cast<double>(wd[static_cast<size_t>(c)]) * xd[static_cast<size_t>(c)];
              mag += std::fabs(static_cast<double>(wd[static_cast<size_t>(c)]) *
                               xd[static_cast<size_t>(c)]);
            }
            // Integer sums are exact; the scales are f32-rounded: a few f32 ulps of sum |w x|.
            EXPECT_NEAR(y[static_cast<size_t>(t * rows + r)], dot, 1e-5 * mag + 1e-6);
          }
        }
      }
    }
  }
  SetNumThreads(0);
}

TEST_P(MatMulVecDot, RejectsRowsThatAreNotWholeBlocks) {
  const GgmlType type = GetParam();
  std::vector<uint8_t> buf(1024);
  const int64_t cols = Traits(type).block_size / 2;
  std::vector<float> x(static_cast<size_t>(cols)), y(1);
  EXPECT_THROW(MatMul(MatrixView{type, buf.data(), 1, cols}, x.data(), 1, y.data()), Error);
}

INSTANTIATE_TEST_SUITE_P(Types, MatMulVecDot,
                         ::testing::Values(GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K,
                                           GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ4_1),
                         [](const ::testing::TestParamInfo<GgmlType>& info) {
                           return std::string(TypeName(info.param));
                         });

}  // namespace
}  // namespace gapbench::kernels
