// Unicode helpers for the tokenizers: tolerant UTF-8 decoding (bad bytes become U+FFFD, as
// llama.cpp does), UTF-8 encoding, code point classes (\p{L}, \p{N}, \p{P}, \s) taken from
// utf8proc, and the GPT-2 byte <-> printable-code-point map of byte-level BPE.
// Not here: normalisation (NFC/NFKC) -- none of the supported vocabularies needs it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::engine::unicode {

constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence announced by lead byte `c` (1 for continuation bytes and for
// bytes that cannot start a sequence), from the high nibble as llama.cpp's unicode_len_utf8.
inline size_t Utf8SeqLen(uint8_t c) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[c >> 4];
}

// Decodes `text` into code points. A byte that does not start a complete, well-formed sequence
// (stray continuation byte, truncated sequence, lead byte >= 0xF8, value above U+10FFFF) yields
// one U+FFFD and decoding resumes at the next byte. Never throws.
std::vector<uint32_t> DecodeUtf8(std::string_view text);

// Appends the UTF-8 encoding of `cp` (values above U+10FFFF are written as U+FFFD).
void AppendUtf8(uint32_t cp, std::string& out);
std::string EncodeUtf8(uint32_t cp);

// True when `text` is well-formed UTF-8 per DecodeUtf8 (no replacement was needed).
bool IsValidUtf8(std::string_view text);
// (Replacing ill-formed bytes for output is gapbench::SanitizeUtf8 in common/json.h.)

// Code point classes. Categories come from utf8proc; whitespace is the Unicode White_Space
// property (tab..CR, space, U+0085, Zs, Zl, Zp), which is what \s means in the tokenizers'
// regexes.
struct CpFlags {
  bool letter = false;      // \p{L}
  bool number = false;      // \p{N}
  bool punct = false;       // \p{P}
  bool whitespace = false;  // \s
};
CpFlags Flags(uint32_t cp);
inline bool IsLetter(uint32_t cp) { return Flags(cp).letter; }
inline bool IsNumber(uint32_t cp) { return Flags(cp).number; }
inline bool IsWhitespace(uint32_t cp) { return Flags(cp).whitespace; }

// GPT-2 byte-level map: every byte gets a printable code point (0x21..0x7E, 0xA1..0xAC and
// 0xAE..0xFF map to themselves, the rest to 0x100 + n in byte order), so ' ' is U+0120 'Ġ'.
uint32_t ByteToCp(uint8_t b);
// Inverse of ByteToCp; -1 for a code point that no byte maps to.
int CpToByte(uint32_t cp);

}  // namespace gapbench::engine::unicode
