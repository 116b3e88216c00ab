// The world's only source of randomness: SplitMix64 (Steele, Lea, Flood 2014) with integer-only
// helpers, so a seed gives the same world on every machine and standard library. No std::
// distribution is used anywhere in world/ (their output differs between libstdc++ and libc++),
// and no floating point enters a generated file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace gapbench::world {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  // An independent stream for one part of the world ("knowledge", "corpus/code"...): adding a
  // part, or drawing more numbers in one, never shifts the numbers another part sees.
  static Rng Stream(uint64_t seed, std::string_view name) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a of the name, mixed with the seed
    for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
    Rng r(seed ^ h);
    r.Next();
    return r;
  }

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n), n > 0, exactly (rejection of the short last bucket).
  uint64_t Below(uint64_t n) {
    GB_CHECK(n > 0, "Rng::Below(0)");
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (true) {
      const uint64_t r = Next();
      if (r >= threshold) return r % n;
    }
  }

  // Uniform in [lo, hi], lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    GB_CHECK(lo <= hi, "Rng::Range: empty range");
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability num/den.
  bool Chance(uint64_t num, uint64_t den) { return Below(den) < num; }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    GB_CHECK(!v.empty(), "Rng::Pick on an empty vector");
    return v[Below(v.size())];
  }

  // Fisher-Yates.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

  // k distinct indices of [0, n), in random order (k <= n).
  std::vector<size_t> Sample(size_t n, size_t k) {
    GB_CHECK(k <= n, "Rng::Sample: k > n");
    std::vector<size_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    for (size_t i = 0; i < k; ++i) std::swap(idx[i], idx[i + Below(n - i)]);
    idx.resize(k);
    return idx;
  }

 private:
  uint64_t state_;
};

}  // namespace gapbench::world
