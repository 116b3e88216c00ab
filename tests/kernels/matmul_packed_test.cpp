// Weights packed once into the panel kernels' layout (SimdPackPanels, MatrixView::packed) give
// the same bits as MatMul packing on the fly and as MatMulReference, and take the file's bytes
// (4-bit weights stay 4-bit); on a CPU whose best target has no panel kernel the packed copy is
// empty and MatMul is unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/matmul.h"
#include "kernels/matmul_simd.h"
#include "kernels/quant.h"
#include "kernels/quant_k.h"
#include "kernels/quant_legacy.h"

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

// Q4_K (Block = BlockQ4_K) or Q5_K (BlockQ5_K: also the fifth bits) rows: quantised Gaussian
// rows, plus rows of random bytes (every scale, min and nibble value; d and dmin random normal
// halves) and row 2 at the integer extremes (every nibble 15, every scale and min 63; q5_K every
// fifth bit set) against activations at +-127.
template <typename Block>
std::vector<uint8_t> Q4Or5KWeight(GgmlType type, void (*quantize)(const float*, Block*, int64_t),
                                  int64_t rows, int64_t cols, std::mt19937& rng) {
  const int64_t rb = RowBytes(Traits(type), cols);
  std::vector<uint8_t> w(static_cast<size_t>(rows * rb));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    auto* blocks = reinterpret_cast<Block*>(w.data() + r * rb);
    if (r % 3 != 2) {
      for (auto& v : row) v = nd(rng);
      quantize(row.data(), blocks, cols);
      continue;
    }
    for (int64_t b = 0; b < cols / kQK_K; ++b) {
      Block& blk = blocks[b];
      blk.d = F32ToF16(std::ldexp(0.5f + 0.5f * byte(rng) / 255.0f, -byte(rng) % 12));
      blk.dmin = F32ToF16(std::ldexp(0.5f + 0.5f * byte(rng) / 255.0f, -byte(rng) % 12));
      for (auto& v : blk.scales) v = static_cast<uint8_t>(r == 2 ? 255 : byte(rng));
      if constexpr (std::is_same_v<Block, BlockQ5_K>) {
        for (auto& v : blk.qh) v = static_cast<uint8_t>(r == 2 ? 255 : byte(rng));
      }
      for (auto& v : blk.qs) v = static_cast<uint8_t>(r == 2 ? 255 : byte(rng));
    }
  }
  return w;
}

std::vector<uint8_t> Q4KWeight(int64_t rows, int64_t cols, std::mt19937& rng) {
  return Q4Or5KWeight(GgmlType::kQ4_K, QuantizeRowQ4_K, rows, cols, rng);
}

TEST(MatMulPacked, Q4_KPanelsGiveTheReferenceBits) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const GgmlType t = GgmlType::kQ4_K;
  int packed_cases = 0;
  for (int64_t rows : {16, 37, 64}) {
    for (int64_t cols : {256, 768}) {
      const int64_t rb = RowBytes(Traits(t), cols);
      const int64_t nb = cols / kQK_K;
      const std::vector<uint8_t> w = Q4KWeight(rows, cols, rng);
      const auto panels = SimdPackPanels(t, w.data(), rows, rb, cols);
      if (panels.empty()) continue;  // no panel kernel on this CPU's best target
      ++packed_cases;
      // The file's bytes plus 4 per row and block (the unpacked scales), rows padded to 16.
      EXPECT_EQ(PanelBytesPerBlock(t), 16 * (Traits(t).type_size + 4));
      EXPECT_EQ(static_cast<int64_t>(panels.size()), (rows + 15) / 16 * nb * 16 * (rb / nb + 4));
      std::vector<uint8_t> back(static_cast<size_t>(rb));
      for (int64_t r = 0; r < rows; ++r) {
        UnpackPanelRow(t, panels.data(), cols, r, back.data());
        ASSERT_EQ(std::memcmp(back.data(), w.data() + r * rb, static_cast<size_t>(rb)), 0) << r;
      }
      for (int64_t tokens : {1, 2, 3, 4, 5, 17, 40}) {
        std::vector<float> x(static_cast<size_t>(tokens * cols));
        for (auto& v : x) v = nd(rng);
        // Token 0 at the extremes: every quant -127 (one sign), for the all-15 row.
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(c)] = 1.0f;
        MatrixView plain{t, w.data(), rows, cols};
        MatrixView packed = plain;
        packed.packed = panels.data();
        std::vector<float> a(static_cast<size_t>(tokens * rows)), b(a.size()), ref(a.size()),
            panel_ref(a.size());
        MatMul(plain, x.data(), tokens, a.data());
        MatMul(packed, x.data(), tokens, b.data());
        MatMulReference(plain, x.data(), tokens, ref.data());
        // The scalar panel reference reads only the panels: equal to MatMulReference on the
        // file's rows, so the packing is right.
        std::vector<BlockQ8_K> xk(static_cast<size_t>(tokens * nb));
        std::vector<int16_t> xk_sub(static_cast<size_t>(tokens * nb * 8));
        for (int64_t k = 0; k < tokens; ++k) {
          QuantizeRowQ8_K(x.data() + k * cols, xk.data() + k * nb, cols);
        }
        Q8_KSubBlockSums(xk.data(), tokens * nb, xk_sub.data());
        Q4_KPanelMatMulReference(panels.data(), rows, cols, xk.data(), xk_sub.data(), tokens,
                                 panel_ref.data());
        const auto bytes = a.size() * sizeof(float);
        EXPECT_EQ(std::memcmp(panel_ref.data(), ref.data(), bytes), 0)
            << "panel reference, rows " << rows << " cols " << cols << " tokens " << tokens;
        EXPECT_EQ(std::memcmp(a.data(), ref.data(), bytes), 0)
            << "per-call panels, rows " << rows << " cols " << cols << " tokens " << tokens;
        for (size_t i = 0; i < b.size(); ++i) {
          ASSERT_EQ(std::bit_cast<uint32_t>(b[i]), std::bit_cast<uint32_t>(ref[i]))
              << "packed, rows " << rows << " cols " << cols << " tokens " << tokens << " row "
              << static_cast<int64_t>(i) % rows << " token " << static_cast<int64_t>(i) / rows
              << ": " << b[i] << " vs " << ref[i];
        }
        std::vector<uint8_t> zero(panels.size(), 0);
        packed.packed = zero.data();
        MatMul(packed, x.data(), tokens, b.data());
        for (float v : b) ASSERT_EQ(v, 0.0f);
      }
    }
  }
  if (packed_cases == 0) GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
}

