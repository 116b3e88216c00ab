// The vocabulary of a tokenizer as read from GGUF metadata (tokenizer.ggml.*): token texts,
// scores, types, BPE merge ranks and special ids, with llama.cpp's defaults for absent keys.
// Loading validates everything (array types and lengths, ids in range, merges naming known
// tokens, duplicate texts) and throws gapbench::Error naming the file and key.
// Also declares the two encoding algorithms that run over a Vocab (bpe_tokenizer.cpp,
// spm_tokenizer.cpp). Not here: special-token splitting, BOS/EOS, decoding (tokenizer.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/pretokenizer.h"

namespace gapbench::engine {

class GgufFile;

// Token attributes (llama.cpp's llama_token_attr); several may be set at once.
enum TokenAttr : uint8_t {
  kAttrUndefined = 0,
  kAttrNormal = 1 << 0,
  kAttrUnknown = 1 << 1,
  kAttrControl = 1 << 2,
  kAttrUserDefined = 1 << 3,
  kAttrUnused = 1 << 4,
  kAttrByte = 1 << 5,
  kAttrLstrip = 1 << 6,  // when matched as a special token, eat ASCII spaces to the left
  kAttrRstrip = 1 << 7,  // ... and to the right
};

// Transparent hash so maps keyed by std::string accept std::string_view look-ups.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

enum class VocabKind { kBpe, kSpm };  // tokenizer.ggml.model "gpt2" / "llama"

struct Vocab {
  std::string path;  // for messages
  VocabKind kind = VocabKind::kBpe;
  std::string model;     // "gpt2" | "llama"
  std::string pre_name;  // tokenizer.ggml.pre as written ("" if absent)
  PreTokenizerInfo pre;
  bool pre_fallback = false;  // pre_name is unknown and "default" is used instead (allowed)

  std::vector<std::string> text;  // [n_vocab]
  std::vector<float> score;       // [n_vocab], 0 when absent
  std::vector<uint8_t> attr;      // [n_vocab], TokenAttr bits
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> to_id;

  // BPE merges keyed by (left id << 32 | right id): rank (lower merges first) and the id of the
  // merged text (-1 when the merged text is not itself a token).
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::unordered_map<uint64_t, Merge> merges;
  // BPE: token id of the byte-level character of each byte (-1 if absent).
  // SPM: token id of the byte-fallback token <0xXX> (or the one-byte text), -1 if absent.
  std::array<int32_t, 256> byte_token{};

  int32_t bos = -1, eos = -1, unk = -1, pad = -1, eot = -1, eom = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;  // SPM: prefix raw text with a space (after BOS/special tokens)
  std::vector<int32_t> special;   // control / user-defined / unknown ids, longest text first
  std::vector<int32_t> eog;       // end-of-generation ids, sorted

  int32_t n_vocab() const { return static_cast<int32_t>(text.size()); }
  int32_t Find(std::string_view s) const {
    auto it = to_id.find(s);
    return it == to_id.end() ? -1 : it->second;
  }
};

// Reads and validates the vocabulary of `file`. Throws Error naming the file on any problem,
// including a byte-level BPE pre-tokenizer gapbench does not know, unless `allow_unknown_pre`
// (then "default" is used and pre_fallback says so).
std::unique_ptr<Vocab> LoadVocab(const GgufFile& file, bool allow_unknown_pre = false);

// Byte-level BPE: pre-tokenizes `text` (invalid UTF-8 becomes U+FFFD) and appends the ids of
// every word. `text` holds no special tokens.
void EncodeBpe(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);
// SentencePiece BPE: `text` is used as is (the caller adds the space prefix); spaces become
// U+2581, the highest-scoring adjacent pair that is a token is merged first, and characters
// that end up outside any token fall back to <0xXX> byte tokens.
void EncodeSpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

}  // namespace gapbench::engine
