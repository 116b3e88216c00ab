// The fuzz targets of fuzz/targets.h -- network messages, suite files, tokenizers -- run under
// ASan + UBSan on thousands of inputs the deterministic mutator derives from valid seeds. Each
// target aborts on a finding (a GB_CHECK of its contract), so a crash, an abort or a sanitizer
// report fails the test; a gapbench::Error is an accepted refusal where the parser may throw.
// The sweep parser's target runs in tests/coordinator (it needs the whole engine).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "coordinator/protocol.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "fuzz/mutator.h"
#include "fuzz/targets.h"
#include "tests/test_util.h"

namespace gapbench::fuzz {
namespace {

namespace fs = std::filesystem;

// Runs `target` on `n` mutants, each on an exactly sized heap copy (ASan sees one byte past the
// end). Returns how many the target refused with gapbench::Error.
template <typename Target>
int RunMutants(Mutator& m, int n, size_t max_len, Target&& target) {
  int refused = 0;
  for (int i = 0; i < n; ++i) {
    const std::string input = m.Mutate(max_len);
    std::vector<uint8_t> copy(input.begin(), input.end());
    try {
      target(copy.data(), copy.size());
    } catch (const Error&) {
      ++refused;
    }
  }
  return refused;
}

std::string Frames(std::string_view type, std::string_view body) {
  std::string joined;
  for (const auto& f : coordinator::EncodeMessage(type, body)) {
    if (!joined.empty()) joined.push_back('\xff');
    joined += f;
  }
  return joined;
}

TEST(HostileInputs, ProtocolDecoderOnMutatedFrames) {
  std::vector<std::string> seeds = {
      Frames("HELLO", R"({"worker":"w1","version":"0.1.0","protocol":1,"threads":2,)"
                      R"("memory_bytes":1024,"pid":7,"host":"h","models":["m"]})"),
      Frames("RESULTS", R"({"shard":3,"lease":9,"seq":1,"items":[{"item_index":0,"sample":0,)"
                        R"("item_id":"x","record":{"correct":true},"timing":{"latency_s":0.5}}]})"),
      Frames("HEARTBEAT", R"({"shard":null,"lease":0,"items_done":0})"),
      Frames("FAILED", R"({"shard":1,"lease":2,"error":"\u00e9\ud83d\ude00","retryable":false})"),
      Frames("ASSIGN", R"({"shard":1,"lease":1,"lease_ms":100,"task":{},"skip":[[0,0],[1,2]]})")};
  Mutator m(seeds, 1);
  for (const auto& s : seeds) FuzzProtocol(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  const int refused = RunMutants(m, 20000, 4096, FuzzProtocol);
  EXPECT_EQ(refused, 0) << "DecodeMessage never throws; the target turns a throw into an abort";
}

TEST(HostileInputs, SuiteLoadersOnMutatedText) {
  std::vector<std::string> seeds;
  const fs::path examples = testing::SourceDir() / "examples" / "suites";
  for (const char* f : {"facts.jsonl", "facts-ood.jsonl", "arith.jsonl"}) {
    seeds.push_back(testing::ReadFile(examples / f).substr(0, 2000));
  }
  seeds.push_back(
      R"({"question": "Tom has 3 apples and buys 4. How many?", "answer": "3 + 4 = <<3+4=7>>7\n#### 7"})"
      "\n");
  seeds.push_back(R"({"task_id": "HumanEval/0", "prompt": "def f(x):\n    \"\"\"Double.\"\"\"\n", )"
                  R"("entry_point": "f", "canonical_solution": "    return 2 * x\n", )"
                  R"("test": "def check(c):\n    assert c(2) == 4\n"})"
                  "\n");
  seeds.push_back("\"What is 2+2?\",3,4,5,6,B\n\"Quote \"\"inside\"\"\",a,b,c,d,A\r\n");
  Mutator m(seeds, 2);
  RunMutants(m, 6000, 8192, FuzzSuiteText);
}

void RunTokenizer(const fs::path& vocab, int n, uint64_t seed) {
  SCOPED_TRACE(vocab.string());
  const auto tok = engine::Tokenizer::FromGguf(*engine::GgufFile::Open(vocab.string()));
  std::vector<std::string> seeds = {
      testing::ReadFile(testing::SourceDir() / "tests/fixtures/text/lighthouse.txt").substr(0, 600),
      "Hello world! 3.14159 <|im_start|>user\n  spaces\t\ttabs\n\n",
      "\xc3\xa9t\xc3\xa9 \xe2\x82\xac 100 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87 "
      "\xd9\x85\xd8\xb1",
      "def f(x):\n    return x  # comment\n", "'s 're 've 'll I'M don't"};
  Mutator m(seeds, seed);
  RunMutants(m, n, 512, [&](const uint8_t* d, size_t s) { FuzzTokenizer(*tok, d, s); });
}

TEST(HostileInputs, TokenizersOnMutatedText) {
  // The repository's fixture vocabulary (byte-level BPE) is always here.
  RunTokenizer(testing::SourceDir() / "tests/fixtures/engine/llama-tied-f32.gguf", 3000, 3);
  const fs::path shared = testing::SharedDataDir();
  if (shared.empty()) {
    GTEST_SKIP() << "../shared/data is absent: only the fixture vocabulary was fuzzed";
  }
  for (const char* v : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf",
                        "ggml-vocab-qwen2.gguf", "ggml-vocab-phi-3.gguf"}) {
    const fs::path p = shared / "tokenizer" / v;
    if (fs::exists(p)) RunTokenizer(p, 800, 4);
  }
}

}  // namespace
}  // namespace gapbench::fuzz
