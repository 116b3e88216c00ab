// MatMulSameInput (several weights against one input, one shared activation quantisation and
// one parallel pass) against MatMul called once per product, bit for bit, and against
// MatMulReference; int8 weights share the quantisation, other mixes fall back product by product.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/quant.h"

namespace gapbench::kernels {
namespace {

struct Weight {
  std::vector<uint8_t> bytes;
  MatrixView view;
};

Weight MakeWeight(GgmlType t, int64_t rows, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Weight w;
  const int64_t rb = RowBytes(Traits(t), cols);
  w.bytes.resize(static_cast<size_t>(rows * rb));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = nd(rng);
    QuantizeRow(t, row.data(), w.bytes.data() + r * rb, cols);
  }
  w.view = {t, w.bytes.data(), rows, cols};
  return w;
}

void Check(std::vector<GgmlType> types, std::vector<int64_t> rows, int64_t cols, int64_t n_tokens,
           uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<Weight> ws;
  for (size_t i = 0; i < types.size(); ++i) ws.push_back(MakeWeight(types[i], rows[i], cols, rng));
  std::vector<float> x(static_cast<size_t>(n_tokens * cols));
  for (auto& v : x) v = nd(rng);
  std::vector<std::vector<float>> got(ws.size()), one(ws.size()), ref(ws.size());
  std::vector<MatMulProduct> products;
  for (size_t i = 0; i < ws.size(); ++i) {
    const auto n = static_cast<size_t>(n_tokens * rows[i]);
    got[i].assign(n, NAN);
    one[i].assign(n, NAN);
    ref[i].assign(n, NAN);
    products.push_back({ws[i].view, got[i].data()});
    MatMul(ws[i].view, x.data(), n_tokens, one[i].data());
    MatMulReference(ws[i].view, x.data(), n_tokens, ref[i].data());
  }
  MatMulSameInput(products, x.data(), n_tokens);
  for (size_t i = 0; i < ws.size(); ++i) {
    EXPECT_EQ(std::memcmp(got[i].data(), one[i].data(), got[i].size() * sizeof(float)), 0)
        << "product " << i << " (" << TypeName(types[i]) << ", " << rows[i] << " rows) tokens "
        << n_tokens;
    for (size_t k = 0; k < got[i].size(); ++k) {
      ASSERT_NEAR(got[i][k], ref[i][k], 1e-3 * (1.0 + std::fabs(ref[i][k])))
          << "product " << i << " element " << k;
    }
  }
}

TEST(MatMulSameInput, Int8ProductsEqualSeparateMatMuls) {
  uint32_t seed = 1;
  for (int64_t tokens : {1, 3, 8, 17, 40}) {
    Check({GgmlType::kQ8_0, GgmlType::kQ8_0, GgmlType::kQ8_0}, {96, 32, 40}, 128, tokens, seed++);
    Check({GgmlType::kQ4_0, GgmlType::kQ8_0}, {50, 17}, 64, tokens, seed++);
  }
}

TEST(MatMulSameInput, OtherTypesFallBackProductByProduct) {
  Check({GgmlType::kF32, GgmlType::kQ8_0}, {20, 33}, 64, 5, 7);
  Check({GgmlType::kF16, GgmlType::kBF16}, {8, 9}, 32, 3, 8);
}

TEST(MatMulSameInput, NoProductsOrTokensIsANoOp) {
  MatMulSameInput({}, nullptr, 4);
  std::mt19937 rng(1);
  Weight w = MakeWeight(GgmlType::kQ8_0, 4, 32, rng);
  float y = 42.0f;
  const MatMulProduct p{w.view, &y};
  MatMulSameInput(std::span(&p, 1), nullptr, 0);
  EXPECT_EQ(y, 42.0f);
}

}  // namespace
}  // namespace gapbench::kernels
