// Hostile GGUF input under ASan + UBSan: thousands of files derived from valid ones made by our
// writer (byte flips, u32/u64 overwrites at every header offset, truncations at every length
// near each boundary, bad alignment, bad types, overlapping and huge tensor offsets, spliced
// bytes) go through GgufFile::FromBuffer. Each must either parse -- and then every metadata value
// and every tensor byte is read -- or throw gapbench::Error naming the file. A crash, abort,
// other exception or sanitizer report fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <random>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/gguf_writer.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

constexpr const char* kName = "mutant.gguf";

std::vector<uint8_t> Pattern(size_t n, uint8_t salt) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + salt);
  return b;
}

// A small model-like file: metadata of every type (string and nested arrays included) and
// tensors of several types, shapes and alignments.
std::vector<uint8_t> Seed(uint32_t alignment, bool many_tensors) {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  if (alignment != 32) w.SetAlignment(alignment);
  w.SetU32("llama.block_count", 2);
  w.Set("i8", GgufWriteValue::I8(-3));
  w.Set("u16", GgufWriteValue::U16(9));
  w.Set("i16", GgufWriteValue::I16(-9));
  w.Set("i64", GgufWriteValue::I64(-1));
  w.Set("u64", GgufWriteValue::U64(1ull << 40));
  w.Set("f64", GgufWriteValue::F64(1e-6));
  w.SetF32("llama.rope.freq_base", 10000.0f);
  w.SetBool("flag", true);
  w.Set("tokenizer.ggml.tokens", GgufWriteValue::StringArray({"a", "b", "Ġthe", ""}));
  const int32_t types[] = {1, 1, 3, 6};
  w.Set("tokenizer.ggml.token_type", GgufWriteValue::I32Array(types));
  w.Set("nested", GgufWriteValue::Array(
                      GgufType::kArray,
                      {GgufWriteValue::Array(GgufType::kU8, {GgufWriteValue::U8(1)}),
                       GgufWriteValue::Array(GgufType::kBool, {GgufWriteValue::Bool(false)})}));
  w.AddTensor({"token_embd.weight", {32, 4}, GgmlType::kQ8_0}, Pattern(34 * 4, 1));
  w.AddTensor({"blk.0.attn_norm.weight", {5}, GgmlType::kF32}, Pattern(20, 2));
  if (many_tensors) {
    w.AddTensor({"blk.0.attn_q.weight", {32, 2}, GgmlType::kQ4_0}, Pattern(36, 3));
    w.AddTensor({"blk.0.ffn_up.weight", {3, 1, 2}, GgmlType::kF16}, Pattern(12, 4));
    w.AddTensor({"blk.0.ffn_k.weight", {256}, GgmlType::kQ4_K}, Pattern(144, 5));
  }
  return w.WriteBuffer();
}

// Reads every value (numbers through every accessor), so UBSan sees any bad conversion.
uint64_t TouchValue(const GgufValue& v) {
  uint64_t h = static_cast<uint64_t>(v.type);
  if (v.IsNumber()) h += static_cast<uint64_t>(v.AsInt()) + std::bit_cast<uint64_t>(v.AsDouble());
  for (char c : v.str) h = h * 31 + static_cast<uint8_t>(c);
  for (const auto& e : v.elems) h += TouchValue(e);
  return h;
}

struct Stats {
  int parsed = 0;
  int rejected = 0;
};

