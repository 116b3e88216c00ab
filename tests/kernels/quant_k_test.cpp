// Q4_K / Q8_K (kernels/quant_k.h) against independent references:
// - tests/fixtures/kernels/q4k_ref.json (tools/make_q4k_fixture.py): gguf-py's Q4_K dequantiser
//   for quantised rows and random-byte blocks, and a separate float32 Python transcription of
//   ggml's quantize_row_q4_K_ref / quantize_row_q8_K_ref for the bytes;
// - the 6-bit scale layout written out by hand from the format description;
// - a double-precision dot of the dequantised operands for the dot products;
// - reconstruction error against a plain min/max quantiser (no search) in the same format.
// Not here: speed (bench/quant_k_bench.cpp), matmul integration.
#include "kernels/quant_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/json.h"
#include "kernels/fp16.h"
#include "kernels/quant.h"
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
  const auto path = testing::SourceDir() / "tests" / "fixtures" / "kernels" / "q4k_ref.json";
  return ParseJson(testing::ReadFile(path), path.string());
}

std::vector<float> Dequant(const std::vector<BlockQ4_K>& q) {
  std::vector<float> y(q.size() * kQK_K);
  DequantizeRow(GgmlType::kQ4_K, q.data(), y.data(), static_cast<int64_t>(y.size()));
  return y;
}

std::vector<float> RandomRow(int64_t n, uint32_t seed, float sigma, float offset_sigma) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::normal_distribution<float> offset_dist(0.0f, offset_sigma);
  std::vector<float> x(n);
  float offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i % kQ4_KSubBlock == 0) offset = offset_dist(gen);
    x[i] = dist(gen) + offset;
  }
  return x;
}

TEST(QuantKFixture, QuantisedBytesMatchGgmlTranscription) {
  const auto doc = LoadFixture();
  int rows = 0;
  for (const auto& r : doc["rows"].GetArray()) {
    const std::string name = r["name"].GetString();
    const std::vector<float> x = Floats(r["x"]);
    const auto n = static_cast<int64_t>(x.size());
    ASSERT_EQ(n, r["n"].GetInt64()) << name;
    std::vector<BlockQ4_K> q4(n / kQK_K);
    QuantizeRowQ4_K(x.data(), q4.data(), n);
    const std::vector<uint8_t> want4 = FromHex(r["q4_k"].GetString());
    ASSERT_EQ(want4.size(), q4.size() * sizeof(BlockQ4_K)) << name;
    for (size_t b = 0; b < q4.size(); ++b) {
      EXPECT_EQ(std::memcmp(&q4[b], want4.data() + b * sizeof(BlockQ4_K), sizeof(BlockQ4_K)), 0)
          << name << " q4_K block " << b;
    }
    std::vector<BlockQ8_K> q8(n / kQK_K);
    QuantizeRowQ8_K(x.data(), q8.data(), n);
    const std::vector<uint8_t> want8 = FromHex(r["q8_k"].GetString());
    ASSERT_EQ(want8.size(), q8.size() * sizeof(BlockQ8_K)) << name;
    EXPECT_EQ(std::memcmp(q8.data(), want8.data(), want8.size()), 0) << name << " q8_K";
    ++rows;
  }
  EXPECT_EQ(rows, 11);
}

