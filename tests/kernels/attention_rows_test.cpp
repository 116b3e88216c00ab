// AttendRows (many query rows against one widened KV head, each row with its own causal key
// count) against the double-precision AttendReference over the same keys, for f32, f16 and q8_0
// caches split into segments, on every SIMD target this CPU runs; and WidenKv's layout.
#include "kernels/attention_rows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "hwy/targets.h"
#include "kernels/quant.h"
#include "tests/kernels/kernel_check.h"

namespace gapbench::kernels {
namespace {

struct Cache {
  std::vector<uint8_t> k, v;
  int64_t row_bytes = 0;
};

// n rows of 2 heads (rows interleave heads, as in the engine's cache), values N(0,1) as `type`.
Cache MakeCache(GgmlType type, int64_t n, int64_t head_dim, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Cache c;
  c.row_bytes = KvRowBytes(type, 2 * head_dim);
  c.k.resize(static_cast<size_t>(n * c.row_bytes));
  c.v.resize(c.k.size());
  std::vector<float> row(static_cast<size_t>(2 * head_dim));
  for (int64_t r = 0; r < n; ++r) {
    for (auto& x : row) x = nd(rng);
    StoreKvRow(type, row.data(), c.k.data() + r * c.row_bytes, 2 * head_dim);
    for (auto& x : row) x = nd(rng);
    StoreKvRow(type, row.data(), c.v.data() + r * c.row_bytes, 2 * head_dim);
  }
  return c;
}

// Segments over head 1 of the cache, the n positions cut into `splits` runs.
std::vector<KvSegment> Segments(const Cache& c, GgmlType type, int64_t head_dim, int64_t n,
                                int splits) {
  const int64_t off = KvRowBytes(type, head_dim);
  std::vector<KvSegment> segs;
  int64_t done = 0;
  for (int s = 0; s < splits && done < n; ++s) {
    const int64_t len = s + 1 == splits ? n - done : std::max<int64_t>(1, (n - done) / 2);
    KvSegment seg;
    seg.k = {type, c.k.data() + done * c.row_bytes + off, c.row_bytes};
    seg.v = {type, c.v.data() + done * c.row_bytes + off, c.row_bytes};
    seg.n = len;
    segs.push_back(seg);
    done += len;
  }
  return segs;
}

// Positions [b, m) of segs.
std::vector<KvSegment> Range(const std::vector<KvSegment>& segs, int64_t b, int64_t m) {
  std::vector<KvSegment> out;
  int64_t pos = 0;
  for (const auto& s : segs) {
    const int64_t lo = std::max(b, pos), hi = std::min(m, pos + s.n);
    if (lo < hi) {
      KvSegment t = s;
      t.k.data = static_cast<const uint8_t*>(s.k.data) + (lo - pos) * s.k.row_bytes;
      t.v.data = static_cast<const uint8_t*>(s.v.data) + (lo - pos) * s.v.row_bytes;
      t.n = hi - lo;
      out.push_back(t);
    }
    pos += s.n;
  }
  return out;
}

// softcap > 0: Gemma 2's score cap, with scores scaled up so that it bites. window > 0: each row
// attends to its last `window` keys only (a sliding window cutting the front of its range).
void CheckCase(GgmlType type, int64_t head_dim, int64_t n, int64_t n_rows, int splits,
               uint32_t seed, float softcap = 0.0f, int64_t window = 0) {
  std::mt19937 rng(seed);
  const Cache c = MakeCache(type, n, head_dim, rng);
  const auto segs = Segments(c, type, head_dim, n, splits);
  const int64_t stride = RowsKeyStride(n);
  std::vector<float> kt(static_cast<size_t>(head_dim * stride), NAN);
  std::vector<float> v(static_cast<size_t>(n * head_dim), NAN);
  WidenKv(segs, head_dim, kt.data(), v.data());

  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_int_distribution<int64_t> nk(1, n);
  std::vector<std::vector<float>> q(static_cast<size_t>(n_rows)), out(q.size());
  std::vector<const float*> qp;
  std::vector<float*> op;
  std::vector<int64_t> keys, first;
  for (int64_t r = 0; r < n_rows; ++r) {
    q[static_cast<size_t>(r)].resize(static_cast<size_t>(head_dim));
    for (auto& x : q[static_cast<size_t>(r)]) x = nd(rng);
    out[static_cast<size_t>(r)].assign(static_cast<size_t>(head_dim), NAN);
    qp.push_back(q[static_cast<size_t>(r)].data());
    op.push_back(out[static_cast<size_t>(r)].data());
    // Causal rows count up like a chunk's positions; some rows take a random count.
    keys.push_back(r % 3 == 2 ? nk(rng) : std::max<int64_t>(1, n - n_rows + 1 + r));
    first.push_back(window > 0 ? std::max<int64_t>(0, keys.back() - window) : 0);
  }
  std::vector<float> scratch(static_cast<size_t>(AttendRowsScratch(stride)));
  const float scale = (softcap > 0.0f ? 4.0f : 1.0f) / std::sqrt(static_cast<float>(head_dim));
  AttendRows(qp.data(), keys.data(), n_rows, kt.data(), v.data(), stride, head_dim, scale,
             scratch.data(), op.data(), softcap, window > 0 ? first.data() : nullptr);
  std::vector<float> ref(static_cast<size_t>(head_dim));
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto pre = Range(segs, first[static_cast<size_t>(r)], keys[static_cast<size_t>(r)]);
    AttendReference(qp[static_cast<size_t>(r)], pre, head_dim, scale, ref.data(), softcap);
    // As for Attend: convex combinations of values of magnitude <~ 4, f32 sums in another
    // order than the double reference: 1e-4 absolute.
    for (int64_t d = 0; d < head_dim; ++d) {
      ASSERT_NEAR(out[static_cast<size_t>(r)][static_cast<size_t>(d)], ref[static_cast<size_t>(d)],
                  1e-4)
          << TypeName(type) << " head_dim " << head_dim << " n " << n << " row " << r << " of "
          << n_rows << " keys [" << first[static_cast<size_t>(r)] << ", "
          << keys[static_cast<size_t>(r)] << ") d " << d;
    }
  }
}

TEST(AttendRows, WidenKvTransposesKeysAndZeroPads) {
  std::mt19937 rng(3);
  const int64_t hd = 32, n = 70;
  const Cache c = MakeCache(GgmlType::kF16, n, hd, rng);
  const auto segs = Segments(c, GgmlType::kF16, hd, n, 3);
  const int64_t stride = RowsKeyStride(n);
  EXPECT_EQ(stride, 128);
  std::vector<float> kt(static_cast<size_t>(hd * stride), NAN), v(static_cast<size_t>(n * hd));
  WidenKv(segs, hd, kt.data(), v.data());
  std::vector<float> row(static_cast<size_t>(hd));
  int64_t j = 0;
  for (const auto& s : segs) {
    for (int64_t r = 0; r < s.n; ++r, ++j) {
      DequantizeRow(GgmlType::kF16, static_cast<const uint8_t*>(s.k.data) + r * s.k.row_bytes,
                    row.data(), hd);
      for (int64_t d = 0; d < hd; ++d) ASSERT_EQ(kt[d * stride + j], row[d]) << j << " " << d;
      DequantizeRow(GgmlType::kF16, static_cast<const uint8_t*>(s.v.data) + r * s.v.row_bytes,
                    row.data(), hd);
      for (int64_t d = 0; d < hd; ++d) ASSERT_EQ(v[j * hd + d], row[d]) << j << " " << d;
    }
  }
  for (int64_t d = 0; d < hd; ++d)
    for (int64_t jj = n; jj < stride; ++jj) ASSERT_EQ(kt[d * stride + jj], 0.0f);
}

TEST(AttendRows, MatchesReferenceOnEverySimdTarget) {
  uint32_t seed = 700;
  int checked = 0;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0}) {
      for (int64_t hd : {32, 64, 96, 128, 256}) {
        if (!AttendRowsSupported(hd)) continue;
        for (int64_t n : {1, 7, 64, 65, 300}) {
          for (int64_t rows : {1, 3, 4, 9, 14}) {
            CheckCase(t, hd, n, rows, 1 + static_cast<int>(seed % 3), seed);
            ++seed;
            ++checked;
          }
        }
      }
    }
    if (HasFailure()) ADD_FAILURE() << "on target " << hwy::TargetName(target);
  }
  // Every x86-64 target Highway builds has 4+ float lanes: head sizes 32..128 have a path.
  EXPECT_GT(checked, 0);
}

