// Speculative decoding on the committed fixture models (one shared 320-token vocabulary):
// greedy output equals the target alone token for token (pairs of high, low, full and zero
// acceptance, sliding-window targets and drafts, stop sequences, a full context); sampled output
// follows the target's sampling distribution (chi-square over the joint of the first three
// tokens); the adaptive k follows its rule; mismatched vocabularies are refused naming the first
// difference; Session::Truncate rolls back to what a fresh session computes.
#include "engine/speculative.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "engine/random_model.h"
#include "engine/sampler.h"
#include "tests/engine/chi_square.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

std::string Fixture(const std::string& name) {
  return (testing::EngineFixtureDir() / (name + ".gguf")).string();
}

std::unique_ptr<Model> Load(const std::string& path) { return Model::Load(path); }

SessionOptions F32Kv(int64_t n_ctx = 0) {
  SessionOptions o;
  o.kv_type = kernels::GgmlType::kF32;
  o.n_ctx = n_ctx;
  return o;
}

// Copies a GGUF, letting `edit_meta` replace metadata values (return true when it set `out`)
// and `edit_tensor` change f32 tensor values in place.
void CopyGguf(
    const std::string& src_path, const std::string& dst_path,
    const std::function<bool(const std::string&, const GgufValue&, GgufWriteValue&)>& edit_meta,
    const std::function<void(const std::string&, std::vector<float>&)>& edit_tensor) {
  const auto src = GgufFile::Open(src_path);
  GgufWriter w;
  for (const auto& kv : src->metadata()) {
    const std::string key(kv.key);
    GgufWriteValue v = GgufWriteValue::FromValue(kv.value);
    if (edit_meta) edit_meta(key, kv.value, v);
    w.Set(key, v);
  }
  for (const auto& t : src->tensors()) {
    std::vector<uint8_t> bytes(t.data, t.data + t.n_bytes);
    if (edit_tensor && t.type == kernels::GgmlType::kF32) {
      std::vector<float> values(static_cast<size_t>(t.n_elements));
      std::memcpy(values.data(), bytes.data(), bytes.size());
      edit_tensor(t.name, values);
      std::memcpy(bytes.data(), values.data(), bytes.size());
    }
    w.AddTensor(GgufTensorSpec{t.name, t.ne, t.type}, std::move(bytes));
  }
  w.WriteFile(dst_path);
}

// llama-untied-f32 with its final norm zeroed: every logit is 0, so its greedy proposal is
// always token 0 (ties go to the lowest id), which no target here generates.
std::string WriteFlatDraft(const testing::TempDir& dir) {
  const std::string path = (dir / "flat.gguf").string();
  CopyGguf(Fixture("llama-untied-f32"), path, {},
           [](const std::string& name, std::vector<float>& v) {
             if (name == "output_norm.weight") std::fill(v.begin(), v.end(), 0.0f);
           });
  return path;
}

struct Pair {
  std::unique_ptr<Model> target, draft;
};

GenerateResult TargetAlone(const Model& target, const std::vector<int32_t>& prompt,
                           const GenerateOptions& go, int64_t n_ctx = 0) {
  Session s(target, F32Kv(n_ctx));
  return Generate(s, prompt, go);
}

SpeculativeResult Speculate(const Model& target, const Model& draft,
                            const std::vector<int32_t>& prompt, const SpeculativeOptions& so,
                            int64_t n_ctx = 0) {
  Session t(target, F32Kv(n_ctx));
  Session d(draft, F32Kv(n_ctx));
  return GenerateSpeculative(t, d, prompt, so);
}

void ExpectSameOutput(const GenerateResult& base, const GenerateResult& spec,
                      const std::string& what) {
  EXPECT_EQ(spec.tokens, base.tokens) << what;
  EXPECT_EQ(spec.text, base.text) << what;
  EXPECT_EQ(spec.finish_reason, base.finish_reason) << what;
  EXPECT_EQ(spec.prompt_tokens, base.prompt_tokens) << what;
}

const std::vector<std::vector<int32_t>> kPrompts = {
    {0},
    {0, 75, 17, 200, 3},
    {0, 44, 91, 260, 12, 8, 150, 301, 77, 19, 5, 230},
};