// The extreme row really reaches the int16 limit the kernel relies on: 8 loads x 2 products of
// 15 x 127 per int16 lane.
TEST(MatMulPacked, Q4_KExtremeRowIsExtreme) {
  std::mt19937 rng(3);
  const std::vector<uint8_t> w = Q4KWeight(3, 256, rng);
  const auto* blk = reinterpret_cast<const BlockQ4_K*>(w.data() + 2 * 144);
  uint8_t sc[8], m[8];
  UnpackScaleMinK4(blk->scales, sc, m);
  for (int j = 0; j < 8; ++j) EXPECT_EQ(sc[j] + m[j], 126);
  for (uint8_t q : blk->qs) EXPECT_EQ(q, 255);
}

// Q5_K rows as Q4KWeight's: quantised Gaussian rows, rows of random bytes (every scale, min,
// nibble and fifth bit), and row 2 at the integer extremes: every quant 31, every scale and min
// 63, the worst case of the kernel's int16 sums against activations at +-127.
std::vector<uint8_t> Q5KWeight(int64_t rows, int64_t cols, std::mt19937& rng) {
  return Q4Or5KWeight(GgmlType::kQ5_K, QuantizeRowQ5_K, rows, cols, rng);
}

TEST(MatMulPacked, Q5_KPanelsGiveTheReferenceBits) {
  std::mt19937 rng(13);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const GgmlType t = GgmlType::kQ5_K;
  int packed_cases = 0;
  for (int64_t rows : {16, 37, 64}) {
    for (int64_t cols : {256, 768}) {
      const int64_t rb = RowBytes(Traits(t), cols);
      const int64_t nb = cols / kQK_K;
      const std::vector<uint8_t> w = Q5KWeight(rows, cols, rng);
      const auto panels = SimdPackPanels(t, w.data(), rows, rb, cols);
      if (panels.empty()) continue;  // no panel kernel on this CPU's best target
      ++packed_cases;
      // The file's 176 bytes plus 4 per row and block (the unpacked scales), rows padded to 16.
      EXPECT_EQ(PanelBytesPerBlock(t), 16 * (176 + 4));
      EXPECT_EQ(static_cast<int64_t>(panels.size()), (rows + 15) / 16 * nb * 16 * (rb / nb + 4));
      std::vector<uint8_t> back(static_cast<size_t>(rb));
      for (int64_t r = 0; r < rows; ++r) {
        UnpackPanelRow(t, panels.data(), cols, r, back.data());
        ASSERT_EQ(std::memcmp(back.data(), w.data() + r * rb, static_cast<size_t>(rb)), 0) << r;
      }
      for (int64_t tokens : {1, 2, 3, 4, 5, 17, 40}) {
        std::vector<float> x(static_cast<size_t>(tokens * cols));
        for (auto& v : x) v = nd(rng);
        // Token 0 at the extremes: every quant -127 (one sign), for the all-31 row; the last
        // token every quant +127.
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(c)] = 1.0f;
        if (tokens > 1) {
          for (int64_t c = 0; c < cols; ++c)
            x[static_cast<size_t>((tokens - 1) * cols + c)] = -1.0f;
        }
        MatrixView plain{t, w.data(), rows, cols};
        MatrixView packed = plain;
        packed.packed = panels.data();
        std::vector<float> a(static_cast<size_t>(tokens * rows)), b(a.size()), ref(a.size()),
            panel_ref(a.size());
        MatMul(plain, x.data(), tokens, a.data());
        MatMul(packed, x.data(), tokens, b.data());
        MatMulReference(plain, x.data(), tokens, ref.data());
        std::vector<BlockQ8_K> xk(static_cast<size_t>(tokens * nb));
        std::vector<int16_t> xk_sub(static_cast<size_t>(tokens * nb * 8));
        for (int64_t k = 0; k < tokens; ++k) {
          QuantizeRowQ8_K(x.data() + k * cols, xk.data() + k * nb, cols);
        }
        if (tokens == 1) {  // the extreme activations really are the extremes
          for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(std::abs(xk[c / 256].qs[c % 256]), 127);
        }
        Q8_KSubBlockSums(xk.data(), tokens * nb, xk_sub.data());
        Q5_KPanelMatMulReference(panels.data(), rows, cols, xk.data(), xk_sub.data(), tokens,
                                 panel_ref.data());
        const auto bytes = a.size() * sizeof(float);
        EXPECT_EQ(std::memcmp(panel_ref.data(), ref.data(), bytes), 0)
            << "panel reference, rows " << rows << " cols " << cols << " tokens " << tokens;
        EXPECT_EQ(std::memcmp(a.data(), ref.data(), bytes), 0)
            << "per-call panels, rows " << rows << " cols " << cols << " tokens " << tokens;
        for (size_t i = 0; i < b.size(); ++i) {
          ASSERT_EQ(std::bit_cast<uint32_t>(b[i]), std::bit_cast<uint32_t>(ref[i]))
              << "packed, rows " << rows << " cols " << cols << " tokens " << tokens << " row "
              << static_cast<int64_t>(i) % rows << " token " << static_cast<int64_t>(i) / rows
              << ": " << b[i] << " vs " << ref[i];
        }
        std::vector<uint8_t> zero(panels.size(), 0);
        packed.packed = zero.data();
        MatMul(packed, x.data(), tokens, b.data());
        for (float v : b) ASSERT_EQ(v, 0.0f);
      }
    }
  }
  if (packed_cases == 0) GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
}

