#include "cli/engine_options.h"

#include "common/error.h"
#include "kernels/parallel.h"

namespace gapbench::cli {

const std::set<std::string>& EngineValueOptions() {
  static const std::set<std::string> kOpts = {"model", "config", "threads", "ctx", "kv-type"};
  return kOpts;
}

std::set<std::string> WithEngineOptions(std::set<std::string> opts) {
  opts.insert(EngineValueOptions().begin(), EngineValueOptions().end());
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
  s.model = engine::Model::Load(args.Require("model"), cfg);
  return s;
}

}  // namespace gapbench::cli
