// Tokenizer tests: llama.cpp's published goldens (../shared/data/tokenizer/*.inp/.out, produced
// by the models' own HF tokenizers) for five real vocabularies, round-trip decoding, special
// tokens, invalid UTF-8, and hand-built vocabularies (BPE rank order, SPM score order, damaged
// arrays giving a clean Error).
#include "engine/tokenizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/gguf.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Goldens, read as llama.cpp's tests/test-tokenizer-0.cpp does: the .inp is split on
// "\n__ggml_vocab_test__\n" (so the line break before each separator is not part of a string),
// each .out line holds the ids of one string, encoded with add_special = false,
// parse_special = false.

struct Golden {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<Golden> ReadGoldens(const fs::path& vocab) {
  const std::string inp = testing::ReadFile(vocab.string() + ".inp");
  std::ifstream out_file(vocab.string() + ".out");
  std::vector<std::string> lines;
  for (std::string line; std::getline(out_file, line);) lines.push_back(line);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  EXPECT_EQ(texts.size(), lines.size()) << vocab;
  std::vector<Golden> goldens;
  for (size_t i = 0; i < std::min(texts.size(), lines.size()); ++i) {
    Golden g{texts[i], {}};
    std::istringstream ids(lines[i]);
    for (int32_t id; ids >> id;) g.ids.push_back(id);
    goldens.push_back(std::move(g));
  }
  return goldens;
}

// Loads each shared vocabulary once per test binary (a 128k-token vocabulary takes ~0.3 s).
const Tokenizer* LoadShared(const fs::path& data, const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) {
    const auto file = GgufFile::Open((data / "tokenizer" / name).string());
    slot = Tokenizer::FromGguf(*file);  // the file closes here: the tokenizer must not need it
  }
  return slot.get();
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, EncodesExactlyAsReference) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto tok = LoadShared(data, GetParam());
  const auto goldens = ReadGoldens(data / "tokenizer" / GetParam());
  ASSERT_EQ(goldens.size(), 46u);
  int failures = 0;
  for (const Golden& g : goldens) {
    const std::vector<int32_t> got = tok->Encode(g.text, /*add_bos=*/false);
    EXPECT_EQ(got, g.ids) << "text: '" << g.text << "'";
    failures += got != g.ids;
  }
  EXPECT_EQ(failures, 0);
}

TEST_P(GoldenTest, DecodesBackToInput) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto tok = LoadShared(data, GetParam());
  // Decoding the reference ids (not our own output) must give the input back: every golden
  // string is valid UTF-8 and these vocabularies can represent any byte.
  for (const Golden& g : ReadGoldens(data / "tokenizer" / GetParam())) {
    EXPECT_EQ(tok->Decode(g.ids), g.text);
  }
}

TEST_P(GoldenTest, PiecesConcatenateToDecode) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto tok = LoadShared(data, GetParam());
  const std::string text = "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～";
  const auto ids = tok->Encode(text, false);
  std::string joined;
  for (int32_t id : ids) joined += tok->TokenPiece(id);
  if (tok->model_kind() == "llama") joined.erase(0, 1);  // the add_space_prefix space
  EXPECT_EQ(joined, text);
}

TEST_P(GoldenTest, InvalidUtf8DoesNotCrash) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto tok = LoadShared(data, GetParam());
  const std::string bad[] = {"\xff",
                             "a\x80z",
                             "\xc3",
                             "\xe2\x82",
                             "\xf0\x9f\x98",
                             "\xed\xa0\x80",
                             "\xf8\x88\x80\x80\x80",
                             std::string("nul\0byte", 8),
                             "\xc3\x28 x"};
  for (const std::string& s : bad) {
    const auto ids = tok->Encode(s, true, true);
    EXPECT_FALSE(ids.empty());
    for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < tok->n_vocab());
    EXPECT_NO_THROW(tok->Decode(ids));
  }
}

