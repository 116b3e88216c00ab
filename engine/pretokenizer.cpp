// Hand-written matchers for the pre-tokenizer regexes of llama.cpp's llm_tokenizer_bpe (the
// regex text is quoted above each matcher). Every matcher works inside one piece [begin, end)
// of the previous split, so "end of text" and look-aheads stop at the piece boundary.
#include "engine/pretokenizer.h"

#include <algorithm>
#include <string>
#include <utility>

#include "engine/unicode.h"

namespace gapbench::engine {
namespace {

using unicode::CpFlags;
using Cps = std::span<const uint32_t>;
using Range = std::pair<uint32_t, uint32_t>;  // inclusive

bool InRanges(std::span<const Range> ranges, uint32_t cp) {
  for (const auto& [lo, hi] : ranges) {
    if (cp >= lo && cp <= hi) return true;
  }
  return false;
}

// Character classes of the regexes below.
bool IsNewline(uint32_t cp) { return cp == '\r' || cp == '\n'; }
bool IsAsciiDigit(uint32_t cp) { return cp >= '0' && cp <= '9'; }
bool IsLetter(uint32_t cp) { return unicode::Flags(cp).letter; }
bool IsNumber(uint32_t cp) { return unicode::Flags(cp).number; }
bool IsPunct(uint32_t cp) { return unicode::Flags(cp).punct; }
// [\p{P}\$\+<=>\^~\|]
bool IsPunctOrSymbol(uint32_t cp) {
  return IsPunct(cp) || cp == '$' || cp == '+' || cp == '<' || cp == '=' || cp == '>' ||
         cp == '^' || cp == '~' || cp == '|';
}
// [\p{P}\$\+<=>\^~\|`] (falcon)
bool IsPunctOrSymbolFalcon(uint32_t cp) { return IsPunctOrSymbol(cp) || cp == '`'; }
// [一-龥ࠀ-一가-퟿]
bool IsDeepseekCjk(uint32_t cp) {
  static constexpr Range kRanges[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};
  return InRanges(kRanges, cp);
}
// [!-/:-~！-／：-～‘-‟　-。]
bool IsDeepseekPunct(uint32_t cp) {
  static constexpr Range kRanges[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
                                      {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002}};
  return InRanges(kRanges, cp);
}
// The cased-letter class of deepseek-llm ([A-Za-zµÀ-ÖØ-ö...𞤀-𞥃]), written as code points
// so no editor normalisation (Ω U+2126, K U+212A, ...) can change it.
bool IsDeepseekLetter(uint32_t cp) {
  static constexpr Range kRanges[] = {
      {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
      {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
      {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
      {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
      {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
      {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
      {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
      {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
      {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
      {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
      {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
      {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
      {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
      {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
      {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
      {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
      {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
      {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
      {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
      {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
      {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
  };
  return InRanges(kRanges, cp);
}

// One regex of a pre-tokenizer's list.
struct Rule {
  enum Kind {
    kGpt2,        // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
    kLlama3,      // (?:'[sS]|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,N}| ?[^\s\p{L}\p{N}]+[\r\n]*|...
    kRun,         // X+
    kOne,         // X
    kSpaceRun,    // \s?X+
    kThree,       // XXX
    kTrailingWs,  // \s+$
  };
  Kind kind;
  bool (*cls)(uint32_t) = nullptr;
  int max_digits = 3;  // kLlama3: \p{N}{1,max_digits}
};

// Appends `len` to the split unless it is empty.
void Emit(std::vector<uint32_t>& out, size_t len) {
  if (len > 0) out.push_back(static_cast<uint32_t>(len));
}

// Cursor over one piece: code points outside [begin, end) read as "none" (all flags false).
struct Piece {
  Cps cps;
  size_t begin, end;
  static constexpr uint32_t kNone = 0xFFFFFFFF;
  uint32_t Cp(size_t i) const { return i < end ? cps[i] : kNone; }
  CpFlags F(size_t i) const { return i < end ? unicode::Flags(cps[i]) : CpFlags{}; }
  bool Other(size_t i) const {  // [^\s\p{L}\p{N}], in range
    if (i >= end) return false;
    const CpFlags f = unicode::Flags(cps[i]);
    return !f.whitespace && !f.letter && !f.number;
  }
};

uint32_t AsciiLower(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp; }

// Length of an English contraction ('s 't 're 've 'm 'll 'd) at `pos`, or 0.
size_t Contraction(const Piece& p, size_t pos, bool ignore_case) {
  if (p.Cp(pos) != '\'') return 0;
  auto at = [&](size_t i) { return ignore_case ? AsciiLower(p.Cp(i)) : p.Cp(i); };
  const uint32_t c1 = at(pos + 1);
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  const uint32_t c2 = at(pos + 2);
  if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
  return 0;
}

// Whitespace handling shared by the GPT-2 and llama3 regexes: \s+(?!\S) then \s+. A run of n
// whitespace followed by a non-space gives n-1 (the last one joins the next word); at the end
// of the piece, or when n == 1, the whole run.
size_t WhitespaceRun(const Piece& p, size_t pos) {
  size_t n = 0;
  while (p.F(pos + n).whitespace) ++n;
  if (n > 1 && pos + n < p.end) return n - 1;
  return n;
}

void SplitGpt2(const Piece& p, std::vector<uint32_t>& out) {
  size_t pos = p.begin;
  while (pos < p.end) {
    if (size_t n = Contraction(p, pos, /*ignore_case=*/false)) {
      Emit(out, n);
      pos += n;
      continue;
    }
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional leading space, then a run.
    const size_t start = pos;
    const size_t body = p.Cp(pos) == ' ' ? pos + 1 : pos;
    const CpFlags f = p.F(body);
    if (body < p.end && (f.letter || f.number || p.Other(body))) {
      size_t i = body;
      if (f.letter) {
        while (p.F(i).letter) ++i;
      } else if (f.number) {
        while (p.F(i).number) ++i;
      } else {
        while (p.Other(i)) ++i;
      }
      Emit(out, i - start);
      pos = i;
      continue;
    }
    size_t n = WhitespaceRun(p, pos);
    if (n == 0) n = 1;  // cannot happen: every code point is L, N, \s or other
    Emit(out, n);
    pos += n;
  }
}

void SplitLlama3(const Piece& p, int max_digits, std::vector<uint32_t>& out) {
  size_t pos = p.begin;
  while (pos < p.end) {
    const uint32_t cp = p.Cp(pos);
    const CpFlags f = p.F(pos);
    if (size_t n = Contraction(p, pos, /*ignore_case=*/true)) {
      Emit(out, n);
      pos += n;
      continue;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!IsNewline(cp) && !f.number && (f.letter || p.F(pos + 1).letter)) {
      size_t i = pos + 1;
      while (p.F(i).letter) ++i;
      Emit(out, i - pos);
      pos = i;
      continue;
    }
    // \p{N}{1,max_digits}
    if (f.number) {
      size_t i = pos;
      while (p.F(i).number && i - pos < static_cast<size_t>(max_digits)) ++i;
      Emit(out, i - pos);
      pos = i;
      continue;
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    const size_t body = cp == ' ' ? pos + 1 : pos;
    if (p.Other(body)) {
      size_t i = body;
      while (p.Other(i)) ++i;
      while (IsNewline(p.Cp(i))) ++i;
      Emit(out, i - pos);
      pos = i;
      continue;
    }
    // \s*[\r\n]+ : the whitespace run up to and including its last newline.
    size_t n = 0, last_newline_end = 0;
    while (p.F(pos + n).whitespace) {
      if (IsNewline(p.Cp(pos + n))) last_newline_end = n + 1;
      ++n;
    }
    if (last_newline_end > 0) {
      Emit(out, last_newline_end);
      pos += last_newline_end;
      continue;
    }
    n = WhitespaceRun(p, pos);
    if (n == 0) n = 1;  // cannot happen, see SplitGpt2
    Emit(out, n);
    pos += n;
  }
}

// Finds the leftmost match of a simple rule at or after `from`; returns false when none.
bool FindMatch(const Rule& rule, const Piece& p, size_t from, size_t& m_begin, size_t& m_end) {
  const auto run_end = [&](size_t i) {
    while (i < p.end && rule.cls(p.cps[i])) ++i;
    return i;
  };
  switch (rule.kind) {
    case Rule::kRun:
    case Rule::kOne:
      for (size_t i = from; i < p.end; ++i) {
        if (rule.cls(p.cps[i])) {
          m_begin = i;
          m_end = rule.kind == Rule::kOne ? i + 1 : run_end(i);
          return true;
        }
      }
      return false;
    case Rule::kSpaceRun:
      for (size_t i = from; i < p.end; ++i) {
        if (p.F(i).whitespace && i + 1 < p.end && rule.cls(p.cps[i + 1])) {
          m_begin = i;
          m_end = run_end(i + 1);
          return true;
        }
        if (rule.cls(p.cps[i])) {
          m_begin = i;
          m_end = run_end(i);
          return true;
        }
      }
      return false;
    case Rule::kThree:
      for (size_t i = from; i + 3 <= p.end; ++i) {
        if (rule.cls(p.cps[i]) && rule.cls(p.cps[i + 1]) && rule.cls(p.cps[i + 2])) {
          m_begin = i;
          m_end = i + 3;
          return true;
        }
      }
      return false;
    case Rule::kTrailingWs: {
      size_t i = p.end;
      while (i > from && p.F(i - 1).whitespace) --i;
      if (i == p.end) return false;
      m_begin = i;
      m_end = p.end;
      return true;
    }
    default:
      return false;
  }
}

void ApplyRule(const Rule& rule, const Piece& p, std::vector<uint32_t>& out) {
  if (rule.kind == Rule::kGpt2) return SplitGpt2(p, out);
  if (rule.kind == Rule::kLlama3) return SplitLlama3(p, rule.max_digits, out);
  size_t pos = p.begin, m_begin = 0, m_end = 0;
  while (pos < p.end && FindMatch(rule, p, pos, m_begin, m_end)) {
    Emit(out, m_begin - pos);  // the text between matches is a piece too
    Emit(out, m_end - m_begin);
    pos = m_end;
  }
  Emit(out, p.end - pos);
}

std::vector<Rule> RulesFor(PreTokenizer kind) {
  const Rule gpt2{Rule::kGpt2};
  switch (kind) {
    case PreTokenizer::kGpt2:
      return {gpt2};
    case PreTokenizer::kLlama3:
      return {{Rule::kLlama3, nullptr, 3}};
    case PreTokenizer::kQwen2:
      return {{Rule::kLlama3, nullptr, 1}};
    case PreTokenizer::kStarcoder:
      return {{Rule::kOne, IsNumber}, gpt2};
    case PreTokenizer::kFalcon:
      return {{Rule::kRun, IsPunctOrSymbolFalcon}, gpt2, {Rule::kThree, IsAsciiDigit}};
    case PreTokenizer::kDeepseekLlm:
      return {{Rule::kOne, IsNewline},
              {Rule::kSpaceRun, IsDeepseekLetter},
              {Rule::kSpaceRun, IsDeepseekPunct},
              {Rule::kTrailingWs},
              {Rule::kRun, IsDeepseekCjk},
              {Rule::kRun, IsNumber}};
    case PreTokenizer::kDeepseekCoder:
      return {{Rule::kOne, IsNewline},
              {Rule::kSpaceRun, IsLetter},
              {Rule::kSpaceRun, IsPunct},
              {Rule::kRun, IsDeepseekCjk},
              {Rule::kOne, IsNumber}};
    case PreTokenizer::kDefault:
    default:
      return {{Rule::kRun, IsPunctOrSymbol},
              gpt2,
              {Rule::kRun, IsNumber},
              {Rule::kThree, IsAsciiDigit}};
  }
}

}  // namespace

namespace {

struct NamedPreTokenizer {
  std::string_view name;
  PreTokenizerInfo info;
};

// llama.cpp's tokenizer.ggml.pre names, grouped by the splitting they use (llama-vocab.cpp).
const std::vector<NamedPreTokenizer>& PreTokenizerTable() {
  static const std::vector<NamedPreTokenizer> table = [] {
    std::vector<NamedPreTokenizer> t;
    const auto add = [&](std::initializer_list<std::string_view> names, PreTokenizerInfo info) {
      for (auto n : names) t.push_back({n, info});
    };
    add({"default"}, {PreTokenizer::kDefault});
    add({"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"},
        {PreTokenizer::kLlama3, true, /*ignore_merges=*/true, /*add_bos=*/true});
    add({"dbrx", "smaug-bpe"}, {PreTokenizer::kLlama3});
    add({"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez"}, {PreTokenizer::kQwen2});
    add({"gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "exaone4"},
        {PreTokenizer::kGpt2});
    add({"starcoder", "smollm", "refact", "command-r", "codeshell", "exaone", "minerva-7b"},
        {PreTokenizer::kStarcoder});
    add({"falcon"}, {PreTokenizer::kFalcon});
    add({"deepseek-llm"}, {PreTokenizer::kDeepseekLlm});
    add({"deepseek-coder"}, {PreTokenizer::kDeepseekCoder});
    return t;
  }();
  return table;
}

}  // namespace

PreTokenizerInfo LookupPreTokenizer(std::string_view name) {
  if (name.empty()) return {};  // absent: llama.cpp's "default"
  for (const auto& e : PreTokenizerTable()) {
    if (e.name == name) return e.info;
  }
  PreTokenizerInfo unknown;
  unknown.known = false;
  return unknown;
}

std::string KnownPreTokenizerNames() {
  std::string all;
  for (const auto& e : PreTokenizerTable()) {
    if (!all.empty()) all += ", ";
    all += e.name;
  }
  return all;
}

std::vector<uint32_t> PreTokenize(PreTokenizer kind, std::span<const uint32_t> cps) {
  std::vector<uint32_t> pieces;
  if (cps.empty()) return pieces;
  pieces.push_back(static_cast<uint32_t>(cps.size()));
  std::vector<uint32_t> next;
  for (const Rule& rule : RulesFor(kind)) {
    next.clear();
    size_t begin = 0;
    for (uint32_t len : pieces) {
      ApplyRule(rule, Piece{cps, begin, begin + len}, next);
      begin += len;
    }
    pieces.swap(next);
  }
  return pieces;
}

}  // namespace gapbench::engine
