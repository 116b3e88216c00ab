// Tokenizer: text <-> token ids for GGUF vocabularies of two kinds, "gpt2" (byte-level BPE with
// merges and a pre-tokenizer chosen by tokenizer.ggml.pre) and "llama" (SentencePiece-style BPE
// with scores and <0xXX> byte fallback). Reproduces llama.cpp's llama_tokenize /
// llama_detokenize token for token. Immutable after FromGguf; Encode/Decode are thread-safe.
// Not here: WordPiece/Unigram/RWKV vocabularies, chat templates, HF clean_up_tokenization_spaces.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::engine {

class GgufFile;
struct Vocab;

struct TokenizerOptions {
  // Use llama.cpp's "default" pre-tokenizer for an unknown tokenizer.ggml.pre instead of
  // refusing the file (EngineConfig::allow_unknown_pre_tokenizer).
  bool allow_unknown_pre = false;
};

class Tokenizer {
 public:
  // Reads tokenizer.ggml.* from `file` and copies what it needs (the file may be closed
  // afterwards). Throws Error naming the file on missing or inconsistent vocabulary data, and on
  // an unknown pre-tokenizer unless `options` allow it.
  static std::unique_ptr<Tokenizer> FromGguf(const GgufFile& file,
                                             const TokenizerOptions& options = {});
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Text -> ids. `add_bos`: prepend BOS (when the vocabulary has one) and, if the file asks
  // for it (add_eos_token), append EOS -- llama.cpp's add_special. `parse_special`: text equal
  // to a control token (e.g. "<|im_start|>") becomes that token; user-defined tokens are always
  // matched, as in llama.cpp. Any byte string is accepted (invalid UTF-8 does not throw).
  std::vector<int32_t> Encode(std::string_view text, bool add_bos,
                              bool parse_special = false) const;
  // Ids -> text: the concatenated pieces, control tokens rendered as their text; for "llama"
  // vocabularies with add_space_prefix the leading space of the first piece is dropped.
  // An id outside [0, n_vocab) is an Error.
  std::string Decode(std::span<const int32_t> ids) const;
  // The decoded bytes of one token (may be a partial UTF-8 sequence for byte tokens).
  std::string TokenPiece(int32_t id) const;
  // The raw vocabulary string (Ġ / ▁ / <0x0A> forms). Error when out of range.
  const std::string& TokenText(int32_t id) const;

  int32_t n_vocab() const;
  int32_t bos() const;  // -1 if none
  int32_t eos() const;  // -1 if none
  bool add_bos_default() const;
  // True for eos, eot, eom and tokens such as <|im_end|>, <|eot_id|>, <|end_of_text|>,
  // <|endoftext|>, <end_of_turn> present in the vocabulary.
  bool IsEog(int32_t id) const;
  std::string_view model_kind() const;  // "gpt2" | "llama"
  std::string_view pre() const;         // tokenizer.ggml.pre as written ("" if absent)
  bool pre_fallback() const;            // pre() is unknown and "default" is used (allowed)

 private:
  explicit Tokenizer(std::unique_ptr<Vocab> vocab);
  void CheckId(int32_t id) const;
  // Appends the tokens of one raw-text fragment (no special tokens inside).
  void EncodeFragment(std::string_view text, bool after_special, std::vector<int32_t>& out) const;

  std::unique_ptr<const Vocab> vocab_;
};

}  // namespace gapbench::engine