INSTANTIATE_TEST_SUITE_P(SharedVocabs, GoldenTest,
                         ::testing::Values("ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-bpe.gguf",
                                           "ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
                                           "ggml-vocab-qwen2.gguf"),
                         [](const auto& info) {
                           std::string n = info.param.substr(11, info.param.size() - 16);
                           for (char& c : n)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

// ---------------------------------------------------------------------------------------------
// Properties of the real vocabularies as the files state them.

TEST(TokenizerShared, MetadataAndDefaults) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto llama3 = LoadShared(data, "ggml-vocab-llama-bpe.gguf");
  EXPECT_EQ(llama3->model_kind(), "gpt2");
  EXPECT_EQ(llama3->pre(), "llama-bpe");
  EXPECT_EQ(llama3->n_vocab(), 128256);
  EXPECT_EQ(llama3->bos(), 128000);
  EXPECT_EQ(llama3->eos(), 128001);
  EXPECT_TRUE(llama3->add_bos_default());  // llama3 pre-tokenizer default: the file has no key
  EXPECT_EQ(llama3->TokenText(128009), "<|eot_id|>");
  EXPECT_TRUE(llama3->IsEog(128001));
  EXPECT_TRUE(llama3->IsEog(128009));
  EXPECT_FALSE(llama3->IsEog(128000));
  EXPECT_FALSE(llama3->IsEog(9906));

  const auto qwen = LoadShared(data, "ggml-vocab-qwen2.gguf");
  EXPECT_FALSE(qwen->add_bos_default());
  EXPECT_TRUE(qwen->IsEog(151643));  // <|endoftext|> (eos)
  EXPECT_TRUE(qwen->IsEog(151645));  // <|im_end|>
  EXPECT_FALSE(qwen->IsEog(151644));

  const auto spm = LoadShared(data, "ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(spm->model_kind(), "llama");
  EXPECT_TRUE(spm->add_bos_default());
  EXPECT_EQ(spm->bos(), 1);
  EXPECT_EQ(spm->eos(), 2);
  EXPECT_EQ(spm->TokenText(13), "<0x0A>");
  EXPECT_EQ(spm->TokenPiece(13), "\n");

  const auto phi3 = LoadShared(data, "ggml-vocab-phi-3.gguf");
  EXPECT_TRUE(phi3->IsEog(32007));  // <|end|>
  EXPECT_TRUE(phi3->IsEog(32000));  // eos <|endoftext|>
}

TEST(TokenizerShared, BosIsPrependedOnRequest) {
  GB_REQUIRE_SHARED_DATA(data);
  for (const std::string name : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf"}) {
    const auto tok = LoadShared(data, name);
    // With BOS the ids are BOS followed by the golden ids (the goldens have no BOS).
    for (const Golden& g : ReadGoldens(data / "tokenizer" / name)) {
      std::vector<int32_t> expected{tok->bos()};
      expected.insert(expected.end(), g.ids.begin(), g.ids.end());
      EXPECT_EQ(tok->Encode(g.text, true), expected) << name << ": '" << g.text << "'";
    }
  }
  const auto spm = LoadShared(data, "ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(spm->Encode("", true), std::vector<int32_t>{1});
  EXPECT_TRUE(spm->Encode("", false).empty());
}

TEST(TokenizerShared, SpecialTokensParsedOnlyWhenAsked) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto qwen = LoadShared(data, "ggml-vocab-qwen2.gguf");
  const std::string chat = "<|im_start|>user\nHi there<|im_end|>\n";
  std::vector<int32_t> expected{151644};
  for (int32_t id : qwen->Encode("user\nHi there", false)) expected.push_back(id);
  expected.push_back(151645);
  for (int32_t id : qwen->Encode("\n", false)) expected.push_back(id);
  EXPECT_EQ(qwen->Encode(chat, false, /*parse_special=*/true), expected);
  const auto raw = qwen->Encode(chat, false, /*parse_special=*/false);
  EXPECT_EQ(std::count(raw.begin(), raw.end(), 151644), 0);
  EXPECT_EQ(qwen->Decode(raw), chat);
  EXPECT_EQ(qwen->Decode(expected), chat);

  const auto llama3 = LoadShared(data, "ggml-vocab-llama-bpe.gguf");
  const auto ids = llama3->Encode("<|begin_of_text|>Hello<|eot_id|>", false, true);
  EXPECT_EQ(ids, (std::vector<int32_t>{128000, 9906, 128009}));  // 9906 = "Hello" (golden)
}

TEST(TokenizerShared, SpmSpacePrefixRestartsAfterSpecialToken) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto phi3 = LoadShared(data, "ggml-vocab-phi-3.gguf");
  // After a special token the raw text starts again with the space prefix, and Phi-3's
  // special tokens strip the whitespace that follows them (rstrip).
  std::vector<int32_t> expected{32010};  // <|user|>
  for (int32_t id : phi3->Encode("Hello", false)) expected.push_back(id);
  EXPECT_EQ(phi3->Encode("<|user|>\nHello", false, true), expected);
  // </s> is a user-defined token in this file: matched even without parse_special.
  const auto ids = phi3->Encode("a</s>b", false, false);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 2), 1);
}

