// Weights packed once into the panel kernels' layout (SimdPackPanels, MatrixView::packed) give
// the same bits as MatMul packing on the fly and as MatMulReference, and take the file's bytes
// (4-bit weights stay 4-bit); on a CPU whose best target has no panel kernel the packed copy is
// empty and MatMul is unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/matmul_simd.h"
#include "kernels/quant.h"

namespace gapbench::kernels {
namespace {

TEST(MatMulPacked, PackedPanelsGiveTheSameBits) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  int packed_cases = 0;
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    for (int64_t rows : {16, 37, 64}) {
      const int64_t cols = 96;
      const int64_t rb = RowBytes(Traits(t), cols);
      std::vector<uint8_t> w(static_cast<size_t>(rows * rb));
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        for (auto& v : row) v = nd(rng);
        QuantizeRow(t, row.data(), w.data() + r * rb, cols);
      }
      const auto panels = SimdPackPanels(t, w.data(), rows, rb, cols);
      if (panels.empty()) continue;  // no panel kernel on this CPU's best target
      ++packed_cases;
      // The file's bytes, rows padded to whole 16-row panels: no widened copy.
      EXPECT_EQ(static_cast<int64_t>(panels.size()), (rows + 15) / 16 * 16 * rb);
      EXPECT_EQ(PanelBytesPerBlock(t), 16 * Traits(t).type_size);
      // Every row reads back as the file's row.
      std::vector<uint8_t> back(static_cast<size_t>(rb));
      for (int64_t r = 0; r < rows; ++r) {
        UnpackPanelRow(t, panels.data(), cols, r, back.data());
        ASSERT_EQ(std::memcmp(back.data(), w.data() + r * rb, static_cast<size_t>(rb)), 0) << r;
      }
      for (int64_t tokens : {1, 15, 16, 17, 40}) {
        std::vector<float> x(static_cast<size_t>(tokens * cols));
        for (auto& v : x) v = nd(rng);
        MatrixView plain{t, w.data(), rows, cols};
        MatrixView packed = plain;
        packed.packed = panels.data();
        std::vector<float> a(static_cast<size_t>(tokens * rows)), b(a.size()), ref(a.size());
        MatMul(plain, x.data(), tokens, a.data());
        MatMul(packed, x.data(), tokens, b.data());
        MatMulReference(plain, x.data(), tokens, ref.data());
        EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
            << TypeName(t) << " rows " << rows << " tokens " << tokens;
        // Every target with a panel kernel is exact (int32 block sums, the reference's f32
        // operations in its order).
        EXPECT_EQ(std::memcmp(b.data(), ref.data(), b.size() * sizeof(float)), 0)
            << TypeName(t) << " rows " << rows << " tokens " << tokens;
        // Every product (decode included) really reads the packed copy: zeroed panels give
        // zero outputs.
        std::vector<uint8_t> zero(panels.size(), 0);
        packed.packed = zero.data();
        MatMul(packed, x.data(), tokens, b.data());
        for (float v : b) ASSERT_EQ(v, 0.0f);
      }
    }
  }
  if (packed_cases == 0) GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
}

TEST(MatMulPacked, OtherTypesAreNotPacked) {
  std::vector<uint8_t> w(16 * 32 * 4);
  EXPECT_TRUE(SimdPackPanels(GgmlType::kF32, w.data(), 16, 32 * 4, 32).empty());
  EXPECT_TRUE(SimdPackPanels(GgmlType::kQ8_0, w.data(), 0, 34, 32).empty());
}

}  // namespace
}  // namespace gapbench::kernels
