// Quantisers and dequantisers: hand-computed blocks (the values follow from ggml's reference
// formulas by hand, not from our output), error bounds on random rows, and error reporting.
#include "kernels/quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/error.h"
#include "kernels/fp16.h"

namespace gapbench::kernels {
namespace {

TEST(QuantQ8_0, ExactScaleAndRoundHalfAwayFromZero) {
  // amax = 127 * 0.5, so d = 0.5 exactly (f16 0x3800) and id = 2.
  std::vector<float> x(32, 0.0f);
  x[0] = 63.5f;
  x[1] = 1.25f;   // 2.5  -> 3 (roundf; nearbyint would give 2)
  x[2] = -1.25f;  // -2.5 -> -3
  x[3] = 0.75f;   // 1.5  -> 2
  x[4] = -63.5f;  // -127
  x[5] = 0.2f;    // 0.4  -> 0
  x[6] = -0.3f;   // -0.6 -> -1
  BlockQ8_0 b;
  QuantizeRowQ8_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3800);
  const int expected[7] = {127, 3, -3, 2, -127, 0, -1};
  for (int j = 0; j < 7; ++j) EXPECT_EQ(b.qs[j], expected[j]) << "j=" << j;
  for (int j = 7; j < 32; ++j) EXPECT_EQ(b.qs[j], 0);
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ8_0, &b, y.data(), 32);
  EXPECT_EQ(y[0], 63.5f);
  EXPECT_EQ(y[1], 1.5f);
  EXPECT_EQ(y[2], -1.5f);
  EXPECT_EQ(y[6], -0.5f);
}

TEST(QuantQ8_0, ZeroBlockHasZeroScale) {
  std::vector<float> x(64, 0.0f);
  x[40] = -2.0f;  // second block non-zero: d = 2/127
  BlockQ8_0 b[2];
  QuantizeRowQ8_0(x.data(), b, 64);
  EXPECT_EQ(b[0].d, 0);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(b[0].qs[j], 0);
  EXPECT_EQ(b[1].d, F32ToF16(2.0f / 127.0f));
  EXPECT_EQ(b[1].qs[8], -127);
}

TEST(QuantQ4_0, NegativeMaxGivesPositiveScale) {
  // Largest magnitude is -8, so d = -8 / -8 = 1 and q = (int)(x + 8.5), capped at 15.
  std::vector<float> x(32, 0.0f);
  x[0] = -8.0f;   // 0.5  -> 0
  x[1] = 7.0f;    // 15.5 -> 15
  x[2] = 3.0f;    // 11.5 -> 11
  x[3] = 0.5f;    // 9.0  -> 9 (halves round up)
  x[4] = -0.5f;   // 8.0  -> 8
  x[16] = 7.9f;   // 16.4 -> 16 -> capped 15
  x[17] = -2.2f;  // 6.3  -> 6
  BlockQ4_0 b;
  QuantizeRowQ4_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3c00);  // 1.0
  EXPECT_EQ(b.qs[0], 0 | (15 << 4));
  EXPECT_EQ(b.qs[1], 15 | (6 << 4));
  EXPECT_EQ(b.qs[2], 11 | (8 << 4));
  EXPECT_EQ(b.qs[3], 9 | (8 << 4));
  EXPECT_EQ(b.qs[4], 8 | (8 << 4));
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ4_0, &b, y.data(), 32);
  EXPECT_EQ(y[0], -8.0f);
  EXPECT_EQ(y[1], 7.0f);
  EXPECT_EQ(y[16], 7.0f);
  EXPECT_EQ(y[17], -2.0f);
}

