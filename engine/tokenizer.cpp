// Tokenizer front end: special-token partitioning, BOS/EOS, the SPM space prefix, and decoding
// of token pieces (byte-level map for gpt2, U+2581 and <0xXX> for llama), following llama.cpp's
// llama_vocab::impl::tokenize / token_to_piece / detokenize.
#include "engine/tokenizer.h"

#include <algorithm>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/unicode.h"
#include "engine/vocab.h"

namespace gapbench::engine {
namespace {

// A piece of the input: raw text [offset, offset + length) or one special token.
struct Fragment {
  int32_t token;  // -1 for raw text
  size_t offset;
  size_t length;
};

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Splits `text` around special tokens, longest token text first; within a pass every
// occurrence (left to right, non-overlapping) is cut out. Same order as llama.cpp's
// tokenizer_st_partition, so overlapping special tokens resolve identically.
std::vector<Fragment> Partition(const Vocab& vocab, std::string_view text, bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;  // llama.cpp: empty text yields no fragment at all
  frags.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  for (int32_t id : vocab.special) {
    const uint8_t attr = vocab.attr[id];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& tok = vocab.text[id];
    if (text.find(tok) == std::string_view::npos) continue;  // cheap pre-check
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t base = f.offset, len = f.length;
      while (len > 0) {
        const size_t m = text.substr(base, len).find(tok);
        if (m == std::string_view::npos) {
          next.push_back({-1, base, len});
          break;
        }
        size_t left_len = m;
        if (attr & kAttrLstrip) {
          while (left_len > 0 && IsAsciiSpace(text[base + left_len - 1])) --left_len;
        }
        if (left_len > 0) next.push_back({-1, base, left_len});
        next.push_back({id, 0, 0});
        size_t right = base + m + tok.size();
        size_t right_len = base + len - right;
        if (attr & kAttrRstrip) {
          while (right_len > 0 && IsAsciiSpace(text[right])) {
            ++right;
            --right_len;
          }
        }
        base = right;
        len = right_len;
      }
    }
    frags.swap(next);
  }
  return frags;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Vocab> vocab) : vocab_(std::move(vocab)) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::FromGguf(const GgufFile& file,
                                               const TokenizerOptions& options) {
  return std::unique_ptr<Tokenizer>(new Tokenizer(LoadVocab(file, options.allow_unknown_pre)));
}

void Tokenizer::EncodeFragment(std::string_view text, bool after_special,
                               std::vector<int32_t>& out) const {
  if (vocab_->kind == VocabKind::kBpe) {
    EncodeBpe(*vocab_, text, out);
    return;
  }
  // SPM: a raw fragment at the start or right after a special token gets the space prefix.
  if (vocab_->add_space_prefix && after_special) {
    std::string prefixed;
    prefixed.reserve(text.size() + 1);
    prefixed.push_back(' ');
    prefixed.append(text);
    EncodeSpm(*vocab_, prefixed, out);
  } else {
    EncodeSpm(*vocab_, text, out);
  }
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_bos,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_bos && vocab_->bos >= 0) out.push_back(vocab_->bos);
  bool after_special = true;
  for (const Fragment& f : Partition(*vocab_, text, parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      after_special = true;
    } else {
      EncodeFragment(text.substr(f.offset, f.length), after_special, out);
      after_special = false;
    }
  }
  if (add_bos && vocab_->add_eos && vocab_->eos >= 0) out.push_back(vocab_->eos);
  return out;
}

void Tokenizer::CheckId(int32_t id) const {
  if (id < 0 || id >= vocab_->n_vocab()) {
    Fail("token id ", id, " is outside the vocabulary of ", vocab_->path, " (", vocab_->n_vocab(),
         " tokens)");
  }
}

std::string Tokenizer::TokenPiece(int32_t id) const {
  CheckId(id);
  const std::string& text = vocab_->text[id];
  const uint8_t attr = vocab_->attr[id];
  if (attr & (kAttrControl | kAttrUnknown | kAttrUserDefined)) return text;
  if (vocab_->kind == VocabKind::kSpm) {
    if (attr & kAttrNormal) {
      std::string out;
      out.reserve(text.size());
      for (size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
          out.push_back(' ');
          i += 2;
        } else {
          out.push_back(text[i]);
        }
      }
      return out;
    }
    if (attr & kAttrByte) {
      const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
      };
      if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>' &&
          hex(text[3]) >= 0 && hex(text[4]) >= 0) {
        return std::string(1, static_cast<char>(hex(text[3]) * 16 + hex(text[4])));
      }
      return text;
    }
    return {};  // unused / undefined tokens render as nothing, as in llama.cpp
  }
  if (attr & kAttrNormal) {
    std::string out;
    for (uint32_t cp : unicode::DecodeUtf8(text)) {
      const int b = unicode::CpToByte(cp);
      if (b >= 0) {
        out.push_back(static_cast<char>(b));
      } else {
        unicode::AppendUtf8(cp, out);  // not a byte-level character: keep it
      }
    }
    return out;
  }
  return {};
}

std::string Tokenizer::Decode(std::span<const int32_t> ids) const {
  std::string out;
  // llama.cpp drops the space that add_space_prefix put before the first piece.
  bool remove_space = vocab_->kind == VocabKind::kSpm && vocab_->add_space_prefix;
  for (int32_t id : ids) {
    std::string piece = TokenPiece(id);
    if (remove_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    remove_space = false;
    out += piece;
  }
  return out;
}

const std::string& Tokenizer::TokenText(int32_t id) const {
  CheckId(id);
  return vocab_->text[id];
}

int32_t Tokenizer::n_vocab() const { return vocab_->n_vocab(); }
int32_t Tokenizer::bos() const { return vocab_->bos; }
int32_t Tokenizer::eos() const { return vocab_->eos; }
bool Tokenizer::add_bos_default() const { return vocab_->add_bos; }
bool Tokenizer::IsEog(int32_t id) const {
  return std::binary_search(vocab_->eog.begin(), vocab_->eog.end(), id);
}
std::string_view Tokenizer::model_kind() const { return vocab_->model; }
std::string_view Tokenizer::pre() const { return vocab_->pre_name; }
bool Tokenizer::pre_fallback() const { return vocab_->pre_fallback; }

}  // namespace gapbench::engine
