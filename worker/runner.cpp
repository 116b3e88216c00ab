// The evaluation loop shared by `gapbench eval` and the worker (see runner.h).
#include "worker/runner.h"

#include <chrono>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "suites/scoring.h"

namespace gapbench::worker {

LazySandbox::LazySandbox(std::function<void(const std::string&)> warn) : warn_(std::move(warn)) {}

suites::Sandbox& LazySandbox::Get() {
  if (!sandbox_) {
    sandbox_ = std::make_unique<suites::Sandbox>();
    if (!sandbox_->isolation().warning.empty() && warn_) warn_(sandbox_->isolation().warning);
  }
  return *sandbox_;
}

suites::ChatTemplate ModelChatTemplate(const engine::Model& model) {
  const auto text = model.file().GetString("tokenizer.chat_template");
  if (!text || text->empty()) {
    Fail(model.path(), ": the model has no tokenizer.chat_template, so prompts cannot be put in ",
         "its chat format (chat: true / --chat need an instruction-tuned model's GGUF)");
  }
  const engine::Tokenizer& tok = model.tokenizer();
  return suites::ChatTemplate::Recognise(*text, model.path(),
                                         tok.bos() >= 0 ? tok.TokenText(tok.bos()) : "",
                                         tok.eos() >= 0 ? tok.TokenText(tok.eos()) : "");
}

int64_t SamplesFor(suites::ItemKind kind, int64_t samples) {
  return kind == suites::ItemKind::kMultipleChoice ? 1 : samples;
}

RunSummary RunItems(const suites::Suite& suite, int64_t begin, int64_t end,
                    const RunOptions& options, LanguageModel& lm, LazySandbox& sandbox,
                    const SkipSet& skip, const std::atomic<bool>* cancel,
                    const ItemCallback& on_item) {
  using Clock = std::chrono::steady_clock;
  const auto n_items = static_cast<int64_t>(suite.items.size());
  if (begin < 0 || end < begin || end > n_items) {
    Fail("suite ", suite.manifest.name, ": item range [", begin, ", ", end, ") is outside its ",
         n_items, " items");
  }
  if (options.samples < 1) Fail("samples must be at least 1, got ", options.samples);
  RunSummary summary;
  for (int64_t i = begin; i < end; ++i) {
    if (cancel && cancel->load()) {
      summary.cancelled = true;
      break;
    }
    const auto index = static_cast<size_t>(i);
    const suites::Item& item = suite.items[index];
    std::vector<int64_t> todo;
    for (int64_t s = 0; s < SamplesFor(item.kind, options.samples); ++s) {
      if (!skip.count({i, s})) todo.push_back(s);
    }
    if (todo.empty()) {
      ++summary.items_skipped;
      continue;
    }
    const auto t0 = Clock::now();
    ItemResult result;
    result.item_index = i;
    if (item.kind == suites::ItemKind::kMultipleChoice) {
      const suites::ItemRequests req =
          suites::BuildRequests(suite, index, options.shots, options.gen_defaults, options.chat);
      const auto ll = lm.Loglikelihood(req.loglik);
      result.samples.push_back({i, 0, suites::ScoreItem(suite, index, req, ll, {})});
    } else {
      for (int64_t s : todo) {
        // Each sample seeds its own sampler, so a sample's completion does not depend on which
        // other samples ran (skips, resumes).
        GenRequest g = options.gen_defaults;
        g.seed = options.gen_defaults.seed + static_cast<uint64_t>(s);
        const suites::ItemRequests req =
            suites::BuildRequests(suite, index, options.shots, g, options.chat);
        const auto gens = lm.Generate(req.gen);
        result.samples.push_back({i, s, suites::ScoreItem(suite, index, req, {}, gens)});
      }
    }
    if (item.kind == suites::ItemKind::kCode) {
      std::vector<suites::SandboxJob> jobs;
      for (const auto& sr : result.samples) {
        // A code job: the verdict comes from the judge process, out of the completion's reach.
        suites::SandboxLimits limits;
        limits.wall_seconds = options.sandbox_timeout_s;
        jobs.push_back(suites::CodeJob(item.prompt, sr.record.generation, item.test,
                                       item.entry_point, limits));
      }
      const auto runs = sandbox.Get().RunAll(jobs, options.sandbox_parallel);
      for (size_t s = 0; s < result.samples.size(); ++s) {
        auto& rec = result.samples[s].record;
        rec.correct = runs[s].status == suites::RunStatus::kPassed;
        rec.prediction = suites::RunStatusName(runs[s].status);
      }
    }
    result.latency_s = std::chrono::duration<double>(Clock::now() - t0).count();
    for (auto& sr : result.samples) {
      sr.record.latency_s = result.latency_s / static_cast<double>(result.samples.size());
    }
    ++summary.items_run;
    on_item(result);
  }
  return summary;
}

}  // namespace gapbench::worker
