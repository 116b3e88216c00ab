// Q5_0 / Q5_1 / Q4_1 (kernels/quant_legacy.h) against independent references:
// - tests/fixtures/kernels/quant_legacy_ref.json (tools/make_q5_fixture.py): gguf-py's
//   quantisers and dequantisers on awkward rows, and its dequantiser on random-byte blocks;
//   quantisation must be byte-identical, dequantisation value-identical;
// - the bit layout (fifth bits in a little-endian u32) written out by hand;
// - a double-precision dot of the dequantised operands for the dot products, and bit identity of
//   the SIMD dots with their scalar references on every compiled target.
#include "kernels/quant_legacy.h"

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
  const auto path =
      testing::SourceDir() / "tests" / "fixtures" / "kernels" / "quant_legacy_ref.json";
  return ParseJson(testing::ReadFile(path), path.string());
}

const char* const kTypeNames[] = {"q5_0", "q5_1", "q4_1"};

TEST(QuantLegacyFixture, QuantisedBytesMatchGgufPy) {
  const auto doc = LoadFixture();
  int checked = 0;
  for (const auto& r : doc["rows"].GetArray()) {
    const std::string name = r["name"].GetString();
    const std::vector<float> x = Floats(r["x"]);
    const auto n = static_cast<int64_t>(x.size());
    for (const char* tname : kTypeNames) {
      const GgmlType t = *ParseTypeName(tname);
      const std::vector<uint8_t> want = FromHex(r[tname].GetString());
      ASSERT_EQ(static_cast<int64_t>(want.size()), RowBytes(Traits(t), n)) << name << " " << tname;
      std::vector<uint8_t> got(want.size());
      QuantizeRow(t, x.data(), got.data(), n);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << name << " " << tname << " byte " << i;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 33);
}

TEST(QuantLegacyFixture, DequantizeMatchesGgufPy) {
  const auto doc = LoadFixture();
  int checked = 0;
  for (const auto& r : doc["rows"].GetArray()) {
    for (const char* tname : kTypeNames) {
      const GgmlType t = *ParseTypeName(tname);
      const std::vector<uint8_t> raw = FromHex(r[tname].GetString());
      const std::vector<float> want = Floats(r[(std::string(tname) + "_dequant").c_str()]);
      std::vector<float> got(want.size());
      DequantizeRow(t, raw.data(), got.data(), static_cast<int64_t>(got.size()));
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << r["name"].GetString() << " " << tname << " element " << i;
      }
      ++checked;
    }
  }
  for (const auto& b : doc["blocks"].GetArray()) {
    const GgmlType t = *ParseTypeName(b["type"].GetString());
    const std::vector<uint8_t> raw = FromHex(b["bytes"].GetString());
    const std::vector<float> want = Floats(b["dequant"]);
    ASSERT_EQ(want.size(), 32u);
    std::vector<float> got(32);
    DequantizeRow(t, raw.data(), got.data(), 32);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << b["name"].GetString() << " element " << i;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 33 + 9);
}

// Element i's fifth bit is bit i of the little-endian u32 qh; qs[j] holds elements j (low nibble)
// and j + 16 (high nibble).
TEST(QuantLegacy, LayoutByHand) {
  BlockQ5_0 b0;
  BlockQ5_1 b1;
  BlockQ4_1 b4;
  const uint32_t qh = 0x8001A5C3u;
  b0.d = b1.d = b4.d = F32ToF16(0.5f);
  b1.m = b4.m = F32ToF16(-2.0f);
  for (int k = 0; k < 4; ++k) b0.qh[k] = b1.qh[k] = static_cast<uint8_t>(qh >> (8 * k));
  for (int j = 0; j < 16; ++j) {
    b0.qs[j] = b1.qs[j] = b4.qs[j] = static_cast<uint8_t>((j * 5 % 16) | ((15 - j) << 4));
  }
  std::vector<float> y0(32), y1(32), y4(32);
  DequantizeRow(GgmlType::kQ5_0, &b0, y0.data(), 32);
  DequantizeRow(GgmlType::kQ5_1, &b1, y1.data(), 32);
  DequantizeRow(GgmlType::kQ4_1, &b4, y4.data(), 32);
  for (int i = 0; i < 32; ++i) {
    const int nibble = i < 16 ? i * 5 % 16 : 15 - (i - 16);
    const int q5 = nibble | static_cast<int>(((qh >> i) & 1) << 4);
    EXPECT_EQ(y0[i], 0.5f * static_cast<float>(q5 - 16)) << i;
    EXPECT_EQ(y1[i], 0.5f * static_cast<float>(q5) - 2.0f) << i;
    EXPECT_EQ(y4[i], 0.5f * static_cast<float>(nibble) - 2.0f) << i;
  }
}

// Activations as the matmul quantises them: Q8_0 blocks split into f32 scales, quants, sums.
struct Acts {
  std::vector<float> d, dq;  // scales; dequantised values
  std::vector<int8_t> q;
  std::vector<int32_t> s;
  Q8Row Row() const { return Q8Row{d.data(), q.data(), s.data()}; }
};

Acts QuantizeActs(const std::vector<float>& x) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<BlockQ8_0> blocks(static_cast<size_t>(n / 32));
  QuantizeRowQ8_0(x.data(), blocks.data(), n);
  Acts a;
  for (const auto& b : blocks) {
    a.d.push_back(F16ToF32(b.d));
    int32_t sum = 0;
    for (int8_t v : b.qs) {
      a.q.push_back(v);
      a.dq.push_back(static_cast<float>(v) * F16ToF32(b.d));
      sum += v;
    }
    a.s.push_back(sum);
  }
  return a;
}

std::vector<float> RandomRow(int64_t n, uint32_t seed, float sigma, float offset) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = dist(gen) + offset;
  return x;
}

