// `gapbench model inspect FILE [--json] [--tensors] [--config FILE|JSON]` and
// `gapbench model random --arch A --preset P --wtype T --out FILE [--seed N]`.
// Inspect parses only the GGUF header (no weights are read); random streams tensors to disk.
// With --config (engine settings) inspect loads the model with them applied and reports the
// bytes the engine really uses: weights after re-quantisation / pooling, KV cache per token.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/gguf.h"
#include "engine/kv_cache.h"
#include "engine/model.h"
#include "engine/model_info.h"
#include "engine/random_model.h"
#include "engine/session.h"
#include "kernels/types.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench model inspect FILE [--json] [--tensors] [--config FILE|JSON]\n"
    "       gapbench model random [--preset P] [--arch llama|qwen2|qwen3|gemma2|gemma3|phi3]\n"
    "                             [--wtype TYPE]\n"
    "                             --out FILE [--seed N] [--vocab VOCAB.gguf]\n"
    "(gapbench model inspect --help, gapbench model random --help)\n";

const CommandSpec& InspectSpec() {
  static const CommandSpec kSpec{
      .name = "gapbench model inspect",
      .positionals = "FILE",
      .min_positionals = 1,
      .max_positionals = 1,
      .summary =
          "Architecture, hyper-parameters, tokenizer, tensors, parameter count and bytes per\n"
          "type from the GGUF header; with --config the bytes the engine really uses.",
      .options = {{"json", "", "one JSON object"},
                  {"tensors", "", "list every tensor"},
                  {"config", "FILE|JSON", "engine settings to measure (docs/SETTINGS.md)"}},
  };
  return kSpec;
}

const CommandSpec& RandomSpec() {
  static const CommandSpec kSpec{
      .name = "gapbench model random",
      .summary =
          "Writes a model with random weights in real shapes (speed comparisons without\n"
          "downloads).",
      .options = {{"preset", "P",
                   "smollm2-135m | qwen2.5-0.5b | llama3.2-1b | qwen3-0.6b | gemma-2-2b |\n"
                   "gemma-3-1b | phi-3-mini | tiny (default: the --arch's published shape)"},
                  {"arch", "A",
                   "llama | qwen2 | qwen3 | gemma2 | gemma3 | phi3 (default: the preset's)"},
                  {"wtype", "T",
                   "f32 | f16 | bf16 | q8_0 | q4_0 | q4_k (every 2-D weight that type), or a "
                   "llama.cpp mix with its per-tensor types and fallbacks: q4_k_m | q5_k_m | "
                   "q6_k | q5_0 | q5_1 | q4_1 (default f32)"},
                  {"out", "FILE", "the GGUF file to write", true},
                  {"seed", "N", "weights seed (default 0)"},
                  {"vocab", "VOCAB.gguf", "take the tokenizer from this file"}},
  };
  return kSpec;
}

// The engine's view of a model under a configuration: measured from a loaded Model.
struct EngineFigures {
  engine::EngineConfig config;
  int64_t weight_bytes = 0;
  int64_t context = 0;
  int64_t kv_bytes = 0;  // at `context` positions
  int64_t n_head_kv = 0;
};

EngineFigures Measure(const std::string& path, const engine::EngineConfig& config) {
  EngineFigures f;
  f.config = config;
  const auto model = engine::Model::Load(path, config);
  f.weight_bytes = model->weight_bytes();
  f.context = engine::ContextFor(*model);
  f.kv_bytes = engine::KvCache::BytesFor(model->hparams(), config, f.context);
  f.n_head_kv = model->hparams().n_head_kv;
  return f;
}

void WriteFigures(const EngineFigures& f, JsonWriter& w) {
  w.Key("config");
  const std::string canon = f.config.Canonical();
  rapidjson::Document d = ParseJson(canon, "config");
  d.Accept(w);
  w.Key("config_hash");
  w.String(f.config.Hash().c_str());
  w.Key("engine");
  w.StartObject();
  w.Key("weight_bytes");
  w.Int64(f.weight_bytes);
  w.Key("kv_heads");
  w.Int64(f.n_head_kv);
  w.Key("context");
  w.Int64(f.context);
  w.Key("kv_cache_bytes");
  w.Int64(f.kv_bytes);
  w.Key("kv_bytes_per_token");
  w.Double(static_cast<double>(f.kv_bytes) / static_cast<double>(f.context));
  w.EndObject();
}

