// Options shared by the engine subcommands (logits, generate, bench, perplexity, eval): model
// path, engine configuration and its per-flag overrides.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/args.h"
#include "engine/model.h"
#include "engine/session.h"

namespace gapbench::cli {

// The options SetupEngine reads (--model required), appended to a command's own.
std::vector<OptionSpec> WithEngineOptions(std::vector<OptionSpec> opts);

struct EngineSetup {
  std::unique_ptr<engine::Model> model;  // loaded with the EngineConfig (model->config())
  engine::SessionOptions session;        // per-command overrides (empty: the config's)
  int threads = 0;
};

// Reads --model, --config FILE|JSON, and the overrides --threads, --ctx, --kv-type; loads the
// model with the resulting EngineConfig and sets the thread count. default_kv is the KV cache
// type when neither --config nor --kv-type names one.
EngineSetup SetupEngine(const Args& args, kernels::GgmlType default_kv);

}  // namespace gapbench::cli
