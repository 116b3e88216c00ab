// Coordinator throughput: the real Coordinator (ROUTER, scheduler, SQLite journal with WAL and
// synchronous=FULL) on a thread of this process, and W simulated workers -- one DEALER socket each,
// driven by a few threads that zmq::poll over many sockets -- doing empty shards: HELLO, then
// READY -> ASSIGN -> RESULTS (one valid item record) -> ACK -> DONE -> READY ... until SHUTDOWN.
// No inference: what is measured is the coordinator's cost per shard, SQLite commits included.
//
// Counters per run (one iteration each; Args = {workers, shards, think_ms}, think_ms being the
// simulated inference time per shard, 0 for none):
//   shards_per_s        shards completed / wall time from the first HELLO to Run() returning
//   p50/p99/max_assign_ms  READY -> ASSIGN as the worker sees it (includes queueing in ZeroMQ and
//                       in the coordinator's inbox, and the simulated worker's own delay);
//                       p99_steady_ms leaves out each worker's first READY (the start burst)
//   server_p99_le_ms    the coordinator's own READY -> ASSIGN histogram (Status()): the bucket
//                       bound holding its 99th percentile (handling time only, no queueing)
//   coord_cpu_ms_per_shard  CPU time of the coordinator's thread (getrusage RUSAGE_THREAD) per
//                       shard; 1000 / it is the CPU-bound ceiling in shards/s
//   register_s          AddSweep of the N-shard sweep (validation, expansion, store inserts)
//   lost_or_expired, dropped  must be 0: a worker declared lost under load would be a finding
//
// The simulated workers share the machine's cores with the coordinator, so on a small machine the
// figures are a lower bound for the coordinator alone. docs/PERFORMANCE.md has the figures and the
// extrapolation to 1,000 real workers. bench/coordinator_bench.sh runs the standard set.
//
// Not here: correctness of the protocol (tests/coordinator/server_test.cpp), real workers and
// inference (the slow tests of `gapbench run`).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/json.h"
#include "coordinator/protocol.h"
#include "coordinator/server.h"
#include "suites/record.h"

namespace {

namespace fs = std::filesystem;
namespace co = gapbench::coordinator;
using gapbench::StrCat;
using Clock = std::chrono::steady_clock;

constexpr int64_t kHeartbeatMs = 1000;  // the production default: 1,000 workers -> 1,000 beats/s
constexpr int kMaxDriverThreads = 4;
constexpr auto kRunLimit = std::chrono::minutes(10);

// A temporary folder removed at scope exit.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "gb-coordbench-XXXXXX").string();
    GB_CHECK(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  GB_CHECK(out.good(), "cannot write a benchmark file");
}

// A native gapbench suite of n one-line multiple-choice items, the fixture model, and a sweep
// with shard_size 1: n shards.
std::string WriteSweep(const fs::path& dir, int64_t n) {
  fs::copy_file(fs::path(GAPBENCH_SOURCE_DIR) / "tests/fixtures/engine/llama-mha-f32.gguf",
                dir / "m.gguf");
  std::string suite;
  for (int64_t i = 0; i < n; ++i) {
    suite += StrCat(R"({"kind":"multiple_choice","id":"q)", i, R"(","question":"Is )", i,
                    R"( even?","choices":["yes","no"],"gold":)", i % 2, "}\n");
  }
  WriteText(dir / "s.jsonl", suite);
  WriteText(dir / "sweep.json", R"({"name": "coordinator-bench",
      "models": [{"alias": "m", "path": "m.gguf"}],
      "engines": [{"name": "base", "config": {}}],
      "suites": [{"name": "s", "path": "s.jsonl", "format": "gapbench"}],
      "grid": {}, "shard_size": 1})");
  return (dir / "sweep.json").string();
}