SpeculativeOptions Options(int32_t k, bool adaptive, int64_t max_tokens = 40) {
  SpeculativeOptions so;
  so.generate.max_tokens = max_tokens;
  so.draft_tokens = k;
  so.adaptive = adaptive;
  so.max_draft_tokens = 8;
  return so;
}

TEST(Speculative, GreedyEqualsTargetAloneOnSeveralPairs) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"llama-untied-f32", "llama-untied-q8_0"},  // a quantised draft of the target: high alpha
      {"qwen2-untied-f32", "qwen2-untied-q4_0"},
      {"llama-untied-f32", "qwen2-tied-f32"},  // unrelated weights: low alpha
      {"gemma2-f32", "llama-tied-f32"},        // target with a 4-token sliding window
      {"qwen3-tied-f32", "gemma3-q8_0"},       // draft with a 4-token sliding window
  };
  for (const auto& [tname, dname] : pairs) {
    const auto target = Load(Fixture(tname));
    const auto draft = Load(Fixture(dname));
    CheckSameVocabulary(*target, *draft);
    for (const auto& prompt : kPrompts) {
      const GenerateResult base = TargetAlone(*target, prompt, Options(1, false).generate);
      for (const auto& [k, adaptive] :
           std::vector<std::pair<int32_t, bool>>{{1, false}, {4, false}, {2, true}}) {
        const std::string what = tname + " <- " + dname + ", prompt of " +
                                 std::to_string(prompt.size()) + ", k " + std::to_string(k) +
                                 (adaptive ? " auto" : "");
        const SpeculativeResult r = Speculate(*target, *draft, prompt, Options(k, adaptive));
        ExpectSameOutput(base, r.generate, what);
        const SpeculativeStats& st = r.stats;
        EXPECT_GT(st.drafted, 0) << what;
        // Every verification call yields its accepted drafts plus one token of the target's.
        if (base.finish_reason == "length") {
          EXPECT_EQ(st.produced, st.accepted + st.target_calls) << what;
          EXPECT_EQ(st.produced, 40) << what;
        }
        if (k == 4 && prompt.size() == 5) {
          std::printf(
              "%s: alpha %.3f, %.2f tokens per target call, %lld target / %lld draft calls\n",
              what.c_str(), st.acceptance_rate(), st.tokens_per_target_call(),
              static_cast<long long>(st.target_calls), static_cast<long long>(st.draft_calls));
        }
      }
    }
  }
}

// Greedy draft-and-verify recomputed from scratch every round (fresh sessions, no KV reuse, no
// rollback): what the decoder's drafts, acceptances and calls must be.
struct ReferenceRun {
  std::vector<int32_t> tokens;
  int64_t drafted = 0, accepted = 0, target_calls = 0;
};
ReferenceRun ReferenceGreedy(const Model& target, const Model& draft,
                             const std::vector<int32_t>& prompt, int64_t k, int64_t max_tokens) {
  const auto nv = static_cast<size_t>(target.tokenizer().n_vocab());
  ReferenceRun ref;
  std::vector<int32_t> seq = prompt;
  if (max_tokens > 0) {  // the first token from the prompt's own call, as the target alone does
    Session t(target, F32Kv());
    t.Eval(seq, LogitsMode::kLast);
    seq.push_back(Argmax(t.LastLogits().first(nv)));
    ref.tokens.push_back(seq.back());
    ++ref.target_calls;
  }
  while (static_cast<int64_t>(ref.tokens.size()) < max_tokens) {
    const int64_t kk = std::min(k, max_tokens - static_cast<int64_t>(ref.tokens.size()) - 1);
    std::vector<int32_t> ext = seq;
    for (int64_t i = 0; i < kk; ++i) {
      Session d(draft, F32Kv());
      d.Eval(ext, LogitsMode::kLast);
      ext.push_back(Argmax(d.LastLogits().first(nv)));
    }
    Session t(target, F32Kv());
    t.Eval(ext, LogitsMode::kAll);
    const auto at = [&](int64_t i) {
      return Argmax(t.Logits(static_cast<int64_t>(seq.size()) - 1 + i).first(nv));
    };
    int64_t j = 0;
    while (j < kk && at(j) == ext[seq.size() + static_cast<size_t>(j)]) ++j;
    const int32_t extra = at(j);
    ext.resize(seq.size() + static_cast<size_t>(j));
    ext.push_back(extra);
    ref.tokens.insert(ref.tokens.end(), ext.begin() + static_cast<long>(seq.size()), ext.end());
    seq = ext;
    ref.drafted += kk;
    ref.accepted += j;
    ++ref.target_calls;
  }
  return ref;
}

