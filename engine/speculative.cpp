#include "engine/speculative.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "common/error.h"
#include "engine/sampler.h"
#include "engine/vocab.h"

namespace gapbench::engine {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Session::Eval, adding its wall-clock time to `seconds`.
void TimedEval(Session& s, std::span<const int32_t> tokens, LogitsMode mode, double& seconds) {
  const auto t0 = Clock::now();
  s.Eval(tokens, mode);
  seconds += Since(t0);
}

// A uniform double in [0, 1) from 53 random bits: the same on every platform, as in Sampler.
double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Draws an id from `weights` (non-negative, not all zero; need not sum to 1).
int32_t Draw(const std::vector<double>& weights, std::mt19937_64& rng) {
  double total = 0.0;
  for (double w : weights) total += w;
  const double u = Uniform(rng) * total;
  double cum = 0.0;
  int32_t last = -1;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0) continue;
    cum += weights[i];
    last = static_cast<int32_t>(i);
    if (u < cum) return last;
  }
  GB_CHECK(last >= 0, "speculative: drawing from an empty distribution");
  return last;  // rounding left u at the very top: the last id that has any weight
}

int32_t ArgmaxOf(const std::vector<double>& dist) {
  return static_cast<int32_t>(std::max_element(dist.begin(), dist.end()) - dist.begin());
}

std::string Quoted(const std::vector<std::string>& text, int32_t id) {
  return id < static_cast<int32_t>(text.size()) ? "'" + text[static_cast<size_t>(id)] + "'"
                                                : "absent";
}

}  // namespace

void CheckSameVocabulary(const Model& target, const Model& draft) {
  // Both models are loaded already (their own settings decided about the pre-tokenizer): here
  // only the vocabularies are compared.
  const auto tv = LoadVocab(target.file(), /*allow_unknown_pre=*/true);
  const auto dv = LoadVocab(draft.file(), /*allow_unknown_pre=*/true);
  const int32_t n = std::min(tv->n_vocab(), dv->n_vocab());
  int32_t first = -1;
  for (int32_t id = 0; id < n && first < 0; ++id) {
    const auto i = static_cast<size_t>(id);
    if (tv->text[i] != dv->text[i] || tv->attr[i] != dv->attr[i]) first = id;
  }
  if (first < 0 && tv->n_vocab() != dv->n_vocab()) first = n;
  if (first < 0) return;
  const auto i = static_cast<size_t>(first);
  std::string what = StrCat("token ", first, " is ", Quoted(tv->text, first), " in the target and ",
                            Quoted(dv->text, first), " in the draft");
  if (first < n && tv->text[i] == dv->text[i]) {
    what += StrCat(" (token type bits ", static_cast<int>(tv->attr[i]), " vs ",
                   static_cast<int>(dv->attr[i]), ")");
  }
  Fail("the draft model ", draft.path(), " (", dv->n_vocab(),
       " tokens) does not share the vocabulary of the target model ", target.path(), " (",
       tv->n_vocab(), " tokens): ", what,
       "; speculative decoding needs one tokenizer for both models");
}

