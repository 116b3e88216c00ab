// GGUF writer: the header bytes match a hand-encoded file (built here from the GGUF spec, not
// from the writer), every value type and tensor round-trips through engine/gguf.h's reader, and
// alignment, padding, chunked production and file writing follow the contracts in gguf_writer.h.
#include "engine/gguf_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "common/error.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

// Independent little-endian encoder for expected bytes.
class Bytes {
 public:
  template <typename T>
  Bytes& Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    data_.insert(data_.end(), p, p + sizeof(T));
    return *this;
  }
  Bytes& Str(std::string_view s) {
    Put<uint64_t>(s.size());
    data_.insert(data_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& PadTo(size_t a) {
    while (data_.size() % a) data_.push_back(0);
    return *this;
  }
  const std::vector<uint8_t>& data() const { return data_; }

 private:
  std::vector<uint8_t> data_;
};

std::vector<uint8_t> FloatBytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(GgufWriter, BytesMatchHandEncodedFile) {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetU32("llama.block_count", 7);
  w.Set("tokenizer.ggml.tokens", GgufWriteValue::StringArray({"a", "bc"}));
  w.AddTensor({"w", {4, 2}, GgmlType::kF32}, FloatBytes({0, 1, 2, 3, 4, 5, 6, 7}));
  w.AddTensor({"b", {3}, GgmlType::kF32}, FloatBytes({8, 9, 10}));

  Bytes e;
  e.Put<uint32_t>(0x46554747).Put<uint32_t>(3).Put<uint64_t>(2).Put<uint64_t>(3);
  e.Str("general.architecture").Put<uint32_t>(8).Str("llama");
  e.Str("llama.block_count").Put<uint32_t>(4).Put<uint32_t>(7);
  e.Str("tokenizer.ggml.tokens").Put<uint32_t>(9).Put<uint32_t>(8).Put<uint64_t>(2);
  e.Str("a").Str("bc");
  e.Str("w").Put<uint32_t>(2).Put<uint64_t>(4).Put<uint64_t>(2).Put<uint32_t>(0);
  e.Put<uint64_t>(0);
  // "w" is 32 bytes, so "b" starts at 32 (already aligned).
  e.Str("b").Put<uint32_t>(1).Put<uint64_t>(3).Put<uint32_t>(0).Put<uint64_t>(32);
  e.PadTo(32);
  for (int i = 0; i < 11; ++i) e.Put<float>(static_cast<float>(i));
  e.PadTo(32);  // the writer pads the last tensor to the alignment too

  const std::vector<uint8_t> got = w.WriteBuffer();
  EXPECT_EQ(got, e.data());
  EXPECT_EQ(w.FileSize(), got.size());
}

TEST(GgufWriter, EveryValueTypeRoundTrips) {
  GgufWriter w;
  w.Set("u8", GgufWriteValue::U8(250));
  w.Set("i8", GgufWriteValue::I8(-120));
  w.Set("u16", GgufWriteValue::U16(65000));
  w.Set("i16", GgufWriteValue::I16(-32000));
  w.Set("u32", GgufWriteValue::U32(4000000000u));
  w.Set("i32", GgufWriteValue::I32(-2000000000));
  w.Set("u64", GgufWriteValue::U64(std::numeric_limits<uint64_t>::max() - 1));
  w.Set("i64", GgufWriteValue::I64(std::numeric_limits<int64_t>::min()));
  w.Set("f32", GgufWriteValue::F32(1.5e-6f));
  w.Set("f64", GgufWriteValue::F64(-3.25e100));
  w.Set("t", GgufWriteValue::Bool(true));
  w.Set("f", GgufWriteValue::Bool(false));
  w.Set("s", GgufWriteValue::String(std::string("h\0llo \xC4\xA0", 8)));
  w.Set("empty", GgufWriteValue::String(""));
  w.Set("strs", GgufWriteValue::StringArray({"x", "", "yz"}));
  const int32_t ints[] = {1, -2, 3};
  w.Set("ints", GgufWriteValue::I32Array(ints));
  w.Set("none", GgufWriteValue::Array(GgufType::kF32, {}));
  w.Set("nested", GgufWriteValue::Array(
                      GgufType::kArray,
                      {GgufWriteValue::Array(GgufType::kU16, {GgufWriteValue::U16(7)}),
                       GgufWriteValue::Array(GgufType::kString, {GgufWriteValue::String("q")})}));
  w.SetU32("u32", 5);  // replaces in place; the key stays in its first position

  const std::vector<uint8_t> buf = w.WriteBuffer();
  auto f = GgufFile::FromBuffer("rt.gguf", buf);
  ASSERT_EQ(f->metadata().size(), 18u);
  EXPECT_EQ(f->metadata()[4].key, "u32");
  EXPECT_EQ(f->Find("u8")->type, GgufType::kU8);
  EXPECT_EQ(f->GetInt("u8"), 250);
  EXPECT_EQ(f->GetInt("i8"), -120);
  EXPECT_EQ(f->Find("i8")->type, GgufType::kI8);
  EXPECT_EQ(f->GetInt("u16"), 65000);
  EXPECT_EQ(f->GetInt("i16"), -32000);
  EXPECT_EQ(f->GetInt("u32"), 5);
  EXPECT_EQ(f->GetInt("i32"), -2000000000);
  EXPECT_EQ(f->Find("u64")->num.u, std::numeric_limits<uint64_t>::max() - 1);
  EXPECT_EQ(f->GetInt("i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(f->Find("f32")->type, GgufType::kF32);
  EXPECT_EQ(f->GetFloat("f32"), static_cast<double>(1.5e-6f));
  EXPECT_EQ(f->GetFloat("f64"), -3.25e100);
  EXPECT_EQ(f->GetBool("t"), true);
  EXPECT_EQ(f->GetBool("f"), false);
  EXPECT_EQ(f->GetString("s"), std::string_view("h\0llo \xC4\xA0", 8));
  EXPECT_EQ(f->GetString("empty"), "");
  const GgufValue* strs = f->GetArray("strs", GgufType::kString);
  ASSERT_NE(strs, nullptr);
  ASSERT_EQ(strs->elems.size(), 3u);
  EXPECT_EQ(strs->elems[1].str, "");
  EXPECT_EQ(strs->elems[2].str, "yz");
  const GgufValue* iv = f->GetArray("ints", GgufType::kI32);
  ASSERT_EQ(iv->elems.size(), 3u);
  EXPECT_EQ(iv->elems[1].AsInt(), -2);
  EXPECT_TRUE(f->GetArray("none", GgufType::kF32)->elems.empty());
  const GgufValue* nested = f->GetArray("nested", GgufType::kArray);
  ASSERT_EQ(nested->elems.size(), 2u);
  EXPECT_EQ(nested->elems[0].elem_type, GgufType::kU16);
  EXPECT_EQ(nested->elems[0].elems.at(0).AsInt(), 7);
  EXPECT_EQ(nested->elems[1].elems.at(0).str, "q");
  EXPECT_TRUE(f->tensors().empty());
}

TEST(GgufWriter, TensorsRoundTripWithCustomAlignment) {
  GgufWriter w;
  w.SetAlignment(64);
  std::vector<uint8_t> q8(34 * 2 * 3);  // q8_0 [64, 3]: 2 blocks per row
  for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> f16(2 * 5);  // f16 [5]
  for (size_t i = 0; i < f16.size(); ++i) f16[i] = static_cast<uint8_t>(255 - i);
  w.AddTensor({"blk.0.q8", {64, 3}, GgmlType::kQ8_0}, q8);
  w.AddTensor({"odd", {5}, GgmlType::kF16}, f16);
  w.AddTensor({"four_d", {2, 1, 3, 2}, GgmlType::kF32}, std::vector<uint8_t>(48, 0xAB));

  const std::vector<uint8_t> buf = w.WriteBuffer();
  auto f = GgufFile::FromBuffer("al.gguf", buf);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->GetInt("general.alignment"), 64);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  ASSERT_EQ(f->tensors().size(), 3u);
  const auto& a = f->tensors()[0];
  const auto& b = f->tensors()[1];
  const auto& c = f->tensors()[2];
  EXPECT_EQ(a.type, GgmlType::kQ8_0);
  EXPECT_EQ(a.ne, (std::vector<int64_t>{64, 3}));
  EXPECT_EQ(a.offset, 0u);
  EXPECT_EQ(b.offset, 256u);  // 204 bytes rounded up to 64
  EXPECT_EQ(c.offset, 320u);  // 10 bytes rounded up
  EXPECT_EQ(c.ne, (std::vector<int64_t>{2, 1, 3, 2}));
  EXPECT_EQ(std::vector<uint8_t>(a.data, a.data + a.n_bytes), q8);
  EXPECT_EQ(std::vector<uint8_t>(b.data, b.data + b.n_bytes), f16);
  EXPECT_EQ(c.n_bytes, 48u);
  EXPECT_EQ(buf.size(), f->data_offset() + 320 + 64);
  // Padding between tensors is zero.
  for (uint64_t i = a.n_bytes; i < b.offset; ++i) EXPECT_EQ(buf[f->data_offset() + i], 0);
  EXPECT_EQ(w.TensorOffsets(), (std::vector<uint64_t>{0, 256, 320}));
}

TEST(GgufWriter, ProducerIsCalledInRowChunksInOrder) {
  GgufWriter w;
  w.AddTensor({"big", {8, 10}, GgmlType::kF32});  // 32-byte rows
  w.AddTensor({"held", {8}, GgmlType::kF32}, FloatBytes(std::vector<float>(8, -1.0f)));
  w.AddTensor({"small", {8, 3}, GgmlType::kF32});
  w.set_chunk_bytes(100);  // 3 rows per chunk
  std::vector<std::tuple<size_t, int64_t, int64_t>> calls;
  auto producer = [&](size_t index, int64_t row_begin, int64_t n_rows, std::span<uint8_t> out) {
    calls.emplace_back(index, row_begin, n_rows);
    ASSERT_EQ(out.size(), static_cast<size_t>(n_rows) * 32);
    for (int64_t r = 0; r < n_rows; ++r) {
      for (int c = 0; c < 8; ++c) {
        const float v = static_cast<float>(index * 1000 + (row_begin + r) * 8 + c);
        std::memcpy(out.data() + (r * 8 + c) * 4, &v, 4);
      }
    }
  };
  const std::vector<uint8_t> buf = w.WriteBuffer(producer);
  using Call = std::tuple<size_t, int64_t, int64_t>;
  EXPECT_EQ(calls, (std::vector<Call>{{0, 0, 3}, {0, 3, 3}, {0, 6, 3}, {0, 9, 1}, {2, 0, 3}}));
  auto f = GgufFile::FromBuffer("p.gguf", buf);
  for (size_t t : {size_t{0}, size_t{2}}) {
    const auto& ti = f->tensors()[t];
    for (int64_t i = 0; i < ti.n_elements; ++i) {
      float v;
      std::memcpy(&v, ti.data + i * 4, 4);
      ASSERT_EQ(v, static_cast<float>(t * 1000 + i)) << ti.name << " element " << i;
    }
  }
  float held;
  std::memcpy(&held, f->tensors()[1].data, 4);
  EXPECT_EQ(held, -1.0f);
}

TEST(GgufWriter, WriteFileMatchesBufferAndCleansUpOnFailure) {
  testing::TempDir dir;
  GgufWriter w;
  w.SetString("general.name", "file test");
  w.AddTensor({"t", {32, 2}, GgmlType::kF32});
  auto producer = [](size_t, int64_t, int64_t, std::span<uint8_t> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i);
  };
  const std::string path = (dir / "m.gguf").string();
  w.WriteFile(path, producer);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  const std::string on_disk = testing::ReadFile(path);
  const std::vector<uint8_t> buf = w.WriteBuffer(producer);
  EXPECT_EQ(std::vector<uint8_t>(on_disk.begin(), on_disk.end()), buf);
  auto f = GgufFile::Open(path);
  EXPECT_EQ(f->GetString("general.name"), "file test");

  // A producer that fails midway leaves neither the file nor the temporary behind.
  const std::string bad = (dir / "bad.gguf").string();
  auto failing = [](size_t, int64_t, int64_t, std::span<uint8_t>) { Fail("producer gave up"); };
  EXPECT_THROW(w.WriteFile(bad, failing), Error);
  EXPECT_FALSE(std::filesystem::exists(bad));
  EXPECT_FALSE(std::filesystem::exists(bad + ".tmp"));

  try {
    w.WriteFile((dir / "no_such_dir" / "x.gguf").string(), producer);
    ADD_FAILURE() << "writing into a missing folder succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_dir"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gapbench::engine
