// Token sampling: greedy, temperature, top-k, top-p, min-p and repetition penalty, driven by a
// seeded generator so the same seed and settings give the same tokens on every machine.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace gapbench::engine {

struct SamplingParams {
  float temperature = 0.0f;     // 0: greedy (argmax; ties go to the lowest id)
  int32_t top_k = 0;            // 0: off
  float top_p = 1.0f;           // 1: off
  float min_p = 0.0f;           // 0: off; keep tokens with p >= min_p * p_max
  float repeat_penalty = 1.0f;  // 1: off; CTRL-style: logit/p if > 0 else logit*p
  int32_t repeat_last_n = 64;   // window of history the penalty looks at
  uint64_t seed = 0;
};

// Validates ranges; throws Error naming the parameter.
void ValidateSampling(const SamplingParams& p);

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // Picks the next token from `logits` given the tokens so far (for the repetition penalty).
  int32_t Sample(std::span<const float> logits, std::span<const int32_t> history);

 private:
  SamplingParams p_;
  std::mt19937_64 rng_;
};

// The distribution Sampler::Sample draws from for these logits and history (repetition penalty,
// temperature, top-k, min-p, top-p applied): one probability per id of `logits`, zero outside
// the kept candidates, summing to 1; one-hot at the argmax for temperature 0. Speculative
// decoding compares a draft's and a target's distributions and must see exactly these.
std::vector<double> SamplingDistribution(const SamplingParams& params,
                                         std::span<const float> logits,
                                         std::span<const int32_t> history);

// Index of the largest value (lowest index on ties).
int32_t Argmax(std::span<const float> v);

}  // namespace gapbench::engine
