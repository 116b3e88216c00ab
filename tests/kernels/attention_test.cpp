// Attend (SIMD) against the double-precision scalar reference, for f32, f16 and q8_0 caches, at
// awkward head sizes and key counts, with strided rows (several heads interleaved) and with the
// positions split into several segments (a wrapped ring buffer plus chunk rows).
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "hwy/targets.h"
#include "kernels/fp16.h"
#include "tests/kernels/kernel_check.h"

namespace gapbench::kernels {
namespace {

struct Cache {
  std::vector<uint8_t> k, v;
  int64_t row_bytes = 0;
};

// n rows of n_heads heads, values N(0,1), stored as `type`.
Cache MakeCache(GgmlType type, int64_t n, int64_t n_heads, int64_t head_dim, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Cache c;
  c.row_bytes = KvRowBytes(type, n_heads * head_dim);
  c.k.resize(static_cast<size_t>(n * c.row_bytes));
  c.v.resize(c.k.size());
  std::vector<float> row(static_cast<size_t>(n_heads * head_dim));
  for (int64_t r = 0; r < n; ++r) {
    for (auto& x : row) x = nd(rng);
    StoreKvRow(type, row.data(), c.k.data() + r * c.row_bytes, n_heads * head_dim);
    for (auto& x : row) x = nd(rng);
    StoreKvRow(type, row.data(), c.v.data() + r * c.row_bytes, n_heads * head_dim);
  }
  return c;
}

// softcap > 0: scores cap*tanh(s/cap) (Gemma 2), with scores scaled up so the cap bites.
void CheckCase(GgmlType type, int64_t head_dim, int64_t n_keys, int n_splits, uint32_t seed,
               float softcap = 0.0f) {
  std::mt19937 rng(seed);
  const int64_t n_heads = 3;  // rows interleave 3 heads; we attend over head 1
  const Cache c = MakeCache(type, n_keys, n_heads, head_dim, rng);
  const int64_t head_off = KvRowBytes(type, head_dim);
  std::vector<KvSegment> segs;
  int64_t done = 0;
  for (int s = 0; s < n_splits; ++s) {
    const int64_t n = s + 1 == n_splits ? n_keys - done : (n_keys - done) / 2;
    if (n <= 0) continue;
    KvSegment seg;
    seg.k = {type, c.k.data() + done * c.row_bytes + head_off, c.row_bytes};
    seg.v = {type, c.v.data() + done * c.row_bytes + head_off, c.row_bytes};
    seg.n = n;
    segs.push_back(seg);
    done += n;
  }
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> q(static_cast<size_t>(head_dim));
  for (auto& x : q) x = nd(rng);
  std::vector<float> scratch(static_cast<size_t>(n_keys)), out(q.size()), ref(q.size());
  const float scale = (softcap > 0.0f ? 4.0f : 1.0f) / std::sqrt(static_cast<float>(head_dim));
  Attend(q.data(), segs, head_dim, scale, scratch.data(), out.data(), softcap);
  AttendReference(q.data(), segs, head_dim, scale, ref.data(), softcap);
  if (softcap > 0.0f && n_keys > 1) {  // the cap must change the result
    std::vector<float> uncapped(q.size());
    AttendReference(q.data(), segs, head_dim, scale, uncapped.data());
    double diff = 0;
    for (size_t d = 0; d < q.size(); ++d)
      diff = std::max(diff, std::fabs(static_cast<double>(uncapped[d]) - ref[d]));
    EXPECT_GT(diff, 1e-3) << "soft-cap " << softcap << " did not bite";
  }
  // Outputs are convex combinations of values of magnitude <~ 4; f32 summation over head_dim and
  // n_keys terms in another order differs by a few ulps of the partial sums: 1e-4 absolute.
  for (int64_t d = 0; d < head_dim; ++d) {
    ASSERT_NEAR(out[static_cast<size_t>(d)], ref[static_cast<size_t>(d)], 1e-4)
        << TypeName(type) << " head_dim " << head_dim << " n_keys " << n_keys << " d " << d;
  }
}

// An f16 KV row holds F32ToF16's bits on every SIMD target (F16C's conversion on AVX2 / AVX-512):
// 16.7M float bit patterns spread over the whole range (normal, subnormal, overflowing to inf,
// halfway cases, NaN), in rows of 1001 so the vector body and the scalar tail both run.
TEST(Attention, F16KvRowsHoldF32ToF16BitsOnEverySimdTarget) {
  const int64_t n = 1001;
  std::vector<float> x(static_cast<size_t>(n));
  std::vector<uint16_t> got(static_cast<size_t>(n));
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    uint64_t bits = 0;
    int64_t bad = 0;
    while (bits < (uint64_t{1} << 32) && bad == 0) {
      for (auto& v : x) {
        v = F32FromBits(static_cast<uint32_t>(bits));
        bits += 257;
      }
      StoreKvRow(GgmlType::kF16, x.data(), got.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        if (got[static_cast<size_t>(i)] != F32ToF16(x[static_cast<size_t>(i)])) {
          ADD_FAILURE() << hwy::TargetName(target) << ": bits " << std::hex
                        << BitsFromF32(x[static_cast<size_t>(i)]) << " -> "
                        << got[static_cast<size_t>(i)] << ", want "
                        << F32ToF16(x[static_cast<size_t>(i)]);
          ++bad;
          break;
        }
      }
    }
  }
}

TEST(Attention, MatchesReferenceF32AndF16) {
  uint32_t seed = 1;
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16}) {
    for (int64_t hd : {1, 5, 16, 31, 32, 64, 80, 128, 256}) {
      for (int64_t nk : {1, 2, 7, 33, 300}) {
        const int splits = 1 + static_cast<int>(seed % 3);
        CheckCase(t, hd, nk, splits, seed++);
      }
    }
  }
}

