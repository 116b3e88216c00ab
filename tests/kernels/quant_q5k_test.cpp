// Q5_K (kernels/quant_k.h) against independent references:
// - tests/fixtures/kernels/q5k_ref.json (tools/make_q5k_fixture.py): gguf-py's Q5_K dequantiser
//   for quantised rows and random-byte blocks, and a float32 Python transcription of ggml's
//   quantize_row_q5_K_ref for the bytes;
// - the fifth-bit layout written out by hand;
// - a double-precision dot of the dequantised operands, and bit identity of the SIMD dot with the
//   scalar reference on every compiled target.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/json.h"
#include "kernels/fp16.h"
#include "kernels/quant.h"
#include "kernels/quant_k.h"
#include "kernels/types.h"
#include "tests/kernels/kernel_check.h"
#include "tests/test_util.h"

namespace gapbench::kernels {
namespace {

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = std::stoi(hex.substr(2 * i, 2), nullptr, 16);
  return out;
}

std::vector<float> Floats(const rapidjson::Value& v) {
  std::vector<float> out;
  for (const auto& e : v.GetArray()) out.push_back(static_cast<float>(e.GetDouble()));
  return out;
}

rapidjson::Document LoadFixture() {
  const auto path = testing::SourceDir() / "tests" / "fixtures" / "kernels" / "q5k_ref.json";
  return ParseJson(testing::ReadFile(path), path.string());
}

std::vector<float> Dequant(const std::vector<BlockQ5_K>& q) {
  std::vector<float> y(q.size() * kQK_K);
  DequantizeRow(GgmlType::kQ5_K, q.data(), y.data(), static_cast<int64_t>(y.size()));
  return y;
}

TEST(QuantQ5KFixture, QuantisedBytesMatchGgmlTranscription) {
  const auto doc = LoadFixture();
  int rows = 0;
  for (const auto& r : doc["rows"].GetArray()) {
    const std::string name = r["name"].GetString();
    const std::vector<float> x = Floats(r["x"]);
    const auto n = static_cast<int64_t>(x.size());
    std::vector<BlockQ5_K> q(n / kQK_K);
    QuantizeRowQ5_K(x.data(), q.data(), n);
    const std::vector<uint8_t> want = FromHex(r["q5_k"].GetString());
    ASSERT_EQ(want.size(), q.size() * sizeof(BlockQ5_K)) << name;
    const auto* got = reinterpret_cast<const uint8_t*>(q.data());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << name << " byte " << i;
    }
    std::vector<BlockQ5_K> q2(q.size());
    QuantizeRow(GgmlType::kQ5_K, x.data(), q2.data(), n);
    EXPECT_EQ(std::memcmp(q.data(), q2.data(), want.size()), 0) << name;
    ++rows;
  }
  EXPECT_EQ(rows, 11);
}

TEST(QuantQ5KFixture, DequantizeMatchesGgufPy) {
  const auto doc = LoadFixture();
  int checked = 0;
  for (const char* section : {"rows", "blocks"}) {
    for (const auto& r : doc[section].GetArray()) {
      const std::vector<uint8_t> raw = FromHex(r["q5_k"].GetString());
      const std::vector<float> want = Floats(r["q5_k_dequant"]);
      std::vector<BlockQ5_K> q(raw.size() / sizeof(BlockQ5_K));
      ASSERT_EQ(q.size() * kQK_K, want.size());
      std::memcpy(q.data(), raw.data(), raw.size());
      const std::vector<float> got = Dequant(q);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << r["name"].GetString() << " element " << i;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 15);
}

// Element 64c + l takes bit 2c of qh[l] as its fifth bit, element 64c + 32 + l bit 2c + 1: with
// d = 1, dmin = 0, every scale 1, the values are the 5-bit quants themselves.
TEST(QuantQ5K, FifthBitLayoutByHand) {
  BlockQ5_K b;
  std::memset(&b, 0, sizeof(b));
  b.d = F32ToF16(1.0f);
  b.dmin = F32ToF16(0.0f);
  const uint8_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  const uint8_t zeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  PackScaleMinK4(ones, zeros, b.scales);
  int want[kQK_K];
  for (int i = 0; i < kQK_K; ++i) want[i] = (i * 11 + 5) % 32;
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const int lo = want[64 * c + l], hi = want[64 * c + 32 + l];
      b.qs[32 * c + l] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
      b.qh[l] = static_cast<uint8_t>(b.qh[l] | ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
    }
  }
  const std::vector<float> y = Dequant({b});
  for (int i = 0; i < kQK_K; ++i) ASSERT_EQ(y[i], static_cast<float>(want[i])) << i;
  BlockQ8_K x;
  std::memset(&x, 0, sizeof(x));
  x.d = 1.0f;
  for (const int i : {0, 31, 32, 63, 64, 100, 150, 200, 255}) {
    std::memset(x.qs, 0, sizeof(x.qs));
    std::memset(x.bsums, 0, sizeof(x.bsums));
    x.qs[i] = 2;
    x.bsums[i / 16] = 2;
    EXPECT_EQ(DotQ5_KQ8_KReference(&b, &x, kQK_K), 2.0f * static_cast<float>(want[i])) << i;
    for (const int64_t t : QuantKTargets()) {
      const kernel_test::ScopedSimdTarget guard(t);
      EXPECT_EQ(DotQ5_KQ8_K(&b, &x, kQK_K), 2.0f * static_cast<float>(want[i]))
          << i << " " << QuantKTargetName(t);
    }
  }
}

