#include "cli/engine_options.h"

#include "common/error.h"
#include "kernels/parallel.h"

namespace gapbench::cli {

const std::set<std::string>& EngineValueOptions() {
  static const std::set<std::string> kOpts = {"model", "threads", "ctx", "kv-type"};
  return kOpts;
}

std::set<std::string> WithEngineOptions(std::set<std::string> opts) {
  opts.insert(EngineValueOptions().begin(), EngineValueOptions().end());
  return opts;
}

EngineSetup SetupEngine(const Args& args, kernels::GgmlType default_kv) {
  EngineSetup s;
  s.threads = static_cast<int>(args.GetInt("threads", 0));
  if (s.threads < 0) Fail("--threads must be >= 0 (0 = all cores)");
  kernels::SetNumThreads(s.threads);
  s.session.kv_type = default_kv;
  if (auto kv = args.Get("kv-type")) {
    auto t = kernels::ParseTypeName(*kv);
    if (!t || (*t != kernels::GgmlType::kF32 && *t != kernels::GgmlType::kF16)) {
      Fail("--kv-type must be f32 or f16, got '", *kv, "'");
    }
    s.session.kv_type = *t;
  }
  s.session.n_ctx = args.GetInt("ctx", 0);
  if (s.session.n_ctx < 0) Fail("--ctx must be >= 0");
  s.model = engine::Model::Load(args.Require("model"));
  return s;
}

}  // namespace gapbench::cli
