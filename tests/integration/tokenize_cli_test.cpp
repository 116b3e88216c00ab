// End-to-end tests of `gapbench tokenize` / `gapbench detokenize` as real processes on a shared
// vocabulary: ids against llama.cpp's golden .out file, JSON shape, error exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

// The golden ids of the string `text` in the vocabulary's .inp/.out pair (llama.cpp format).
std::vector<int> GoldenIds(const std::filesystem::path& vocab, const std::string& text) {
  const std::string inp = testing::ReadFile(vocab.string() + ".inp");
  std::ifstream out(vocab.string() + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  size_t pos = 0;
  for (std::string line; std::getline(out, line);) {
    const size_t next = inp.find(sep, pos);
    const std::string item = inp.substr(pos, next == std::string::npos ? next : next - pos);
    if (item == text) {
      std::vector<int> ids;
      std::istringstream in(line);
      for (int id; in >> id;) ids.push_back(id);
      return ids;
    }
    if (next == std::string::npos) break;
    pos = next + sep.size();
  }
  ADD_FAILURE() << "no golden for '" << text << "'";
  return {};
}

TEST(TokenizeCli, JsonMatchesGolden) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto vocab = data / "tokenizer" / "ggml-vocab-qwen2.gguf";
  const std::string text = " Hello, world!";
  const auto r =
      RunProcess({GapbenchBin(), "tokenize", "--model", vocab.string(), "--text", text, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = ParseJson(r.out, "tokenize output");
  ASSERT_TRUE(doc.IsObject());
  ASSERT_TRUE(doc["tokens"].IsArray());
  ASSERT_TRUE(doc["pieces"].IsArray());
  std::vector<int> ids;
  std::string joined;
  for (const auto& t : doc["tokens"].GetArray()) ids.push_back(t.GetInt());
  for (const auto& p : doc["pieces"].GetArray()) joined += p.GetString();
  EXPECT_EQ(ids, GoldenIds(vocab, text));  // qwen2 adds no BOS by default
  EXPECT_EQ(joined, text);
}

TEST(TokenizeCli, PlainIdsWithBosAndDetokenize) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto vocab = data / "tokenizer" / "ggml-vocab-llama-spm.gguf";
  const std::string text = "Hello world";
  auto r = RunProcess({GapbenchBin(), "tokenize", "--model", vocab.string(), "--text", text});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string expected = "1";  // llama SPM adds BOS by default
  std::string list = "1";
  for (int id : GoldenIds(vocab, text)) {
    expected += " " + std::to_string(id);
    list += "," + std::to_string(id);
  }
  EXPECT_EQ(r.out, expected + "\n");
  r = RunProcess(
      {GapbenchBin(), "tokenize", "--model", vocab.string(), "--text", text, "--no-bos"});
  EXPECT_EQ(r.out, expected.substr(2) + "\n");

  testing::TempDir dir;
  testing::WriteFile(dir / "in.txt", text);
  r = RunProcess(
      {GapbenchBin(), "tokenize", "--model", vocab.string(), "--file", (dir / "in.txt").string()});
  EXPECT_EQ(r.out, expected + "\n");

  r = RunProcess({GapbenchBin(), "detokenize", "--model", vocab.string(), "--tokens", list});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<s>" + std::string(" ") + text + "\n");  // llama.cpp renders BOS as text
}

TEST(TokenizeCli, MissingModelFileIsAnError) {
  const std::string missing = "/nonexistent/dir/no-such-vocab.gguf";
  const auto r =
      RunProcess({GapbenchBin(), "tokenize", "--model", missing, "--text", "hello", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(TokenizeCli, BadArgumentsAndHelp) {
  auto r = RunProcess({GapbenchBin(), "tokenize", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--model"), std::string::npos);
  r = RunProcess({GapbenchBin(), "detokenize", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--tokens"), std::string::npos);
  r = RunProcess({GapbenchBin(), "tokenize", "--model", "x.gguf"});  // neither --text nor --file
  EXPECT_EQ(r.exit_code, 2);
  r = RunProcess({GapbenchBin(), "detokenize", "--model", "x.gguf", "--tokens", "1,a"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'a'"), std::string::npos) << r.err;
}

TEST(TokenizeCli, OutOfRangeIdIsAnError) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto vocab = data / "tokenizer" / "ggml-vocab-gpt-2.gguf";
  const auto r =
      RunProcess({GapbenchBin(), "detokenize", "--model", vocab.string(), "--tokens", "50257"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("50257"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gapbench