std::vector<float> RandomRow(int64_t n, uint32_t seed, float sigma, float offset_sigma) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sigma), off(0.0f, offset_sigma);
  std::vector<float> x(n);
  float o = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 32 == 0) o = off(gen);
    x[i] = dist(gen) + o;
  }
  return x;
}

// The reference equals the double dot of the dequantised operands within 32 float epsilons of
// sum (|w| + 2 |dmin m|) |x| (as Q4_K), and every SIMD target returns the reference's bits.
TEST(QuantQ5K, DotMatchesDequantisedDoubleDotOnEveryTarget) {
  uint32_t seed = 400;
  double worst = 0;
  for (const int64_t n : {256, 512, 2304, 4096}) {
    for (const float offset : {0.0f, 0.05f}) {
      const std::vector<float> wf = RandomRow(n, seed++, 0.02f, offset);
      const std::vector<float> xf = RandomRow(n, seed++, 1.0f, 0.2f);
      std::vector<BlockQ5_K> w(n / kQK_K);
      std::vector<BlockQ8_K> x(n / kQK_K);
      QuantizeRowQ5_K(wf.data(), w.data(), n);
      QuantizeRowQ8_K(xf.data(), x.data(), n);
      const std::vector<float> wd = Dequant(w);
      std::vector<float> xd(n);
      DequantizeRowQ8_K(x.data(), xd.data(), n);
      double exact = 0, magnitude = 0;
      for (int64_t i = 0; i < n; ++i) {
        uint8_t sc[8], m[8];
        UnpackScaleMinK4(w[i / kQK_K].scales, sc, m);
        const double dmin_m = double(F16ToF32(w[i / kQK_K].dmin)) * m[(i % kQK_K) / 32];
        exact += double(wd[i]) * xd[i];
        magnitude += (std::fabs(double(wd[i])) + 2 * std::fabs(dmin_m)) * std::fabs(double(xd[i]));
      }
      const float ref = DotQ5_KQ8_KReference(w.data(), x.data(), n);
      EXPECT_NEAR(ref, exact, 32 * FLT_EPSILON * magnitude) << n;
      worst = std::max(worst, std::fabs(ref - exact) / magnitude);
      for (const int64_t t : QuantKTargets()) {
        const kernel_test::ScopedSimdTarget guard(t);
        EXPECT_EQ(DotQ5_KQ8_K(w.data(), x.data(), n), ref) << n << " " << QuantKTargetName(t);
      }
    }
  }
  std::printf("[ info ] worst |dot - exact| / magnitude = %.3g (bound %.3g)\n", worst,
              32 * FLT_EPSILON);
}

// Largest integer magnitudes: every quant 31, every scale and min 63, activations +-127.
TEST(QuantQ5K, DotExtremeQuantsNoOverflow) {
  const int64_t n = 1024;
  std::vector<BlockQ5_K> w(n / kQK_K);
  std::vector<BlockQ8_K> x(n / kQK_K);
  const uint8_t all63[8] = {63, 63, 63, 63, 63, 63, 63, 63};
  for (size_t b = 0; b < w.size(); ++b) {
    w[b].d = F32ToF16(0.25f);
    w[b].dmin = F32ToF16(0.125f);
    PackScaleMinK4(all63, all63, w[b].scales);
    std::memset(w[b].qs, 0xFF, sizeof(w[b].qs));
    std::memset(w[b].qh, 0xFF, sizeof(w[b].qh));
    x[b].d = 0.5f;
    for (int i = 0; i < kQK_K; ++i) x[b].qs[i] = static_cast<int8_t>(b % 2 == 0 ? 127 : -127);
    for (int k = 0; k < 16; ++k) x[b].bsums[k] = static_cast<int16_t>(16 * x[b].qs[0]);
  }
  // Each weight is 0.25 * 63 * 31 - 0.125 * 63 = 480.375; blocks alternate +-63.5.
  const double block_term = 256.0 * 480.375 * 63.5;
  EXPECT_EQ(DotQ5_KQ8_KReference(w.data(), x.data(), kQK_K), static_cast<float>(block_term));
  EXPECT_EQ(DotQ5_KQ8_KReference(w.data(), x.data(), n), 0.0f);
  for (const int64_t t : QuantKTargets()) {
    const kernel_test::ScopedSimdTarget guard(t);
    EXPECT_EQ(DotQ5_KQ8_K(w.data(), x.data(), kQK_K), static_cast<float>(block_term))
        << QuantKTargetName(t);
    EXPECT_EQ(DotQ5_KQ8_K(w.data(), x.data(), n), 0.0f) << QuantKTargetName(t);
  }
}

}  // namespace
}  // namespace gapbench::kernels
