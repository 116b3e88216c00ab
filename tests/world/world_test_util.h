// Helpers for the world tests: generating a world with the real CLI, reading its files, and
// searching the corpus for templates and facts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tests/test_util.h"

namespace gapbench::testing {

// Runs `gapbench suites synth --seed SEED --size SIZE --out DIR --quiet` (+ extra), asserting
// success.
inline void Synth(const std::filesystem::path& dir, int seed, const std::string& size,
                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {GapbenchBin(),        "suites", "synth", "--seed",
                                   std::to_string(seed), "--size", size,    "--out",
                                   dir.string(),         "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const ProcessResult r = RunProcess(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

inline std::string Corpus(const std::filesystem::path& dir) {
  std::string all;
  for (const char* part : {"knowledge", "reasoning", "code", "guard"}) {
    all += ReadFile(dir / "corpus" / (std::string(part) + ".txt"));
  }
  return all;
}

inline std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Whether some line of `text` matches `tmpl`, where each {placeholder} stands for any run of
// characters of that line (a glob): the literal pieces must appear in order on one line.
inline bool TemplateOccurs(std::string_view text, const std::string& tmpl) {
  std::vector<std::string> pieces;
  std::string cur;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i);
      if (close != std::string::npos) {
        if (!cur.empty()) pieces.push_back(cur);
        cur.clear();
        i = close;
        continue;
      }
    }
    cur += tmpl[i];
  }
  if (!cur.empty()) pieces.push_back(cur);
  if (pieces.empty()) return true;
  for (size_t at = text.find(pieces[0]); at != std::string_view::npos;
       at = text.find(pieces[0], at + 1)) {
    const size_t line_end = std::min(text.find('\n', at), text.size());
    size_t pos = at + pieces[0].size();
    bool ok = true;
    for (size_t p = 1; p < pieces.size() && ok; ++p) {
      const size_t f = text.find(pieces[p], pos);
      ok = f != std::string_view::npos && f + pieces[p].size() <= line_end;
      if (ok) pos = f + pieces[p].size();
    }
    if (ok) return true;
  }
  return false;
}

// Whether `word` (a name, possibly of several words) occurs in `line` delimited by non-letters.
inline bool HasWord(std::string_view line, std::string_view word) {
  auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  for (size_t at = line.find(word); at != std::string_view::npos; at = line.find(word, at + 1)) {
    const bool left = at == 0 || !letter(line[at - 1]);
    const size_t e = at + word.size();
    const bool right = e == line.size() || !letter(line[e]);
    if (left && right) return true;
  }
  return false;
}

}  // namespace gapbench::testing