TEST(QuantQ4_0, PositiveMaxMapsToMinusEightAndClampsTheOtherSide) {
  // Signed max +8 (first of the equal magnitudes): d = -1, id = -1.
  std::vector<float> x(32, 0.0f);
  x[0] = 8.0f;   // -8 + 8.5 = 0.5 -> 0 -> dequantised (0 - 8) * -1 = 8
  x[1] = -8.0f;  // same magnitude, later: 16.5 -> 16 -> 15 -> -7
  x[2] = 2.0f;   // 6.5 -> 6 -> 2
  BlockQ4_0 b;
  QuantizeRowQ4_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0xbc00);  // -1.0
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ4_0, &b, y.data(), 32);
  EXPECT_EQ(y[0], 8.0f);
  EXPECT_EQ(y[1], -7.0f);
  EXPECT_EQ(y[2], 2.0f);
  EXPECT_EQ(y[3], 0.0f);
}

TEST(QuantQ4_0, ZeroBlock) {
  std::vector<float> x(32, 0.0f);
  BlockQ4_0 b;
  QuantizeRowQ4_0(x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x8000);  // d = 0 / -8 = -0.0 in ggml's formula: the sign bit is set
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b.qs[j], 0x88);  // 0 * 0 + 8.5 -> 8 in both nibbles
}

// Round trip error on random rows. Q8_0: |x - y| <= d/2 from rounding plus |q| * |d16 - d|
// <= 127 * d * 2^-11 from storing d in f16, so 0.57 d bounds it. Q4_0: the cap at 15 costs up
// to one step on the side opposite the max (x/d = 8 -> 16.5 -> 15), plus 8 * d * 2^-11.
TEST(QuantRoundTrip, ErrorBounds) {
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int64_t n = 32 * 64;
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng) * (1.0f + static_cast<float>(rng() % 100));
  std::vector<BlockQ8_0> q8(n / 32);
  std::vector<BlockQ4_0> q4(n / 32);
  std::vector<float> y8(n), y4(n);
  QuantizeRow(GgmlType::kQ8_0, x.data(), q8.data(), n);
  QuantizeRow(GgmlType::kQ4_0, x.data(), q4.data(), n);
  DequantizeRow(GgmlType::kQ8_0, q8.data(), y8.data(), n);
  DequantizeRow(GgmlType::kQ4_0, q4.data(), y4.data(), n);
  for (int64_t b = 0; b < n / 32; ++b) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    for (int j = 0; j < 32; ++j) {
      const int64_t i = b * 32 + j;
      EXPECT_LE(std::fabs(x[i] - y8[i]), 0.57f * amax / 127.0f) << "i=" << i;
      EXPECT_LE(std::fabs(x[i] - y4[i]), 1.01f * amax / 8.0f) << "i=" << i;
    }
  }
}

TEST(QuantRoundTrip, FloatTypes) {
  const std::vector<float> x = {1.0f, -2.5f, 65504.0f, 1e-7f, 3.14159265f, 0.0f};
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint16_t> h(x.size());
  std::vector<float> y(x.size());
  QuantizeRow(GgmlType::kF16, x.data(), h.data(), n);
  DequantizeRow(GgmlType::kF16, h.data(), y.data(), n);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], F16ToF32(F32ToF16(x[i])));
  EXPECT_EQ(h[0], 0x3c00);
  EXPECT_EQ(h[2], 0x7bff);
  QuantizeRow(GgmlType::kBF16, x.data(), h.data(), n);
  DequantizeRow(GgmlType::kBF16, h.data(), y.data(), n);
  EXPECT_EQ(h[0], 0x3f80);
  EXPECT_EQ(h[1], 0xc020);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], x[i], std::fabs(x[i]) / 256.0f);
  std::vector<float> f(x.size());
  QuantizeRow(GgmlType::kF32, x.data(), f.data(), n);
  DequantizeRow(GgmlType::kF32, f.data(), y.data(), n);
  EXPECT_EQ(y, x);
}

