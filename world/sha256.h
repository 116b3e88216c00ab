// SHA-256 (FIPS 180-4) for the world manifest's file hashes: a checksum anyone can recompute with
// sha256sum, unlike the project's FNV content hashes. Small and dependency-free on purpose.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gapbench::world {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  std::string HexDigest();  // 64 lowercase hex digits; the object is spent afterwards

 private:
  void Block(const unsigned char* p);
  std::array<uint32_t, 8> h_;
  std::array<unsigned char, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
};

std::string Sha256Hex(std::string_view data);

}  // namespace gapbench::world
