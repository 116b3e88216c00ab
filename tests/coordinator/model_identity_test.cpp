// Model file identity: whole-file hashing for small files and header + size + sampled blocks for
// large ones, each checked against the algorithm written out independently here (FNV-1a 64 over
// the bytes the contract names). Sampling is exercised on a small fixture by shrinking the limits.
#include "coordinator/model_identity.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/error.h"
#include "engine/gguf.h"
#include "tests/coordinator/sweep_fixture.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct RefHash {
  uint64_t h = 0xcbf29ce484222325ull;
  void Bytes(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  }
  void U64(uint64_t v) {
    std::string b(8, '\0');
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
    Bytes(b);
  }
  std::string Hex() const {
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
    return hex;
  }
};

TEST(ModelIdentity, SmallFilesAreHashedWhole) {
  const std::string bytes = testing::ReadFile(testing::FixtureModel());
  RefHash ref;
  ref.U64(bytes.size());
  ref.Bytes(bytes);
  const ModelIdentity id = IdentifyModelFile(testing::FixtureModel().string());
  EXPECT_EQ(id.size, bytes.size());
  EXPECT_EQ(id.hash, ref.Hex());
  EXPECT_FALSE(id.sampled);
}

TEST(ModelIdentity, LargeFilesHashHeaderSizeAndSampledBlocks) {
  TempDir dir;
  const fs::path file = dir / "m.gguf";
  testing::CopyModel(file);
  const uint64_t data_offset = engine::GgufFile::Open(file.string())->data_offset();
  std::string bytes = testing::ReadFile(file);
  ModelIdentityOptions opt;
  opt.full_hash_limit = 0;
  opt.block_size = 1024;
  opt.sample_blocks = 4;
  ASSERT_GT(bytes.size() - data_offset, opt.block_size * opt.sample_blocks);

  // The contract: size, [0, data_offset), then block i at data_offset + i * span / (n - 1).
  const uint64_t span = bytes.size() - data_offset - opt.block_size;
  const auto expected = [&](const std::string& b) {
    RefHash ref;
    ref.U64(b.size());
    ref.Bytes(std::string_view(b).substr(0, data_offset));
    for (uint64_t i = 0; i < 4; ++i) {
      ref.Bytes(std::string_view(b).substr(data_offset + span * i / 3, opt.block_size));
    }
    return ref.Hex();
  };
  const ModelIdentity id = IdentifyModelFile(file.string(), opt);
  EXPECT_TRUE(id.sampled);
  EXPECT_EQ(id.hash, expected(bytes));

  // A byte in a sampled block changes the identity; so does the last byte of the file.
  const auto with_flip = [&](uint64_t pos) {
    std::string b = bytes;
    b[pos] = static_cast<char>(b[pos] ^ 0x5a);
    testing::WriteFile(file, b);
    return IdentifyModelFile(file.string(), opt).hash;
  };
  EXPECT_NE(with_flip(data_offset + 10), id.hash);
  EXPECT_NE(with_flip(bytes.size() - 1), id.hash);
  // A byte in the header too (a metadata string: keep the file parseable).
  const size_t name_pos = bytes.find("general.architecture");
  ASSERT_NE(name_pos, std::string::npos);
  ASSERT_LT(name_pos, data_offset);
  {
    std::string b = bytes;
    const size_t val = b.find("llama", name_pos);
    b[val] = 'L';  // "Llama": still a string, a different header
    testing::WriteFile(file, b);
    std::string hash;
    try {
      hash = IdentifyModelFile(file.string(), opt).hash;
    } catch (const Error&) {
      hash = "rejected";  // equally a different identity
    }
    EXPECT_NE(hash, id.hash);
  }
  // The documented blind spot: a byte between sampled blocks does not change it.
  const uint64_t gap = data_offset + span / 3 / 2;  // between block 0 and block 1
  ASSERT_GT(gap, data_offset + opt.block_size);
  EXPECT_EQ(with_flip(gap), id.hash);
  // Whole-file hashing (the default limits) sees that byte.
  testing::WriteFile(file, bytes);
  const std::string full = IdentifyModelFile(file.string()).hash;
  std::string b = bytes;
  b[gap] = static_cast<char>(b[gap] ^ 1);
  testing::WriteFile(file, b);
  EXPECT_NE(IdentifyModelFile(file.string()).hash, full);
}

TEST(ModelIdentity, NonModelsAreErrorsNamingTheFile) {
  TempDir dir;
  testing::WriteFile(dir / "x.gguf", "not a gguf file at all");
  try {
    IdentifyModelFile((dir / "x.gguf").string());
    FAIL() << "accepted a non-GGUF file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.gguf"), std::string::npos) << e.what();
  }
  EXPECT_THROW(IdentifyModelFile((dir / "absent.gguf").string()), Error);
}

}  // namespace
}  // namespace gapbench::coordinator