TEST(QuantErrors, UnsupportedTypesAndBadLengthsThrow) {
  std::vector<float> x(256, 1.0f);
  std::vector<uint8_t> buf(1024);
  EXPECT_THROW(QuantizeRow(GgmlType::kQ2_K, x.data(), buf.data(), 256), Error);
  EXPECT_THROW(QuantizeRow(GgmlType::kQ4_K, x.data(), buf.data(), 128), Error);  // not 256
  EXPECT_THROW(QuantizeRow(GgmlType::kQ3_K, x.data(), buf.data(), 256), Error);
  EXPECT_THROW(DequantizeRow(GgmlType::kQ2_K, buf.data(), x.data(), 256), Error);
  EXPECT_THROW(QuantizeRow(GgmlType::kQ6_K, x.data(), buf.data(), 96), Error);  // not 256
  EXPECT_THROW(QuantizeRow(GgmlType::kQ8_0, x.data(), buf.data(), 33), Error);
  EXPECT_THROW(DequantizeRow(GgmlType::kQ4_K, buf.data(), x.data(), 32), Error);
}

// Q4_K by hand: sub-block scales/mins are 6-bit; pairs 4..7 borrow their top bits from the top
// two bits of bytes 0..7.
TEST(QuantQ4_K, HandBuiltBlock) {
  uint8_t block[144] = {};
  const uint16_t d = F32ToF16(0.5f), dmin = F32ToF16(0.25f);
  std::memcpy(block, &d, 2);
  std::memcpy(block + 2, &dmin, 2);
  uint8_t* s = block + 4;
  s[0] = 3 | (1 << 6);  // sc0 = 3; top bits of sc4 = 1
  s[4] = 2 | (2 << 6);  // m0 = 2;  top bits of m4 = 2
  s[8] = 5 | (7 << 4);  // sc4 low 4 bits = 5, m4 low 4 bits = 7
  s[1] = 10;            // sc1 = 10 (high nibbles of chunk 0)
  s[5] = 1;             // m1 = 1
  uint8_t* qs = block + 16;
  qs[0] = 9 | (4 << 4);
  qs[64] = 6;  // chunk 2 (pair 4), low nibble of its first byte
  std::vector<float> y(256);
  DequantizeRow(GgmlType::kQ4_K, block, y.data(), 256);
  EXPECT_EQ(y[0], 0.5f * 3 * 9 - 0.25f * 2);      // 13.0
  EXPECT_EQ(y[32], 0.5f * 10 * 4 - 0.25f * 1);    // 19.75
  EXPECT_EQ(y[128], 0.5f * 21 * 6 - 0.25f * 39);  // sc4 = 5 + 16, m4 = 7 + 32
  EXPECT_EQ(y[1], -0.5f);                         // q = 0: just -dmin * m0
}

// Q6_K by hand: value l of the first half is (ql[l] & 15 | (qh[l] & 3) << 4) - 32, scale sc[l/16].
TEST(QuantQ6_K, HandBuiltBlock) {
  uint8_t block[210] = {};
  uint8_t* ql = block;
  uint8_t* qh = block + 128;
  auto* sc = reinterpret_cast<int8_t*>(block + 192);
  const uint16_t d = F32ToF16(0.125f);
  std::memcpy(block + 208, &d, 2);
  sc[0] = 4;
  sc[2] = -2;
  sc[4] = 8;
  ql[0] = 5 | (1 << 4);
  qh[0] = 2 | (3 << 4);  // q1 high bits 2, q3 high bits 3
  ql[32] = 7;            // q2 low bits
  std::vector<float> y(256);
  DequantizeRow(GgmlType::kQ6_K, block, y.data(), 256);
  EXPECT_EQ(y[0], 0.125f * 4 * ((5 | (2 << 4)) - 32));   // q = 5
  EXPECT_EQ(y[32], 0.125f * -2 * (7 - 32));              // q = -25
  EXPECT_EQ(y[64], 0.125f * 8 * ((1 | (3 << 4)) - 32));  // q = 17
  EXPECT_EQ(y[2], 0.125f * 4 * -32);
}

}  // namespace
}  // namespace gapbench::kernels
