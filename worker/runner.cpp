// The evaluation loop shared by `gapbench eval` and the worker (see runner.h).
#include "worker/runner.h"

#include <chrono>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "suites/scoring.h"
#include "worker/guarded_model.h"
#include "worker/routed_model.h"

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

namespace {

suites::RouteMember Member(const suites::ItemRecord& r, double seconds) {
  suites::RouteMember m;
  m.prediction = r.prediction;
  m.correct = r.correct;
  m.score = r.score;
  m.tokens_in = r.tokens_in;
  m.tokens_out = r.tokens_out;
  m.seconds = seconds;
  return m;
}

// The route part of a routed item's record: both members' scored answers (code answers are
// judged later, with the record's own) and the small model's signal.
suites::RouteRecord RouteOf(const RouteTrace& t, const suites::ItemRecord& small,
                            const suites::ItemRecord& large) {
  suites::RouteRecord r;
  r.signal = RouteSignalName(t.signal_kind);
  r.value = t.signal;
  r.threshold = t.threshold;
  r.escalated = t.escalated;
  r.small = Member(small, t.small_seconds);
  r.large = Member(large, t.large_seconds);
  return r;
}

// The guard part of a guarded item's record; a refused item's answer is the refusal, scored as
// wrong whatever the suite (docs/STRATEGIES.md "Guarded model": the guard metrics judge the
// decision, the task's score the system's answer).
void ApplyGuard(const GuardTrace& t, size_t request, suites::ItemRecord& r) {
  GB_CHECK(request < t.decisions.size(), "guarded call without a decision");
  const GuardDecision& d = t.decisions[request];
  r.guard = suites::GuardRecord{d.p_refuse, t.threshold, d.refused, d.tokens, d.seconds};
  if (!d.refused) return;
  r.prediction = "refused";
  r.correct = false;
  // Every score says wrong: also GSM8K's strict-match, which read the refusal text.
  if (r.correct_strict) r.correct_strict = false;
  if (r.kind == suites::ItemKind::kMultipleChoice) {
    r.pred = r.pred_norm = -1;
    r.correct_norm = false;
    if (r.score) r.score = 0.0;
    r.choice_logprobs.clear();
    r.choice_tokens.clear();
    r.tokens_in = 0;
    r.truncated_tokens = 0;
  }
}

}  // namespace

suites::ChatTemplate SystemChatTemplate(const std::vector<const engine::Model*>& members) {
  GB_CHECK(!members.empty(), "SystemChatTemplate: no members");
  const engine::Model& last = *members.back();
  const auto text = [](const engine::Model& m) {
    return std::string(m.file().GetString("tokenizer.chat_template").value_or(""));
  };
  const auto special = [](const engine::Model& m, int32_t id) {
    return id >= 0 ? m.tokenizer().TokenText(id) : std::string();
  };
  for (const engine::Model* m : members) {
    if (m == &last) continue;
    ModelChatTemplate(*m);  // its own problems first (no template, an unknown one)
    if (text(*m) != text(last) ||
        special(*m, m->tokenizer().bos()) != special(last, last.tokenizer().bos()) ||
        special(*m, m->tokenizer().eos()) != special(last, last.tokenizer().eos())) {
      Fail(m->path(), ": its chat template (or BOS / EOS) differs from ", last.path(),
           "'s; a routed system's prompt is rendered once, with ", last.path(),
           "'s template, so chat needs members with one and the same template");
    }
  }
  return ModelChatTemplate(last);
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
  // A routed system: each record also carries both members' answers and the signal.
  const auto* routed = dynamic_cast<const RoutedModel*>(&lm);
  // A guarded system: each record also carries the guard's decision and signal.
  const auto* guarded = dynamic_cast<const GuardedModel*>(&lm);
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
    std::vector<std::pair<std::string, std::string>> member_generations;  // routed code items
    ItemResult result;
    result.item_index = i;
    if (item.kind == suites::ItemKind::kMultipleChoice) {
      const suites::ItemRequests req =
          suites::BuildRequests(suite, index, options.shots, options.gen_defaults, options.chat);
      auto ll = lm.Loglikelihood(req.loglik);
      // A refused question has no answer (no tokens scored): ApplyGuard below empties its
      // choices and scores it wrong; the placeholder count only passes ScoreItem's check.
      const bool refused = guarded && !guarded->last().decisions.empty() &&
                           guarded->last().decisions.front().refused;
      if (refused) {
        for (auto& l : ll) l.n_tokens = 1;
      }
      result.samples.push_back({i, 0, suites::ScoreItem(suite, index, req, ll, {})});
      if (routed) {
        const RouteTrace& t = routed->last();
        result.samples.back().record.route =
            RouteOf(t, suites::ScoreItem(suite, index, req, t.small_ll, {}),
                    suites::ScoreItem(suite, index, req, t.large_ll, {}));
      }
      if (guarded) ApplyGuard(guarded->last(), 0, result.samples.back().record);
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
        if (routed) {
          const RouteTrace& t = routed->last();
          auto small = suites::ScoreItem(suite, index, req, {}, t.small_gen);
          auto large = suites::ScoreItem(suite, index, req, {}, t.large_gen);
          result.samples.back().record.route = RouteOf(t, small, large);
          member_generations.push_back({small.generation, large.generation});
        }
        if (guarded) ApplyGuard(guarded->last(), 0, result.samples.back().record);
      }
    }
    if (item.kind == suites::ItemKind::kCode) {
      // A code job: the verdict comes from the judge process, out of the completion's reach.
      // A routed item judges its record's completion and both members' (jobs in that order).
      suites::SandboxLimits limits;
      limits.wall_seconds = options.sandbox_timeout_s;
      std::vector<suites::SandboxJob> jobs;
      auto job = [&](const std::string& completion) {
        jobs.push_back(
            suites::CodeJob(item.prompt, completion, item.test, item.entry_point, limits));
      };
      for (const auto& sr : result.samples) job(sr.record.generation);
      for (const auto& [small, large] : member_generations) {
        job(small);
        job(large);
      }
      const auto runs = sandbox.Get().RunAll(jobs, options.sandbox_parallel);
      const size_t n = result.samples.size();
      for (size_t s = 0; s < n; ++s) {
        auto& rec = result.samples[s].record;
        rec.correct = runs[s].status == suites::RunStatus::kPassed;
        rec.prediction = suites::RunStatusName(runs[s].status);
        if (rec.guard && rec.guard->refused) {  // the refusal is no program: wrong, as refused
          rec.correct = false;
          rec.prediction = "refused";
        }
        if (rec.route && n + 2 * s + 1 < runs.size()) {
          for (auto [m, run] : {std::pair{&rec.route->small, &runs[n + 2 * s]},
                                std::pair{&rec.route->large, &runs[n + 2 * s + 1]}}) {
            m->correct = run->status == suites::RunStatus::kPassed;
            m->prediction = suites::RunStatusName(run->status);
          }
        }
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