// The extreme row is extreme: every quant 31 (nibble 15, fifth bit set), every scale and min 63.
TEST(MatMulPacked, Q5_KExtremeRowIsExtreme) {
  std::mt19937 rng(3);
  const std::vector<uint8_t> w = Q5KWeight(3, 256, rng);
  const auto* blk = reinterpret_cast<const BlockQ5_K*>(w.data() + 2 * 176);
  uint8_t sc[8], m[8];
  UnpackScaleMinK4(blk->scales, sc, m);
  for (int j = 0; j < 8; ++j) EXPECT_EQ(sc[j] + m[j], 126);
  for (uint8_t q : blk->qs) EXPECT_EQ(q, 255);
  for (uint8_t q : blk->qh) EXPECT_EQ(q, 255);
}

// q/k/v of a Q5_K_M file mix q5_K and q6_K: MatMulSameInput quantises once and gives each
// product MatMulReference's bits (packed or not).
TEST(MatMulPacked, Q5_KMixedWithQ6_KSharesTheActivations) {
  std::mt19937 rng(17);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t cols = 512;
  const GgmlType types[] = {GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kQ5_K};
  const int64_t heights[] = {37, 16, 64};
  std::vector<std::vector<uint8_t>> ws, panels;
  std::vector<float> row(static_cast<size_t>(cols));
  for (int i = 0; i < 3; ++i) {
    const int64_t rb = RowBytes(Traits(types[i]), cols);
    ws.emplace_back(static_cast<size_t>(heights[i] * rb));
    for (int64_t r = 0; r < heights[i]; ++r) {
      for (auto& v : row) v = nd(rng);
      QuantizeRow(types[i], row.data(), ws.back().data() + r * rb, cols);
    }
    panels.push_back(SimdPackPanels(types[i], ws.back().data(), heights[i], rb, cols));
  }
  for (int64_t tokens : {1, 5}) {
    std::vector<float> x(static_cast<size_t>(tokens * cols));
    for (auto& v : x) v = nd(rng);
    std::vector<std::vector<float>> ys, refs;
    std::vector<MatMulProduct> products;
    for (int i = 0; i < 3; ++i) {
      MatrixView v{types[i], ws[i].data(), heights[i], cols};
      if (!panels[i].empty()) v.packed = panels[i].data();
      ys.emplace_back(static_cast<size_t>(tokens * heights[i]), NAN);
      refs.emplace_back(ys.back().size());
      MatMulReference(v, x.data(), tokens, refs.back().data());
    }
    for (int i = 0; i < 3; ++i) {
      MatrixView v{types[i], ws[i].data(), heights[i], cols};
      if (!panels[i].empty()) v.packed = panels[i].data();
      products.push_back(MatMulProduct{v, ys[i].data()});
    }
    MatMulSameInput(products, x.data(), tokens);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(std::memcmp(ys[i].data(), refs[i].data(), ys[i].size() * sizeof(float)), 0)
          << "product " << i << " tokens " << tokens;
    }
  }
}

