// ParallelFor: every index is visited exactly once, pieces respect the grain, and the helper is
// safe to call concurrently from many threads and nested inside itself.
#include "kernels/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace gapbench::kernels {
namespace {

// Runs ParallelFor over [begin, end) and checks coverage and piece lengths.
void CheckCoverage(int64_t begin, int64_t end, int64_t grain) {
  const int64_t size = end > begin ? end - begin : 0;
  std::vector<std::atomic<int>> hits(static_cast<size_t>(size));
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> pieces;
  ParallelFor(begin, end, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i - begin)].fetch_add(1);
    std::lock_guard<std::mutex> lock(mu);
    pieces.emplace_back(b, e);
  });
  for (int64_t i = 0; i < size; ++i) {
    ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1)
        << "index " << begin + i << " of [" << begin << ", " << end << ") grain " << grain;
  }
  for (const auto& [b, e] : pieces) {
    ASSERT_GE(b, begin);
    ASSERT_LE(e, end);
    ASSERT_GE(e - b, std::min(std::max<int64_t>(grain, 1), size)) << "piece too small";
  }
  if (size == 0) {
    EXPECT_TRUE(pieces.empty());
  }
}

TEST(ParallelFor, CoversEachIndexOnceForManyShapes) {
  const int saved = NumThreads();
  for (int threads : {1, 2, 3, 8}) {
    SetNumThreads(threads);
    EXPECT_EQ(NumThreads(), threads);
    for (int64_t begin : {0, 5, -17}) {
      for (int64_t size : {0, 1, 2, 7, 63, 64, 65, 1000, 100003}) {
        for (int64_t grain : {0, 1, 3, 64, 1000, 200000}) {
          CheckCoverage(begin, begin + size, grain);
        }
      }
    }
  }
  SetNumThreads(saved);
}

TEST(ParallelFor, SmallRangeRunsInline) {
  const auto caller = std::this_thread::get_id();
  int calls = 0;
  ParallelFor(0, 9, 5, [&](int64_t b, int64_t e) {
    ++calls;
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 9);
  });
  EXPECT_EQ(calls, 1);
}

TEST(ParallelFor, ZeroMeansHardwareThreads) {
  const int saved = NumThreads();
  SetNumThreads(0);
  EXPECT_GE(NumThreads(), 1);
  SetNumThreads(saved);
}

TEST(ParallelFor, NestedCallsCoverTheGrid) {
  SetNumThreads(4);
  constexpr int64_t kOuter = 37, kInner = 501;
  std::vector<std::atomic<int>> hits(kOuter * kInner);
  ParallelFor(0, kOuter, 1, [&](int64_t ob, int64_t oe) {
    for (int64_t o = ob; o < oe; ++o) {
      ParallelFor(0, kInner, 7, [&](int64_t ib, int64_t ie) {
        for (int64_t i = ib; i < ie; ++i) hits[static_cast<size_t>(o * kInner + i)].fetch_add(1);
      });
    }
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ParallelFor, ConcurrentCallersFromManyThreads) {
  SetNumThreads(4);
  constexpr int kCallers = 8;
  constexpr int64_t kSize = 20000;
  std::vector<std::vector<std::atomic<int>>> hits(kCallers);
  for (auto& h : hits) h = std::vector<std::atomic<int>>(kSize);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 5; ++rep) {
        ParallelFor(0, kSize, 100, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[c][static_cast<size_t>(i)].fetch_add(1);
        });
      }
    });
  }
  for (auto& t : callers) t.join();
  for (auto& h : hits) {
    for (auto& v : h) ASSERT_EQ(v.load(), 5);
  }
}

}  // namespace
}  // namespace gapbench::kernels
