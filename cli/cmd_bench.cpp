// gapbench bench: prompt-processing (pp) and generation (tg) speed in tokens/s, mean and sd over
// repetitions after one warm-up, like llama-bench (pp: one batch of p tokens from an empty
// context; tg: n single-token steps from an empty context). Random token ids, fixed seed.
// After the runs a STREAM-like probe (kernels/membw.h) measures the memory read bandwidth with the
// same threads, and tg is reported as a fraction of the bandwidth bound: the weight bytes one
// decode step reads divided by that bandwidth.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/sampler.h"
#include "kernels/membw.h"
#include "kernels/parallel.h"

namespace gapbench::cli {
namespace {

struct Stat {
  double mean = 0, sd = 0;
};

Stat Summarise(const std::vector<double>& v) {
  Stat s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return s;
}

int64_t PeakRssBytes() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

// Bytes of weights one decode step reads: every layer matrix, the output (LM head) matrix, the
// norms and biases; the embedding contributes one row (left out), the KV cache is not a weight.
int64_t DecodeWeightBytes(const engine::Model& model) {
  auto matrix = [](const kernels::MatrixView& m) {
    return m.rows * kernels::RowBytes(kernels::Traits(m.type), m.cols);
  };
  auto vec = [](const std::vector<float>& v) { return static_cast<int64_t>(v.size() * 4); };
  int64_t total = matrix(model.output()) + vec(model.output_norm());
  for (int64_t il = 0; il < model.hparams().n_layer; ++il) {
    const engine::LayerWeights& L = model.layer(il);
    for (const auto* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      total += matrix(*m);
    }
    for (const auto* v : {&L.attn_norm, &L.ffn_norm, &L.bq, &L.bk, &L.bv}) total += vec(*v);
  }
  return total;
}

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench bench",
      .summary =
          "pp: tokens/s evaluating p prompt tokens in one batch; tg: tokens/s generating n tokens\n"
          "one at a time. Mean and standard deviation over r repetitions after one warm-up.\n"
          "Both must fit the context (default: the model's training context; --ctx raises it).\n"
          "Then a STREAM-like probe measures the memory read bandwidth (same threads), and tg is\n"
          "also given as a fraction of the bandwidth bound (weight bytes read per token / "
          "bandwidth).",
      .options = WithEngineOptions(
          {{"p", "N", "prompt tokens (default 512)"},
           {"n", "N", "generated tokens (default 128)"},
           {"r", "N", "repetitions (default 3)"},
           {"batch", "N", "tokens per forward chunk (default: p)"},
           {"bandwidth-mib", "N", "bandwidth probe array size in MiB (default 256; 0 skips it)"},
           {"json", "", "one JSON object on stdout"}}),
  };
  return kSpec;
}

}  // namespace

