// Shared set-up of the two-member strategy tests (routed_model_test.cpp, guarded_model_test.cpp):
// a mixed suite of N items (multiple choice, generation, code), the two fixture models (the
// small/guard member first, the large one second), 1-shot prompts and 5-token generations; Run
// evaluates a strategy over the whole suite through the worker's own runner and model factory.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "common/strategy.h"
#include "engine/model.h"
#include "suites/loaders.h"
#include "tests/worker/worker_fixture.h"
#include "worker/model_factory.h"
#include "worker/runner.h"

namespace gapbench::worker {

class MemberRunTest : public ::testing::Test {
 protected:
  // Loads the suite with `n_items` items and the models: first_ (llama-rope3-f32), large_.
  void SetUpMembers(int n_items) {
    const auto file = testing::WriteMixedSuite(dir_ / "mixed.jsonl", n_items);
    suites::LoadOptions lo;
    lo.format = "gapbench";
    suite_ = suites::LoadSuite(file.string(), lo);
    first_ = engine::Model::Load(testing::WorkerFixtureModel("llama-rope3-f32.gguf").string());
    large_ = engine::Model::Load(testing::WorkerFixtureModel().string());
    options_.shots.k = 1;
    options_.shots.seed = 3;
    options_.gen_defaults.max_tokens = 5;
  }

  using Records = std::map<int64_t, suites::ItemRecord>;
  Records Run(const StrategyConfig& strategy, std::vector<const engine::Model*> models) {
    std::vector<MemberModel> members;
    for (const auto* m : models) members.push_back({m, {}});
    const auto lm = MakeLanguageModel(strategy, members);
    Records out;
    RunItems(suite_, 0, static_cast<int64_t>(suite_.items.size()), options_, *lm, sandbox_, {},
             nullptr, [&](ItemResult& r) { out[r.item_index] = r.samples.at(0).record; });
    return out;
  }

  testing::TempDir dir_;
  suites::Suite suite_;
  std::unique_ptr<engine::Model> first_, large_;
  RunOptions options_;
  LazySandbox sandbox_;
};

}  // namespace gapbench::worker
