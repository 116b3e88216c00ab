// Reading tokenizer.ggml.* from GGUF into a Vocab, following llama.cpp's llama_vocab::load for
// defaults (SPM: bos 1, eos 2, unk 0, add_bos, add_space_prefix; gpt2: bos = eos = 11, add_bos
// from the pre-tokenizer) and for the end-of-generation and special-token bookkeeping.
#include "engine/vocab.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/unicode.h"

namespace gapbench::engine {
namespace {

// Reads a numeric array of exactly `n` elements (any integer or float element type).
const GgufValue* NumericArray(const GgufFile& file, std::string_view key, size_t n) {
  const GgufValue* v = file.Find(key);
  if (v == nullptr) return nullptr;
  if (v->type != GgufType::kArray) {
    Fail(file.path(), ": metadata '", key, "' should be an array but is ", GgufTypeName(v->type));
  }
  if (v->elems.size() != n) {
    Fail(file.path(), ": metadata '", key, "' has ", v->elems.size(), " entries but ",
         "tokenizer.ggml.tokens has ", n, " (mismatched vocabulary arrays)");
  }
  for (const GgufValue& e : v->elems) {
    if (!e.IsNumber()) {
      Fail(file.path(), ": metadata '", key, "' should hold numbers but holds ",
           GgufTypeName(e.type));
    }
  }
  return v;
}

uint8_t AttrFromType(int64_t type) {
  switch (type) {  // GGUF token_type: 1 normal, 2 unknown, 3 control, 4 user, 5 unused, 6 byte
    case 1:
      return kAttrNormal;
    case 2:
      return kAttrUnknown;
    case 3:
      return kAttrControl;
    case 4:
      return kAttrUserDefined;
    case 5:
      return kAttrUnused;
    case 6:
      return kAttrByte;
    default:
      return kAttrUndefined;
  }
}

// Reads an optional special-token id; an id outside the vocabulary is an error.
void ReadSpecialId(const GgufFile& file, std::string_view key, int32_t n_vocab, int32_t& id) {
  if (id >= n_vocab) id = -1;  // a default that does not fit this vocabulary
  const auto v = file.GetInt(key);
  if (!v) return;
  if (*v < 0 || *v >= n_vocab) {
    Fail(file.path(), ": metadata '", key, "' = ", *v, " is outside the vocabulary (", n_vocab,
         " tokens)");
  }
  id = static_cast<int32_t>(*v);
}

void LoadTokens(const GgufFile& file, Vocab& v) {
  const GgufValue* tokens = file.GetArray("tokenizer.ggml.tokens", GgufType::kString);
  if (tokens == nullptr) Fail(file.path(), ": 'tokenizer.ggml.tokens' is missing");
  const size_t n = tokens->elems.size();
  if (n == 0) Fail(file.path(), ": 'tokenizer.ggml.tokens' is empty");
  if (n > static_cast<size_t>(INT32_MAX) / 2) {
    Fail(file.path(), ": 'tokenizer.ggml.tokens' has too many entries (", n, ")");
  }
  const GgufValue* scores = NumericArray(file, "tokenizer.ggml.scores", n);
  const GgufValue* types = NumericArray(file, "tokenizer.ggml.token_type", n);
  v.text.resize(n);
  v.score.assign(n, 0.0f);
  v.attr.assign(n, kAttrNormal);
  v.to_id.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string word(tokens->elems[i].str);
    if (word.empty()) word = StrCat("[EMPTY_", i, "]");  // as llama.cpp: keep ids aligned
    if (scores) v.score[i] = static_cast<float>(scores->elems[i].AsDouble());
    if (types) v.attr[i] = AttrFromType(types->elems[i].AsInt());
    const auto [it, inserted] = v.to_id.emplace(word, static_cast<int32_t>(i));
    if (!inserted) {
      Fail(file.path(), ": 'tokenizer.ggml.tokens' holds '", word, "' twice (ids ", it->second,
           " and ", i, ")");
    }
    v.text[i] = std::move(word);
  }
}

void LoadMerges(const GgufFile& file, Vocab& v) {
  const GgufValue* merges = file.GetArray("tokenizer.ggml.merges", GgufType::kString);
  if (merges == nullptr) Fail(file.path(), ": 'tokenizer.ggml.merges' is missing (gpt2 model)");
  v.merges.reserve(merges->elems.size());
  std::string joined;
  for (size_t rank = 0; rank < merges->elems.size(); ++rank) {
    const std::string_view m = merges->elems[rank].str;
    const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    if (space == std::string_view::npos) {
      Fail(file.path(), ": 'tokenizer.ggml.merges' entry ", rank, " ('", m,
           "') is not two tokens separated by a space");
    }
    const std::string_view left = m.substr(0, space), right = m.substr(space + 1);
    const int32_t l = v.Find(left), r = v.Find(right);
    if (l < 0 || r < 0) {
      Fail(file.path(), ": 'tokenizer.ggml.merges' entry ", rank, " ('", m,
           "') names a token that is not in the vocabulary");
    }
    joined.assign(left).append(right);
    const uint64_t key = (static_cast<uint64_t>(l) << 32) | static_cast<uint32_t>(r);
    v.merges.emplace(key, Vocab::Merge{static_cast<int32_t>(rank), v.Find(joined)});
  }
}

void BuildByteTokens(Vocab& v) {
  static const char* kHex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    if (v.kind == VocabKind::kBpe) {
      v.byte_token[b] = v.Find(unicode::EncodeUtf8(unicode::ByteToCp(static_cast<uint8_t>(b))));
    } else {
      const char name[7] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>', 0};
      int32_t id = v.Find(name);
      if (id < 0) id = v.Find(std::string(1, static_cast<char>(b)));
      v.byte_token[b] = id;
    }
  }
}

