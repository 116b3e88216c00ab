// Byte-level BPE (tokenizer.ggml.model = "gpt2"): pre-tokenize, then inside each word start
// from one symbol per byte (the GPT-2 byte-level character of that byte) and repeatedly apply
// the lowest-ranked merge among adjacent pairs, leftmost first on ties -- llama.cpp's
// llm_tokenizer_bpe_session. Merges are looked up by (left id, right id), so no strings are
// built in the merge loop. Cost: O(w log w) per word of w bytes.
// Not here: special tokens and BOS/EOS (tokenizer.cpp).
#include <queue>

#include "engine/unicode.h"
#include "engine/vocab.h"

namespace gapbench::engine {
namespace {

struct Symbol {
  int32_t id;      // token id of the symbol's bytes, -1 if they are not a token
  int32_t prev;    // index of the previous live symbol, -1 at the start
  int32_t next;    // index of the next live symbol, -1 at the end
  uint32_t begin;  // byte range [begin, begin + len) of the word
  uint32_t len;    // 0 once merged into its left neighbour
};

struct Candidate {
  int32_t rank;
  int32_t left;  // symbol index; the right one is symbols[left].next at push time
  int32_t right;
  int32_t left_id, right_id;  // ids at push time, to detect stale entries
  bool operator>(const Candidate& o) const {
    return rank != o.rank ? rank > o.rank : left > o.left;
  }
};

// Reusable buffers for one Encode call.
class BpeSession {
 public:
  explicit BpeSession(const Vocab& vocab) : vocab_(vocab) {}

  void EncodeWord(std::string_view word, std::vector<int32_t>& out) {
    if (vocab_.pre.ignore_merges) {
      // llama3: a word that is a token as a whole is emitted without merging.
      encoded_.clear();
      for (char c : word) unicode::AppendUtf8(unicode::ByteToCp(static_cast<uint8_t>(c)), encoded_);
      if (int32_t id = vocab_.Find(encoded_); id >= 0) {
        out.push_back(id);
        return;
      }
    }
    symbols_.clear();
    const int32_t n = static_cast<int32_t>(word.size());
    for (int32_t i = 0; i < n; ++i) {
      symbols_.push_back({vocab_.byte_token[static_cast<uint8_t>(word[i])], i - 1,
                          i + 1 < n ? i + 1 : -1, static_cast<uint32_t>(i), 1});
    }
    queue_ = {};
    for (int32_t i = 0; i + 1 < n; ++i) TryAdd(i, i + 1);
    while (!queue_.empty()) {
      const Candidate c = queue_.top();
      queue_.pop();
      Symbol& l = symbols_[c.left];
      Symbol& r = symbols_[c.right];
      if (l.len == 0 || r.len == 0 || l.id != c.left_id || r.id != c.right_id) continue;
      l.id = vocab_.merges.find(Key(c.left_id, c.right_id))->second.result;
      l.len += r.len;
      r.len = 0;
      l.next = r.next;
      if (r.next >= 0) symbols_[r.next].prev = c.left;
      TryAdd(l.prev, c.left);
      TryAdd(c.left, l.next);
    }
    for (int32_t i = 0; i >= 0 && i < n; i = symbols_[i].next) {
      const Symbol& s = symbols_[i];
      if (s.id >= 0) {
        out.push_back(s.id);
        continue;
      }
      // Not a token (a byte without a byte-level token): as llama.cpp, emit whatever single
      // bytes of its byte-level text happen to be tokens.
      encoded_.clear();
      for (uint32_t k = 0; k < s.len; ++k) {
        unicode::AppendUtf8(unicode::ByteToCp(static_cast<uint8_t>(word[s.begin + k])), encoded_);
      }
      for (char ch : encoded_) {
        if (int32_t id = vocab_.Find(std::string_view(&ch, 1)); id >= 0) out.push_back(id);
      }
    }
  }

 private:
  static uint64_t Key(int32_t l, int32_t r) {
    return (static_cast<uint64_t>(l) << 32) | static_cast<uint32_t>(r);
  }

  void TryAdd(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t l = symbols_[left].id, r = symbols_[right].id;
    if (l < 0 || r < 0) return;
    auto it = vocab_.merges.find(Key(l, r));
    if (it == vocab_.merges.end()) return;
    queue_.push({it->second.rank, left, right, l, r});
  }

  const Vocab& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue_;
  std::string encoded_;
};

}  // namespace

void EncodeBpe(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  const std::vector<uint32_t> cps = unicode::DecodeUtf8(text);
  const std::vector<uint32_t> words = PreTokenize(vocab.pre.kind, cps);
  BpeSession session(vocab);
  std::string word;
  size_t begin = 0;
  for (uint32_t len : words) {
    // Re-encode from code points so that invalid bytes arrive as U+FFFD, as in llama.cpp.
    word.clear();
    for (size_t i = begin; i < begin + len; ++i) unicode::AppendUtf8(cps[i], word);
    begin += len;
    session.EncodeWord(word, out);
  }
}

}  // namespace gapbench::engine
