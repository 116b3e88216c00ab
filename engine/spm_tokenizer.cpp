// SentencePiece-style BPE (tokenizer.ggml.model = "llama"): spaces become U+2581, the text is
// split into UTF-8 characters, and the adjacent pair whose concatenation is the token with the
// highest score is merged first (leftmost on ties) until no pair is a token -- llama.cpp's
// llm_tokenizer_spm_session. Symbols that are not tokens fall back to <0xXX> byte tokens.
// No pre-tokenization: the whole fragment is one sequence, O(n log n).
// Not here: the space prefix, special tokens, BOS/EOS (tokenizer.cpp).
#include <queue>

#include "engine/unicode.h"
#include "engine/vocab.h"

namespace gapbench::engine {
namespace {

struct Symbol {
  int32_t prev, next;   // live neighbours, -1 at the ends
  uint32_t begin, len;  // byte range of the escaped text; len 0 once merged away
};

struct Candidate {
  float score;
  int32_t left, right;
  uint32_t size;  // bytes of the merged text at push time, to detect stale entries
  bool operator<(const Candidate& o) const {  // max-heap: best score, then leftmost
    return score != o.score ? score < o.score : left > o.left;
  }
};

}  // namespace

void EncodeSpm(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  static constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581
  std::string escaped;
  escaped.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (c == ' ') {
      escaped.append(kSpace);
    } else {
      escaped.push_back(c);
    }
  }
  if (escaped.empty()) return;

  // One symbol per UTF-8 character; a bad byte is a one-byte symbol (it ends up a byte token).
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < escaped.size();) {
    const size_t len =
        std::min(unicode::Utf8SeqLen(static_cast<uint8_t>(escaped[pos])), escaped.size() - pos);
    const int32_t idx = static_cast<int32_t>(symbols.size());
    symbols.push_back({idx - 1, pos + len < escaped.size() ? idx + 1 : -1,
                       static_cast<uint32_t>(pos), static_cast<uint32_t>(len)});
    pos += len;
  }

  std::priority_queue<Candidate> queue;
  const auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    const std::string_view merged(escaped.data() + l.begin, l.len + r.len);
    const int32_t id = vocab.Find(merged);
    if (id < 0) return;
    queue.push({vocab.score[id], left, right, l.len + r.len});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) try_add(i, i + 1);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& l = symbols[c.left];
    Symbol& r = symbols[c.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != c.size) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = c.left;
    try_add(l.prev, c.left);
    try_add(c.left, l.next);
  }

  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    const std::string_view piece(escaped.data() + s.begin, s.len);
    if (int32_t id = vocab.Find(piece); id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char ch : piece) {
      int32_t id = vocab.byte_token[static_cast<uint8_t>(ch)];
      if (id < 0) id = vocab.unk;  // a vocabulary without byte fallback
      if (id >= 0) out.push_back(id);
    }
  }
}

}  // namespace gapbench::engine