// End-of-generation and control-looking tokens found by text, as llama.cpp does (the
// converters do not always mark them).
void DetectEndTokens(Vocab& v) {
  static constexpr std::string_view kEotTexts[] = {
      "<|eot_id|>",      "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",
      "<|end_of_text|>", "<EOT>",      "_<EOT>",  "<｜end▁of▁sentence｜>", "<end_of_utterance>"};
  static constexpr std::string_view kEogTexts[] = {
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",   "<|endoftext|>",
      "<|eom_id|>", "<EOT>",      "_<EOT>",  "<|end_of_text|>", "<end_of_utterance>"};
  if (v.eot < 0) {
    for (std::string_view t : kEotTexts) {
      if (int32_t id = v.Find(t); id >= 0) {
        v.eot = id;
        break;
      }
    }
  }
  if (v.eom < 0) v.eom = v.Find("<|eom_id|>");
  std::set<int32_t> eog;
  for (std::string_view t : kEogTexts) {
    if (int32_t id = v.Find(t); id >= 0) eog.insert(id);
  }
  for (int32_t id : {v.eos, v.eot, v.eom}) {
    if (id >= 0) eog.insert(id);
  }
  for (int32_t id : eog) v.attr[id] |= kAttrControl;
  v.eog.assign(eog.begin(), eog.end());
}

void BuildSpecialList(const GgufFile& file, Vocab& v) {
  for (int32_t id = 0; id < v.n_vocab(); ++id) {
    if (v.attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) v.special.push_back(id);
  }
  // Longest first, so that a special token containing another one wins.
  std::stable_sort(v.special.begin(), v.special.end(),
                   [&](int32_t a, int32_t b) { return v.text[a].size() > v.text[b].size(); });
  // llama.cpp gives Phi-3's special tokens rstrip (HF's added-token flags), keyed by model name.
  std::string name(file.GetString("general.name").value_or(""));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : v.special) v.attr[id] |= kAttrRstrip;
    if (int32_t id = v.Find("</s>"); id >= 0) v.attr[id] |= kAttrRstrip;
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) {
      if (int32_t id = v.Find(t); id >= 0) v.attr[id] &= static_cast<uint8_t>(~kAttrRstrip);
    }
  }
}

}  // namespace

std::unique_ptr<Vocab> LoadVocab(const GgufFile& file, bool allow_unknown_pre) {
  auto v = std::make_unique<Vocab>();
  v->path = file.path();
  const auto model = file.GetString("tokenizer.ggml.model");
  if (!model) {
    Fail(file.path(), ": no tokenizer in this file ('tokenizer.ggml.model' is missing)");
  }
  v->model = std::string(*model);
  v->pre_name = std::string(file.GetString("tokenizer.ggml.pre").value_or(""));
  if (v->model == "gpt2") {
    v->kind = VocabKind::kBpe;
    v->pre = LookupPreTokenizer(v->pre_name);
    if (!v->pre.known) {
      // llama.cpp refuses these too ("unknown pre-tokenizer type"): the ids would differ from
      // the model's own tokenizer, silently, in every result.
      if (!allow_unknown_pre) {
        Fail(file.path(), ": unknown pre-tokenizer '", v->pre_name,
             "' (tokenizer.ggml.pre); gapbench knows: ", KnownPreTokenizerNames(),
             ". Its token ids would differ from the model's own tokenizer. To use llama.cpp's "
             "'default' pre-tokenizer anyway, set \"allow_unknown_pre_tokenizer\": true in the "
             "engine settings (`gapbench tokenize`: --allow-unknown-pre-tokenizer)");
      }
      v->pre_fallback = true;
    }
    v->bos = v->eos = 11;  // llama.cpp's defaults for gpt2 vocabularies
    v->add_bos = v->pre.add_bos;
  } else if (v->model == "llama") {
    v->kind = VocabKind::kSpm;
    v->bos = 1;
    v->eos = 2;
    v->unk = 0;
    v->add_bos = true;
    v->add_space_prefix = true;
  } else {
    Fail(file.path(), ": tokenizer model '", v->model,
         "' is not supported (supported: gpt2, llama)");
  }

  LoadTokens(file, *v);
  if (v->kind == VocabKind::kBpe) LoadMerges(file, *v);
  BuildByteTokens(*v);

  const int32_t n = v->n_vocab();
  ReadSpecialId(file, "tokenizer.ggml.bos_token_id", n, v->bos);
  ReadSpecialId(file, "tokenizer.ggml.eos_token_id", n, v->eos);
  ReadSpecialId(file, "tokenizer.ggml.unknown_token_id", n, v->unk);
  ReadSpecialId(file, "tokenizer.ggml.padding_token_id", n, v->pad);
  ReadSpecialId(file, "tokenizer.ggml.eot_token_id", n, v->eot);
  ReadSpecialId(file, "tokenizer.ggml.eom_token_id", n, v->eom);
  v->add_bos = file.GetBool("tokenizer.ggml.add_bos_token").value_or(v->add_bos);
  v->add_eos = file.GetBool("tokenizer.ggml.add_eos_token").value_or(v->add_eos);
  if (v->kind == VocabKind::kSpm) {
    v->add_space_prefix = file.GetBool("tokenizer.ggml.add_space_prefix").value_or(true);
  }
  if (v->add_bos && v->bos < 0) {
    Fail(file.path(), ": 'tokenizer.ggml.add_bos_token' is true but there is no BOS token");
  }
  if (v->add_eos && v->eos < 0) {
    Fail(file.path(), ": 'tokenizer.ggml.add_eos_token' is true but there is no EOS token");
  }

  DetectEndTokens(*v);
  BuildSpecialList(file, *v);
  return v;
}

}  // namespace gapbench::engine