// What a real worker would store for a two-choice item (without timing).
std::string FakeRecord(int64_t item_index) {
  gapbench::suites::ItemRecord r;
  r.item_id = StrCat("q", item_index);
  r.suite = "s";
  r.suite_hash = "0123456789abcdef";
  r.prompt_hash = "fedcba9876543210";
  r.kind = gapbench::suites::ItemKind::kMultipleChoice;
  r.gold = static_cast<int>(item_index % 2);
  r.pred = 0;
  r.pred_norm = 0;
  r.prediction = "A";
  r.reference = r.gold == 0 ? "A" : "B";
  r.choice_logprobs = {-1.25, -2.5};
  r.choice_tokens = {1, 1};
  r.correct = r.pred == r.gold;
  r.correct_norm = r.correct;
  r.tokens_in = 20;
  return gapbench::suites::ItemRecordToJson(r, gapbench::suites::RecordTiming::kOmit);
}

// One simulated worker: a DEALER and where it is in the protocol.
struct SimWorker {
  enum class State { kWelcome, kAssign, kThink, kAck, kNoWork, kShutdown };
  explicit SimWorker(zmq::socket_t s) : socket(std::move(s)) {}
  zmq::socket_t socket;
  State state = State::kWelcome;
  Clock::time_point ready_sent{};
  Clock::time_point retry_at{};
  Clock::time_point next_beat{};
  Clock::time_point think_until{};  // kThink: when the simulated inference ends
  int64_t think_ms = 0;             // mean simulated inference time per shard; 0 = none
  uint64_t rng = 0;                 // per-worker jitter of the think time
  bool first_ready = true;          // the first READY of each worker lands in the start burst
  std::string shard;
  int64_t begin = 0;
  int64_t lease = 0;
  int64_t n_items = 0;
};

struct DriverStats {
  std::vector<double> latencies_s;  // READY -> ASSIGN, client side
  std::vector<double> steady_s;     // the same without each worker's first READY
  int64_t shards = 0;
  int64_t cancels = 0;
  int64_t shutdowns = 0;
  int64_t unexpected = 0;
};

void SendMessage(zmq::socket_t& s, std::string_view type, const std::string& body) {
  const std::vector<std::string> frames = co::EncodeMessage(type, body);
  std::vector<zmq::const_buffer> bufs;
  for (const auto& f : frames) bufs.push_back(zmq::buffer(f));
  zmq::send_multipart(s, bufs);
}

void SendReady(SimWorker& w) {
  SendMessage(w.socket, co::kTypeReady, R"({"models":[]})");
  w.ready_sent = Clock::now();
  w.state = SimWorker::State::kAssign;
}

// One valid ResultItem per item of the assigned range, as one RESULTS batch.
void SendResults(SimWorker& w) {
  std::string items;
  for (int64_t i = w.begin; i < w.begin + w.n_items; ++i) {
    if (!items.empty()) items += ",";
    items += StrCat(R"({"item_index":)", i, R"(,"sample":0,"item_id":"q)", i, R"(","record":)",
                    FakeRecord(i), R"(,"timing":{"latency_s":0}})");
  }
  SendMessage(w.socket, co::kTypeResults,
              StrCat(R"({"shard":")", w.shard, R"(","lease":)", w.lease, R"(,"seq":1,"items":[)",
                     items, "]}"));
  w.state = SimWorker::State::kAck;
}

// Think time uniform in [0.5, 1.5] x think_ms (xorshift), so completions do not come in waves.
std::chrono::milliseconds ThinkTime(SimWorker& w) {
  w.rng ^= w.rng << 13;
  w.rng ^= w.rng >> 7;
  w.rng ^= w.rng << 17;
  const double u = static_cast<double>(w.rng % 1000000) / 1e6;
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(w.think_ms) * (0.5 + u)));
}