// Q5_0 rows: quantised Gaussian rows, rows of random bytes (every nibble and fifth bit, random
// positive d), row 2 with every quant 31 and row 5 with every quant 0 (q - 16 = -16), the int16
// worst cases against activations at +-127.
std::vector<uint8_t> Q5_0Weight(int64_t rows, int64_t cols, std::mt19937& rng) {
  const int64_t rb = RowBytes(Traits(GgmlType::kQ5_0), cols);
  std::vector<uint8_t> w(static_cast<size_t>(rows * rb));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    auto* blocks = reinterpret_cast<BlockQ5_0*>(w.data() + r * rb);
    if (r % 3 != 2) {
      for (auto& v : row) v = nd(rng);
      QuantizeRowQ5_0(row.data(), blocks, cols);
      continue;
    }
    const int fill = r == 2 ? 255 : r == 5 ? 0 : -1;
    for (int64_t b = 0; b < cols / 32; ++b) {
      BlockQ5_0& blk = blocks[b];
      blk.d = F32ToF16(std::ldexp(0.5f + 0.5f * byte(rng) / 255.0f, -byte(rng) % 12));
      for (auto& v : blk.qh) v = static_cast<uint8_t>(fill >= 0 ? fill : byte(rng));
      for (auto& v : blk.qs) v = static_cast<uint8_t>(fill >= 0 ? fill : byte(rng));
    }
  }
  return w;
}

TEST(MatMulPacked, Q5_0PanelsGiveTheReferenceBits) {
  std::mt19937 rng(19);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const GgmlType t = GgmlType::kQ5_0;
  int packed_cases = 0;
  for (int64_t rows : {16, 37, 64}) {
    for (int64_t cols : {32, 96, 896}) {
      const int64_t rb = RowBytes(Traits(t), cols);
      const int64_t nb = cols / 32;
      const std::vector<uint8_t> w = Q5_0Weight(rows, cols, rng);
      const auto panels = SimdPackPanels(t, w.data(), rows, rb, cols);
      if (panels.empty()) continue;  // no panel kernel on this CPU's best target
      ++packed_cases;
      // Exactly the file's bytes, rows padded to whole 16-row panels.
      EXPECT_EQ(PanelBytesPerBlock(t), 16 * 22);
      EXPECT_EQ(static_cast<int64_t>(panels.size()), (rows + 15) / 16 * 16 * rb);
      std::vector<uint8_t> back(static_cast<size_t>(rb));
      for (int64_t r = 0; r < rows; ++r) {
        UnpackPanelRow(t, panels.data(), cols, r, back.data());
        ASSERT_EQ(std::memcmp(back.data(), w.data() + r * rb, static_cast<size_t>(rb)), 0) << r;
      }
      for (int64_t tokens : {1, 2, 3, 4, 5, 17, 40}) {
        std::vector<float> x(static_cast<size_t>(tokens * cols));
        for (auto& v : x) v = nd(rng);
        // Token 0 at -127 everywhere, the last token at +127.
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(c)] = -1.0f;
        if (tokens > 1) {
          for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>((tokens - 1) * cols + c)] = 1.0f;
        }
        MatrixView plain{t, w.data(), rows, cols};
        MatrixView packed = plain;
        packed.packed = panels.data();
        std::vector<float> a(static_cast<size_t>(tokens * rows)), b(a.size()), ref(a.size()),
            panel_ref(a.size());
        MatMul(plain, x.data(), tokens, a.data());
        MatMul(packed, x.data(), tokens, b.data());
        MatMulReference(plain, x.data(), tokens, ref.data());
        std::vector<float> xd(static_cast<size_t>(tokens * nb));
        std::vector<int8_t> xq(static_cast<size_t>(tokens * cols));
        std::vector<int32_t> xs(xd.size());
        SimdQuantizeQ8_0Rows(x.data(), tokens, cols, xd.data(), xq.data(), xs.data());
        for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(xq[static_cast<size_t>(c)], -127);
        Q5_0PanelMatMulReference(panels.data(), rows, cols, xd.data(), xq.data(), tokens,
                                 panel_ref.data());
        const auto bytes = a.size() * sizeof(float);
        EXPECT_EQ(std::memcmp(panel_ref.data(), ref.data(), bytes), 0)
            << "panel reference, rows " << rows << " cols " << cols << " tokens " << tokens;
        EXPECT_EQ(std::memcmp(a.data(), ref.data(), bytes), 0)
            << "per-call panels, rows " << rows << " cols " << cols << " tokens " << tokens;
        for (size_t i = 0; i < b.size(); ++i) {
          ASSERT_EQ(std::bit_cast<uint32_t>(b[i]), std::bit_cast<uint32_t>(ref[i]))
              << "packed, rows " << rows << " cols " << cols << " tokens " << tokens << " row "
              << static_cast<int64_t>(i) % rows << " token " << static_cast<int64_t>(i) / rows
              << ": " << b[i] << " vs " << ref[i];
        }
        std::vector<uint8_t> zero(panels.size(), 0);
        packed.packed = zero.data();
        MatMul(packed, x.data(), tokens, b.data());
        for (float v : b) ASSERT_EQ(v, 0.0f);
      }
    }
  }
  if (packed_cases == 0) GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
}