TEST(TokenizerShared, DecodeRejectsOutOfRangeIds) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto tok = LoadShared(data, "ggml-vocab-gpt-2.gguf");
  const std::vector<int32_t> bad{15496, 50257};
  EXPECT_THROW(tok->Decode(bad), Error);
  EXPECT_THROW(tok->Decode(std::vector<int32_t>{-1}), Error);
  EXPECT_THROW(tok->TokenText(50257), Error);
  EXPECT_THROW(tok->TokenPiece(-5), Error);
}

// ---------------------------------------------------------------------------------------------
// Hand-built vocabularies, written as raw GGUF bytes (independent of our GGUF writer).

class RawGguf {
 public:
  void Str(const std::string& key, const std::string& v) {
    Key(key, 8);
    PutStr(v);
  }
  void U32(const std::string& key, uint32_t v) {
    Key(key, 4);
    Put(v);
  }
  void Bool(const std::string& key, bool v) {
    Key(key, 7);
    bytes_.push_back(v ? 1 : 0);
  }
  void Strs(const std::string& key, const std::vector<std::string>& v) {
    Key(key, 9);
    Put(uint32_t{8});
    Put(uint64_t{v.size()});
    for (const auto& s : v) PutStr(s);
  }
  void F32s(const std::string& key, const std::vector<float>& v) {
    Key(key, 9);
    Put(uint32_t{6});
    Put(uint64_t{v.size()});
    for (float f : v) Put(f);
  }
  void I32s(const std::string& key, const std::vector<int32_t>& v) {
    Key(key, 9);
    Put(uint32_t{5});
    Put(uint64_t{v.size()});
    for (int32_t i : v) Put(i);
  }
  // The whole file: header, the key/values so far, no tensors.
  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    const auto put = [&](auto v) {
      const auto* p = reinterpret_cast<const uint8_t*>(&v);
      out.insert(out.end(), p, p + sizeof(v));
    };
    put(uint32_t{3});
    put(uint64_t{0});
    put(uint64_t{n_kv_});
    out.insert(out.end(), bytes_.begin(), bytes_.end());
    return out;
  }

 private:
  template <typename T>
  void Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(v));
  }
  void PutStr(const std::string& s) {
    Put(uint64_t{s.size()});
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void Key(const std::string& k, uint32_t type) {
    PutStr(k);
    Put(type);
    ++n_kv_;
  }
  std::vector<uint8_t> bytes_;
  uint64_t n_kv_ = 0;
};

std::unique_ptr<Tokenizer> FromRaw(const RawGguf& g, const std::string& name = "tiny.gguf") {
  const std::vector<uint8_t> bytes = g.Bytes();
  const auto file = GgufFile::FromBuffer(name, bytes);
  return Tokenizer::FromGguf(*file);
}

// A byte-level BPE vocabulary over a, b, c and space (Ġ).
RawGguf TinyBpe(const std::vector<std::string>& merges) {
  RawGguf g;
  g.Str("tokenizer.ggml.model", "gpt2");
  g.Str("tokenizer.ggml.pre", "gpt-2");
  g.Strs("tokenizer.ggml.tokens", {"a", "b", "c", "\xC4\xA0", "ab", "bc", "abc",
                                   "\xC4\xA0"
                                   "a",
                                   "<|end|>"});
  g.I32s("tokenizer.ggml.token_type", {1, 1, 1, 1, 1, 1, 1, 1, 3});
  g.Strs("tokenizer.ggml.merges", merges);
  g.U32("tokenizer.ggml.eos_token_id", 8);
  return g;
}

