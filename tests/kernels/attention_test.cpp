// AttendOne (SIMD) against the double-precision scalar reference, for f32 and f16 caches, at
// awkward head sizes and key counts and with strided rows (several heads interleaved).
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/fp16.h"

namespace gapbench::kernels {
namespace {

void CheckCase(GgmlType type, int64_t head_dim, int64_t n_keys, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t n_heads = 3;  // rows interleave 3 heads; we attend over head 1
  const int64_t stride = n_heads * head_dim;
  std::vector<float> kf(static_cast<size_t>(n_keys * stride)), vf(kf.size());
  for (auto& x : kf) x = nd(rng);
  for (auto& x : vf) x = nd(rng);
  std::vector<uint16_t> kh(kf.size()), vh(vf.size());
  std::vector<uint8_t> kb(kf.size() * 4), vb(vf.size() * 4);
  const void* kd = kf.data();
  const void* vd = vf.data();
  int64_t elem = 4;
  if (type == GgmlType::kF16) {
    for (size_t i = 0; i < kf.size(); ++i) {
      kh[i] = F32ToF16(kf[i]);
      vh[i] = F32ToF16(vf[i]);
    }
    kd = kh.data();
    vd = vh.data();
    elem = 2;
  }
  const auto* kbase = static_cast<const uint8_t*>(kd) + head_dim * elem;
  const auto* vbase = static_cast<const uint8_t*>(vd) + head_dim * elem;
  const KvView k{type, kbase, stride}, v{type, vbase, stride};
  std::vector<float> q(static_cast<size_t>(head_dim));
  for (auto& x : q) x = nd(rng);
  std::vector<float> scratch(static_cast<size_t>(n_keys)), out(q.size()), ref(q.size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  AttendOne(q.data(), k, v, n_keys, head_dim, scale, scratch.data(), out.data());
  AttendOneReference(q.data(), k, v, n_keys, head_dim, scale, scratch.data(), ref.data());
  // Outputs are convex combinations of N(0,1) values (|ref| <~ 4); f32 summation over head_dim
  // and n_keys terms in another order differs by a few ulps of the partial sums: 1e-4 absolute.
  for (int64_t d = 0; d < head_dim; ++d) {
    ASSERT_NEAR(out[static_cast<size_t>(d)], ref[static_cast<size_t>(d)], 1e-4)
        << TypeName(type) << " head_dim " << head_dim << " n_keys " << n_keys << " d " << d;
  }
}

TEST(Attention, MatchesReferenceF32AndF16) {
  uint32_t seed = 1;
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16}) {
    for (int64_t hd : {1, 5, 16, 31, 64, 80, 128, 256}) {
      for (int64_t nk : {1, 2, 7, 33, 300}) CheckCase(t, hd, nk, seed++);
    }
  }
}

TEST(Attention, SingleKeyReturnsItsValue) {
  const float q[4] = {1, 2, 3, 4}, kk[4] = {0.5f, 0, 0, 1}, vv[4] = {9, -8, 7, -6};
  float scratch[1], out[4];
  AttendOne(q, KvView{GgmlType::kF32, kk, 4}, KvView{GgmlType::kF32, vv, 4}, 1, 4, 0.5f, scratch,
            out);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], vv[i]);
}

}  // namespace
}  // namespace gapbench::kernels