TEST(Speculative, GreedyDraftsAndAcceptancesMatchAReferenceWithoutRollback) {
  // Pairs with both acceptances and rejections: a wrong rollback of either session shows here
  // as other drafts or acceptances even where the output (always the target's) is unaffected.
  for (const auto& [tname, dname] : std::vector<std::pair<std::string, std::string>>{
           {"llama-untied-f32", "llama-untied-q4_0"}, {"qwen2-untied-f32", "qwen2-untied-q4_0"}}) {
    const auto target = Load(Fixture(tname));
    const auto draft = Load(Fixture(dname));
    for (int32_t k : {2, 4}) {
      const std::string what = tname + " <- " + dname + ", k " + std::to_string(k);
      SpeculativeOptions so = Options(k, false, 30);
      so.generate.stop_at_eog = false;
      const SpeculativeResult r = Speculate(*target, *draft, kPrompts[1], so);
      const ReferenceRun ref = ReferenceGreedy(*target, *draft, kPrompts[1], k, 30);
      EXPECT_EQ(r.generate.tokens, ref.tokens) << what;
      EXPECT_EQ(r.stats.drafted, ref.drafted) << what;
      EXPECT_EQ(r.stats.accepted, ref.accepted) << what;
      EXPECT_EQ(r.stats.target_calls, ref.target_calls) << what;
      EXPECT_GT(ref.accepted, 0) << what;
      EXPECT_LT(ref.accepted, ref.drafted) << what;
    }
  }
}

// Verification evaluates k + 1 tokens in one call; the target alone evaluates them one at a time.
// A chunk of >= 4 tokens with >= 16 query rows per KV head would take the row-blocked attention
// kernel, whose f32 rounding differs, so a near-tie could decode differently (review finding).
// With token-by-token attention, every row equals the one-token decode step bit for bit.
TEST(Speculative, VerificationRowsEqualOneTokenDecodeBitForBit) {
  for (const std::string name : {"llama-untied-f32", "qwen2-untied-q8_0", "llama-mha-f32"}) {
    const auto model = Load(Fixture(name));
    const auto nv = static_cast<size_t>(model->hparams().n_vocab);
    const std::vector<int32_t> prefix = {5, 17, 42, 99, 7, 3, 250, 64};
    std::vector<int32_t> batch;  // 20 tokens: 20 x (heads per KV head) >= 16 query rows
    for (int32_t i = 0; i < 20; ++i) batch.push_back((i * 37 + 11) % 300);
    Session one(*model, F32Kv());
    one.Eval(prefix, LogitsMode::kNone);
    std::vector<std::vector<float>> rows;
    for (int32_t t : batch) {
      one.Eval(std::span<const int32_t>(&t, 1), LogitsMode::kLast);
      rows.emplace_back(one.LastLogits().begin(), one.LastLogits().begin() + nv);
    }
    for (const bool token_by_token : {false, true}) {
      Session many(*model, F32Kv());
      many.Eval(prefix, LogitsMode::kNone);
      many.set_token_by_token_attention(token_by_token);
      many.Eval(batch, LogitsMode::kAll);
      size_t differing = 0;
      for (size_t r = 0; r < rows.size(); ++r) {
        const auto got = many.Logits(static_cast<int64_t>(r));
        differing += std::memcmp(got.data(), rows[r].data(), nv * sizeof(float)) != 0;
      }
      std::printf("%s, %s attention: %zu of %zu rows differ from one-token decoding\n",
                  name.c_str(), token_by_token ? "token-by-token" : "batched", differing,
                  rows.size());
      if (token_by_token) {
        EXPECT_EQ(differing, 0u) << name;
      }
    }
  }
}

TEST(Speculative, GreedyQuantisedDraftIsMostlyAccepted) {
  // Not a tolerance on the output (that is exact above): evidence that verification accepts
  // drafts at all, so the identity above is not the trivial all-rejected case.
  const auto target = Load(Fixture("llama-untied-f32"));
  const auto draft = Load(Fixture("llama-untied-q8_0"));
  const SpeculativeResult r = Speculate(*target, *draft, kPrompts[1], Options(4, false));
  EXPECT_GT(r.stats.acceptance_rate(), 0.5);
  EXPECT_GT(r.stats.tokens_per_target_call(), 2.0);
}

