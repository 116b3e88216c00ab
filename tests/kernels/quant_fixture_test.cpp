// Our quantisers against gguf-py (an independent implementation of ggml's reference quantisers):
// tests/fixtures/kernels/quant_ref.json holds awkward f32 rows (mixed magnitudes, zero blocks, a
// single huge value, negative signed maxima, equal-magnitude ties, f16-subnormal scales, exact
// .5 rounding boundaries) with gguf-py's F16 / BF16 / Q8_0 / Q4_0 bytes and dequantised values.
// Quantisation must be byte-identical and dequantisation value-identical.
// Not here: dot products and matmuls (matmul_test.cpp).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/json.h"
#include "kernels/quant.h"
#include "kernels/types.h"
#include "tests/test_util.h"

namespace gapbench::kernels {
namespace {

struct Row {
  std::string name;
  std::vector<float> x;
  // Per type name ("f16", "bf16", "q8_0", "q4_0"): gguf-py bytes and dequantised values.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> bytes;
  std::vector<std::pair<std::string, std::vector<float>>> dequant;
};

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

const char* const kTypes[] = {"f16", "bf16", "q8_0", "q4_0"};

std::vector<Row> LoadRows() {
  const auto path = testing::SourceDir() / "tests" / "fixtures" / "kernels" / "quant_ref.json";
  const rapidjson::Document doc = ParseJson(testing::ReadFile(path), path.string());
  std::vector<Row> rows;
  for (const auto& r : doc["rows"].GetArray()) {
    Row row;
    row.name = r["name"].GetString();
    row.x = Floats(r["x"]);
    EXPECT_EQ(static_cast<int64_t>(row.x.size()), r["n"].GetInt64());
    for (const char* t : kTypes) {
      row.bytes.emplace_back(t, FromHex(r[t].GetString()));
      row.dequant.emplace_back(t, Floats(r[(std::string(t) + "_dequant").c_str()]));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

const std::vector<uint8_t>& BytesOf(const Row& row, const std::string& t) {
  for (const auto& [name, b] : row.bytes) {
    if (name == t) return b;
  }
  ADD_FAILURE() << "no " << t;
  static const std::vector<uint8_t> kEmpty;
  return kEmpty;
}

TEST(QuantFixture, LoadsTenRows) { EXPECT_EQ(LoadRows().size(), 10u); }

TEST(QuantFixture, Q8_0BytesMatchGgufPy) {
  for (const Row& row : LoadRows()) {
    const int64_t n = static_cast<int64_t>(row.x.size());
    std::vector<BlockQ8_0> q(n / kQK);
    QuantizeRowQ8_0(row.x.data(), q.data(), n);
    const auto& want = BytesOf(row, "q8_0");
    ASSERT_EQ(want.size(), q.size() * sizeof(BlockQ8_0)) << row.name;
    EXPECT_EQ(std::memcmp(q.data(), want.data(), want.size()), 0) << row.name;
  }
}

TEST(QuantFixture, Q4_0BytesMatchGgufPy) {
  for (const Row& row : LoadRows()) {
    const int64_t n = static_cast<int64_t>(row.x.size());
    std::vector<BlockQ4_0> q(n / kQK);
    QuantizeRowQ4_0(row.x.data(), q.data(), n);
    const auto& want = BytesOf(row, "q4_0");
    ASSERT_EQ(want.size(), q.size() * sizeof(BlockQ4_0)) << row.name;
    EXPECT_EQ(std::memcmp(q.data(), want.data(), want.size()), 0) << row.name;
  }
}

// The generic entry points, for every type in the fixture (f16/bf16 rounding included).
TEST(QuantFixture, QuantizeRowAndDequantizeRowMatchGgufPy) {
  for (const Row& row : LoadRows()) {
    const int64_t n = static_cast<int64_t>(row.x.size());
    for (const auto& [tname, deq] : row.dequant) {
      const GgmlType t = *ParseTypeName(tname);
      const auto& want = BytesOf(row, tname);
      ASSERT_EQ(static_cast<int64_t>(want.size()), RowBytes(Traits(t), n));
      std::vector<uint8_t> q(want.size());
      QuantizeRow(t, row.x.data(), q.data(), n);
      EXPECT_EQ(q, want) << row.name << " " << tname;
      std::vector<float> y(n);
      DequantizeRow(t, want.data(), y.data(), n);
      int64_t mismatches = 0;
      for (int64_t i = 0; i < n; ++i) mismatches += y[i] != deq[i];
      EXPECT_EQ(mismatches, 0) << row.name << " " << tname;
    }
  }
}

}  // namespace
}  // namespace gapbench::kernels
