// Q6_K (kernels/quant_k.h, quant_q6_k.cpp) against independent references:
// - tests/fixtures/kernels/q6k_ref.json (tools/make_q6k_fixture.py): gguf-py's Q6_K dequantiser
//   for quantised rows and random-byte blocks, and a separate float32 Python transcription of
//   ggml's quantize_row_q6_K_ref / make_qx_quants for the bytes;
// - the bit layout written out by hand from the format description (ENGINE_NOTES.md section 2);
// - a double-precision dot of the dequantised operands for the dot products, and bit identity of
//   the SIMD dot with the scalar reference on every compiled target.
#include <gtest/gtest.h>

#include <algorithm>
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
  EXPECT_EQ(hex.size() % 2, 0u);
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
  const auto path = testing::SourceDir() / "tests" / "fixtures" / "kernels" / "q6k_ref.json";
  return ParseJson(testing::ReadFile(path), path.string());
}

std::vector<float> Dequant(const std::vector<BlockQ6_K>& q) {
  std::vector<float> y(q.size() * kQK_K);
  DequantizeRow(GgmlType::kQ6_K, q.data(), y.data(), static_cast<int64_t>(y.size()));
  return y;
}

std::vector<float> RandomRow(int64_t n, uint32_t seed, float sigma) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(gen);
  return x;
}

TEST(QuantQ6KFixture, QuantisedBytesMatchGgmlTranscription) {
  const auto doc = LoadFixture();
  int rows = 0;
  for (const auto& r : doc["rows"].GetArray()) {
    const std::string name = r["name"].GetString();
    const std::vector<float> x = Floats(r["x"]);
    const auto n = static_cast<int64_t>(x.size());
    ASSERT_EQ(n, r["n"].GetInt64()) << name;
    std::vector<BlockQ6_K> q(n / kQK_K);
    QuantizeRowQ6_K(x.data(), q.data(), n);
    const std::vector<uint8_t> want = FromHex(r["q6_k"].GetString());
    ASSERT_EQ(want.size(), q.size() * sizeof(BlockQ6_K)) << name;
    for (size_t b = 0; b < q.size(); ++b) {
      const auto* got = reinterpret_cast<const uint8_t*>(&q[b]);
      const uint8_t* exp = want.data() + b * sizeof(BlockQ6_K);
      for (size_t i = 0; i < sizeof(BlockQ6_K); ++i) {
        ASSERT_EQ(got[i], exp[i]) << name << " block " << b << " byte " << i;
      }
    }
    // QuantizeRow dispatches to the same quantiser.
    std::vector<BlockQ6_K> q2(q.size());
    QuantizeRow(GgmlType::kQ6_K, x.data(), q2.data(), n);
    EXPECT_EQ(std::memcmp(q.data(), q2.data(), q.size() * sizeof(BlockQ6_K)), 0) << name;
    ++rows;
  }
  EXPECT_EQ(rows, 13);
}

