// How far an engine session's logits are from a reference's, as the forward tests measure it:
// the largest |engine - reference| over every row, divided by the reference's largest |logit|.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/session.h"

namespace gapbench::testing {

inline double MaxAbs(const float* v, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(v[i])));
  return m;
}

// `ref` is row-major [s.n_logit_rows()][n_vocab].
inline double RelError(const engine::Session& s, const std::vector<float>& ref, int64_t n_vocab) {
  const double scale = MaxAbs(ref.data(), static_cast<int64_t>(ref.size()));
  double err = 0;
  for (int64_t r = 0; r < s.n_logit_rows(); ++r) {
    auto row = s.Logits(r);
    for (int64_t i = 0; i < n_vocab; ++i) {
      err = std::max(err, std::fabs(static_cast<double>(row[static_cast<size_t>(i)]) -
                                    ref[static_cast<size_t>(r * n_vocab + i)]));
    }
  }
  return err / scale;
}

}  // namespace gapbench::testing