// Q5_1 / Q4_1 rows: quantised Gaussian rows, rows of random bytes (every nibble and fifth bit,
// random positive d, random m of either sign), row 2 with every quant at its maximum (31 / 15:
// the int16 worst case against activations at +-127) and row 5 with every quant 0 (only m * s).
std::vector<uint8_t> MinTypeWeight(GgmlType t, int64_t rows, int64_t cols, std::mt19937& rng) {
  const int64_t rb = RowBytes(Traits(t), cols);
  std::vector<uint8_t> w(static_cast<size_t>(rows * rb));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* dst = w.data() + r * rb;
    if (r % 3 != 2) {
      for (auto& v : row) v = nd(rng);
      if (t == GgmlType::kQ5_1) {
        QuantizeRowQ5_1(row.data(), reinterpret_cast<BlockQ5_1*>(dst), cols);
      } else {
        QuantizeRowQ4_1(row.data(), reinterpret_cast<BlockQ4_1*>(dst), cols);
      }
      continue;
    }
    const int fill = r == 2 ? 255 : r == 5 ? 0 : -1;
    auto fill_block = [&](uint16_t& d, uint16_t& m, uint8_t* qh, uint8_t* qs) {
      d = F32ToF16(std::ldexp(0.5f + 0.5f * byte(rng) / 255.0f, -byte(rng) % 12));
      m = F32ToF16((byte(rng) % 2 ? -1.0f : 1.0f) *
                   std::ldexp(0.5f + 0.5f * byte(rng) / 255.0f, -byte(rng) % 12));
      for (int i = 0; qh != nullptr && i < 4; ++i) {
        qh[i] = static_cast<uint8_t>(fill >= 0 ? fill : byte(rng));
      }
      for (int i = 0; i < 16; ++i) qs[i] = static_cast<uint8_t>(fill >= 0 ? fill : byte(rng));
    };
    for (int64_t b = 0; b < cols / 32; ++b) {
      if (t == GgmlType::kQ5_1) {
        BlockQ5_1& blk = reinterpret_cast<BlockQ5_1*>(dst)[b];
        fill_block(blk.d, blk.m, blk.qh, blk.qs);
      } else {
        BlockQ4_1& blk = reinterpret_cast<BlockQ4_1*>(dst)[b];
        fill_block(blk.d, blk.m, nullptr, blk.qs);
      }
    }
  }
  return w;
}

// q5_1 and q4_1 panels (llama.cpp's stand-in for q5_K on rows not a multiple of 256, and the
// q4_1 mix): the file's bytes, the round trip, and MatMulReference's bits packed at load, packed
// per call and from the scalar panel reference, for 1-40 tokens on 16, 37 and 64 rows.
class MinTypePanels : public ::testing::TestWithParam<GgmlType> {};