// Runs one case on an exactly-sized heap copy, so ASan flags a read one byte past the end.
void Check(const std::vector<uint8_t>& bytes, const std::string& what, Stats& stats) {
  auto copy = std::make_unique<uint8_t[]>(std::max<size_t>(bytes.size(), 1));
  if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
  try {
    auto f = GgufFile::FromBuffer(kName, std::span<const uint8_t>(copy.get(), bytes.size()));
    uint64_t h = 0;
    for (const auto& kv : f->metadata()) {
      h += TouchValue(kv.value) + kv.key.size();
      // Typed getters either return or throw Error for the wrong type.
      try {
        h += std::bit_cast<uint64_t>(f->GetFloat(kv.key).value_or(0));
        h += static_cast<uint64_t>(f->GetInt(kv.key).value_or(0));
      } catch (const Error&) {
      }
    }
    for (const auto& t : f->tensors()) {
      for (uint64_t i = 0; i < t.n_bytes; ++i) h += t.data[i];
      h += static_cast<uint64_t>(t.rows()) + t.ShapeString().size();
    }
    volatile uint64_t sink = h;  // keeps the reads
    (void)sink;
    ++stats.parsed;
  } catch (const Error& e) {
    ++stats.rejected;
    ASSERT_NE(std::string(e.what()).find(kName), std::string::npos)
        << what << ": message does not name the file: " << e.what();
  } catch (const std::exception& e) {
    FAIL() << what << ": unexpected exception (not gapbench::Error): " << e.what();
  }
}

template <typename T>
std::vector<uint8_t> Overwrite(std::vector<uint8_t> b, size_t at, T v) {
  if (at + sizeof(T) <= b.size()) std::memcpy(b.data() + at, &v, sizeof(T));
  return b;
}

// Position right after the first occurrence of `s` in `b` (SIZE_MAX if absent).
size_t After(const std::vector<uint8_t>& b, std::string_view s) {
  auto it = std::search(b.begin(), b.end(), s.begin(), s.end());
  return it == b.end() ? SIZE_MAX : static_cast<size_t>(it - b.begin()) + s.size();
}

const std::vector<uint64_t> kU64s = {0,          1,
                                     2,          31,
                                     32,         0xFF,
                                     0xFFFF,     1ull << 31,
                                     1ull << 32, (1ull << 32) + 1,
                                     1ull << 62, (1ull << 63) - 1,
                                     1ull << 63, ~0ull - 31,
                                     ~0ull};
const std::vector<uint32_t> kU32s = {0,  1,  2,  3,          7,           8,          9,
                                     10, 12, 13, 14,         15,          16,         30,
                                     31, 32, 64, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu};