TEST(Speculative, GreedyStopsWhereTheTargetStops) {
  const auto target = Load(Fixture("llama-untied-f32"));
  const auto draft = Load(Fixture("llama-untied-q4_0"));
  const auto& prompt = kPrompts[1];
  // A stop sequence: a piece of text the target produces after ten tokens.
  const GenerateResult full = TargetAlone(*target, prompt, Options(1, false).generate);
  ASSERT_GE(full.tokens.size(), 12u);
  const std::string prefix = target->tokenizer().Decode(
      std::vector<int32_t>(full.tokens.begin(), full.tokens.begin() + 10));
  SpeculativeOptions so = Options(4, false);
  so.generate.stop = {full.text.substr(prefix.size(), 2)};
  ASSERT_FALSE(so.generate.stop[0].empty());
  const GenerateResult stopped = TargetAlone(*target, prompt, so.generate);
  ASSERT_EQ(stopped.finish_reason, "stop");
  ExpectSameOutput(stopped, Speculate(*target, *draft, prompt, so).generate, "stop sequence");

  // A context of prompt + 9 positions: both stop at its end.
  const int64_t n_ctx = static_cast<int64_t>(prompt.size()) + 9;
  const GenerateResult base = TargetAlone(*target, prompt, Options(4, false).generate, n_ctx);
  ASSERT_EQ(base.finish_reason, "context");
  for (int32_t k : {1, 3, 8}) {
    ExpectSameOutput(base, Speculate(*target, *draft, prompt, Options(k, false), n_ctx).generate,
                     "context, k " + std::to_string(k));
  }

  // max_tokens 0 and 1.
  for (int64_t n : {0, 1}) {
    SpeculativeOptions one = Options(4, false, n);
    ExpectSameOutput(TargetAlone(*target, prompt, one.generate),
                     Speculate(*target, *draft, prompt, one).generate,
                     "max tokens " + std::to_string(n));
  }
}

TEST(Speculative, DraftEqualToTargetAcceptsEveryDraft) {
  const auto target = Load(Fixture("llama-untied-f32"));
  const auto draft = Load(Fixture("llama-untied-f32"));
  for (const auto& prompt : kPrompts) {
    const GenerateResult base = TargetAlone(*target, prompt, Options(1, false).generate);
    ASSERT_EQ(base.finish_reason, "length");
    const SpeculativeResult r = Speculate(*target, *draft, prompt, Options(4, false));
    ExpectSameOutput(base, r.generate, "same model");
    EXPECT_EQ(r.stats.acceptance_rate(), 1.0);
    // 40 tokens: 1 from the prompt's call, 7 rounds of 5, a last round of 4.
    EXPECT_EQ(r.stats.target_calls, 9);
    EXPECT_EQ(r.stats.tokens_per_target_call(), 40.0 / 9.0);
    // Adaptive: grows by one per fully accepted round up to the cap.
    const SpeculativeResult a = Speculate(*target, *draft, prompt, Options(2, true));
    ExpectSameOutput(base, a.generate, "same model, auto");
    EXPECT_EQ(a.stats.acceptance_rate(), 1.0);
    EXPECT_EQ(a.stats.final_draft_tokens, 8);
  }
}