TEST_P(MinTypePanels, GiveTheReferenceBits) {
  // Whether the CPU's best target has the panel kernels (asked of q8_0, so a type the packer
  // forgets fails below rather than skipping).
  const std::vector<uint8_t> probe(16 * 34, 0);
  if (SimdPackPanels(GgmlType::kQ8_0, probe.data(), 16, 34, 32).empty()) {
    GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
  }
  const GgmlType t = GetParam();
  const bool q5 = t == GgmlType::kQ5_1;
  std::mt19937 rng(q5 ? 23 : 29);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int64_t rows : {16, 37, 64}) {
    for (int64_t cols : {32, 96, 1152}) {
      const int64_t rb = RowBytes(Traits(t), cols);
      const int64_t nb = cols / 32;
      const std::vector<uint8_t> w = MinTypeWeight(t, rows, cols, rng);
      const auto panels = SimdPackPanels(t, w.data(), rows, rb, cols);
      ASSERT_FALSE(panels.empty()) << TypeName(t) << " is not packed";
      // Exactly the file's bytes, rows padded to whole 16-row panels.
      EXPECT_EQ(PanelBytesPerBlock(t), 16 * (q5 ? 24 : 20));
      EXPECT_EQ(static_cast<int64_t>(panels.size()), (rows + 15) / 16 * 16 * rb);
      std::vector<uint8_t> back(static_cast<size_t>(rb));
      for (int64_t r = 0; r < rows; ++r) {
        UnpackPanelRow(t, panels.data(), cols, r, back.data());
        ASSERT_EQ(std::memcmp(back.data(), w.data() + r * rb, static_cast<size_t>(rb)), 0) << r;
      }
      for (int64_t tokens : {1, 2, 3, 4, 5, 17, 40}) {
        std::vector<float> x(static_cast<size_t>(tokens * cols));
        for (auto& v : x) v = nd(rng);
        // Token 0 at -127 everywhere, the last token at +127.
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(c)] = -1.0f;
        if (tokens > 1) {
          for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>((tokens - 1) * cols + c)] = 1.0f;
        }
        MatrixView plain{t, w.data(), rows, cols};
        MatrixView packed = plain;
        packed.packed = panels.data();
        std::vector<float> a(static_cast<size_t>(tokens * rows)), b(a.size()), ref(a.size()),
            panel_ref(a.size());
        MatMul(plain, x.data(), tokens, a.data());
        MatMul(packed, x.data(), tokens, b.data());
        MatMulReference(plain, x.data(), tokens, ref.data());
        std::vector<float> xd(static_cast<size_t>(tokens * nb));
        std::vector<int8_t> xq(static_cast<size_t>(tokens * cols));
        std::vector<int32_t> xs(xd.size());
        SimdQuantizeQ8_0Rows(x.data(), tokens, cols, xd.data(), xq.data(), xs.data());
        for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(xq[static_cast<size_t>(c)], -127);
        (q5 ? Q5_1PanelMatMulReference : Q4_1PanelMatMulReference)(
            panels.data(), rows, cols, xd.data(), xq.data(), xs.data(), tokens, panel_ref.data());
        const auto bytes = a.size() * sizeof(float);
        EXPECT_EQ(std::memcmp(panel_ref.data(), ref.data(), bytes), 0)
            << "panel reference, rows " << rows << " cols " << cols << " tokens " << tokens;
        for (size_t i = 0; i < b.size(); ++i) {
          const auto where = [&]() {
            return std::string(" rows ") + std::to_string(rows) + " cols " + std::to_string(cols) +
                   " tokens " + std::to_string(tokens) + " row " +
                   std::to_string(static_cast<int64_t>(i) % rows) + " token " +
                   std::to_string(static_cast<int64_t>(i) / rows);
          };
          ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(ref[i]))
              << "per call," << where() << ": " << a[i] << " vs " << ref[i];
          ASSERT_EQ(std::bit_cast<uint32_t>(b[i]), std::bit_cast<uint32_t>(ref[i]))
              << "packed," << where() << ": " << b[i] << " vs " << ref[i];
        }
        std::vector<uint8_t> zero(panels.size(), 0);
        packed.packed = zero.data();
        MatMul(packed, x.data(), tokens, b.data());
        for (float v : b) ASSERT_EQ(v, 0.0f);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(MatMulPacked, MinTypePanels,
                         ::testing::Values(GgmlType::kQ5_1, GgmlType::kQ4_1),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

// A q5_1 product next to q5_0 and q8_0 ones of the same input (as a Q5_K_M file on 1152-wide
// rows gives attention q5_1 and ffn_down q5_0 / q8_0): MatMulSameInput shares one Q8_0
// quantisation, with the same bits as each product alone.
TEST(MatMulPacked, Q5_1MixedWithQ5_0AndQ8_0SharesTheActivations) {
  std::mt19937 rng(31);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t cols = 96;
  const GgmlType types[] = {GgmlType::kQ5_1, GgmlType::kQ5_0, GgmlType::kQ8_0, GgmlType::kQ4_1};
  const int64_t heights[] = {37, 16, 21, 40};
  std::vector<std::vector<uint8_t>> ws;
  std::vector<std::vector<uint8_t>> panels;
  for (int i = 0; i < 4; ++i) {
    if (types[i] == GgmlType::kQ5_0) {
      ws.push_back(Q5_0Weight(heights[i], cols, rng));
    } else if (types[i] == GgmlType::kQ8_0) {
      std::vector<float> f(static_cast<size_t>(heights[i] * cols));
      for (auto& v : f) v = nd(rng);
      ws.emplace_back(static_cast<size_t>(heights[i] * RowBytes(Traits(types[i]), cols)));
      QuantizeRowQ8_0(f.data(), reinterpret_cast<BlockQ8_0*>(ws.back().data()), heights[i] * cols);
    } else {
      ws.push_back(MinTypeWeight(types[i], heights[i], cols, rng));
    }
    panels.push_back(SimdPackPanels(types[i], ws.back().data(), heights[i],
                                    RowBytes(Traits(types[i]), cols), cols));
  }
  for (int64_t tokens : {1, 3, 20}) {
    std::vector<float> x(static_cast<size_t>(tokens * cols));
    for (auto& v : x) v = nd(rng);
    std::vector<std::vector<float>> ys, refs;
    std::vector<MatMulProduct> products;
    for (int i = 0; i < 4; ++i) {
      ys.emplace_back(static_cast<size_t>(tokens * heights[i]), NAN);
      refs.emplace_back(ys.back().size());
      MatrixView view{types[i], ws[i].data(), heights[i], cols};
      MatMulReference(view, x.data(), tokens, refs.back().data());
      view.packed = panels[i].empty() ? nullptr : panels[i].data();
      products.push_back(MatMulProduct{view, ys.back().data()});
    }
    MatMulSameInput(products, x.data(), tokens);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(std::memcmp(ys[i].data(), refs[i].data(), ys[i].size() * sizeof(float)), 0)
          << "product " << i << " tokens " << tokens;
    }
  }
}

// Q6_K rows: quantised Gaussian rows, rows of random bytes (every quant and scale value, -128
// included; d random normal halves), and two rows at the integer extremes: row 2 every quant 63
// (value 31) with every scale -128, row 5 every quant 0 (value -32) with every scale 127.
// NOLINTNEXTLINE(readability-identifier-naming): ggml's type name, as Q4_K's
std::vector<uint8_t> Q6_KWeight(int64_t rows, int64_t cols, std::mt19937& rng) {
  const int64_t rb = RowBytes(Traits(GgmlType::kQ6_K), cols);
  std::vector<uint8_t> w(static_cast<size_t>(rows * rb));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    auto* blocks = reinterpret_cast<BlockQ6_K*>(w.data() + r * rb);
    if (r % 3 != 2 && r != 5) {
      for (auto& v : row) v = nd(rng);
      QuantizeRowQ6_K(row.data(), blocks, cols);
      continue;
    }
    for (int64_t b = 0; b < cols / kQK_K; ++b) {
      BlockQ6_K& blk = blocks[b];
      blk.d = F32ToF16(std::ldexp(0.5f + 0.5f * byte(rng) / 255.0f, -byte(rng) % 12));
      for (auto& v : blk.scales) {
        v = static_cast<int8_t>(r == 2 ? -128 : r == 5 ? 127 : static_cast<int8_t>(byte(rng)));
      }
      const int fill = r == 2 ? 255 : 0;
      for (auto& v : blk.ql) v = static_cast<uint8_t>(r == 2 || r == 5 ? fill : byte(rng));
      for (auto& v : blk.qh) v = static_cast<uint8_t>(r == 2 || r == 5 ? fill : byte(rng));
    }
  }
  return w;
}

