#include "common/hash.h"

#include <cstdio>

namespace gapbench {

void Fnv1a64::Update(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = state_;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  state_ = h;
}

std::string Fnv1a64::HexDigest() const {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(state_));
  return buf;
}

std::string HashHex(std::string_view data) {
  Fnv1a64 h;
  h.Update(data);
  return h.HexDigest();
}

}  // namespace gapbench
