// Pre-tokenizers of byte-level BPE vocabularies: split text (as code points) into the words that
// BPE merges run inside. Each pre-tokenizer is llama.cpp's list of regexes for that
// `tokenizer.ggml.pre` value, applied one after the other (each regex splits every piece of the
// previous one into its matches and the text between them, like HF's Split/Isolated). The
// regexes are hand-written matchers over code points, not std::regex.
// Not here: special-token splitting (tokenizer.cpp) and the byte-level encoding (bpe_tokenizer).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::engine {

enum class PreTokenizer {
  kDefault,        // llama.cpp "default": punctuation runs, GPT-2 regex, digit runs, 3 digits
  kGpt2,           // gpt-2, phi-2, mpt, olmo, ...: the GPT-2 regex alone
  kLlama3,         // llama3 / llama-bpe / llama-v3, dbrx, smaug-bpe: digits in groups of 3
  kQwen2,          // qwen2, deepseek-r1-qwen, stablelm2: the llama3 regex with single digits
  kStarcoder,      // starcoder, smollm, refact, command-r, ...: single digits, then GPT-2
  kFalcon,         // falcon: punctuation/symbol runs, GPT-2, then 3-digit groups
  kDeepseekLlm,    // deepseek-llm
  kDeepseekCoder,  // deepseek-coder
};

struct PreTokenizerInfo {
  PreTokenizer kind = PreTokenizer::kDefault;
  bool known = true;           // false: the name was not recognised (LoadVocab refuses it)
  bool ignore_merges = false;  // llama3: a word that is already a token is not merged
  bool add_bos = false;        // llama.cpp's add_bos default for this pre-tokenizer
};

// Maps a `tokenizer.ggml.pre` value (empty = absent) to a pre-tokenizer.
PreTokenizerInfo LookupPreTokenizer(std::string_view name);
// Every name LookupPreTokenizer knows, comma-separated (for messages).
std::string KnownPreTokenizerNames();

// Splits `cps` into words; returns the length (in code points) of each word, in order. The
// lengths sum to cps.size() and none is zero.
std::vector<uint32_t> PreTokenize(PreTokenizer kind, std::span<const uint32_t> cps);

}  // namespace gapbench::engine
