// A small deterministic mutator for the slow-tier runs of the fuzz targets (libFuzzer is clang
// only; this runs under any compiler): from a seed corpus it derives inputs by bit flips,
// "interesting" bytes (quotes, braces, newlines, 0x00, 0xff, UTF-8 lead bytes), inserted,
// deleted, duplicated and spliced ranges, and truncations. Same seed -> same inputs on every
// machine (splitmix64, no std:: distributions).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace gapbench::fuzz {

class Mutator {
 public:
  Mutator(std::vector<std::string> seeds, uint64_t seed) : seeds_(std::move(seeds)), state_(seed) {}

  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

  // A seed with 1..4 mutations applied, at most max_len bytes.
  std::string Mutate(size_t max_len) {
    std::string s = seeds_.empty() ? std::string() : seeds_[Below(seeds_.size())];
    const size_t n_ops = 1 + Below(4);
    for (size_t op = 0; op < n_ops; ++op) Apply(s);
    if (s.size() > max_len) s.resize(max_len);
    return s;
  }

 private:
  void Apply(std::string& s) {
    static constexpr char kInteresting[] = {
        '"',    '{',    '}',    '[',    ']',    ',',    ':', '\n', '\r', '\\', '\0', '\x7f',
        '\x80', '\xbf', '\xc0', '\xe2', '\xf0', '\xff', '0', '9',  '-',  'e',  ' ',  '\t'};
    switch (Below(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[Below(s.size())] ^= static_cast<char>(1u << Below(8));
        break;
      case 1:  // overwrite with an interesting byte
        if (!s.empty()) s[Below(s.size())] = kInteresting[Below(sizeof kInteresting)];
        break;
      case 2:  // insert interesting or random bytes
        s.insert(Below(s.size() + 1),
                 std::string(1 + Below(4), Below(2) ? kInteresting[Below(sizeof kInteresting)]
                                                    : static_cast<char>(Next())));
        break;
      case 3: {  // delete a range
        if (s.empty()) break;
        const size_t at = Below(s.size());
        s.erase(at, 1 + Below(std::min<size_t>(s.size() - at, 16)));
        break;
      }
      case 4: {  // duplicate a range (repeated keys, deep nesting)
        if (s.empty()) break;
        const size_t at = Below(s.size());
        const std::string part = s.substr(at, 1 + Below(32));
        s.insert(Below(s.size() + 1), part);
        break;
      }
      case 5: {  // splice a piece of another seed
        if (seeds_.empty()) break;
        const std::string& o = seeds_[Below(seeds_.size())];
        if (o.empty()) break;
        const size_t at = Below(o.size());
        s.insert(Below(s.size() + 1), o.substr(at, 1 + Below(64)));
        break;
      }
      case 6:  // truncate
        s.resize(Below(s.size() + 1));
        break;
      default:  // a long run (big numbers, long strings)
        s.insert(Below(s.size() + 1), std::string(Below(300), Below(2) ? '9' : 'a'));
        break;
    }
  }

  std::vector<std::string> seeds_;
  uint64_t state_;
};

}  // namespace gapbench::fuzz
