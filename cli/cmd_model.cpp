// `gapbench model inspect FILE [--json] [--tensors] [--config FILE|JSON]` and
// `gapbench model random --arch A --preset P --wtype T --out FILE [--seed N]`.
// Inspect parses only the GGUF header (no weights are read); random streams tensors to disk.
// --config is accepted and echoed back for now; the engine settings it will carry live elsewhere.
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
#include "engine/model_info.h"
#include "engine/random_model.h"
#include "kernels/types.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench model inspect FILE [--json] [--tensors] [--config FILE|JSON]\n"
    "       gapbench model random --preset smollm2-135m|qwen2.5-0.5b|llama3.2-1b|tiny\n"
    "                             [--arch llama|qwen2] [--wtype f32|f16|bf16|q8_0|q4_0]\n"
    "                             --out FILE [--seed N]\n";

// --config: inline JSON when it starts with '{', otherwise a JSON file.
rapidjson::Document LoadConfig(const std::string& value) {
  size_t first = value.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && value[first] == '{') return ParseJson(value, "--config");
  std::ifstream in(value, std::ios::binary);
  if (!in) Fail(value, ": cannot open --config file");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseJson(text.str(), value);
}

int Inspect(const Args& args) {
  if (args.positionals().size() != 2) Fail("model inspect: expected one FILE\n", kUsage);
  const std::string& path = args.positionals()[1];
  std::optional<rapidjson::Document> config;
  if (auto c = args.Get("config")) config = LoadConfig(*c);

  const auto file = engine::GgufFile::Open(path);
  const engine::ModelInfo info = engine::SummarizeModel(*file);
  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    engine::WriteModelInfoJsonMembers(info, w);
    w.Key("config");
    if (config) {
      config->Accept(w);
    } else {
      w.Null();
    }
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::fputs(engine::FormatModelInfo(info, args.Has("tensors")).c_str(), stdout);
    if (config) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      config->Accept(w);
      std::printf("config:          %s\n", buf.GetString());
    }
  }
  return 0;
}

int Random(const Args& args) {
  if (args.positionals().size() != 1) Fail("model random: unexpected argument\n", kUsage);
  engine::RandomModelOptions o;
  const std::string preset = args.Require("preset");
  auto p = engine::FindPreset(preset);
  if (!p) {
    std::string names;
    for (const auto& n : engine::PresetNames()) names += (names.empty() ? "" : ", ") + n;
    Fail("model random: unknown --preset '", preset, "' (one of ", names, ")");
  }
  o.preset = *p;
  o.arch = args.Get("arch").value_or(preset.rfind("qwen", 0) == 0 ? "qwen2" : "llama");
  const std::string wtype = args.Get("wtype").value_or("f32");
  auto t = kernels::ParseTypeName(wtype);
  if (!t || (*t != kernels::GgmlType::kF32 && *t != kernels::GgmlType::kF16 &&
             *t != kernels::GgmlType::kBF16 && *t != kernels::GgmlType::kQ8_0 &&
             *t != kernels::GgmlType::kQ4_0)) {
    Fail("model random: --wtype '", wtype, "' is not one of f32, f16, bf16, q8_0, q4_0");
  }
  o.wtype = *t;
  const int64_t seed = args.GetInt("seed", 0);
  if (seed < 0) Fail("model random: --seed must be non-negative, got ", seed);
  o.seed = static_cast<uint64_t>(seed);
  const std::string out = args.Require("out");

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
  const Args args("model", argv, {"config", "arch", "preset", "wtype", "out", "seed"},
                  {"json", "tensors"});
  if (args.help() || args.positionals().empty()) {
    std::fputs(kUsage, args.help() ? stdout : stderr);
    return args.help() ? 0 : 2;
  }
  const std::string& sub = args.positionals()[0];
  if (sub == "inspect") return Inspect(args);
  if (sub == "random") return Random(args);
  Fail("model: unknown subcommand '", sub, "'\n", kUsage);
}

}  // namespace gapbench::cli