// Every SIMD target this CPU supports (the fixed-width path keeps q and the output in registers
// when head_dim is 2, 4 or 8 vectors, which depends on the target's vector width).
TEST(Attention, MatchesReferenceOnEverySimdTarget) {
  uint32_t seed = 500;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    for (GgmlType t : {GgmlType::kF32, GgmlType::kF16}) {
      for (int64_t hd : {8, 16, 32, 64, 128, 256}) {
        for (int64_t nk : {1, 5, 300}) {
          CheckCase(t, hd, nk, 1 + static_cast<int>(seed % 3), seed);
          ++seed;
        }
      }
    }
    if (HasFailure()) ADD_FAILURE() << "on target " << hwy::TargetName(target);
  }
}

// Gemma 2's attention-logit soft-cap on every type and SIMD target (fixed-width and generic).
TEST(Attention, SoftCapMatchesReference) {
  uint32_t seed = 900;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0}) {
      for (int64_t hd : {32, 64, 96, 256}) {
        for (int64_t nk : {1, 5, 300}) {
          CheckCase(t, hd, nk, 1 + static_cast<int>(seed % 3), seed, 2.0f);
          ++seed;
        }
      }
    }
    if (HasFailure()) ADD_FAILURE() << "on target " << hwy::TargetName(target);
  }
}

TEST(Attention, MatchesReferenceQ8_0) {
  uint32_t seed = 100;
  for (int64_t hd : {32, 64, 96, 128, 256}) {
    for (int64_t nk : {1, 3, 40, 257}) {
      const int splits = 1 + static_cast<int>(seed % 3);
      CheckCase(GgmlType::kQ8_0, hd, nk, splits, seed++);
    }
  }
}

TEST(Attention, SingleKeyReturnsItsValue) {
  const float q[4] = {1, 2, 3, 4}, kk[4] = {0.5f, 0, 0, 1}, vv[4] = {9, -8, 7, -6};
  float scratch[1], out[4];
  const KvSegment seg{{GgmlType::kF32, kk, 16}, {GgmlType::kF32, vv, 16}, 1};
  Attend(q, std::span(&seg, 1), 4, 0.5f, scratch, out);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], vv[i]);
}

TEST(Attention, SegmentsGiveTheSameBitsAsOneRun) {
  std::mt19937 rng(9);
  const Cache c = MakeCache(GgmlType::kF16, 50, 1, 64, rng);
  std::vector<float> q(64, 0.1f), scratch(50), a(64), b(64);
  const KvSegment whole{
      {GgmlType::kF16, c.k.data(), c.row_bytes}, {GgmlType::kF16, c.v.data(), c.row_bytes}, 50};
  const KvSegment parts[2] = {
      {{GgmlType::kF16, c.k.data(), c.row_bytes}, {GgmlType::kF16, c.v.data(), c.row_bytes}, 20},
      {{GgmlType::kF16, c.k.data() + 20 * c.row_bytes, c.row_bytes},
       {GgmlType::kF16, c.v.data() + 20 * c.row_bytes, c.row_bytes},
       30}};
  Attend(q.data(), std::span(&whole, 1), 64, 0.125f, scratch.data(), a.data());
  Attend(q.data(), parts, 64, 0.125f, scratch.data(), b.data());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace gapbench::kernels