// Reacts to one message from the coordinator.
void OnMessage(SimWorker& w, const co::Message& m, DriverStats& stats) {
  using State = SimWorker::State;
  if (m.type == co::kTypeHeartbeat) return;
  if (m.type == co::kTypeShutdown) {
    w.state = State::kShutdown;
    ++stats.shutdowns;
    return;
  }
  if (m.type == co::kTypeCancel) {
    ++stats.cancels;
    return;
  }
  if (m.type == co::kTypeWelcome && w.state == State::kWelcome) return SendReady(w);
  if (m.type == co::kTypeNoWork && w.state == State::kAssign) {
    const rapidjson::Document body = gapbench::ParseJson(m.body, "NOWORK");
    w.state = State::kNoWork;
    w.retry_at = Clock::now() + std::chrono::milliseconds(body["retry_ms"].GetInt64());
    return;
  }
  if (m.type == co::kTypeAssign && w.state == State::kAssign) {
    const double latency = std::chrono::duration<double>(Clock::now() - w.ready_sent).count();
    stats.latencies_s.push_back(latency);
    if (!w.first_ready) stats.steady_s.push_back(latency);
    w.first_ready = false;
    const rapidjson::Document body = gapbench::ParseJson(m.body, "ASSIGN");
    w.shard = body["shard"].GetString();
    w.lease = body["lease"].GetInt64();
    w.begin = body["task"]["begin"].GetInt64();
    w.n_items = body["task"]["end"].GetInt64() - w.begin;
    if (w.think_ms > 0) {
      w.state = State::kThink;
      w.think_until = Clock::now() + ThinkTime(w);
      return;
    }
    return SendResults(w);
  }
  if (m.type == co::kTypeAck && w.state == State::kAck) {
    SendMessage(w.socket, co::kTypeDone,
                StrCat(R"({"shard":")", w.shard, R"(","lease":)", w.lease, R"(,"n_items":)",
                       w.n_items, "}"));
    ++stats.shards;
    return SendReady(w);
  }
  ++stats.unexpected;
}

// Drives `workers` until each has seen SHUTDOWN or `stop` is set.
void Drive(std::vector<SimWorker>& workers, const std::atomic<bool>& stop, DriverStats& stats) {
  using State = SimWorker::State;
  const auto start = Clock::now();
  for (size_t i = 0; i < workers.size(); ++i) {
    SimWorker& w = workers[i];
    SendMessage(
        w.socket, co::kTypeHello,
        StrCat(R"({"worker":"sim-)", reinterpret_cast<uintptr_t>(&w), R"(","version":"bench",)",
               R"("protocol":1,"threads":1,"memory_bytes":0,"pid":0,"host":"local",)",
               R"("models":[]})"));
    // Spread the heartbeats over the interval, as independent workers would.
    w.next_beat = start + std::chrono::milliseconds(kHeartbeatMs * static_cast<int64_t>(i) /
                                                    static_cast<int64_t>(workers.size()));
  }
  std::vector<zmq::pollitem_t> items(workers.size());
  for (size_t i = 0; i < workers.size(); ++i) {
    items[i] = {workers[i].socket.handle(), 0, ZMQ_POLLIN, 0};
  }
  size_t live = workers.size();
  while (live > 0 && !stop.load()) {
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(10));
    const auto now = Clock::now();
    live = 0;
    for (size_t i = 0; i < workers.size(); ++i) {
      SimWorker& w = workers[i];
      if (items[i].revents & ZMQ_POLLIN) {
        for (;;) {
          std::vector<zmq::message_t> parts;
          if (!zmq::recv_multipart(w.socket, std::back_inserter(parts),
                                   zmq::recv_flags::dontwait)) {
            break;
          }
          std::vector<std::string> frames;
          for (auto& p : parts) frames.push_back(p.to_string());
          std::string why;
          const std::optional<co::Message> m = co::DecodeMessage(frames, &why);
          if (!m) {
            ++stats.unexpected;
            continue;
          }
          OnMessage(w, *m, stats);
        }
      }
      if (w.state == State::kShutdown) continue;
      ++live;
      if (w.state == State::kNoWork && now >= w.retry_at) SendReady(w);
      if (w.state == State::kThink && now >= w.think_until) SendResults(w);
      if (now >= w.next_beat) {
        // Busy workers name their lease (the coordinator checks it); idle ones send null.
        SendMessage(
            w.socket, co::kTypeHeartbeat,
            w.state == State::kThink
                ? StrCat(R"({"shard":")", w.shard, R"(","lease":)", w.lease, R"(,"items_done":0})")
                : std::string(R"({"shard":null,"lease":0,"items_done":0})"));
        w.next_beat = now + std::chrono::milliseconds(kHeartbeatMs);
      }
    }
  }
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[k];
}

