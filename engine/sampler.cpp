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

Sampler::Sampler(const SamplingParams& params) : p_(params), rng_(params.seed) {
  ValidateSampling(p_);
}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> history) {
  std::vector<float> l(logits.begin(), logits.end());
  if (p_.repeat_penalty != 1.0f && p_.repeat_last_n > 0) {
    const size_t n = std::min(history.size(), static_cast<size_t>(p_.repeat_last_n));
    std::unordered_set<int32_t> seen(history.end() - static_cast<long>(n), history.end());
    for (int32_t t : seen) {
      if (t < 0 || static_cast<size_t>(t) >= l.size()) continue;
      float& x = l[static_cast<size_t>(t)];
      x = x > 0.0f ? x / p_.repeat_penalty : x * p_.repeat_penalty;
    }
  }
  if (p_.temperature == 0.0f) return Argmax(l);

  // Candidates sorted by logit (descending, ties by id) so every filter is deterministic.
  std::vector<int32_t> idx(l.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto by_logit = [&](int32_t a, int32_t b) {
    return l[static_cast<size_t>(a)] > l[static_cast<size_t>(b)] ||
           (l[static_cast<size_t>(a)] == l[static_cast<size_t>(b)] && a < b);
  };
  size_t keep = idx.size();
  if (p_.top_k > 0 && static_cast<size_t>(p_.top_k) < keep) {
    keep = static_cast<size_t>(p_.top_k);
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(keep), idx.end(), by_logit);
  } else {
    std::sort(idx.begin(), idx.end(), by_logit);
  }
  idx.resize(keep);
  // Softmax at temperature over the kept candidates (double for the normaliser).
  const double mx = l[static_cast<size_t>(idx[0])];
  std::vector<double> prob(keep);
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    prob[i] = std::exp((l[static_cast<size_t>(idx[i])] - mx) / p_.temperature);
    sum += prob[i];
  }
  for (auto& p : prob) p /= sum;
  size_t n = keep;
  if (p_.min_p > 0.0f) {
    const double threshold = p_.min_p * prob[0];
    size_t m = 1;
    while (m < n && prob[m] >= threshold) ++m;
    n = m;
  }
  if (p_.top_p < 1.0f) {
    double cum = 0.0;
    size_t m = 0;
    while (m < n) {
      cum += prob[m++];
      if (cum >= p_.top_p) break;
    }
    n = std::max<size_t>(m, 1);
  }
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) total += prob[i];
  // Uniform in [0, total) from 53 random bits: identical on every platform (unlike
  // std::uniform_real_distribution, whose algorithm is implementation-defined).
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
  double cum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cum += prob[i];
    if (u < cum) return idx[i];
  }
  return idx[n - 1];
}

}  // namespace gapbench::engine
