#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>
#include <vector>

#include "common/error.h"

namespace gapbench::engine {

void ValidateSampling(const SamplingParams& p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature)) {
    Fail("temperature must be >= 0, got ", p.temperature);
  }
  if (p.top_k < 0) Fail("top-k must be >= 0, got ", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) Fail("top-p must be in (0, 1], got ", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) Fail("min-p must be in [0, 1], got ", p.min_p);
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) {
    Fail("repeat penalty must be > 0, got ", p.repeat_penalty);
  }
  if (p.repeat_last_n < 0) Fail("repeat-last-n must be >= 0, got ", p.repeat_last_n);
}

int32_t Argmax(std::span<const float> v) {
  GB_CHECK(!v.empty(), "argmax of nothing");
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = i;
  }
  return static_cast<int32_t>(best);
}

namespace {

// The candidates a sampling step chooses among: ids sorted by (penalised) logit, descending,
// ties by id, cut by top-k, min-p and top-p; prob[i] is idx[i]'s softmax probability at the
// temperature over the top-k survivors (not renormalised after min-p / top-p: `total` is their
// sum). Greedy (temperature 0) is the single argmax with probability 1.
struct Candidates {
  std::vector<int32_t> idx;
  std::vector<double> prob;
  double total = 0.0;
};

Candidates Filter(const SamplingParams& p, std::span<const float> logits,
                  std::span<const int32_t> history) {
  std::vector<float> l(logits.begin(), logits.end());
  if (p.repeat_penalty != 1.0f && p.repeat_last_n > 0) {
    const size_t n = std::min(history.size(), static_cast<size_t>(p.repeat_last_n));
    std::unordered_set<int32_t> seen(history.end() - static_cast<long>(n), history.end());
    for (int32_t t : seen) {
      if (t < 0 || static_cast<size_t>(t) >= l.size()) continue;
      float& x = l[static_cast<size_t>(t)];
      x = x > 0.0f ? x / p.repeat_penalty : x * p.repeat_penalty;
    }
  }
  Candidates c;
  if (p.temperature == 0.0f) {
    c.idx = {Argmax(l)};
    c.prob = {1.0};
    c.total = 1.0;
    return c;
  }

  // Candidates sorted by logit (descending, ties by id) so every filter is deterministic.
  std::vector<int32_t>& idx = c.idx;
  idx.resize(l.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto by_logit = [&](int32_t a, int32_t b) {
    return l[static_cast<size_t>(a)] > l[static_cast<size_t>(b)] ||
           (l[static_cast<size_t>(a)] == l[static_cast<size_t>(b)] && a < b);
  };
  size_t keep = idx.size();
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < keep) {
    keep = static_cast<size_t>(p.top_k);
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(keep), idx.end(), by_logit);
  } else {
    std::sort(idx.begin(), idx.end(), by_logit);
  }
  idx.resize(keep);
  // Softmax at temperature over the kept candidates (double for the normaliser).
  const double mx = l[static_cast<size_t>(idx[0])];
  std::vector<double>& prob = c.prob;
  prob.resize(keep);
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    prob[i] = std::exp((l[static_cast<size_t>(idx[i])] - mx) / p.temperature);
    sum += prob[i];
  }
  for (auto& q : prob) q /= sum;
  size_t n = keep;
  if (p.min_p > 0.0f) {
    const double threshold = p.min_p * prob[0];
    size_t m = 1;
    while (m < n && prob[m] >= threshold) ++m;
    n = m;
  }
  if (p.top_p < 1.0f) {
    double cum = 0.0;
    size_t m = 0;
    while (m < n) {
      cum += prob[m++];
      if (cum >= p.top_p) break;
    }
    n = std::max<size_t>(m, 1);
  }
  idx.resize(n);
  prob.resize(n);
  for (size_t i = 0; i < n; ++i) c.total += prob[i];
  return c;
}

}  // namespace

std::vector<double> SamplingDistribution(const SamplingParams& params,
                                         std::span<const float> logits,
                                         std::span<const int32_t> history) {
  const Candidates c = Filter(params, logits, history);
  std::vector<double> dist(logits.size(), 0.0);
  for (size_t i = 0; i < c.idx.size(); ++i) {
    dist[static_cast<size_t>(c.idx[i])] = c.prob[i] / c.total;
  }
  return dist;
}

Sampler::Sampler(const SamplingParams& params) : p_(params), rng_(params.seed) {
  ValidateSampling(p_);
}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> history) {
  const Candidates c = Filter(p_, logits, history);
  if (p_.temperature == 0.0f) return c.idx[0];  // greedy draws no random number
  // Uniform in [0, total) from 53 random bits: identical on every platform (unlike
  // std::uniform_real_distribution, whose algorithm is implementation-defined).
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * c.total;
  double cum = 0.0;
  for (size_t i = 0; i < c.idx.size(); ++i) {
    cum += c.prob[i];
    if (u < cum) return c.idx[i];
  }
  return c.idx.back();
}

}  // namespace gapbench::engine
