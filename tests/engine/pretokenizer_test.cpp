// Pre-tokenizer splits for each llama.cpp pre-tokenizer, with the expected words worked out by
// hand from the regexes' semantics (leftmost match, greedy, each regex splitting the pieces of
// the previous one into matches and the text between them).
#include "engine/pretokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/unicode.h"

namespace gapbench::engine {
namespace {

std::vector<std::string> Split(PreTokenizer kind, const std::string& text) {
  const std::vector<uint32_t> cps = unicode::DecodeUtf8(text);
  std::vector<std::string> words;
  size_t begin = 0;
  for (uint32_t len : PreTokenize(kind, cps)) {
    EXPECT_GT(len, 0u);
    std::string w;
    for (size_t i = begin; i < begin + len; ++i) unicode::AppendUtf8(cps[i], w);
    words.push_back(w);
    begin += len;
  }
  EXPECT_EQ(begin, cps.size());
  return words;
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(Split(PreTokenizer::kGpt2, "I'm  fine!!\n"),
            (Words{"I", "'m", " ", " fine", "!!", "\n"}));
  EXPECT_EQ(Split(PreTokenizer::kGpt2, "x 42\t\ty"), (Words{"x", " 42", "\t", "\t", "y"}));
  EXPECT_EQ(Split(PreTokenizer::kGpt2, "'S"), (Words{"'", "S"}));  // case-sensitive contractions
}

TEST(PreTokenizer, Llama3AndQwen2) {
  EXPECT_EQ(Split(PreTokenizer::kLlama3, "Hello 12345  world\n\n"),
            (Words{"Hello", " ", "123", "45", " ", " world", "\n\n"}));
  EXPECT_EQ(Split(PreTokenizer::kLlama3, "'S ok?!\n x"), (Words{"'S", " ok", "?!\n", " x"}));
  EXPECT_EQ(Split(PreTokenizer::kLlama3, "  \n  x"), (Words{"  \n", " ", " x"}));
  EXPECT_EQ(Split(PreTokenizer::kQwen2, "a12345"), (Words{"a", "1", "2", "3", "4", "5"}));
}

TEST(PreTokenizer, StarcoderSplitsDigitsFirst) {
  EXPECT_EQ(Split(PreTokenizer::kStarcoder, "abc 123"), (Words{"abc", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, FalconAndDefault) {
  EXPECT_EQ(Split(PreTokenizer::kFalcon, "x=1234"), (Words{"x", "=", "123", "4"}));
  EXPECT_EQ(Split(PreTokenizer::kFalcon, "a`b"), (Words{"a", "`", "b"}));
  EXPECT_EQ(Split(PreTokenizer::kDefault, "a++1234"), (Words{"a", "++", "123", "4"}));
}

TEST(PreTokenizer, Deepseek) {
  EXPECT_EQ(Split(PreTokenizer::kDeepseekCoder, "a1,b\n"), (Words{"a", "1", ",", "b", "\n"}));
  EXPECT_EQ(Split(PreTokenizer::kDeepseekLlm, "Hi  你好 123\n"),
            (Words{"Hi", "  ", "你好", " ", "123", "\n"}));
  // Ohm sign U+2126 and Kelvin sign U+212A are in deepseek-llm's letter class; ASCII 'K'-'~'
  // punctuation like '{' must not be swallowed by a mis-typed range.
  EXPECT_EQ(Split(PreTokenizer::kDeepseekLlm, "\u2126\u212A{"), (Words{"\u2126\u212A", "{"}));
}

TEST(PreTokenizer, Lookup) {
  EXPECT_EQ(LookupPreTokenizer("llama-bpe").kind, PreTokenizer::kLlama3);
  EXPECT_TRUE(LookupPreTokenizer("llama3").ignore_merges);
  EXPECT_TRUE(LookupPreTokenizer("llama-v3").add_bos);
  EXPECT_EQ(LookupPreTokenizer("deepseek-r1-qwen").kind, PreTokenizer::kQwen2);
  EXPECT_EQ(LookupPreTokenizer("smollm").kind, PreTokenizer::kStarcoder);
  EXPECT_EQ(LookupPreTokenizer("refact").kind, PreTokenizer::kStarcoder);
  EXPECT_EQ(LookupPreTokenizer("mpt").kind, PreTokenizer::kGpt2);
  EXPECT_FALSE(LookupPreTokenizer("qwen2").add_bos);
  EXPECT_FALSE(LookupPreTokenizer("bogus").known);
  EXPECT_TRUE(LookupPreTokenizer("").known);
}

TEST(PreTokenizer, InvalidUtf8BecomesReplacementChars) {
  const auto cps = unicode::DecodeUtf8("a\xff\xc3");
  EXPECT_EQ(cps, (std::vector<uint32_t>{'a', 0xFFFD, 0xFFFD}));
  EXPECT_EQ(unicode::DecodeUtf8("\xf0\x9f\x98\x81"), std::vector<uint32_t>{0x1F601});
}

}  // namespace
}  // namespace gapbench::engine
