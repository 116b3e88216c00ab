// Perplexity and KL-divergence of an engine setting against a base setting, the llama.cpp
// `llama-perplexity` / `--kl-divergence` quality check as a library:
//  - statistics accumulators (PerplexityStats, KldStats) usable on any per-token numbers, and
//  - EvaluatePerplexity, which runs a model (and optionally a base model) over token chunks the
//    way llama.cpp does: chunks of n_ctx tokens, the first token of each chunk replaced by BOS when
//    the vocabulary adds one, only the second half of each chunk scored.
// Not here: tokenizing text and the 2*n_ctx minimum of the CLI (cli/cmd_perplexity.cpp), saving
// base logits to a file (the base model is re-run instead, one chunk of logits held at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "engine/model.h"

namespace gapbench::engine {

// Per-token negative log-likelihoods -> perplexity with llama.cpp's standard error.
// Mean and variance are accumulated with Welford's update (stable for millions of tokens).
class PerplexityStats {
 public:
  void Add(double nll);

  int64_t count() const { return n_; }
  double MeanNll() const { return mean_; }
  // Standard error of the mean NLL: sqrt(population variance / (n - 1)); 0 when n < 2.
  double MeanNllSe() const;
  double Perplexity() const;  // exp(mean NLL)
  // Delta method, as llama.cpp prints it: PPL * SE(mean NLL).
  double PerplexitySe() const { return Perplexity() * MeanNllSe(); }

 private:
  int64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;  // sum of squared deviations from the running mean
};

// The comparison of one scored position: base distribution P, test distribution Q.
struct TokenComparison {
  double kld = 0.0;        // KL(P || Q) = sum_v P(v) (log P(v) - log Q(v)), in nats
  double nll_base = 0.0;   // -log P(token)
  double nll_test = 0.0;   // -log Q(token)
  bool same_top1 = false;  // argmax P == argmax Q (first index on ties)
};

// Computes TokenComparison from raw logits (same length = n_vocab), in double from log-softmax.
// Identical inputs give kld exactly 0.
TokenComparison CompareLogits(std::span<const float> base_logits,
                              std::span<const float> test_logits, int32_t token);

// Accumulates TokenComparisons: KLD mean/SE/quantiles, top-1 agreement, both perplexities and
// ln(PPL_test / PPL_base) with a paired standard error. Keeps one double per token (for the
// quantiles).
class KldStats {
 public:
  void Add(const TokenComparison& c);

  int64_t count() const { return static_cast<int64_t>(kld_values_.size()); }
  const PerplexityStats& base() const { return base_; }
  const PerplexityStats& test() const { return test_; }

  double KldMean() const { return kld_.MeanNll(); }
  double KldSe() const { return kld_.MeanNllSe(); }
  // Linear interpolation between order statistics (numpy's default, llama.cpp's convention):
  // the value at rank p*(n-1) of the sorted KLDs. p in [0, 1]; 0 when empty.
  double KldPercentile(double p) const;
  double KldMedian() const { return KldPercentile(0.5); }
  double KldMax() const { return KldPercentile(1.0); }

  double Top1Agreement() const;    // fraction of positions whose argmax agrees
  double Top1AgreementSe() const;  // sqrt(p (1 - p) / (n - 1)); 0 when n < 2

  // mean(nll_test - nll_base) = ln(PPL_test) - ln(PPL_base); its SE is that of the per-token
  // differences (paired, so correlated noise between base and test cancels).
  double LnPplRatio() const { return diff_.MeanNll(); }
  double LnPplRatioSe() const { return diff_.MeanNllSe(); }

 private:
  PerplexityStats base_, test_, diff_, kld_;  // kld_/diff_ reuse the mean/SE accumulator
  int64_t n_same_top1_ = 0;
  std::vector<double> kld_values_;  // in arrival order; KldPercentile sorts a copy
};

struct ChunkProgress {
  int64_t chunk = 0;  // 0-based index of the chunk just finished
  int64_t n_chunks = 0;
  double seconds = 0.0;                   // since EvaluatePerplexity started
  const PerplexityStats* test = nullptr;  // running statistics
  const KldStats* compare = nullptr;      // null without a base model
};

struct PerplexityOptions {
  int64_t n_ctx = 512;     // tokens per chunk (>= 4); the session context of both models
  int64_t max_chunks = 0;  // 0 = every full chunk of the tokens
  int32_t bos = -1;        // >= 0: replaces the first token of each chunk (llama.cpp add_bos)
  int64_t n_batch = 0;     // 0 = the models' configured batch
  std::function<void(const ChunkProgress&)> progress;  // called after each chunk
};

struct PerplexityResult {
  int64_t n_ctx = 0;
  int64_t n_chunks = 0;
  PerplexityStats test;
  std::optional<KldStats> compare;  // set when a base model was given
  int64_t tokens_scored() const { return test.count(); }
};

// Scores `tokens` with `model`; with `base`, also compares every scored position against the
// base model's distribution over the same chunk. Chunk c covers tokens [c*n_ctx, (c+1)*n_ctx);
// rows n_ctx/2 .. n_ctx-2 of its logits predict tokens n_ctx/2+1 .. n_ctx-1, i.e.
// n_ctx - 1 - n_ctx/2 scored tokens per chunk. Trailing tokens short of a full chunk are
// dropped. Errors (Error): fewer than n_ctx tokens, n_ctx < 4, models of different vocabulary
// sizes, token ids out of range.
PerplexityResult EvaluatePerplexity(const Model& model, std::span<const int32_t> tokens,
                                    const PerplexityOptions& opts, const Model* base = nullptr);

}  // namespace gapbench::engine
