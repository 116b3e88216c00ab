// ParallelFor over one process-wide oneTBB task_arena whose concurrency is the configured thread
// count. The range is cut into floor(size / grain) equal chunks (so every piece is >= grain) and
// TBB hands out runs of consecutive chunks, merged into one call. Calls from several threads
// share the arena; a call from inside a ParallelFor body runs nested in the same arena (TBB
// executes it directly, no deadlock). Left out: pinning threads to cores, NUMA placement.
#include "kernels/parallel.h"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "common/error.h"

namespace gapbench::kernels {
namespace {

struct ArenaState {
  std::mutex mu;
  int num_threads = 0;  // 0 until first use: then default concurrency
  // shared_ptr, not unique_ptr: a ParallelFor in flight keeps its arena alive while another
  // thread calls SetNumThreads.
  std::shared_ptr<tbb::task_arena> arena;
  // Raises TBB's global worker limit when more threads than cores are asked for.
  std::unique_ptr<tbb::global_control> control;
};

ArenaState& State() {
  static ArenaState state;
  return state;
}

std::shared_ptr<tbb::task_arena> CurrentArena() {
  ArenaState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.arena) {
    if (s.num_threads <= 0) s.num_threads = tbb::info::default_concurrency();
    s.arena = std::make_shared<tbb::task_arena>(s.num_threads);
  }
  return s.arena;
}

}  // namespace

void SetNumThreads(int n) {
  GB_CHECK(n >= 0, "SetNumThreads: negative thread count ", n);
  ArenaState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  const int hw = tbb::info::default_concurrency();
  const int want = n == 0 ? hw : n;
  if (want == s.num_threads && s.arena) return;
  s.num_threads = want;
  s.control.reset();
  if (want > hw) {
    s.control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                      static_cast<size_t>(want));
  }
  s.arena = std::make_shared<tbb::task_arena>(want);
}

int NumThreads() {
  ArenaState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.num_threads > 0 ? s.num_threads : tbb::info::default_concurrency();
}

void ParallelFor(int64_t begin, int64_t end, int64_t grain,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  if (grain < 1) grain = 1;
  const int64_t size = end - begin;
  if (size < 2 * grain) {
    fn(begin, end);
    return;
  }
  const std::shared_ptr<tbb::task_arena> arena = CurrentArena();
  if (arena->max_concurrency() <= 1) {
    fn(begin, end);
    return;
  }
  const int64_t n_chunks = size / grain;
  const int64_t base = size / n_chunks;   // >= grain
  const int64_t extra = size % n_chunks;  // the first `extra` chunks are one longer
  auto chunk_start = [&](int64_t c) { return begin + c * base + std::min(c, extra); };
  arena->execute([&] {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, n_chunks, 1),
                      [&](const tbb::blocked_range<int64_t>& r) {
                        fn(chunk_start(r.begin()), chunk_start(r.end()));
                      });
  });
}

}  // namespace gapbench::kernels