int Inspect(const Argv& argv) {
  const Args args(InspectSpec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string& path = args.positionals()[0];
  CheckInputFile(path, "model");
  std::optional<engine::EngineConfig> config;
  if (auto c = args.Get("config")) config = engine::EngineConfig::FromArg(*c);

  const auto file = engine::GgufFile::Open(path);
  const engine::ModelInfo info = engine::SummarizeModel(*file);
  // Engine figures need a model the engine can load: with --config any failure is an error;
  // without it an unsupported architecture just leaves them out.
  std::optional<EngineFigures> figures;
  if (config) {
    figures = Measure(path, *config);
  } else {
    try {
      figures = Measure(path, engine::EngineConfig{});
    } catch (const Error&) {
      figures.reset();
    }
  }
  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    engine::WriteModelInfoJsonMembers(info, w);
    if (figures) {
      WriteFigures(*figures, w);
    } else {
      w.Key("config");
      w.Null();
      w.Key("engine");
      w.Null();
    }
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::fputs(engine::FormatModelInfo(info, args.Has("tensors")).c_str(), stdout);
    if (figures) {
      std::printf("engine config:   %s (hash %s)\n", figures->config.Canonical().c_str(),
                  figures->config.Hash().c_str());
      std::printf("engine weights:  %.2f MiB\n",
                  static_cast<double>(figures->weight_bytes) / 1048576.0);
      std::printf("engine KV cache: %.1f bytes/token, %.2f MiB at %lld positions\n",
                  static_cast<double>(figures->kv_bytes) / static_cast<double>(figures->context),
                  static_cast<double>(figures->kv_bytes) / 1048576.0,
                  static_cast<long long>(figures->context));
    }
  }
  return 0;
}

int Random(const Argv& argv) {
  const Args args(RandomSpec(), argv);
  if (args.help()) return args.PrintHelp();
  engine::RandomModelOptions o;
  const auto arch = args.Get("arch");
  auto preset = args.Get("preset");
  if (!preset && !arch) Fail("model random: give --preset or --arch (or both)");
  if (!preset) {
    auto p = engine::PresetForArch(*arch);
    if (!p) {
      std::string names;
      for (const auto& n : engine::RandomModelArchs()) names += (names.empty() ? "" : ", ") + n;
      Fail("model random: unknown --arch '", *arch, "' (one of ", names, ")");
    }
    preset = p->name;
  }
  auto p = engine::FindPreset(*preset);
  if (!p) {
    std::string names;
    for (const auto& n : engine::PresetNames()) names += (names.empty() ? "" : ", ") + n;
    Fail("model random: unknown --preset '", *preset, "' (one of ", names, ")");
  }
  o.preset = *p;
  o.arch = arch.value_or(p->arch);
  const std::string wtype = args.Get("wtype").value_or("f32");
  o.mix = engine::FindWeightMix(wtype);  // llama.cpp's per-tensor assignment, e.g. q4_k_m
  auto t = kernels::ParseTypeName(wtype);
  if (!o.mix && (!t || (*t != kernels::GgmlType::kF32 && *t != kernels::GgmlType::kF16 &&
                        *t != kernels::GgmlType::kBF16 && *t != kernels::GgmlType::kQ8_0 &&
                        *t != kernels::GgmlType::kQ4_0 && *t != kernels::GgmlType::kQ4_K))) {
    Fail("model random: --wtype '", wtype, "' is not one of f32, f16, bf16, q8_0, q4_0, q4_k, ",
         engine::WeightMixNames());
  }
  if (!o.mix) o.wtype = *t;
  o.vocab_path = args.Get("vocab").value_or("");
  const int64_t seed = args.GetInt("seed", 0);
  if (seed < 0) Fail("model random: --seed must be non-negative, got ", seed);
  o.seed = static_cast<uint64_t>(seed);
  const std::string out = args.Require("out");
  CheckInputFile(out, "--out");
  if (!o.vocab_path.empty()) CheckInputFile(o.vocab_path, "--vocab");

  // Progress: a rewritten line on a terminal, otherwise a line per 10% (logs stay short).
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  int last_decile = -1;
  const auto start = std::chrono::steady_clock::now();
  o.progress = [&](const engine::RandomModelProgress& pr) {
    const double frac = pr.bytes_total ? static_cast<double>(pr.bytes_done) / pr.bytes_total : 1.0;
    const int decile = static_cast<int>(frac * 10);
    if (!tty && decile == last_decile) return;
    last_decile = decile;
    std::fprintf(stderr, "%smodel random: %5.1f%%  tensor %zu/%zu %-28s", tty ? "\r" : "",
                 100.0 * frac, pr.tensor_index + 1, pr.n_tensors, pr.tensor_name.c_str());
    if (!tty) std::fputc('\n', stderr);
  };
  engine::WriteRandomModel(o, out);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%smodel random: wrote %s (%s, %s, %s) in %.1f s\n", tty ? "\n" : "",
               out.c_str(), o.preset.name.c_str(), o.arch.c_str(), wtype.c_str(), secs);
  return 0;
}

}  // namespace

int CmdModel(const Argv& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(kUsage, argv.empty() ? stderr : stdout);
    return argv.empty() ? 2 : 0;
  }
  const Argv rest(argv.begin() + 1, argv.end());
  if (argv[0] == "inspect") return Inspect(rest);
  if (argv[0] == "random") return Random(rest);
  Fail("model: unknown subcommand '", argv[0], "'\n", kUsage);
}

}  // namespace gapbench::cli
