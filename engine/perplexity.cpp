#include "engine/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "common/error.h"
#include "engine/session.h"
#include "kernels/parallel.h"

namespace gapbench::engine {

namespace {

// log_softmax(logits)[v] = (logits[v] - max) - log_sum. Both the perplexity-only path and
// CompareLogits use this one formula, so identical logits give bit-identical log-probabilities.
struct LogSoftmaxNorm {
  double max = 0.0;
  double log_sum = 0.0;
  double LogProb(float logit) const { return (static_cast<double>(logit) - max) - log_sum; }
};

LogSoftmaxNorm Normalizer(std::span<const float> logits) {
  LogSoftmaxNorm n;
  n.max = logits[0];
  for (float v : logits) n.max = std::max(n.max, static_cast<double>(v));
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - n.max);
  n.log_sum = std::log(sum);
  return n;
}

int64_t ArgmaxFirst(std::span<const float> v) {
  int64_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[static_cast<size_t>(best)]) best = static_cast<int64_t>(i);
  }
  return best;
}

}  // namespace

void PerplexityStats::Add(double nll) {
  ++n_;
  const double delta = nll - mean_;
  mean_ += delta / static_cast<double>(n_);
  m2_ += delta * (nll - mean_);
}

double PerplexityStats::MeanNllSe() const {
  if (n_ < 2) return 0.0;
  const double var = m2_ / static_cast<double>(n_);  // population variance, as llama.cpp
  return std::sqrt(std::max(var, 0.0) / static_cast<double>(n_ - 1));
}

double PerplexityStats::Perplexity() const { return std::exp(mean_); }

TokenComparison CompareLogits(std::span<const float> base_logits,
                              std::span<const float> test_logits, int32_t token) {
  GB_CHECK(!base_logits.empty() && base_logits.size() == test_logits.size(),
           "CompareLogits: logits of different sizes (", base_logits.size(), " vs ",
           test_logits.size(), ")");
  GB_CHECK(token >= 0 && static_cast<size_t>(token) < base_logits.size(), "token ", token,
           " out of range");
  const LogSoftmaxNorm nb = Normalizer(base_logits);
  const LogSoftmaxNorm nt = Normalizer(test_logits);
  double kld = 0.0;
  for (size_t v = 0; v < base_logits.size(); ++v) {
    const double lp = nb.LogProb(base_logits[v]);
    const double lq = nt.LogProb(test_logits[v]);
    kld += std::exp(lp) * (lp - lq);
  }
  TokenComparison c;
  c.kld = kld;
  c.nll_base = -nb.LogProb(base_logits[static_cast<size_t>(token)]);
  c.nll_test = -nt.LogProb(test_logits[static_cast<size_t>(token)]);
  c.same_top1 = ArgmaxFirst(base_logits) == ArgmaxFirst(test_logits);
  return c;
}

void KldStats::Add(const TokenComparison& c) {
  base_.Add(c.nll_base);
  test_.Add(c.nll_test);
  diff_.Add(c.nll_test - c.nll_base);
  kld_.Add(c.kld);
  if (c.same_top1) ++n_same_top1_;
  kld_values_.push_back(c.kld);
}

double KldStats::KldPercentile(double p) const {
  GB_CHECK(p >= 0.0 && p <= 1.0, "percentile fraction ", p, " outside [0, 1]");
  if (kld_values_.empty()) return 0.0;
  std::vector<double> sorted = kld_values_;
  std::sort(sorted.begin(), sorted.end());
  const double rank = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

double KldStats::Top1Agreement() const {
  return count() == 0 ? 0.0 : static_cast<double>(n_same_top1_) / static_cast<double>(count());
}

double KldStats::Top1AgreementSe() const {
  if (count() < 2) return 0.0;
  const double p = Top1Agreement();
  return std::sqrt(p * (1.0 - p) / static_cast<double>(count() - 1));
}

PerplexityResult EvaluatePerplexity(const Model& model, std::span<const int32_t> tokens,
                                    const PerplexityOptions& opts, const Model* base) {
  const int64_t n_ctx = opts.n_ctx;
  if (n_ctx < 4) Fail("perplexity: the context must be at least 4 tokens, got ", n_ctx);
  const int64_t n_vocab = model.hparams().n_vocab;
  if (base && base->hparams().n_vocab != n_vocab) {
    Fail("perplexity: the base model has ", base->hparams().n_vocab, " tokens in its vocabulary, ",
         "the tested one ", n_vocab, " (compare settings of one model)");
  }
  const auto n_tokens = static_cast<int64_t>(tokens.size());
  int64_t n_chunks = n_tokens / n_ctx;
  if (n_chunks == 0) {
    Fail("perplexity: ", n_tokens, " tokens are fewer than one chunk of ", n_ctx, " tokens");
  }
  if (opts.max_chunks > 0) n_chunks = std::min(n_chunks, opts.max_chunks);
  if (opts.bos >= n_vocab) Fail("perplexity: BOS id ", opts.bos, " is out of the vocabulary");

  PerplexityResult result;
  result.n_ctx = n_ctx;
  result.n_chunks = n_chunks;
  if (base) result.compare.emplace();

  // Rows first .. n_ctx-2 predict tokens first+1 .. n_ctx-1: the model always has at least
  // n_ctx/2 tokens of context for a scored token (llama.cpp's convention).
  const int64_t first = n_ctx / 2;
  const int64_t n_scored = n_ctx - 1 - first;
  SessionOptions so;
  so.n_ctx = n_ctx;
  so.n_batch = opts.n_batch;
  std::vector<int32_t> chunk(static_cast<size_t>(n_ctx));
  std::vector<TokenComparison> rows(static_cast<size_t>(n_scored));
  const auto t0 = std::chrono::steady_clock::now();

  for (int64_t ic = 0; ic < n_chunks; ++ic) {
    std::copy_n(tokens.begin() + ic * n_ctx, n_ctx, chunk.begin());
    if (opts.bos >= 0) chunk[0] = opts.bos;
    // Fresh sessions per chunk: each chunk starts from an empty KV cache. The base session's
    // logits (n_ctx x n_vocab floats) are the only base logits held at any time.
    std::unique_ptr<Session> base_session;
    if (base) {
      base_session = std::make_unique<Session>(*base, so);
      base_session->Eval(chunk, LogitsMode::kAll);
    }
    Session session(model, so);
    session.Eval(chunk, LogitsMode::kAll);

    // Rows are independent: compute them in parallel, accumulate in order (deterministic).
    kernels::ParallelFor(0, n_scored, 4, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t row = first + i;
        const int32_t target = chunk[static_cast<size_t>(row + 1)];
        TokenComparison& c = rows[static_cast<size_t>(i)];
        if (base_session) {
          c = CompareLogits(base_session->Logits(row), session.Logits(row), target);
        } else {
          const auto logits = session.Logits(row);
          c.nll_test = -Normalizer(logits).LogProb(logits[static_cast<size_t>(target)]);
        }
      }
    });
    for (const TokenComparison& c : rows) {
      result.test.Add(c.nll_test);
      if (result.compare) result.compare->Add(c);
    }

    if (opts.progress) {
      ChunkProgress p;
      p.chunk = ic;
      p.n_chunks = n_chunks;
      p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      p.test = &result.test;
      p.compare = result.compare ? &*result.compare : nullptr;
      opts.progress(p);
    }
  }
  return result;
}

}  // namespace gapbench::engine
