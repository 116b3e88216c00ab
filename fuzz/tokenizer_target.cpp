#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "engine/tokenizer.h"
#include "fuzz/targets.h"

namespace gapbench::fuzz {
namespace {

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s.substr(0, 64)) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return s.size() > 64 ? out + "..." : out;
}

}  // namespace

void FuzzTokenizer(const engine::Tokenizer& tok, const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool special : {false, true}) {
    const std::vector<int32_t> ids = tok.Encode(text, /*add_bos=*/false, special);
    for (int32_t id : ids) {
      GB_CHECK(id >= 0 && id < tok.n_vocab(), "Encode gave id ", id, " outside the vocabulary");
    }
    const std::string back = tok.Decode(ids);
    // Byte-level BPE covers every byte, so plain well-formed UTF-8 (no special-token parsing)
    // round-trips exactly. Ill-formed bytes need not: like llama.cpp, the tokenizer reads an
    // overlong form such as C0 A9 as the code point it spells (')') and bad bytes as U+FFFD.
    if (!special && tok.model_kind() == "gpt2" && SanitizeUtf8(text) == text) {
      GB_CHECK(back == text, "gpt2 vocabulary: Decode(Encode(x)) != x for the input ", Hex(text),
               " (decoded ", Hex(back), ")");
    }
  }
}

}  // namespace gapbench::fuzz