TEST(TokenizerTiny, BpeAppliesLowestRankFirst) {
  // "abc": with "a b" ranked first, a+b merge, then ab+c.
  auto tok = FromRaw(TinyBpe({"a b", "b c", "ab c"}));
  EXPECT_EQ(tok->Encode("abc", false), (std::vector<int32_t>{6}));
  // With "b c" ranked first, b+c merge and no merge a+bc exists.
  tok = FromRaw(TinyBpe({"b c", "a b", "ab c"}));
  EXPECT_EQ(tok->Encode("abc", false), (std::vector<int32_t>{0, 5}));
  // Words are merged separately: " a" is one word of the GPT-2 regex.
  tok = FromRaw(TinyBpe({"a b", "\xC4\xA0 a"}));
  EXPECT_EQ(tok->Encode("ab a", false), (std::vector<int32_t>{4, 7}));
  EXPECT_EQ(tok->Decode(std::vector<int32_t>{4, 7}), "ab a");
  EXPECT_EQ(tok->bos(), 11 < tok->n_vocab() ? 11 : -1);  // llama.cpp default 11 does not fit
  EXPECT_EQ(tok->eos(), 8);
  EXPECT_TRUE(tok->IsEog(8));
  EXPECT_FALSE(tok->add_bos_default());
}

TEST(TokenizerTiny, ControlTokenOnlyWithParseSpecial) {
  auto tok = FromRaw(TinyBpe({"a b"}));
  EXPECT_EQ(tok->Encode("ab<|end|>", false, true), (std::vector<int32_t>{4, 8}));
  const auto raw = tok->Encode("ab<|end|>", false, false);
  EXPECT_EQ(std::count(raw.begin(), raw.end(), 8), 0);
  EXPECT_EQ(tok->Decode(std::vector<int32_t>{4, 8}), "ab<|end|>");
}

// An SPM vocabulary where scores decide the merge order.
RawGguf TinySpm(float score_ab, float score_sp_a) {
  RawGguf g;
  g.Str("tokenizer.ggml.model", "llama");
  std::vector<std::string> tokens = {"<unk>",
                                     "<s>",
                                     "</s>",
                                     "\xE2\x96\x81",
                                     "a",
                                     "b",
                                     "ab",
                                     "\xE2\x96\x81"
                                     "a"};
  std::vector<float> scores = {0, 0, 0, -1, -2, -2, score_ab, score_sp_a};
  std::vector<int32_t> types = {2, 3, 3, 1, 1, 1, 1, 1};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.push_back(name);
    scores.push_back(0);
    types.push_back(6);
  }
  g.Strs("tokenizer.ggml.tokens", tokens);
  g.F32s("tokenizer.ggml.scores", scores);
  g.I32s("tokenizer.ggml.token_type", types);
  return g;
}

TEST(TokenizerTiny, SpmMergesHighestScoreFirst) {
  // Text "ab" becomes "▁ab" (space prefix). Candidate pairs: ▁+a and a+b.
  auto tok = FromRaw(TinySpm(/*ab=*/-3, /*▁a=*/-5));
  EXPECT_EQ(tok->Encode("ab", false), (std::vector<int32_t>{3, 6}));
  tok = FromRaw(TinySpm(/*ab=*/-5, /*▁a=*/-3));
  EXPECT_EQ(tok->Encode("ab", false), (std::vector<int32_t>{7, 5}));
  EXPECT_EQ(tok->Encode("ab", true), (std::vector<int32_t>{1, 7, 5}));
  EXPECT_TRUE(tok->add_bos_default());
  // Unknown characters fall back to UTF-8 bytes: 'é' = C3 A9 -> <0xC3> <0xA9> (ids 8 + byte).
  EXPECT_EQ(tok->Encode("\xC3\xA9", false), (std::vector<int32_t>{3, 8 + 0xC3, 8 + 0xA9}));
  EXPECT_EQ(tok->Decode(std::vector<int32_t>{3, 8 + 0xC3, 8 + 0xA9}), "\xC3\xA9");
  EXPECT_EQ(tok->Decode(std::vector<int32_t>{7, 5}), "ab");
}

TEST(TokenizerTiny, SpmHonoursAddSpacePrefixFalse) {
  RawGguf g = TinySpm(-3, -5);
  g.Bool("tokenizer.ggml.add_space_prefix", false);
  const auto tok = FromRaw(g);
  EXPECT_EQ(tok->Encode("ab", false), (std::vector<int32_t>{6}));
}

