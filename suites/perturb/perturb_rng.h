// The perturbations' random numbers: splitmix64 seeded by FNV-1a of (seed, stream name, item id).
// Written out here instead of std:: distributions, whose output differs between standard
// libraries, so the same seed gives byte-identical suites on any machine; and keyed by the item
// id, so an item's perturbation does not depend on the items before it (a --limit or a shard sees
// the same text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/hash.h"

namespace gapbench::suites::perturb {

class PerturbRng {
 public:
  PerturbRng(uint64_t seed, std::string_view stream, std::string_view item_id) {
    Fnv1a64 h;
    unsigned char le[8];  // the seed's bytes in a fixed order (little-endian) on any host
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(seed >> (8 * i));
    h.Update(le, sizeof(le));
    h.Update(stream);
    h.Update("\0", 1);
    h.Update(item_id);
    state_ = h.Digest();
  }

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // A value in [0, n), n > 0. The modulo bias (< n / 2^64) is irrelevant at these sizes.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_ = 0;
};

}  // namespace gapbench::suites::perturb
