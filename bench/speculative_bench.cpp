// Speculative decoding against the target alone: wall-clock per generation of 64 greedy tokens,
// with the acceptance rate (alpha), tokens per target call and tokens/s as counters, for fixed
// k = 1, 2, 4, 8 and the adaptive rule. The pair comes from $GAPBENCH_SPEC_TARGET and
// $GAPBENCH_SPEC_DRAFT (two GGUFs sharing one vocabulary), else the committed fixture pair
// llama-untied-f32 <- llama-untied-q4_0 (tiny: it measures overhead, not a real speed-up).
// Threads: $GAPBENCH_THREADS, else the engine's default. docs/STRATEGIES.md shows how to read it.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/generate.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/speculative.h"
#include "kernels/parallel.h"

namespace {

using namespace gapbench::engine;

constexpr int64_t kTokens = 64;

std::string Env(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : def;
}

struct Pair {
  std::unique_ptr<Model> target, draft;
  std::vector<int32_t> prompt;
};

const Pair& GetPair() {
  static const Pair pair = [] {
    const std::string fixtures = std::string(GAPBENCH_SOURCE_DIR) + "/tests/fixtures/engine/";
    if (const char* t = std::getenv("GAPBENCH_THREADS")) {
      gapbench::kernels::SetNumThreads(std::atoi(t));
    }
    Pair p;
    p.target = Model::Load(Env("GAPBENCH_SPEC_TARGET", fixtures + "llama-untied-f32.gguf"));
    p.draft = Model::Load(Env("GAPBENCH_SPEC_DRAFT", fixtures + "llama-untied-q4_0.gguf"));
    CheckSameVocabulary(*p.target, *p.draft);
    p.prompt = p.target->tokenizer().Encode("The quick brown fox jumps over the lazy dog", true);
    return p;
  }();
  return pair;
}

SessionOptions Options(const Pair& p) {
  SessionOptions o;
  o.n_ctx = static_cast<int64_t>(p.prompt.size()) + kTokens;
  return o;
}

void BM_TargetAlone(benchmark::State& state) {
  const Pair& p = GetPair();
  GenerateOptions go;
  go.max_tokens = kTokens;
  go.stop_at_eog = false;
  int64_t tokens = 0;
  for (auto _ : state) {
    Session s(*p.target, Options(p));
    tokens += static_cast<int64_t>(Generate(s, p.prompt, go).tokens.size());
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TargetAlone)->Unit(benchmark::kMillisecond)->UseRealTime();

// Arg: k, or 0 for "auto" (adaptive from 4, cap 16).
void BM_Speculative(benchmark::State& state) {
  const Pair& p = GetPair();
  SpeculativeOptions so;
  so.generate.max_tokens = kTokens;
  so.generate.stop_at_eog = false;
  so.adaptive = state.range(0) == 0;
  so.draft_tokens = so.adaptive ? 4 : static_cast<int32_t>(state.range(0));
  so.max_draft_tokens = std::max(so.draft_tokens, 16);
  int64_t tokens = 0;
  SpeculativeStats total;
  for (auto _ : state) {
    Session t(*p.target, Options(p));
    Session d(*p.draft, Options(p));
    const SpeculativeResult r = GenerateSpeculative(t, d, p.prompt, so);
    tokens += static_cast<int64_t>(r.generate.tokens.size());
    total.drafted += r.stats.drafted;
    total.accepted += r.stats.accepted;
    total.produced += r.stats.produced;
    total.target_calls += r.stats.target_calls;
  }
  state.counters["alpha"] = total.acceptance_rate();
  state.counters["tokens_per_target_call"] = total.tokens_per_target_call();
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Speculative)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Arg(0)
    ->ArgName("k")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