// The fixture's bytes (quantised rows and random bytes) decode exactly as gguf-py decodes them.
TEST(QuantKFixture, DequantizeMatchesGgufPy) {
  const auto doc = LoadFixture();
  int checked = 0;
  for (const char* section : {"rows", "blocks"}) {
    for (const auto& r : doc[section].GetArray()) {
      const std::vector<uint8_t> raw = FromHex(r["q4_k"].GetString());
      const std::vector<float> want = Floats(r["q4_k_dequant"]);
      ASSERT_EQ(raw.size() / sizeof(BlockQ4_K) * kQK_K, want.size());
      std::vector<BlockQ4_K> q(raw.size() / sizeof(BlockQ4_K));
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

// Bytes written out by hand from the layout (bytes 0-3: top two bits of sc[4..7] | sc[0..3];
// bytes 4-7: top two bits of m[4..7] | m[0..3]; bytes 8-11: low nibbles m[4..7] << 4 | sc[4..7]).
TEST(QuantK, ScaleMinPackingByHand) {
  const uint8_t sc[8] = {1, 17, 33, 63, 16, 47, 5, 62};
  const uint8_t m[8] = {2, 18, 40, 60, 31, 0, 48, 63};
  const uint8_t want[12] = {0x41, 0x91, 0x21, 0xFF, 0x42, 0x12, 0xE8, 0xFC, 0xF0, 0x0F, 0x05, 0xFE};
  uint8_t packed[12];
  PackScaleMinK4(sc, m, packed);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(packed[i], want[i]) << "byte " << i;
  uint8_t sc2[8];
  uint8_t m2[8];
  UnpackScaleMinK4(want, sc2, m2);
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(sc2[j], sc[j]) << j;
    EXPECT_EQ(m2[j], m[j]) << j;
  }

  // Decoded by quant.cpp's q4_K dequantiser with d = 1, dmin = 0.5: sub-block j holds quants
  // (l + j) % 16, so every element is sc[j] * q - m[j] / 2 exactly.
  BlockQ4_K b;
  b.d = F32ToF16(1.0f);
  b.dmin = F32ToF16(0.5f);
  std::memcpy(b.scales, want, 12);
  for (int chunk = 0; chunk < 4; ++chunk) {
    for (int l = 0; l < 32; ++l) {
      const int lo = (l + 2 * chunk) % 16;
      const int hi = (l + 2 * chunk + 1) % 16;
      b.qs[32 * chunk + l] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
  const std::vector<float> y = Dequant({b});
  for (int j = 0; j < 8; ++j) {
    for (int l = 0; l < 32; ++l) {
      const float want_y = static_cast<float>(sc[j] * ((l + j) % 16)) - 0.5f * m[j];
      ASSERT_EQ(y[32 * j + l], want_y) << "sub-block " << j << " element " << l;
    }
  }
}

// Plain baseline in the same format: per sub-block min (<= 0) and max, 15 steps, 6-bit scales
// and mins relative to the block maxima, nearest quant. No search.
std::vector<BlockQ4_K> QuantizeMinMaxBaseline(const std::vector<float>& x) {
  std::vector<BlockQ4_K> out(x.size() / kQK_K);
  for (size_t b = 0; b < out.size(); ++b) {
    const float* xb = x.data() + b * kQK_K;
    float scale[8];
    float neg_min[8];
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < 8; ++j) {
      float lo = 0;
      float hi = xb[32 * j];
      for (int l = 0; l < 32; ++l) {
        lo = std::min(lo, xb[32 * j + l]);
        hi = std::max(hi, xb[32 * j + l]);
      }
      scale[j] = std::max(0.0f, (hi - lo) / 15);
      neg_min[j] = -lo;
      max_scale = std::max(max_scale, scale[j]);
      max_min = std::max(max_min, neg_min[j]);
    }
    uint8_t sc[8];
    uint8_t m[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = max_scale > 0 ? static_cast<uint8_t>(std::lround(63 * scale[j] / max_scale)) : 0;
      m[j] = max_min > 0 ? static_cast<uint8_t>(std::lround(63 * neg_min[j] / max_min)) : 0;
    }
    BlockQ4_K& q = out[b];
    PackScaleMinK4(sc, m, q.scales);
    q.d = F32ToF16(max_scale / 63);
    q.dmin = F32ToF16(max_min / 63);
    const float d = F16ToF32(q.d);
    const float dmin = F16ToF32(q.dmin);
    for (int i = 0; i < kQK_K; ++i) {
      const int j = i / 32;
      const float step = d * sc[j];
      const long level = step > 0 ? std::lround((xb[i] + dmin * m[j]) / step) : 0;
      const auto v = static_cast<uint8_t>(std::clamp(level, 0L, 15L));
      uint8_t& byte = q.qs[32 * (i / 64) + i % 32];
      byte = static_cast<uint8_t>((i % 64) < 32 ? (byte & 0xF0) | v : (byte & 0x0F) | (v << 4));
    }
  }
  return out;
}

double Rmse(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s / static_cast<double>(a.size()));
}

// (a) round trip within the Q4_K step, (b) no worse than min/max without search.
TEST(QuantK, ReconstructionErrorWithinStepAndBelowMinMaxBaseline) {
  struct Case {
    const char* name;
    float sigma;
    float offset_sigma;
  };
  const Case cases[] = {{"normal", 0.02f, 0.0f}, {"unit", 1.0f, 0.0f}, {"offsets", 0.1f, 0.5f}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const int64_t n = 4096;
    const std::vector<float> x = RandomRow(n, seed++, c.sigma, c.offset_sigma);
    std::vector<BlockQ4_K> q(n / kQK_K);
    QuantizeRowQ4_K(x.data(), q.data(), n);
    const std::vector<float> y = Dequant(q);
    // Per sub-block: the plain grid step (max - min) / 15 bounds the error of every element
    // (the search can only shrink the range by clipping at most a half step further out).
    double step_sum = 0;
    for (int64_t s = 0; s < n / 32; ++s) {
      float lo = 0;
      float hi = x[32 * s];
      for (int l = 0; l < 32; ++l) {
        lo = std::min(lo, x[32 * s + l]);
        hi = std::max(hi, x[32 * s + l]);
      }
      const float step = (hi - lo) / 15;
      step_sum += step;
      for (int l = 0; l < 32; ++l) {
        ASSERT_LE(std::fabs(y[32 * s + l] - x[32 * s + l]), step) << c.name << " sub-block " << s;
      }
    }
    const double ours = Rmse(x, y);
    const double mean_step = step_sum / static_cast<double>(n / 32);
    // Uniform rounding error is step / sqrt(12) = 0.289 step; the search trades tails for it.
    EXPECT_LT(ours, 0.32 * mean_step) << c.name;
    const double baseline = Rmse(x, Dequant(QuantizeMinMaxBaseline(x)));
    EXPECT_LE(ours, baseline) << c.name;
    std::printf("[ info ] %-8s rmse %.4g (%.3f step), min/max baseline %.4g (ours/baseline %.3f)\n",
                c.name, ours, ours / mean_step, baseline, ours / baseline);
  }
}

// (e') QuantizeRowQ8_K (SIMD) writes QuantizeRowQ8_KReference's bytes on every target: random
// rows of several scales, ties of magnitude (+a before -a and -a before +a: the first wins),
// quants exactly halfway between two integers (round half to even), all-zero and one-value
// blocks, subnormal values, and blocks holding NaN or inf (garbage, but the same garbage).
TEST(QuantK, Q8_KSimdWritesTheReferenceBytesOnEveryTarget) {
  const int64_t n = int64_t{256} * 14;
  std::vector<float> x = RandomRow(n, 11, 1.0f, 0.3f);
  for (int64_t i = 256; i < 512; ++i) x[i] *= 1e-3f;
  for (int64_t i = 512; i < 768; ++i) x[i] = 0.0f;  // all zero
  for (int64_t i = 768; i < 1024; ++i) x[i] = i == 900 ? -3.0f : 0.0f;
  x[1024 + 10] = 50.0f, x[1024 + 200] = -50.0f;  // tie: +a first
  x[1280 + 7] = -50.0f, x[1280 + 99] = 50.0f;    // tie: -a first
  // Block 6: max 127 so iscale = -1; values k + 0.5 land halfway (even and odd neighbours).
  for (int64_t i = 0; i < 256; ++i) x[1536 + i] = static_cast<float>(i % 120) - 60.5f;
  x[1536] = 127.0f;
  for (int64_t i = 1792; i < 2048; ++i) x[i] = (i % 2 ? 1.0f : -1.0f) * 1e-40f * (i % 7);
  for (int64_t i = 2048; i < 3072; ++i) x[i] *= 1e4f;
  x[3072 + 17] = std::numeric_limits<float>::quiet_NaN();
  x[3328 + 40] = -std::numeric_limits<float>::infinity();
  std::vector<BlockQ8_K> want(n / kQK_K), got(n / kQK_K);
  QuantizeRowQ8_KReference(x.data(), want.data(), n);
  for (const int64_t target : QuantKTargets()) {
    QuantKForceTarget(target);
    std::fill(got.begin(), got.end(), BlockQ8_K{});
    QuantizeRowQ8_K(x.data(), got.data(), n);
    for (int64_t b = 0; b < n / kQK_K; ++b) {
      const bool same =
          BitsFromF32(want[b].d) == BitsFromF32(got[b].d) &&
          std::equal(std::begin(want[b].qs), std::end(want[b].qs), std::begin(got[b].qs)) &&
          std::equal(std::begin(want[b].bsums), std::end(want[b].bsums), std::begin(got[b].bsums));
      EXPECT_TRUE(same) << "block " << b << " on " << QuantKTargetName(target) << ": d " << got[b].d
                        << " vs " << want[b].d << ", qs[0] " << int{got[b].qs[0]} << " vs "
                        << int{want[b].qs[0]};
    }
  }
  QuantKForceTarget(0);
}

// (e) bsums are the sums of their 16 quants; the signed maximum maps to -127.
TEST(QuantK, Q8_KBsumsAndScale) {
  const int64_t n = 2048;
  const std::vector<float> x = RandomRow(n, 7, 1.0f, 0.3f);
  std::vector<BlockQ8_K> q(n / kQK_K);
  QuantizeRowQ8_K(x.data(), q.data(), n);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    for (int k = 0; k < 16; ++k) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += q[b].qs[16 * k + l];
      EXPECT_EQ(q[b].bsums[k], sum) << "block " << b << " group " << k;
    }
    int64_t arg = b * kQK_K;
    for (int64_t i = b * kQK_K; i < (b + 1) * kQK_K; ++i) {
      if (std::fabs(x[i]) > std::fabs(x[arg])) arg = i;
    }
    EXPECT_EQ(q[b].qs[arg - b * kQK_K], -127);
    EXPECT_FLOAT_EQ(q[b].d, x[arg] / -127.0f);
    for (int64_t i = 0; i < kQK_K; ++i) {
      EXPECT_LE(std::fabs(q[b].d * q[b].qs[i] - x[b * kQK_K + i]), 0.5001f * std::fabs(q[b].d));
    }
  }
}