// Gemma 2's attention soft-cap through the widened path, on every SIMD target.
TEST(AttendRows, SoftCapMatchesReferenceOnEverySimdTarget) {
  uint32_t seed = 1700;
  int checked = 0;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    for (GgmlType t : {GgmlType::kF32, GgmlType::kF16}) {
      for (int64_t hd : {32, 64, 128, 256}) {
        if (!AttendRowsSupported(hd)) continue;
        for (int64_t n : {7, 65}) {
          CheckCase(t, hd, n, 9, 1 + static_cast<int>(seed % 3), seed, 2.0f);
          ++seed;
          ++checked;
        }
      }
    }
    if (HasFailure()) ADD_FAILURE() << "on target " << hwy::TargetName(target);
  }
  EXPECT_GT(checked, 0);
}

// The head sizes of the supported families have the widened path on every x86 target Highway
// builds with vectors (4, 8 or 16 float lanes; HWY_SCALAR, one lane, has none): Llama / Qwen2 64,
// Phi-3 96, Qwen3 128, Gemma 2 / 3 256 (Gemma 3's 256 and Qwen3's 128 went query by query before, a
// fifth of a Qwen3-0.6B prefill). 96 is not a multiple of two AVX-512 vectors, so it has the path
// where vectors are at most 16 floats (a 48-float pass is not built).
TEST(AttendRows, TheFamiliesHeadSizesHaveAPathOnEveryTarget) {
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    if (target == HWY_SCALAR) continue;
    const kernel_test::ScopedSimdTarget guard(target);
    for (int64_t hd : {64, 128, 256}) {
      EXPECT_TRUE(AttendRowsSupported(hd))
          << "head_dim " << hd << " on " << hwy::TargetName(target);
    }
    const bool wide = (target & (HWY_AVX3 | HWY_AVX3_DL)) != 0;
    if (!wide) {
      EXPECT_TRUE(AttendRowsSupported(96)) << "on " << hwy::TargetName(target);
    }
    EXPECT_FALSE(AttendRowsSupported(0));
    EXPECT_FALSE(AttendRowsSupported(20)) << "not a multiple of two vectors";
  }
}