// An unknown pre-tokenizer would silently change the token ids: refused by default, naming the
// file, the name and the option; allowed explicitly, it falls back to "default" without printing
// from library code, and the tokenizer says so (the results record it).
TEST(TokenizerTiny, UnknownPreTokenizerIsRefusedUnlessAllowed) {
  RawGguf g;
  g.Str("tokenizer.ggml.model", "gpt2");
  g.Str("tokenizer.ggml.pre", "no-such-pre-tokenizer");
  g.Strs("tokenizer.ggml.tokens", {"a", "b", "ab"});
  g.Strs("tokenizer.ggml.merges", {"a b"});
  try {
    FromRaw(g, "odd-pre.gguf");
    ADD_FAILURE() << "an unknown pre-tokenizer was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("odd-pre.gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'no-such-pre-tokenizer'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("allow_unknown_pre_tokenizer"), std::string::npos) << msg;
  }
  const std::vector<uint8_t> bytes = g.Bytes();
  const auto file = GgufFile::FromBuffer("odd-pre.gguf", bytes);
  ::testing::internal::CaptureStderr();
  const auto tok = Tokenizer::FromGguf(*file, TokenizerOptions{.allow_unknown_pre = true});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(tok->pre(), "no-such-pre-tokenizer");
  EXPECT_TRUE(tok->pre_fallback());
  EXPECT_EQ(tok->Encode("ab", false), (std::vector<int32_t>{2}));
  // A known name (and an absent one, llama.cpp's "default") is no fallback.
  EXPECT_FALSE(FromRaw(TinyBpe({"a b"}))->pre_fallback());
}

// Each damaged vocabulary must give an Error that names the file.
void ExpectVocabError(const RawGguf& g, const std::string& what) {
  try {
    FromRaw(g, "damaged-vocab.gguf");
    ADD_FAILURE() << "no error for: " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged-vocab.gguf"), std::string::npos)
        << what << ": " << e.what();
  }
}

TEST(TokenizerTiny, DamagedVocabulariesGiveCleanErrors) {
  const std::vector<std::string> tokens = {"a", "b", "ab"};
  {
    RawGguf g;  // no tokenizer at all
    g.Str("general.name", "x");
    ExpectVocabError(g, "missing model");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "bert");
    g.Strs("tokenizer.ggml.tokens", tokens);
    ExpectVocabError(g, "unsupported model");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "llama");
    ExpectVocabError(g, "missing tokens");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "llama");
    g.Strs("tokenizer.ggml.tokens", tokens);
    g.F32s("tokenizer.ggml.scores", {0.0f, 1.0f});  // 2 scores for 3 tokens
    ExpectVocabError(g, "short scores");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "llama");
    g.Strs("tokenizer.ggml.tokens", tokens);
    g.I32s("tokenizer.ggml.token_type", {1, 1, 1, 1});
    ExpectVocabError(g, "long token_type");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "llama");
    g.Strs("tokenizer.ggml.tokens", tokens);
    g.Strs("tokenizer.ggml.scores", {"x", "y", "z"});
    ExpectVocabError(g, "scores of the wrong type");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "gpt2");
    g.Strs("tokenizer.ggml.tokens", tokens);
    g.Strs("tokenizer.ggml.merges", {"a c"});
    ExpectVocabError(g, "merge naming an unknown token");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "gpt2");
    g.Strs("tokenizer.ggml.tokens", tokens);
    g.Strs("tokenizer.ggml.merges", {"ab"});
    ExpectVocabError(g, "merge without a space");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "gpt2");
    g.Strs("tokenizer.ggml.tokens", tokens);
    ExpectVocabError(g, "gpt2 without merges");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "llama");
    g.Strs("tokenizer.ggml.tokens", tokens);
    g.U32("tokenizer.ggml.bos_token_id", 3);
    ExpectVocabError(g, "bos out of range");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "llama");
    g.Strs("tokenizer.ggml.tokens", {"a", "b", "a"});
    ExpectVocabError(g, "duplicate token");
  }
  {
    RawGguf g;
    g.Str("tokenizer.ggml.model", "llama");
    g.Strs("tokenizer.ggml.tokens", {});
    ExpectVocabError(g, "empty token list");
  }
}

TEST(TokenizerTiny, TruncatedFileIsAnError) {
  RawGguf g = TinyBpe({"a b"});
  std::vector<uint8_t> bytes = g.Bytes();
  for (size_t cut : {bytes.size() - 1, bytes.size() / 2, size_t{30}}) {
    const std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    EXPECT_THROW(
        {
          const auto file = GgufFile::FromBuffer("cut.gguf", part);
          Tokenizer::FromGguf(*file);
        },
        Error);
  }
}

}  // namespace
}  // namespace gapbench::engine
