// Content hashing for result keys and file identity: FNV-1a 64-bit (fast, stable across
// platforms). Not cryptographic; used to name content, never to authenticate it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gapbench {

class Fnv1a64 {
 public:
  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  uint64_t Digest() const { return state_; }
  std::string HexDigest() const;  // 16 lowercase hex digits

 private:
  uint64_t state_ = 0xcbf29ce484222325ull;
};

std::string HashHex(std::string_view data);

}  // namespace gapbench