// The fixture's bytes (quantised rows and random bytes) decode exactly as gguf-py decodes them.
TEST(QuantQ6KFixture, DequantizeMatchesGgufPy) {
  const auto doc = LoadFixture();
  int checked = 0;
  for (const char* section : {"rows", "blocks"}) {
    for (const auto& r : doc[section].GetArray()) {
      const std::vector<uint8_t> raw = FromHex(r["q6_k"].GetString());
      const std::vector<float> want = Floats(r["q6_k_dequant"]);
      ASSERT_EQ(raw.size() / sizeof(BlockQ6_K) * kQK_K, want.size());
      std::vector<BlockQ6_K> q(raw.size() / sizeof(BlockQ6_K));
      std::memcpy(q.data(), raw.data(), raw.size());
      const std::vector<float> got = Dequant(q);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << r["name"].GetString() << " element " << i;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 17);
}

// Builds a block holding 6-bit quants q[i] (0..63) and group scales by the layout in quant_k.h.
BlockQ6_K PackByHand(const int q[kQK_K], const int8_t scales[16], float d) {
  BlockQ6_K b;
  std::memset(&b, 0, sizeof(b));
  for (int i = 0; i < kQK_K; ++i) {
    const int half = i / 128, k = (i % 128) / 32, l = i % 32;
    uint8_t& low = b.ql[64 * half + 32 * (k % 2) + l];
    low = static_cast<uint8_t>(low | ((q[i] & 0xF) << (4 * (k / 2))));
    uint8_t& high = b.qh[32 * half + l];
    high = static_cast<uint8_t>(high | ((q[i] >> 4) << (2 * k)));
  }
  std::memcpy(b.scales, scales, 16);
  b.d = F32ToF16(d);
  return b;
}

// y = d * scale[g] * (q - 32) with g = element / 16; the dot with a one-hot Q8_K row picks one
// element out.
TEST(QuantQ6K, LayoutByHand) {
  int q[kQK_K];
  for (int i = 0; i < kQK_K; ++i) q[i] = (7 * i + 3) % 64;
  int8_t scales[16];
  for (int g = 0; g < 16; ++g) scales[g] = static_cast<int8_t>(g % 2 ? -9 * g : 8 * g - 128);
  const BlockQ6_K b = PackByHand(q, scales, 0.5f);
  const std::vector<float> y = Dequant({b});
  for (int i = 0; i < kQK_K; ++i) {
    ASSERT_EQ(y[i], 0.5f * scales[i / 16] * static_cast<float>(q[i] - 32)) << "element " << i;
  }
  BlockQ8_K x;
  std::memset(&x, 0, sizeof(x));
  x.d = 0.25f;
  for (const int i : {0, 17, 40, 77, 100, 127, 128, 150, 200, 255}) {
    std::memset(x.qs, 0, sizeof(x.qs));
    x.qs[i] = 3;
    const float want = 0.5f * 0.25f * static_cast<float>(scales[i / 16] * (q[i] - 32) * 3);
    EXPECT_EQ(DotQ6_KQ8_KReference(&b, &x, kQK_K), want) << "element " << i;
    for (const int64_t t : QuantKTargets()) {
      const kernel_test::ScopedSimdTarget guard(t);
      EXPECT_EQ(DotQ6_KQ8_K(&b, &x, kQK_K), want) << "element " << i << " " << QuantKTargetName(t);
    }
  }
}

// Round trip within the group's grid step (the scale is chosen so that |x| <= ~32.9 steps), and
// the quantiser's rmse well under that of a plain max/31 grid with the same 8-bit scales.
TEST(QuantQ6K, ReconstructionError) {
  for (const float sigma : {0.02f, 1.0f}) {
    const int64_t n = 4096;
    const std::vector<float> x = RandomRow(n, 3, sigma);
    std::vector<BlockQ6_K> q(n / kQK_K);
    QuantizeRowQ6_K(x.data(), q.data(), n);
    const std::vector<float> y = Dequant(q);
    double err2 = 0, step_sum = 0;
    for (int64_t g = 0; g < n / 16; ++g) {
      float amax = 0;
      for (int i = 0; i < 16; ++i) amax = std::max(amax, std::fabs(x[16 * g + i]));
      const double step = amax / 31.0;
      step_sum += step;
      for (int i = 0; i < 16; ++i) {
        const double e = static_cast<double>(y[16 * g + i]) - x[16 * g + i];
        ASSERT_LE(std::fabs(e), 1.1 * step) << "sigma " << sigma << " group " << g;
        err2 += e * e;
      }
    }
    const double rmse = std::sqrt(err2 / static_cast<double>(n));
    const double mean_step = step_sum / static_cast<double>(n / 16);
    EXPECT_LT(rmse, 0.3 * mean_step) << "sigma " << sigma;
    std::printf("[ info ] sigma %g: rmse %.4g = %.3f of the max/31 step\n", sigma, rmse,
                rmse / mean_step);
  }
}

// Both dots equal the double dot of the dequantised operands within 16 float epsilons of
// sum |w x| (the block scale d_w * d_x is rounded once in f32, the f64 sum adds one rounding at
// the end), and every SIMD target equals the reference bit for bit.
TEST(QuantQ6K, DotMatchesDequantisedDoubleDotOnEveryTarget) {
  const std::vector<int64_t> targets = QuantKTargets();
  ASSERT_FALSE(targets.empty());
  uint32_t seed = 200;
  double worst = 0;
  for (const int64_t n : {256, 512, 2304, 4096}) {
    const std::vector<float> wf = RandomRow(n, seed++, 0.02f);
    const std::vector<float> xf = RandomRow(n, seed++, 1.0f);
    std::vector<BlockQ6_K> w(n / kQK_K);
    std::vector<BlockQ8_K> x(n / kQK_K);
    QuantizeRowQ6_K(wf.data(), w.data(), n);
    QuantizeRowQ8_K(xf.data(), x.data(), n);
    const std::vector<float> wd = Dequant(w);
    std::vector<float> xd(n);
    DequantizeRowQ8_K(x.data(), xd.data(), n);
    double exact = 0, magnitude = 0;
    for (int64_t i = 0; i < n; ++i) {
      exact += static_cast<double>(wd[i]) * xd[i];
      magnitude += std::fabs(static_cast<double>(wd[i]) * xd[i]);
    }
    const float ref = DotQ6_KQ8_KReference(w.data(), x.data(), n);
    EXPECT_NEAR(ref, exact, 16 * FLT_EPSILON * magnitude) << "n=" << n;
    worst = std::max(worst, std::fabs(ref - exact) / magnitude);
    EXPECT_EQ(DotQ6_KQ8_K(w.data(), x.data(), n), ref) << "n=" << n;
    for (const int64_t t : targets) {
      const kernel_test::ScopedSimdTarget guard(t);
      EXPECT_EQ(DotQ6_KQ8_K(w.data(), x.data(), n), ref)
          << "n=" << n << " target " << QuantKTargetName(t);
    }
  }
  std::printf("[ info ] worst |dot - exact| / sum|wx| = %.3g (bound %.3g), %zu targets\n", worst,
              16 * FLT_EPSILON, targets.size());
}

// Largest integer magnitudes: every quant -32 (q = 0), every scale -128, activations +-127.
TEST(QuantQ6K, DotExtremeQuantsNoOverflow) {
  const int64_t n = 1024;
  std::vector<BlockQ6_K> w(n / kQK_K);
  std::vector<BlockQ8_K> x(n / kQK_K);
  for (size_t b = 0; b < w.size(); ++b) {
    std::memset(&w[b], 0, sizeof(w[b]));
    std::memset(w[b].scales, 0x80, sizeof(w[b].scales));  // -128
    w[b].d = F32ToF16(0.25f);
    x[b].d = 0.5f;
    for (int i = 0; i < kQK_K; ++i) x[b].qs[i] = static_cast<int8_t>(b % 2 == 0 ? 127 : -127);
    for (int k = 0; k < 16; ++k) x[b].bsums[k] = static_cast<int16_t>(16 * x[b].qs[0]);
  }
  // Each weight is 0.25 * -128 * -32 = 1024; blocks alternate +-63.5 activations: the block term
  // is +-256 * 1024 * 63.5 (integer sum 256 * 4096 * 127 = 2^27 * 0.99, inside int32).
  const double block_term = 256.0 * 1024.0 * 63.5;
  EXPECT_EQ(DotQ6_KQ8_KReference(w.data(), x.data(), kQK_K), static_cast<float>(block_term));
  EXPECT_EQ(DotQ6_KQ8_KReference(w.data(), x.data(), n), 0.0f);
  for (const int64_t t : QuantKTargets()) {
    const kernel_test::ScopedSimdTarget guard(t);
    EXPECT_EQ(DotQ6_KQ8_K(w.data(), x.data(), kQK_K), static_cast<float>(block_term))
        << QuantKTargetName(t);
    EXPECT_EQ(DotQ6_KQ8_K(w.data(), x.data(), n), 0.0f) << QuantKTargetName(t);
  }
}

}  // namespace
}  // namespace gapbench::kernels
