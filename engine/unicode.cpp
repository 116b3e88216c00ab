// Tolerant UTF-8 codec, utf8proc-backed code point classes and the GPT-2 byte map.
#include "engine/unicode.h"

#include <utf8proc.h>

#include <array>

namespace gapbench::engine::unicode {
namespace {

bool IsCont(uint8_t c) { return (c & 0xC0) == 0x80; }

// Decodes one sequence at `pos`; returns its length and sets `cp`, or 0 when ill-formed.
size_t DecodeOne(std::string_view s, size_t pos, uint32_t& cp) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[pos + i]); };
  const size_t avail = s.size() - pos;
  const uint8_t c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if ((c & 0xE0) == 0xC0) {
    if (avail < 2 || !IsCont(b(1))) return 0;
    cp = ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    return 2;
  }
  if ((c & 0xF0) == 0xE0) {
    if (avail < 3 || !IsCont(b(1)) || !IsCont(b(2))) return 0;
    cp = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    return 3;
  }
  if ((c & 0xF8) == 0xF0) {
    if (avail < 4 || !IsCont(b(1)) || !IsCont(b(2)) || !IsCont(b(3))) return 0;
    cp = ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    return cp <= 0x10FFFF ? 4 : 0;
  }
  return 0;  // continuation byte or 0xF8..0xFF
}

struct ByteMap {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, 512> to_byte{};  // every mapped code point is below 0x144
  ByteMap() {
    to_byte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};
const ByteMap& GetByteMap() {
  static const ByteMap map;
  return map;
}

CpFlags ComputeFlags(uint32_t cp) {
  CpFlags f;
  if (cp > 0x10FFFF) return f;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      f.letter = true;
      break;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      f.number = true;
      break;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      f.punct = true;
      break;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      f.whitespace = true;
      break;
    default:
      break;
  }
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) f.whitespace = true;
  return f;
}

// ASCII is by far the most common input; answer it from a table built once.
struct AsciiFlags {
  std::array<CpFlags, 128> table;
  AsciiFlags() {
    for (uint32_t cp = 0; cp < 128; ++cp) table[cp] = ComputeFlags(cp);
  }
};

}  // namespace

std::vector<uint32_t> DecodeUtf8(std::string_view text) {
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    const size_t n = DecodeOne(text, pos, cp);
    if (n == 0) {
      cps.push_back(kReplacementChar);
      ++pos;
    } else {
      cps.push_back(cp);
      pos += n;
    }
  }
  return cps;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp > 0x10FFFF) cp = kReplacementChar;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string EncodeUtf8(uint32_t cp) {
  std::string s;
  AppendUtf8(cp, s);
  return s;
}

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    const size_t n = DecodeOne(text, pos, cp);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

CpFlags Flags(uint32_t cp) {
  static const AsciiFlags ascii;
  if (cp < 128) return ascii.table[cp];
  return ComputeFlags(cp);
}

uint32_t ByteToCp(uint8_t b) { return GetByteMap().to_cp[b]; }

int CpToByte(uint32_t cp) { return cp < 512 ? GetByteMap().to_byte[cp] : -1; }

}  // namespace gapbench::engine::unicode