// Gemma's sliding window: every row attends to its own last `window` keys, so rows of one tile
// start at different keys (window 5: inside one score step; 70: across steps; with the soft-cap
// too), on every SIMD target.
TEST(AttendRows, WindowedRowsMatchReferenceOnEverySimdTarget) {
  uint32_t seed = 2700;
  int checked = 0;
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    const kernel_test::ScopedSimdTarget guard(target);
    for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0}) {
      for (int64_t hd : {64, 128, 256}) {
        if (!AttendRowsSupported(hd)) continue;
        for (int64_t window : {1, 5, 70}) {
          for (int64_t rows : {4, 9, 14}) {
            CheckCase(t, hd, 300, rows, 1 + static_cast<int>(seed % 3), seed, 0.0f, window);
            ++seed;
            ++checked;
          }
          CheckCase(t, hd, 200, 9, 2, seed++, 2.0f, window);
        }
      }
    }
    if (HasFailure()) ADD_FAILURE() << "on target " << hwy::TargetName(target);
  }
  EXPECT_GT(checked, 0);
}

TEST(AttendRows, ARowWithNoKeysIsAnInternalError) {
  if (!AttendRowsSupported(64)) GTEST_SKIP() << "no AttendRows path for head_dim 64 on this CPU";
  std::vector<float> kt(64 * 64, 0.0f), v(64, 0.0f), q(64, 1.0f), o(64),
      scratch(static_cast<size_t>(AttendRowsScratch(64)));
  const float* qp = q.data();
  float* op = o.data();
  const int64_t keys = 0;
  EXPECT_DEATH(AttendRows(&qp, &keys, 1, kt.data(), v.data(), 64, 64, 0.125f, scratch.data(), &op),
               "attends to keys \\[0, 0\\)");
}

}  // namespace
}  // namespace gapbench::kernels