TEST(MatMulPacked, Q6_KPanelsGiveTheReferenceBits) {
  std::mt19937 rng(13);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const GgmlType t = GgmlType::kQ6_K;
  int packed_cases = 0;
  for (int64_t rows : {16, 37, 64}) {
    for (int64_t cols : {256, 768}) {
      const int64_t rb = RowBytes(Traits(t), cols);
      const int64_t nb = cols / kQK_K;
      const std::vector<uint8_t> w = Q6_KWeight(rows, cols, rng);
      const auto panels = SimdPackPanels(t, w.data(), rows, rb, cols);
      if (panels.empty()) continue;  // no panel kernel on this CPU's best target
      ++packed_cases;
      // Exactly the file's bytes, rows padded to 16 (6-bit quants stay 6-bit).
      EXPECT_EQ(PanelBytesPerBlock(t), 16 * Traits(t).type_size);
      EXPECT_EQ(static_cast<int64_t>(panels.size()), (rows + 15) / 16 * 16 * rb);
      std::vector<uint8_t> back(static_cast<size_t>(rb));
      for (int64_t r = 0; r < rows; ++r) {
        UnpackPanelRow(t, panels.data(), cols, r, back.data());
        ASSERT_EQ(std::memcmp(back.data(), w.data() + r * rb, static_cast<size_t>(rb)), 0) << r;
      }
      for (int64_t tokens : {1, 2, 3, 4, 5, 17, 40}) {
        std::vector<float> x(static_cast<size_t>(tokens * cols));
        for (auto& v : x) v = nd(rng);
        // Token 0 at the extremes: every quant -127; token 1 every quant +127.
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(c)] = 1.0f;
        if (tokens > 1) {
          for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(cols + c)] = -1.0f;
        }
        MatrixView plain{t, w.data(), rows, cols};
        MatrixView packed = plain;
        packed.packed = panels.data();
        std::vector<float> a(static_cast<size_t>(tokens * rows)), b(a.size()), ref(a.size()),
            panel_ref(a.size());
        MatMul(plain, x.data(), tokens, a.data());
        MatMul(packed, x.data(), tokens, b.data());
        MatMulReference(plain, x.data(), tokens, ref.data());
        std::vector<BlockQ8_K> xk(static_cast<size_t>(tokens * nb));
        for (int64_t k = 0; k < tokens; ++k) {
          QuantizeRowQ8_K(x.data() + k * cols, xk.data() + k * nb, cols);
        }
        Q6_KPanelMatMulReference(panels.data(), rows, cols, xk.data(), tokens, panel_ref.data());
        const auto bytes = a.size() * sizeof(float);
        EXPECT_EQ(std::memcmp(panel_ref.data(), ref.data(), bytes), 0)
            << "panel reference, rows " << rows << " cols " << cols << " tokens " << tokens;
        EXPECT_EQ(std::memcmp(a.data(), ref.data(), bytes), 0)
            << "per-call panels, rows " << rows << " cols " << cols << " tokens " << tokens;
        for (size_t i = 0; i < b.size(); ++i) {
          ASSERT_EQ(std::bit_cast<uint32_t>(b[i]), std::bit_cast<uint32_t>(ref[i]))
              << "packed, rows " << rows << " cols " << cols << " tokens " << tokens << " row "
              << static_cast<int64_t>(i) % rows << " token " << static_cast<int64_t>(i) / rows
              << ": " << b[i] << " vs " << ref[i];
        }
        // Every product (decode included) really reads the packed copy.
        std::vector<uint8_t> zero(panels.size(), 0);
        packed.packed = zero.data();
        MatMul(packed, x.data(), tokens, b.data());
        for (float v : b) ASSERT_EQ(v, 0.0f);
      }
    }
  }
  if (packed_cases == 0) GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
}