TEST(Speculative, DraftThatIsAlwaysWrongChangesNothing) {
  testing::TempDir dir;
  const auto target = Load(Fixture("qwen2-untied-f32"));
  const auto draft = Load(WriteFlatDraft(dir));
  CheckSameVocabulary(*target, *draft);
  for (const auto& prompt : kPrompts) {
    const GenerateResult base = TargetAlone(*target, prompt, Options(1, false).generate);
    ASSERT_EQ(std::count(base.tokens.begin(), base.tokens.end(), 0), 0)
        << "the target generates token 0, the flat draft's only proposal: pick another target";
    const SpeculativeResult r = Speculate(*target, *draft, prompt, Options(4, false));
    ExpectSameOutput(base, r.generate, "flat draft");
    EXPECT_GT(r.stats.drafted, 0);
    EXPECT_EQ(r.stats.accepted, 0);
    EXPECT_EQ(r.stats.acceptance_rate(), 0.0);
    EXPECT_EQ(r.stats.tokens_per_target_call(), 1.0);
    // Adaptive: shrinks to one draft token and stays there.
    const SpeculativeResult a = Speculate(*target, *draft, prompt, Options(6, true));
    ExpectSameOutput(base, a.generate, "flat draft, auto");
    EXPECT_EQ(a.stats.final_draft_tokens, 1);
    // The first token from the prompt's call (no drafts), then one token per round; k 6, 5, ..,
    // 1, 1, .., cut to leave room for the round's own token.
    int64_t expect_drafted = 0, k = 6, left = 39;
    for (int64_t round = 1; round < a.stats.produced;
         ++round, --left, k = std::max<int64_t>(k - 1, 1)) {
      expect_drafted += std::min(k, left - 1);
    }
    EXPECT_EQ(a.stats.drafted, expect_drafted);
    EXPECT_EQ(a.stats.target_calls, a.stats.produced);
  }
}

// The exact joint distribution of the first `depth` tokens the target's sampler draws after
// `prompt` (a tree walk over every token of non-zero probability).
void TargetJoint(const Model& target, const SamplingParams& sp, std::vector<int32_t> context,
                 int depth, double prob, std::vector<int32_t>& prefix,
                 std::map<std::vector<int32_t>, double>& out) {
  if (depth == 0) {
    out[prefix] = prob;
    return;
  }
  Session s(target, F32Kv());
  s.Eval(context, LogitsMode::kLast);
  const auto n = static_cast<size_t>(target.tokenizer().n_vocab());
  const std::vector<double> p = SamplingDistribution(sp, s.LastLogits().first(n), context);
  for (size_t id = 0; id < p.size(); ++id) {
    if (p[id] <= 0.0) continue;
    context.push_back(static_cast<int32_t>(id));
    prefix.push_back(static_cast<int32_t>(id));
    TargetJoint(target, sp, context, depth - 1, prob * p[id], prefix, out);
    prefix.pop_back();
    context.pop_back();
  }
}

// Sampled speculative decoding draws each token from the target's distribution: the joint of
// the first three tokens over 8000 seeds against the exact target joint, chi-square with a
// false-failure rate of 1e-6 per case (seeds are fixed: the outcome is deterministic).
TEST(Speculative, SampledFollowsTheTargetDistribution) {
  testing::TempDir dir;
  const std::string flat = WriteFlatDraft(dir);
  struct Case {
    std::string target, draft;
    SamplingParams sp;
    int32_t k;
  };
  SamplingParams a;
  a.temperature = 1.0f;
  a.top_k = 4;
  SamplingParams b;
  b.temperature = 0.7f;
  b.top_k = 6;
  b.top_p = 0.9f;
  b.repeat_penalty = 1.5f;
  SamplingParams c;
  c.temperature = 2.0f;
  c.top_k = 5;
  const std::vector<Case> cases = {
      {Fixture("llama-untied-f32"), Fixture("llama-untied-q4_0"), a, 3},
      {Fixture("llama-untied-f32"), Fixture("llama-untied-q8_0"), b, 2},
      {Fixture("qwen2-untied-f32"), Fixture("qwen2-untied-q4_0"), c, 3},
      {Fixture("qwen2-untied-f32"), flat, a, 2},
  };
  const std::vector<int32_t> prompt = {0, 75, 17, 200, 3};
  constexpr int kSamples = 8000;
  constexpr int kDepth = 3;
  for (const Case& cs : cases) {
    const std::string what = std::filesystem::path(cs.target).filename().string() + " <- " +
                             std::filesystem::path(cs.draft).filename().string();
    const auto target = Load(cs.target);
    const auto draft = Load(cs.draft);
    std::map<std::vector<int32_t>, double> joint;
    std::vector<int32_t> prefix;
    TargetJoint(*target, cs.sp, prompt, kDepth, 1.0, prefix, joint);

    std::map<std::vector<int32_t>, int64_t> seen;
    int64_t drafted = 0, accepted = 0;
    Session t(*target, F32Kv(32));
    Session d(*draft, F32Kv(32));
    for (int i = 0; i < kSamples; ++i) {
      SpeculativeOptions so = Options(cs.k, false, kDepth);
      so.generate.sampling = cs.sp;
      so.generate.sampling.seed = 1000 + static_cast<uint64_t>(i);
      so.generate.stop_at_eog = false;
      t.Truncate(0);
      d.Truncate(0);
      const SpeculativeResult r = GenerateSpeculative(t, d, prompt, so);
      ASSERT_EQ(r.generate.tokens.size(), static_cast<size_t>(kDepth)) << what;
      ++seen[r.generate.tokens];
      drafted += r.stats.drafted;
      accepted += r.stats.accepted;
    }
    std::vector<int64_t> observed;
    std::vector<double> expected;
    for (const auto& [tokens, p] : joint) {
      observed.push_back(seen.count(tokens) ? seen[tokens] : 0);
      expected.push_back(p);
      seen.erase(tokens);
    }
    int64_t impossible = 0;  // sequences the target never generates (probability 0)
    for (const auto& [tokens, n] : seen) impossible += n;
    observed.push_back(impossible);
    expected.push_back(0.0);
    EXPECT_EQ(impossible, 0) << what << ": sequences of probability 0 were generated";
    const auto chi = testing::ChiSquareTest(observed, expected);
    EXPECT_GT(chi.p_value, 1e-6) << what << ": chi-square " << chi.statistic << " on " << chi.dof
                                 << " degrees of freedom";
    std::printf("%s: %zu sequences, chi-square %.1f on %lld dof (p %.3g), alpha %.3f\n",
                what.c_str(), joint.size(), chi.statistic, static_cast<long long>(chi.dof),
                chi.p_value, static_cast<double>(accepted) / static_cast<double>(drafted));
    // Both paths ran: drafts accepted (except for the flat draft) and drafts rejected.
    EXPECT_LT(accepted, drafted) << what;
    if (cs.draft != flat) {
      EXPECT_GT(accepted, 0) << what;
    }
  }
}