struct DotCase {
  std::vector<BlockQ4_K> w;
  std::vector<BlockQ8_K> x;
  double exact = 0;      // double dot of the dequantised operands
  double magnitude = 0;  // sum_i (|d sc q| + |dmin m|) |x_i|: scale of the rounding error
};

DotCase MakeDotCase(const std::vector<float>& wf, const std::vector<float>& xf) {
  const auto n = static_cast<int64_t>(wf.size());
  DotCase c;
  c.w.resize(n / kQK_K);
  c.x.resize(n / kQK_K);
  QuantizeRowQ4_K(wf.data(), c.w.data(), n);
  QuantizeRowQ8_K(xf.data(), c.x.data(), n);
  const std::vector<float> wd = Dequant(c.w);
  std::vector<float> xd(n);
  DequantizeRowQ8_K(c.x.data(), xd.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const BlockQ4_K& b = c.w[i / kQK_K];
    uint8_t sc[8];
    uint8_t m[8];
    UnpackScaleMinK4(b.scales, sc, m);
    const double dmin_m = double(F16ToF32(b.dmin)) * m[(i % kQK_K) / 32];
    c.exact += double(wd[i]) * xd[i];
    c.magnitude += (std::fabs(double(wd[i])) + 2 * std::fabs(dmin_m)) * std::fabs(double(xd[i]));
  }
  return c;
}