// The int16 limit of the kernel's pair sums, reached: every quant 63 against Q8_K activations
// of -128 (which QuantizeRowQ8_K never writes, so the blocks are made here, bsums consistent)
// and of 127, through the decode (16 rows x 1 token) and prefill (8 rows x 4 tokens) tiles.
// Each int16 lane then holds 4 * 63 * -128 = -32256; a kernel that added one more pair would
// wrap. The expected value of the all-63 row is also written out: per block
// sum_q = 16 groups * sc * 16 * 31 * x.
TEST(MatMulPacked, Q6_KExtremeRowsDoNotSaturate) {
  std::mt19937 rng(17);
  const GgmlType t = GgmlType::kQ6_K;
  const int64_t rows = 37, cols = 512, nb = cols / kQK_K;
  const int64_t rb = RowBytes(Traits(t), cols);
  const std::vector<uint8_t> w = Q6_KWeight(rows, cols, rng);
  const auto* extreme = reinterpret_cast<const BlockQ6_K*>(w.data() + 2 * rb);
  for (uint8_t q : extreme->ql) ASSERT_EQ(q, 255);
  for (uint8_t q : extreme->qh) ASSERT_EQ(q, 255);
  const auto panels = SimdPackPanels(t, w.data(), rows, rb, cols);
  if (panels.empty()) GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
  for (int64_t tokens : {1, 4, 6}) {
    // Token k: every quant -128 (k even) or 127 (k odd), d = 2^-7.
    std::vector<BlockQ8_K> xk(static_cast<size_t>(tokens * nb));
    for (int64_t k = 0; k < tokens; ++k) {
      for (int64_t b = 0; b < nb; ++b) {
        BlockQ8_K& x = xk[static_cast<size_t>(k * nb + b)];
        const int8_t q = k % 2 == 0 ? -128 : 127;
        x.d = 0x1p-7f;
        std::fill(std::begin(x.qs), std::end(x.qs), q);
        std::fill(std::begin(x.bsums), std::end(x.bsums), static_cast<int16_t>(16 * q));
      }
    }
    std::vector<int16_t> xk_sub(static_cast<size_t>(tokens * nb * 8));
    Q8_KSubBlockSums(xk.data(), tokens * nb, xk_sub.data());
    std::vector<float> y(static_cast<size_t>(tokens * rows)), ref(y.size());
    SimdMatMulArgs args;
    args.type = t;
    args.w = w.data();
    args.row_bytes = rb;
    args.cols = cols;
    args.n_tokens = tokens;
    args.xk = xk.data();
    args.xk_sub = xk_sub.data();
    args.y = y.data();
    args.y_stride = rows;
    args.packed = panels.data();
    SimdMatMulRows(args, 0, rows);
    Q6_KPanelMatMulReference(panels.data(), rows, cols, xk.data(), tokens, ref.data());
    for (int64_t k = 0; k < tokens; ++k) {
      // The reference itself, written out for the all-63 row (value 31, scale -128).
      double want = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const int32_t sum_q = 16 * -128 * 16 * 31 * (k % 2 == 0 ? -128 : 127);
        want += static_cast<double>(F16ToF32(extreme[b].d) * 0x1p-7f) * sum_q;
      }
      EXPECT_EQ(ref[static_cast<size_t>(k * rows + 2)], static_cast<float>(want)) << k;
      for (int64_t r = 0; r < rows; ++r) {
        const size_t i = static_cast<size_t>(k * rows + r);
        ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(ref[i]))
            << "tokens " << tokens << " token " << k << " row " << r << ": " << y[i] << " vs "
            << ref[i];
      }
    }
  }
}

// A q4_K_M layer's q/k/v mix q4_K and q6_K (attn_v): MatMulSameInput quantises the input to
// Q8_K once for all three (both types' kernels read the same Q8_K blocks) and every output keeps
// the reference's bits, packed or not.
TEST(MatMulPacked, MixedQ4_KAndQ6_KProductsShareTheActivations) {
  std::mt19937 rng(19);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t cols = 512, tokens = 5;
  const GgmlType types[] = {GgmlType::kQ4_K, GgmlType::kQ4_K, GgmlType::kQ6_K};
  const int64_t rows[] = {48, 21, 37};
  std::vector<std::vector<uint8_t>> w, panels;
  for (int i = 0; i < 3; ++i) {
    w.push_back(types[i] == GgmlType::kQ4_K ? Q4KWeight(rows[i], cols, rng)
                                            : Q6_KWeight(rows[i], cols, rng));
    panels.push_back(
        SimdPackPanels(types[i], w[i].data(), rows[i], RowBytes(Traits(types[i]), cols), cols));
  }
  std::vector<float> x(static_cast<size_t>(tokens * cols));
  for (auto& v : x) v = nd(rng);
  for (bool packed : {false, true}) {
    std::vector<std::vector<float>> y(3), ref(3);
    std::vector<MatMulProduct> products;
    for (int i = 0; i < 3; ++i) {
      y[i].assign(static_cast<size_t>(tokens * rows[i]), NAN);
      ref[i].resize(y[i].size());
      MatrixView view{types[i], w[i].data(), rows[i], cols};
      MatMulReference(view, x.data(), tokens, ref[i].data());
      if (packed && !panels[i].empty()) view.packed = panels[i].data();
      products.push_back(MatMulProduct{view, y[i].data()});
    }
    MatMulSameInput(products, x.data(), tokens);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(std::memcmp(y[i].data(), ref[i].data(), y[i].size() * sizeof(float)), 0)
          << "product " << i << " (" << TypeName(types[i]) << "), packed " << packed;
    }
  }
}

TEST(MatMulPacked, OtherTypesAreNotPacked) {
  std::vector<uint8_t> w(16 * 32 * 4);
  EXPECT_TRUE(SimdPackPanels(GgmlType::kF32, w.data(), 16, 32 * 4, 32).empty());
  EXPECT_TRUE(SimdPackPanels(GgmlType::kQ8_0, w.data(), 0, 34, 32).empty());
}

}  // namespace
}  // namespace gapbench::kernels