// Invariants between rounds: the committed tokens are the prompt and the tokens generated so
// far (`history`); the target session has evaluated all of them but the last, the draft session
// all of them but those in `draft_pending` (one or two tokens, more only while the draft is out
// of room). A round: the draft evaluates its pending tokens and proposes d1..dk, evaluating each
// but the last; the target evaluates [last committed, d1..dk] in one call, whose k + 1 logits
// rows give its distribution at every draft position and one past them; the first j drafts are
// accepted, then one token more comes from the target (the correction on a rejection, else the
// bonus token); both sessions are truncated back to the accepted positions.
SpeculativeResult GenerateSpeculative(Session& target, Session& draft,
                                      std::span<const int32_t> prompt,
                                      const SpeculativeOptions& opts,
                                      const std::function<void(const std::string&)>& on_token) {
  const GenerateOptions& go = opts.generate;
  if (prompt.empty()) Fail("speculative generate: the prompt has no tokens");
  if (go.max_tokens < 0) Fail("speculative generate: max tokens must be >= 0");
  if (opts.draft_tokens < 1) Fail("draft tokens must be >= 1, got ", opts.draft_tokens);
  if (opts.max_draft_tokens < opts.draft_tokens) {
    Fail("the adaptive draft-token cap (", opts.max_draft_tokens, ") is below the start value (",
         opts.draft_tokens, ")");
  }
  ValidateSampling(go.sampling);
  GB_CHECK(target.n_past() == 0 && draft.n_past() == 0, "speculative: sessions must be empty");
  const Tokenizer& tok = target.model().tokenizer();
  // The full check (every token's text and type) is the caller's, once per model pair.
  if (draft.model().tokenizer().n_vocab() != tok.n_vocab()) {
    CheckSameVocabulary(target.model(), draft.model());
  }
  if (draft.n_ctx() < target.n_ctx()) {
    Fail("the draft session holds ", draft.n_ctx(), " positions, fewer than the target's ",
         target.n_ctx(), ": give both sessions the same context");
  }
  // Ids the tokenizer knows and both models score (embedding matrices may have padding rows).
  const auto n_vocab = static_cast<size_t>(std::min<int64_t>(
      {tok.n_vocab(), target.model().hparams().n_vocab, draft.model().hparams().n_vocab}));
  const bool greedy = go.sampling.temperature == 0.0f;
  std::mt19937_64 rng(go.sampling.seed);

  SpeculativeResult res;
  GenerateResult& r = res.generate;
  SpeculativeStats& st = res.stats;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  GenerationOutput out(tok, go, r, on_token);
  st.final_draft_tokens = opts.draft_tokens;
  if (go.max_tokens == 0) return res;

  // Prefill as plain decoding does: the whole prompt in one Eval, the first token from its last
  // row (a prompt chunk may take the row-blocked attention kernel; taking the first token from a
  // verification call instead would round differently from the target alone). The draft keeps the
  // last prompt token pending for its first call.
  const auto t_prefill = Clock::now();
  TimedEval(target, prompt, LogitsMode::kLast, st.target_seconds);
  ++st.target_calls;
  if (prompt.size() > 1) {
    TimedEval(draft, prompt.first(prompt.size() - 1), LogitsMode::kNone, st.draft_seconds);
  }
  r.prefill_seconds = Since(t_prefill);
  const auto t_decode = Clock::now();

  std::vector<int32_t> history(prompt.begin(), prompt.end());
  std::vector<int32_t> draft_pending = {prompt.back()};
  int32_t k_want = opts.draft_tokens;
  // The distribution the sampler would draw from at a position whose preceding tokens are
  // `context`, for a logits row of either model.
  auto dist = [&](std::span<const float> logits, const std::vector<int32_t>& context) {
    return SamplingDistribution(go.sampling, logits.first(n_vocab), context);
  };
  {
    const std::vector<double> p0 = dist(target.LastLogits(), history);
    const int32_t first = greedy ? ArgmaxOf(p0) : Draw(p0, rng);
    ++st.produced;
    if (!out.Add(first)) {
      r.decode_seconds = Since(t_decode);
      return res;
    }
    history.push_back(first);
    if (static_cast<int64_t>(history.size()) - 1 >= target.n_ctx()) {
      r.finish_reason = "context";
      r.decode_seconds = Since(t_decode);
      return res;
    }
    draft_pending.push_back(first);
  }
  // Verification calls then compute each row as a one-token decode step would.
  target.set_token_by_token_attention(true);
  struct Restore {
    Session& s;
    ~Restore() { s.set_token_by_token_attention(false); }
  } restore{target};

  for (;;) {
    // k for this round: the wanted value, cut so that the round cannot produce more tokens than
    // max_tokens allows, both sessions have room, and a rollback to the first draft is possible
    // (a sliding-window ring may have overwritten what it needs).
    const auto m = static_cast<int64_t>(draft_pending.size());
    int64_t k = k_want;
    k = std::min(k, go.max_tokens - static_cast<int64_t>(r.tokens.size()) - 1);
    k = std::min(k, target.n_ctx() - target.n_past() - 1);
    k = std::min(k, draft.n_ctx() - draft.n_past() - m + 1);
    while (k > 0 && !(target.cache().CanTruncate(target.n_past() + 1 + k, target.n_past() + 1) &&
                      draft.cache().CanTruncate(draft.n_past() + m + k - 1, draft.n_past() + m))) {
      --k;
    }
    k = std::max<int64_t>(k, 0);

    // Draft: k proposals, each from the draft's own distribution q_i.
    std::vector<int32_t> drafts;
    std::vector<std::vector<double>> q;
    std::vector<int32_t> context = history;
    int64_t draft_base = draft.n_past();
    if (k > 0) {
      TimedEval(draft, draft_pending, LogitsMode::kLast, st.draft_seconds);
      ++st.draft_calls;
      draft_pending.clear();
      draft_base = draft.n_past();
      for (int64_t i = 0; i < k; ++i) {
        std::vector<double> qi = dist(draft.LastLogits(), context);
        const int32_t x = greedy ? ArgmaxOf(qi) : Draw(qi, rng);
        drafts.push_back(x);
        context.push_back(x);
        q.push_back(std::move(qi));
        if (i + 1 < k) {
          TimedEval(draft, std::span<const int32_t>(&x, 1), LogitsMode::kLast, st.draft_seconds);
          ++st.draft_calls;
        }
      }
    }

    // Verify: one target call on the last committed token and the k drafts.
    std::vector<int32_t> batch = {history.back()};
    batch.insert(batch.end(), drafts.begin(), drafts.end());
    const int64_t target_base = target.n_past();
    TimedEval(target, batch, LogitsMode::kAll, st.target_seconds);
    ++st.target_calls;

    context = history;
    std::vector<int32_t> yielded;
    int64_t j = 0;
    int32_t extra = -1;  // the target's own token after the accepted drafts
    for (; j < k; ++j) {
      const std::vector<double> p = dist(target.Logits(j), context);
      const int32_t x = drafts[static_cast<size_t>(j)];
      if (greedy) {
        const int32_t t = ArgmaxOf(p);
        if (t != x) {
          extra = t;
          break;
        }
      } else {
        // Accept x with probability min(1, p(x) / q(x)); else draw from norm(max(0, p - q)),
        // which makes the token's distribution exactly p (Leviathan et al. 2023, Theorem 1).
        const std::vector<double>& qj = q[static_cast<size_t>(j)];
        const auto xi = static_cast<size_t>(x);
        if (!(Uniform(rng) < p[xi] / qj[xi])) {
          std::vector<double> residual(p.size());
          double mass = 0.0;
          for (size_t i = 0; i < p.size(); ++i) {
            residual[i] = std::max(0.0, p[i] - qj[i]);
            mass += residual[i];
          }
          // No residual mass means p == q up to rounding, where rejection has probability 0.
          extra = Draw(mass > 0.0 ? residual : p, rng);
          break;
        }
      }
      yielded.push_back(x);
      context.push_back(x);
    }
    if (j == k) {  // every draft accepted: a bonus token from the row past the last one
      const std::vector<double> p = dist(target.Logits(k), context);
      extra = greedy ? ArgmaxOf(p) : Draw(p, rng);
    }
    yielded.push_back(extra);
    st.drafted += k;
    st.accepted += j;

    // Roll back to the invariant: the target keeps [last committed, d1..dj]; the draft keeps
    // d1..dj (it never evaluated dk, which becomes pending when accepted).
    if (j < k) {
      target.Truncate(target_base + 1 + j);
      draft.Truncate(draft_base + j);
    } else if (k > 0) {
      draft_pending.push_back(drafts.back());
    }
    draft_pending.push_back(extra);

    // Adaptive k: one more after a round that accepted all its drafts, one fewer (not below 1)
    // after a round that rejected within the first half of its drafts.
    if (opts.adaptive && k > 0) {
      if (j == k && k == k_want) {
        k_want = std::min(k_want + 1, opts.max_draft_tokens);
      } else if (2 * j < k) {
        k_want = std::max(k_want - 1, 1);
      }
    }

    // Output, with the target-alone stop rules (the context rule: plain decoding stops once the
    // target would need a position past its context, i.e. after token c when P + c - 1 >= n_ctx).
    for (int32_t y : yielded) {
      ++st.produced;
      if (!out.Add(y)) {
        st.final_draft_tokens = k_want;
        r.decode_seconds = Since(t_decode);
        return res;
      }
      history.push_back(y);
      if (static_cast<int64_t>(history.size()) - 1 >= target.n_ctx()) {
        r.finish_reason = "context";
        st.final_draft_tokens = k_want;
        r.decode_seconds = Since(t_decode);
        return res;
      }
    }
  }
}

}  // namespace gapbench::engine