using DotFn = float (*)(const void* w, const Q8Row& x, int64_t n);
template <class Block, float (*kDot)(const Block*, const Q8Row&, int64_t)>
float Call(const void* w, const Q8Row& x, int64_t n) {
  return kDot(static_cast<const Block*>(w), x, n);
}

struct DotType {
  GgmlType type;
  DotFn simd, reference;
};

const DotType kDots[] = {
    {GgmlType::kQ5_0, Call<BlockQ5_0, DotQ5_0Q8_0>, Call<BlockQ5_0, DotQ5_0Q8_0Reference>},
    {GgmlType::kQ5_1, Call<BlockQ5_1, DotQ5_1Q8_1>, Call<BlockQ5_1, DotQ5_1Q8_1Reference>},
    {GgmlType::kQ4_1, Call<BlockQ4_1, DotQ4_1Q8_1>, Call<BlockQ4_1, DotQ4_1Q8_1Reference>},
};

// The reference equals the double dot of the dequantised operands within 8 float epsilons of
// sum |w x| + sum |m x| (two f32 scale products per block, one final rounding), and every SIMD
// target returns the reference's bits.
TEST(QuantLegacy, DotsMatchDequantisedDoubleDotOnEveryTarget) {
  const std::vector<int64_t> targets = kernel_test::CompiledTargets();
  ASSERT_FALSE(targets.empty());
  uint32_t seed = 300;
  for (const DotType& dt : kDots) {
    double worst = 0;
    for (const int64_t n : {32, 96, 896, 4864}) {
      for (const float offset : {0.0f, 0.03f}) {
        const std::vector<float> wf = RandomRow(n, seed++, 0.02f, offset);
        const Acts x = QuantizeActs(RandomRow(n, seed++, 1.0f, 0.0f));
        std::vector<uint8_t> w(static_cast<size_t>(RowBytes(Traits(dt.type), n)));
        QuantizeRow(dt.type, wf.data(), w.data(), n);
        std::vector<float> wd(static_cast<size_t>(n));
        DequantizeRow(dt.type, w.data(), wd.data(), n);
        double exact = 0, magnitude = 0;
        for (int64_t i = 0; i < n; ++i) {
          exact += static_cast<double>(wd[i]) * x.dq[i];
          magnitude += (std::fabs(static_cast<double>(wd[i])) + 2 * std::fabs(offset)) *
                       std::fabs(static_cast<double>(x.dq[i]));
        }
        const float ref = dt.reference(w.data(), x.Row(), n);
        EXPECT_NEAR(ref, exact, 8 * FLT_EPSILON * magnitude) << TypeName(dt.type) << " n=" << n;
        worst = std::max(worst, std::fabs(ref - exact) / magnitude);
        EXPECT_EQ(dt.simd(w.data(), x.Row(), n), ref) << TypeName(dt.type) << " n=" << n;
        for (const int64_t t : targets) {
          const kernel_test::ScopedSimdTarget guard(t);
          EXPECT_EQ(dt.simd(w.data(), x.Row(), n), ref)
              << TypeName(dt.type) << " n=" << n << " target " << kernel_test::TargetName(t);
        }
      }
    }
    std::printf("[ info ] %s: worst |dot - exact| / magnitude = %.3g (bound %.3g)\n",
                std::string(TypeName(dt.type)).c_str(), worst, 8 * FLT_EPSILON);
  }
}

// Random weight bytes (every nibble and fifth-bit pattern) and extreme activations +-127: the
// SIMD dots still return the reference's bits, and the reference equals a plain integer loop
// written here from the layout.
TEST(QuantLegacy, RandomBytesAndExtremeActivations) {
  std::mt19937 gen(9);
  const int64_t n = 256;
  for (const DotType& dt : kDots) {
    const int64_t bytes = RowBytes(Traits(dt.type), n);
    std::vector<uint8_t> w(static_cast<size_t>(bytes));
    for (auto& v : w) v = static_cast<uint8_t>(gen());
    const int64_t stride = Traits(dt.type).type_size;
    for (int64_t b = 0; b < n / 32; ++b) {  // finite scales of both signs
      const uint16_t d = F32ToF16(b % 2 ? -0.25f : 0.125f);
      std::memcpy(&w[b * stride], &d, 2);
      if (dt.type != GgmlType::kQ5_0) {
        const uint16_t m = F32ToF16(b % 3 ? 1.5f : -0.75f);
        std::memcpy(&w[b * stride + 2], &m, 2);
      }
    }
    Acts x;
    for (int64_t i = 0; i < n; ++i) x.q.push_back(static_cast<int8_t>(i % 3 ? 127 : -127));
    for (int64_t b = 0; b < n / 32; ++b) {
      x.d.push_back(0.5f);
      int32_t s = 0;
      for (int j = 0; j < 32; ++j) s += x.q[b * 32 + j];
      x.s.push_back(s);
    }
    std::vector<float> wd(static_cast<size_t>(n));
    DequantizeRow(dt.type, w.data(), wd.data(), n);
    double exact = 0;
    for (int64_t i = 0; i < n; ++i) exact += static_cast<double>(wd[i]) * 0.5 * x.q[i];
    const float ref = dt.reference(w.data(), x.Row(), n);
    EXPECT_EQ(ref, static_cast<float>(exact)) << TypeName(dt.type);  // all terms exact here
    for (const int64_t t : kernel_test::CompiledTargets()) {
      const kernel_test::ScopedSimdTarget guard(t);
      EXPECT_EQ(dt.simd(w.data(), x.Row(), n), ref)
          << TypeName(dt.type) << " target " << kernel_test::TargetName(t);
    }
  }
}

}  // namespace
}  // namespace gapbench::kernels