// The upper bound of the histogram bucket holding quantile q (+inf as -1).
double HistogramQuantileBound(const co::StatusSnapshot& s, double q) {
  const double target = q * static_cast<double>(s.latency_count);
  for (size_t b = 0; b < s.latency_buckets.size(); ++b) {
    if (static_cast<double>(s.latency_counts[b]) >= target) return s.latency_buckets[b];
  }
  return -1;
}

// Sends the coordinator's stderr (one line per worker joining) to a file for the run's duration.
class StderrToFile {
 public:
  explicit StderrToFile(const fs::path& file) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
  }
  ~StderrToFile() {
    std::fflush(stderr);
    if (saved_ >= 0) {
      dup2(saved_, STDERR_FILENO);
      close(saved_);
    }
  }

 private:
  int saved_ = -1;
};

void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void BM_CoordinatorThroughput(benchmark::State& state) {
  const int64_t n_workers = state.range(0);
  const int64_t n_shards = state.range(1);
  const int64_t think_ms = state.range(2);
  RaiseFileLimit();
  for (auto _ : state) {
    TempFolder dir;
    const std::string sweep = WriteSweep(dir.path(), n_shards);
    StderrToFile quiet(dir.path() / "coordinator.log");
    co::CoordinatorOptions o;
    o.bind = "tcp://127.0.0.1:0";
    o.db_path = (dir.path() / "results.sqlite").string();
    o.heartbeat_ms = kHeartbeatMs;
    o.lease_ms = 60 * 60 * 1000;
    o.nowork_retry_ms = 1000;  // the default: a finished worker polls once a second
    o.exit_when_done = true;
    o.log_events = false;
    co::Coordinator coordinator(o);
    const auto reg_start = Clock::now();
    const co::RegisterResult reg = coordinator.AddSweep(sweep);
    const double register_s = std::chrono::duration<double>(Clock::now() - reg_start).count();
    if (reg.new_shards != n_shards) {
      state.SkipWithError("the sweep did not expand to one shard per item");
      return;
    }

    zmq::context_t ctx(1);
    ctx.set(zmq::ctxopt::max_sockets, static_cast<int>(n_workers) + 64);
    const int n_threads = static_cast<int>(std::min<int64_t>(n_workers, kMaxDriverThreads));
    std::vector<std::vector<SimWorker>> groups(n_threads);
    for (int64_t i = 0; i < n_workers; ++i) {
      SimWorker w(zmq::socket_t(ctx, zmq::socket_type::dealer));
      w.socket.set(zmq::sockopt::linger, 0);
      w.socket.connect(coordinator.endpoint());
      w.think_ms = think_ms;
      w.rng = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(i + 1);
      groups[i % n_threads].push_back(std::move(w));
    }

    std::atomic<bool> stop{false};
    std::exception_ptr coordinator_error;
    double coord_cpu_s = 0;
    bool finished = false;
    const auto start = Clock::now();
    Clock::time_point end;
    std::thread server([&] {
      rusage before{}, after{};
      getrusage(RUSAGE_THREAD, &before);
      try {
        finished = coordinator.Run(stop);
      } catch (...) {
        coordinator_error = std::current_exception();
      }
      end = Clock::now();
      getrusage(RUSAGE_THREAD, &after);
      const auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
      coord_cpu_s = secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) -
                    secs(before.ru_stime);
    });
    std::vector<DriverStats> stats(n_threads);
    std::atomic<bool> drivers_stop{false};
    std::vector<std::thread> drivers;
    for (int t = 0; t < n_threads; ++t) {
      drivers.emplace_back([&, t] { Drive(groups[t], drivers_stop, stats[t]); });
    }
    // The coordinator ends by itself (exit_when_done); the limit only guards against a hang.
    std::thread watchdog([&] {
      const auto deadline = Clock::now() + kRunLimit;
      while (!finished && !coordinator_error && Clock::now() < deadline && !stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      stop = true;
    });
    server.join();
    stop = true;
    watchdog.join();
    // The workers got SHUTDOWN (linger 1 s on the coordinator's side); give them that long.
    const auto drain_deadline = Clock::now() + std::chrono::seconds(2);
    std::thread drain_guard([&] {
      while (Clock::now() < drain_deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      drivers_stop = true;
    });
    for (auto& d : drivers) d.join();
    drivers_stop = true;
    drain_guard.join();

    const co::StatusSnapshot s = coordinator.Status();
    const double wall_s = std::chrono::duration<double>(end - start).count();
    state.SetIterationTime(wall_s);
    if (coordinator_error) {
      try {
        std::rethrow_exception(coordinator_error);
      } catch (const std::exception& e) {
        state.SkipWithError(StrCat("coordinator failed: ", e.what()).c_str());
        return;
      }
    }
    if (!finished || !s.all_complete) {
      state.SkipWithError("the sweep did not complete within the time limit");
      return;
    }
    std::vector<double> latencies, steady;
    DriverStats total;
    for (const DriverStats& d : stats) {
      latencies.insert(latencies.end(), d.latencies_s.begin(), d.latencies_s.end());
      steady.insert(steady.end(), d.steady_s.begin(), d.steady_s.end());
      total.shards += d.shards;
      total.cancels += d.cancels;
      total.shutdowns += d.shutdowns;
      total.unexpected += d.unexpected;
    }
    const auto count = [](double v) { return benchmark::Counter(v); };
    state.counters["workers"] = count(static_cast<double>(n_workers));
    state.counters["shards"] = count(static_cast<double>(n_shards));
    state.counters["shards_per_s"] = count(static_cast<double>(n_shards) / wall_s);
    state.counters["p50_assign_ms"] = count(1e3 * Percentile(latencies, 0.50));
    state.counters["p99_assign_ms"] = count(1e3 * Percentile(latencies, 0.99));
    state.counters["max_assign_ms"] = count(1e3 * Percentile(latencies, 1.0));
    state.counters["p99_steady_ms"] = count(1e3 * Percentile(steady, 0.99));
    const double server_p99 = HistogramQuantileBound(s, 0.99);
    state.counters["server_p99_le_ms"] = count(server_p99 < 0 ? -1 : 1e3 * server_p99);
    state.counters["server_mean_ms"] =
        count(s.latency_count > 0 ? 1e3 * s.latency_sum / static_cast<double>(s.latency_count) : 0);
    state.counters["coord_cpu_ms_per_shard"] =
        count(1e3 * coord_cpu_s / static_cast<double>(n_shards));
    state.counters["register_s"] = count(register_s);
    state.counters["lost_or_expired"] = count(static_cast<double>(s.leases_expired));
    state.counters["dropped"] = count(static_cast<double>(s.messages_dropped));
    state.counters["cancels"] = count(static_cast<double>(total.cancels));
    state.counters["unexpected"] = count(static_cast<double>(total.unexpected));
    state.counters["shutdowns_seen"] = count(static_cast<double>(total.shutdowns));
  }
}

// {workers, shards, think_ms}. think_ms = 0: workers ask again at once, so the coordinator is
// saturated and shards_per_s is its capacity (latency is then queueing: W / capacity). think_ms =
// 10000: 1,000 workers whose shards take 10 s each (0.5x..1.5x), i.e. the load of a real
// 1,000-worker cluster, ~100 shards/s: the latency a worker actually sees.
BENCHMARK(BM_CoordinatorThroughput)
    ->ArgNames({"workers", "shards", "think_ms"})
    ->Args({1, 2000, 0})
    ->Args({16, 4000, 0})
    ->Args({128, 4000, 0})
    ->Args({1000, 8000, 0})
    ->Args({1000, 3000, 10000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