// (d) Both dots equal the double dot of the dequantised operands within 32 float epsilons of the
// magnitude (a few roundings per block: scale products, the block term, the running sum), and
// every SIMD target equals the reference bit for bit.
TEST(QuantK, DotMatchesDequantisedDoubleDotOnEveryTarget) {
  const std::vector<int64_t> targets = QuantKTargets();
  ASSERT_FALSE(targets.empty());
  uint32_t seed = 100;
  double worst = 0;  // largest |ref - exact| / magnitude
  for (const int64_t n : {256, 512, 2304, 4096}) {
    for (const float offset : {0.0f, 0.05f}) {
      const DotCase c =
          MakeDotCase(RandomRow(n, seed, 0.02f, offset), RandomRow(n, seed + 1, 1.0f, 0.2f));
      seed += 2;
      const double bound = 32 * FLT_EPSILON * c.magnitude;
      const float ref = DotQ4_KQ8_KReference(c.w.data(), c.x.data(), n);
      EXPECT_NEAR(ref, c.exact, bound) << "n=" << n;
      worst = std::max(worst, std::fabs(ref - c.exact) / c.magnitude);
      EXPECT_EQ(DotQ4_KQ8_K(c.w.data(), c.x.data(), n), ref) << "n=" << n;
      for (const int64_t t : targets) {
        const kernel_test::ScopedSimdTarget guard(t);
        EXPECT_EQ(DotQ4_KQ8_K(c.w.data(), c.x.data(), n), ref)
            << "n=" << n << " target " << QuantKTargetName(t);
      }
    }
  }
  std::printf("[ info ] worst |dot - exact| / magnitude = %.3g (bound %.3g), %zu targets\n", worst,
              32 * FLT_EPSILON, targets.size());
}