TEST(Speculative, SampledIsDeterministicForASeed) {
  const auto target = Load(Fixture("llama-untied-f32"));
  const auto draft = Load(Fixture("llama-untied-q4_0"));
  SpeculativeOptions so = Options(3, true);
  so.generate.sampling.temperature = 0.8f;
  so.generate.sampling.seed = 42;
  const SpeculativeResult r1 = Speculate(*target, *draft, kPrompts[2], so);
  const SpeculativeResult r2 = Speculate(*target, *draft, kPrompts[2], so);
  EXPECT_EQ(r1.generate.tokens, r2.generate.tokens);
  EXPECT_EQ(r1.stats.accepted, r2.stats.accepted);
  so.generate.sampling.seed = 43;
  EXPECT_NE(Speculate(*target, *draft, kPrompts[2], so).generate.tokens, r1.generate.tokens);
}

TEST(Speculative, DifferentVocabularyIsRefusedNamingTheFirstDifference) {
  testing::TempDir dir;
  const std::string src = Fixture("llama-untied-f32");
  const auto target = Load(src);
  // One token's text changed.
  const std::string renamed = (dir / "renamed.gguf").string();
  CopyGguf(src, renamed,
           [](const std::string& key, const GgufValue& v, GgufWriteValue& out) {
             if (key != "tokenizer.ggml.tokens") return false;
             std::vector<std::string> tokens;
             for (const auto& e : v.elems) tokens.emplace_back(e.str);
             tokens[100] = "zzspec";
             out = GgufWriteValue::StringArray(tokens);
             return true;
           },
           {});
  const std::string old_text = target->tokenizer().TokenText(100);
  try {
    CheckSameVocabulary(*target, *Load(renamed));
    FAIL() << "a renamed token was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(src), std::string::npos) << m;
    EXPECT_NE(m.find(renamed), std::string::npos) << m;
    EXPECT_NE(m.find("token 100 is '" + old_text + "' in the target and 'zzspec' in the draft"),
              std::string::npos)
        << m;
  }
  // One token's type changed (text equal).
  const std::string retyped = (dir / "retyped.gguf").string();
  CopyGguf(src, retyped,
           [](const std::string& key, const GgufValue& v, GgufWriteValue& out) {
             if (key != "tokenizer.ggml.token_type") return false;
             std::vector<int32_t> types;
             for (const auto& e : v.elems) types.push_back(static_cast<int32_t>(e.AsInt()));
             types[37] = 4;  // user-defined
             out = GgufWriteValue::I32Array(types);
             return true;
           },
           {});
  try {
    CheckSameVocabulary(*target, *Load(retyped));
    FAIL() << "a retyped token was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("token 37 is"), std::string::npos) << m;
    EXPECT_NE(m.find("token type"), std::string::npos) << m;
  }
  // Another vocabulary altogether (the random model's 512 tokens): refused by the check and by
  // GenerateSpeculative itself.
  RandomModelOptions ro;
  ro.preset = *FindPreset("tiny");
  const std::string other = (dir / "tiny.gguf").string();
  WriteRandomModel(ro, other);
  const auto tiny = Load(other);
  try {
    CheckSameVocabulary(*target, *tiny);
    FAIL() << "a 512-token vocabulary was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("(512 tokens)"), std::string::npos) << m;
    EXPECT_NE(m.find("(320 tokens)"), std::string::npos) << m;
    EXPECT_NE(m.find("token 0 is '<|begin_of_text|>' in the target"), std::string::npos) << m;
  }
  Session t(*target), d(*tiny);
  EXPECT_THROW(GenerateSpeculative(t, d, kPrompts[1], Options(4, false)), Error);
}