int CmdBench(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const int64_t n_prompt = args.GetInt("p", 512, 0, 1 << 20);
  const int64_t n_gen = args.GetInt("n", 128, 0, 1 << 20);
  const int64_t reps = args.GetInt("r", 3, 1, 1000);
  const int64_t bw_mib = args.GetInt("bandwidth-mib", 256, 0, 1 << 16);
  EngineSetup e = SetupEngine(args, kernels::GgmlType::kF16);
  // pp needs p positions, tg n: both within the context rule of every command
  // (engine::ContextFor), never past the trained positions unless --ctx says so.
  const int64_t n_ctx = engine::ContextFor(*e.model, e.session);
  if (std::max(n_prompt, n_gen) > n_ctx) {
    Fail("gapbench bench: -p ", n_prompt, " / -n ", n_gen, " exceed the model's ", n_ctx,
         "-token context (", e.model->config().context > 0 ? "--ctx / config" : "training context",
         "); lower them or raise --ctx");
  }
  e.session.n_ctx = std::max<int64_t>({n_prompt, n_gen, 1});
  // llama-bench evaluates the whole prompt as one batch; --batch or the config's batch override.
  const int64_t cfg_batch = e.model->config().batch;
  e.session.n_batch =
      args.GetInt("batch", cfg_batch > 0 ? cfg_batch : std::max<int64_t>(n_prompt, 1), 1, 1 << 20);
  const engine::Model& model = *e.model;
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(model.hparams().n_vocab - 1));
  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  for (auto& t : prompt) t = dist(rng);

  using Clock = std::chrono::steady_clock;
  std::vector<double> pp, tg;
  int64_t kv_bytes = 0;
  for (int64_t rep = 0; rep <= reps; ++rep) {  // rep 0 is the warm-up
    if (n_prompt > 0) {
      engine::Session s(model, e.session);
      const auto t0 = Clock::now();
      s.Eval(prompt, engine::LogitsMode::kLast);
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      // Read after the run: the cache grows with the positions it holds.
      kv_bytes = std::max(kv_bytes, s.cache().allocated_bytes());
      if (rep > 0) pp.push_back(static_cast<double>(n_prompt) / sec);
    }
    if (n_gen > 0) {
      engine::Session s(model, e.session);
      int32_t tok = prompt.empty() ? 0 : prompt[0];
      const auto t0 = Clock::now();
      for (int64_t i = 0; i < n_gen; ++i) {
        s.Eval(std::span<const int32_t>(&tok, 1), engine::LogitsMode::kLast);
        tok = engine::Argmax(s.LastLogits());
      }
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      kv_bytes = std::max(kv_bytes, s.cache().allocated_bytes());
      if (rep > 0) tg.push_back(static_cast<double>(n_gen) / sec);
    }
  }
  const Stat sp = Summarise(pp), sg = Summarise(tg);
  // Peak memory of the runs, before the probe allocates its arrays.
  const int64_t peak_rss = PeakRssBytes();
  const int64_t decode_bytes = DecodeWeightBytes(model);
  kernels::MemoryBandwidth bw;
  if (bw_mib > 0) bw = kernels::MeasureMemoryBandwidth(bw_mib << 20, 5);
  // tokens/s if a decode step cost only reading its weights at the measured bandwidth.
  const double bound =
      bw.read_gb_per_s > 0 ? bw.read_gb_per_s * 1e9 / static_cast<double>(decode_bytes) : 0.0;
  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("model");
    w.String(model.path().c_str());
    w.Key("threads");
    w.Int(kernels::NumThreads());
    w.Key("prompt");
    w.StartObject();
    w.Key("tokens");
    w.Int64(n_prompt);
    w.Key("tokens_per_s");
    WriteJsonFloat(w, sp.mean);
    w.Key("sd");
    WriteJsonFloat(w, sp.sd);
    w.EndObject();
    w.Key("generation");
    w.StartObject();
    w.Key("tokens");
    w.Int64(n_gen);
    w.Key("tokens_per_s");
    WriteJsonFloat(w, sg.mean);
    w.Key("sd");
    WriteJsonFloat(w, sg.sd);
    w.Key("weight_bytes_per_token");
    w.Int64(decode_bytes);
    if (bound > 0) {
      w.Key("bandwidth_bound_tokens_per_s");
      WriteJsonFloat(w, bound);
      w.Key("fraction_of_bound");
      WriteJsonFloat(w, n_gen > 0 ? sg.mean / bound : 0.0);
    }
    w.EndObject();
    if (bw_mib > 0) {
      w.Key("memory_bandwidth");
      w.StartObject();
      w.Key("read_gb_per_s");
      WriteJsonFloat(w, bw.read_gb_per_s);
      w.Key("copy_gb_per_s");
      WriteJsonFloat(w, bw.copy_gb_per_s);
      w.Key("triad_gb_per_s");
      WriteJsonFloat(w, bw.triad_gb_per_s);
      w.Key("buffer_bytes");
      w.Int64(bw.buffer_bytes);
      w.EndObject();
    }
    w.Key("repetitions");
    w.Int64(reps);
    w.Key("config");
    {
      rapidjson::Document cd = ParseJson(model.config().Canonical(), "config");
      cd.Accept(w);
    }
    w.Key("weight_bytes");
    w.Int64(model.weight_bytes());
    w.Key("kv_bytes_per_token");
    w.Double(static_cast<double>(kv_bytes) / static_cast<double>(e.session.n_ctx));
    w.Key("packed_weight_bytes");
    w.Int64(model.packed_bytes());
    w.Key("peak_rss_bytes");
    w.Int64(peak_rss);
    w.Key("kv_cache_bytes");
    w.Int64(kv_bytes);
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf("| model | params | threads | test | t/s |\n|---|---|---|---|---|\n");
    const auto params = static_cast<double>(model.n_params()) / 1e6;
    if (n_prompt > 0) {
      std::printf("| %s | %.1fM | %d | pp%lld | %.2f ± %.2f |\n", model.path().c_str(), params,
                  kernels::NumThreads(), static_cast<long long>(n_prompt), sp.mean, sp.sd);
    }
    if (n_gen > 0) {
      std::printf("| %s | %.1fM | %d | tg%lld | %.2f ± %.2f |\n", model.path().c_str(), params,
                  kernels::NumThreads(), static_cast<long long>(n_gen), sg.mean, sg.sd);
    }
    std::printf("peak RSS %.1f MiB, KV cache %.1f MiB\n", static_cast<double>(peak_rss) / 1048576.0,
                static_cast<double>(kv_bytes) / 1048576.0);
    if (bound > 0) {
      std::printf(
          "decode reads %.1f MB of weights per token; read bandwidth %.1f GB/s: bound %.1f t/s, "
          "tg at %.2f of it\n",
          static_cast<double>(decode_bytes) / 1e6, bw.read_gb_per_s, bound,
          n_gen > 0 ? sg.mean / bound : 0.0);
    }
  }
  return 0;
}

}  // namespace gapbench::cli
