#include "cli/engine_options.h"

#include "common/error.h"
#include "kernels/parallel.h"

namespace gapbench::cli {

std::vector<OptionSpec> WithEngineOptions(std::vector<OptionSpec> opts) {
  const std::vector<OptionSpec> engine = {
      {"model", "FILE", "the GGUF model", true},
      {"config", "FILE|JSON", "engine settings (docs/SETTINGS.md)"},
      {"threads", "N", "engine threads (0 = all cores)"},
      {"ctx", "N", "context positions (default: the model's training context)"},
      {"kv-type", "f32|f16|q8_0", "KV cache type"},
  };
  opts.insert(opts.begin(), engine.begin(), engine.end());
  return opts;
}

EngineSetup SetupEngine(const Args& args, kernels::GgmlType default_kv) {
  EngineSetup s;
  // --config (a file or inline JSON) first; the single-purpose flags override its fields.
  engine::EngineConfig cfg;
  const auto config_arg = args.Get("config");
  if (config_arg) cfg = engine::EngineConfig::FromArg(*config_arg);
  bool kv_given = cfg.kv_cache_set;
  if (args.Get("threads")) cfg.threads = static_cast<int>(args.GetInt("threads", 0, 0, 4096));
  if (auto kv = args.Get("kv-type")) {
    auto t = kernels::ParseTypeName(*kv);
    if (!t || (*t != kernels::GgmlType::kF32 && *t != kernels::GgmlType::kF16 &&
               *t != kernels::GgmlType::kQ8_0)) {
      Fail("--kv-type must be f32, f16 or q8_0, got '", *kv, "'");
    }
    cfg.kv_cache = *t;
    kv_given = true;
  }
  if (!kv_given) cfg.kv_cache = default_kv;
  if (args.Get("ctx")) cfg.context = args.GetInt("ctx", 0, 0, engine::kMaxContext);
  s.threads = cfg.threads;
  kernels::SetNumThreads(s.threads);
  const std::string model_path = args.Require("model");
  CheckInputFile(model_path, "--model");
  s.model = engine::Model::Load(model_path, cfg);
  return s;
}

}  // namespace gapbench::cli