TEST(Speculative, BadOptionsAreErrors) {
  const auto target = Load(Fixture("llama-untied-f32"));
  Session t(*target), d(*target);
  EXPECT_THROW(GenerateSpeculative(t, d, kPrompts[1], Options(0, false)), Error);
  EXPECT_THROW(GenerateSpeculative(t, d, std::vector<int32_t>{}, Options(2, false)), Error);
  SpeculativeOptions so = Options(4, true);
  so.max_draft_tokens = 3;
  EXPECT_THROW(GenerateSpeculative(t, d, kPrompts[1], so), Error);
  Session small(*target, F32Kv(16));
  EXPECT_THROW(GenerateSpeculative(t, small, kPrompts[1], Options(2, false)), Error);
}

// Rolling a session back with Truncate and evaluating other tokens gives the logits of a fresh
// session that never saw the dropped ones (what speculative decoding relies on after a
// rejection).
TEST(Speculative, TruncateRollsBackToAFreshSession) {
  const std::vector<int32_t> prompt = {0, 75, 17, 200};
  const std::vector<int32_t> drafted = {9, 10, 11, 12, 13};
  const std::vector<int32_t> next = {140, 141, 142};
  for (const char* name : {"llama-untied-f32", "qwen2-tied-q8_0", "gemma2-f32"}) {
    const auto model = Load(Fixture(name));
    Session rolled(*model, F32Kv());
    rolled.Eval(prompt, LogitsMode::kNone);
    rolled.Eval(drafted, LogitsMode::kAll);
    const auto keep = static_cast<int64_t>(prompt.size()) + 2;
    if (std::string(name) == "gemma2-f32") {
      // Its 4-position window ring has overwritten what position 6 needs.
      EXPECT_FALSE(rolled.CanTruncate(keep)) << name;
      EXPECT_THROW(rolled.Truncate(keep), Error);
      EXPECT_TRUE(rolled.CanTruncate(rolled.n_past() - 1));
      continue;
    }
    ASSERT_TRUE(rolled.CanTruncate(keep)) << name;
    rolled.Truncate(keep);
    rolled.Eval(next, LogitsMode::kAll);

    Session fresh(*model, F32Kv());
    fresh.Eval(prompt, LogitsMode::kNone);
    fresh.Eval(std::vector<int32_t>(drafted.begin(), drafted.begin() + 2), LogitsMode::kNone);
    fresh.Eval(next, LogitsMode::kAll);
    ASSERT_EQ(rolled.n_past(), fresh.n_past());
    for (int64_t row = 0; row < 3; ++row) {
      const auto a = rolled.Logits(row), b = fresh.Logits(row);
      double scale = 0.0, err = 0.0;
      for (size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
        err = std::max(err, std::fabs(static_cast<double>(a[i]) - b[i]));
      }
      EXPECT_LE(err, 1e-5 * scale) << name << " row " << row;
    }
  }
}

}  // namespace
}  // namespace gapbench::engine
