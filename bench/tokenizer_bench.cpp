// Encode throughput (bytes/s) of the tokenizer on the real vocabularies in
// ../shared/data/tokenizer, over a ~1 MB text built from the vocabularies' golden inputs (mixed
// English, code-like punctuation, CJK, Cyrillic, emoji, whitespace runs). Prints a skip message
// and registers nothing when ../shared/data is absent. Also times vocabulary loading.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/gguf.h"
#include "engine/tokenizer.h"

namespace {

namespace fs = std::filesystem;

fs::path TokenizerDataDir() {
  fs::path base = std::getenv("GAPBENCH_SHARED_DIR")
                      ? fs::path(std::getenv("GAPBENCH_SHARED_DIR"))
                      : fs::path(GAPBENCH_SOURCE_DIR).parent_path() / "shared";
  return base / "data" / "tokenizer";
}

std::string Corpus(const fs::path& dir) {
  std::string seed;
  for (const char* name : {"ggml-vocab-llama-bpe.gguf.inp", "ggml-vocab-gpt-2.gguf.inp"}) {
    std::ifstream in(dir / name, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    seed += s.str();
  }
  std::string text;
  while (!seed.empty() && text.size() < (1u << 20)) text += seed;
  return text;
}

void BM_Encode(benchmark::State& state, const fs::path& vocab, const std::string* text) {
  const auto tok = gapbench::engine::Tokenizer::FromGguf(*gapbench::engine::GgufFile::Open(vocab));
  size_t n_tokens = 0;
  for (auto _ : state) {
    const auto ids = tok->Encode(*text, false);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text->size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
}

void BM_Load(benchmark::State& state, const fs::path& vocab) {
  for (auto _ : state) {
    auto tok = gapbench::engine::Tokenizer::FromGguf(*gapbench::engine::GgufFile::Open(vocab));
    benchmark::DoNotOptimize(tok.get());
  }
}

const int kRegistered = [] {
  const fs::path dir = TokenizerDataDir();
  if (!fs::is_directory(dir)) {
    std::fprintf(stderr, "tokenizer_bench: %s is absent, nothing to measure\n", dir.c_str());
    return 0;
  }
  static const std::string text = Corpus(dir);
  for (const char* name : {"gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3"}) {
    const fs::path vocab = dir / ("ggml-vocab-" + std::string(name) + ".gguf");
    benchmark::RegisterBenchmark(("Encode/" + std::string(name)).c_str(), BM_Encode, vocab, &text)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("LoadVocab/" + std::string(name)).c_str(), BM_Load, vocab)
        ->Unit(benchmark::kMillisecond);
  }
  return 1;
}();

}  // namespace