// Largest integer magnitudes: every nibble 15, every scale and min 63, every activation +-127.
TEST(QuantK, DotExtremeQuantsNoOverflow) {
  const int64_t n = 1024;
  std::vector<BlockQ4_K> w(n / kQK_K);
  std::vector<BlockQ8_K> x(n / kQK_K);
  const uint8_t all63[8] = {63, 63, 63, 63, 63, 63, 63, 63};
  for (size_t b = 0; b < w.size(); ++b) {
    w[b].d = F32ToF16(0.25f);
    w[b].dmin = F32ToF16(0.125f);
    PackScaleMinK4(all63, all63, w[b].scales);
    std::memset(w[b].qs, 0xFF, sizeof(w[b].qs));
    x[b].d = 0.5f;
    for (int i = 0; i < kQK_K; ++i) x[b].qs[i] = static_cast<int8_t>(b % 2 == 0 ? 127 : -127);
    for (int k = 0; k < 16; ++k) x[b].bsums[k] = static_cast<int16_t>(16 * x[b].qs[0]);
  }
  // Each weight is 0.25 * 63 * 15 - 0.125 * 63 = 228.375; blocks alternate +-63.5 activations,
  // so the exact dot is 0 and each block term is +-256 * 228.375 * 63.5.
  const double block_term = 256.0 * 228.375 * 63.5;
  const float ref = DotQ4_KQ8_KReference(w.data(), x.data(), n);
  EXPECT_EQ(ref, 0.0f);
  EXPECT_EQ(DotQ4_KQ8_KReference(w.data(), x.data(), kQK_K), static_cast<float>(block_term));
  for (const int64_t t : QuantKTargets()) {
    const kernel_test::ScopedSimdTarget guard(t);
    EXPECT_EQ(DotQ4_KQ8_K(w.data(), x.data(), kQK_K), static_cast<float>(block_term))
        << QuantKTargetName(t);
    EXPECT_EQ(DotQ4_KQ8_K(w.data(), x.data(), n), ref) << QuantKTargetName(t);
  }
}

}  // namespace
}  // namespace gapbench::kernels
