// GGUF reader: hand-built files (independent of our writer) parse to the values written, and
// damaged headers give errors that name the file and the problem.
#include "engine/gguf.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/error.h"

namespace gapbench::engine {
namespace {

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
  std::vector<uint8_t>& data() { return data_; }

 private:
  std::vector<uint8_t> data_;
};

// One f32 tensor "w" of shape [4, 2], metadata: a string, a u32, an array of strings.
Bytes ValidFile() {
  Bytes b;
  b.Put<uint32_t>(0x46554747).Put<uint32_t>(3).Put<uint64_t>(1).Put<uint64_t>(3);
  b.Str("general.architecture").Put<uint32_t>(8).Str("llama");
  b.Str("llama.block_count").Put<uint32_t>(4).Put<uint32_t>(7);
  b.Str("tokenizer.ggml.tokens")
      .Put<uint32_t>(9)
      .Put<uint32_t>(8)
      .Put<uint64_t>(2)
      .Str("a")
      .Str("bc");
  b.Str("w").Put<uint32_t>(2).Put<uint64_t>(4).Put<uint64_t>(2).Put<uint32_t>(0).Put<uint64_t>(0);
  b.PadTo(32);
  for (int i = 0; i < 8; ++i) b.Put<float>(static_cast<float>(i) * 0.5f);
  return b;
}

std::string ErrorOf(std::vector<uint8_t>& bytes) {
  try {
    GgufFile::FromBuffer("x.gguf", bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Gguf, ParsesHandBuiltFile) {
  Bytes b = ValidFile();
  auto f = GgufFile::FromBuffer("x.gguf", b.data());
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->RequireString("general.architecture"), "llama");
  EXPECT_EQ(f->RequireInt("llama.block_count"), 7);
  const GgufValue* toks = f->GetArray("tokenizer.ggml.tokens", GgufType::kString);
  ASSERT_NE(toks, nullptr);
  ASSERT_EQ(toks->elems.size(), 2u);
  EXPECT_EQ(toks->elems[1].str, "bc");
  ASSERT_EQ(f->tensors().size(), 1u);
  const auto& t = f->tensors()[0];
  EXPECT_EQ(t.name, "w");
  EXPECT_EQ(t.n_elements, 8);
  EXPECT_EQ(t.rows(), 2);
  float v;
  std::memcpy(&v, t.data + 5 * 4, 4);
  EXPECT_EQ(v, 2.5f);
}

TEST(Gguf, TruncationNamesTheTensor) {
  Bytes b = ValidFile();
  b.data().resize(b.data().size() - 4);
  const std::string err = ErrorOf(b.data());
  EXPECT_NE(err.find("x.gguf"), std::string::npos) << err;
  EXPECT_NE(err.find("tensor 'w'"), std::string::npos) << err;
  EXPECT_NE(err.find("runs past the end"), std::string::npos) << err;
}

TEST(Gguf, EveryPrefixIsAnErrorNotACrash) {
  Bytes b = ValidFile();
  for (size_t n = 0; n < b.data().size(); ++n) {
    std::vector<uint8_t> prefix(b.data().begin(), b.data().begin() + static_cast<long>(n));
    EXPECT_FALSE(ErrorOf(prefix).empty()) << "prefix of " << n << " bytes parsed";
  }
}

TEST(Gguf, HugeArrayCountIsRejectedWithoutAllocating) {
  Bytes b;
  b.Put<uint32_t>(0x46554747).Put<uint32_t>(3).Put<uint64_t>(0).Put<uint64_t>(1);
  b.Str("k").Put<uint32_t>(9).Put<uint32_t>(8).Put<uint64_t>(1ull << 60);
  const std::string err = ErrorOf(b.data());
  EXPECT_NE(err.find("cannot fit"), std::string::npos) << err;
}

TEST(Gguf, BadMagicAndVersion) {
  Bytes b = ValidFile();
  b.data()[0] = 'X';
  EXPECT_NE(ErrorOf(b.data()).find("not a GGUF file"), std::string::npos);
  Bytes c = ValidFile();
  c.data()[4] = 9;
  EXPECT_NE(ErrorOf(c.data()).find("unsupported GGUF version 9"), std::string::npos);
}

}  // namespace
}  // namespace gapbench::engine
