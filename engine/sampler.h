// Token sampling: greedy, temperature, top-k, top-p, min-p and repetition penalty, driven by a
// seeded generator so the same seed and settings give the same tokens on every machine.
#pragma once

#include <cstdint>
#include <random>
#include <span>

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

// Index of the largest value (lowest index on ties).
int32_t Argmax(std::span<const float> v);

}  // namespace gapbench::engine
