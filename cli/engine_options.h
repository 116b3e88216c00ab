// Options shared by the engine subcommands (logits, generate, bench): model path, threads,
// context size and KV-cache type.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "cli/args.h"
#include "engine/model.h"
#include "engine/session.h"

namespace gapbench::cli {

// Option names (taking a value) that AddEngineOptions understands.
const std::set<std::string>& EngineValueOptions();
// Merges EngineValueOptions() into `opts` and returns it.
std::set<std::string> WithEngineOptions(std::set<std::string> opts);

struct EngineSetup {
  std::unique_ptr<engine::Model> model;
  engine::SessionOptions session;
  int threads = 0;
};

// Reads --model, --threads, --ctx, --kv-type; loads the model and sets the thread count.
// default_kv is the KV type when --kv-type is absent.
EngineSetup SetupEngine(const Args& args, kernels::GgmlType default_kv);

}  // namespace gapbench::cli