TEST(GgufMutation, HostileFilesNeverCrash) {
  const std::vector<std::vector<uint8_t>> seeds = {Seed(32, true), Seed(64, true), Seed(32, false)};
  Stats stats;
  std::mt19937_64 rng(20240607);
  for (size_t s = 0; s < seeds.size(); ++s) {
    const std::vector<uint8_t>& seed = seeds[s];
    const auto parsed = GgufFile::FromBuffer("seed.gguf", seed);
    Check(seed, "seed", stats);
    const size_t header_end = parsed->data_offset();

    // Truncations: every length through the header, and +-40 bytes around every tensor start
    // and end.
    std::vector<size_t> lengths;
    for (size_t n = 0; n <= header_end; ++n) lengths.push_back(n);
    for (const auto& t : parsed->tensors()) {
      for (uint64_t edge : {header_end + t.offset, header_end + t.offset + t.n_bytes}) {
        for (int64_t d = -40; d <= 40; ++d) {
          const int64_t n = static_cast<int64_t>(edge) + d;
          if (n >= 0 && n <= static_cast<int64_t>(seed.size())) lengths.push_back(n);
        }
      }
    }
    for (size_t n : lengths) {
      Check(std::vector<uint8_t>(seed.begin(), seed.begin() + static_cast<long>(n)),
            StrCat("seed ", s, " truncated to ", n), stats);
    }

    // Every header offset overwritten with edge-case u64 and u32 values (counts, lengths,
    // types, dimensions, offsets, alignment all pass through here).
    for (size_t at = 0; at + 4 <= header_end; ++at) {
      for (uint64_t v : kU64s) {
        if (s == 0 || (v & 1) == 0) Check(Overwrite(seed, at, v), StrCat("u64 at ", at), stats);
      }
      for (uint32_t v : kU32s) {
        if (s == 0 || at % 2 == 0) Check(Overwrite(seed, at, v), StrCat("u32 at ", at), stats);
      }
    }

    // general.alignment: invalid and valid-but-different values.
    const size_t align_at = After(seed, "general.alignment");
    if (align_at != SIZE_MAX) {
      for (uint32_t a : {0u, 1u, 4u, 7u, 8u, 12u, 16u, 24u, 48u, 128u, 1u << 20, (1u << 20) + 8,
                         1u << 31, 0xFFFFFFF8u}) {
        Check(Overwrite(seed, align_at + 4, a), StrCat("alignment ", a), stats);
        // As another integer type, and as a float.
        Check(Overwrite(Overwrite(seed, align_at, uint32_t{6}), align_at + 4, float(a)),
              "alignment as f32", stats);
      }
    }

    // Tensor offsets: point at each other (overlap), past the end, misaligned, huge.
    std::vector<size_t> offset_fields;
    for (const auto& t : parsed->tensors()) {
      const size_t name_end = After(seed, t.name);
      offset_fields.push_back(name_end + 4 + 8 * t.ne.size() + 4);
    }
    for (size_t field : offset_fields) {
      for (const auto& t : parsed->tensors()) {
        Check(Overwrite(seed, field, t.offset), "overlapping offset", stats);
      }
      const uint64_t size = seed.size();
      for (uint64_t v : {size, size - header_end, size - header_end - 32, uint64_t{8}, uint64_t{33},
                         uint64_t{~0ull - 63}, uint64_t{1ull << 63}}) {
        Check(Overwrite(seed, field, v), StrCat("offset ", v), stats);
      }
    }

    // Bool values other than 0/1.
    const size_t flag_at = After(seed, "flag");
    for (int b = 2; b < 256; b += 17) {
      Check(Overwrite(seed, flag_at + 4, static_cast<uint8_t>(b)), "bool", stats);
    }

    // Random byte flips (1 to 8 bytes, anywhere, header-biased) and spliced garbage.
    for (int i = 0; i < 1500; ++i) {
      std::vector<uint8_t> m = seed;
      const int n_flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < n_flips; ++k) {
        const size_t limit = (rng() % 4 == 0) ? m.size() : header_end;
        m[rng() % limit] ^= static_cast<uint8_t>(1 + rng() % 255);
      }
      Check(m, StrCat("flips, case ", i), stats);
    }
    for (int i = 0; i < 300; ++i) {
      std::vector<uint8_t> m = seed;
      const size_t at = rng() % header_end;
      const size_t n = 1 + rng() % 24;
      if (rng() % 2) {
        std::vector<uint8_t> junk(n);
        for (auto& x : junk) x = static_cast<uint8_t>(rng());
        m.insert(m.begin() + static_cast<long>(at), junk.begin(), junk.end());
      } else {
        m.erase(m.begin() + static_cast<long>(at),
                m.begin() + static_cast<long>(std::min(m.size(), at + n)));
      }
      Check(m, StrCat("splice, case ", i), stats);
    }
  }
  const int total = stats.parsed + stats.rejected;
  std::printf("GGUF mutation cases: %d (%d parsed, %d rejected with an error)\n", total,
              stats.parsed, stats.rejected);
  EXPECT_GE(total, 5000);
  EXPECT_GT(stats.rejected, total / 2);  // the mutations really damage the files
}

TEST(GgufMutation, MetadataArraysAreCappedPerFile) {
  // Two u8 arrays of 2^23 + 1 elements: each fits in the file, together they pass the 2^24
  // element budget that bounds parsed metadata memory (~64 bytes per element).
  const uint64_t n = (uint64_t{1} << 23) + 1;
  std::vector<uint8_t> b;
  auto put = [&b](auto v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof(v));
  };
  put(uint32_t{0x46554747});
  put(uint32_t{3});
  put(uint64_t{0});
  put(uint64_t{2});
  for (char key : {'a', 'b'}) {
    put(uint64_t{1});
    b.push_back(static_cast<uint8_t>(key));
    put(uint32_t{9});
    put(uint32_t{0});
    put(n);
    b.resize(b.size() + n, 7);
  }
  try {
    GgufFile::FromBuffer(kName, b);
    ADD_FAILURE() << "parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metadata 'b'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exceeds the limit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gapbench::engine
