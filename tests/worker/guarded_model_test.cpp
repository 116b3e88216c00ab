// The guarded model (worker/guarded_model.h) and the model factory on real fixture models:
// P(refuse) against the guard's own log-likelihoods computed independently; threshold 0 refuses
// every request (the refusal text, no call to the protected model, scored as wrong) and 1 allows
// every one (records equal the protected model's alone); a threshold between refuses exactly the
// items whose recorded signal reaches it; the guard part survives the JSON round trip.
#include "worker/guarded_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "common/error.h"
#include "engine/engine_lm.h"
#include "engine/model.h"
#include "suites/loaders.h"
#include "tests/worker/member_run_fixture.h"
#include "tests/worker/worker_fixture.h"
#include "worker/model_factory.h"
#include "worker/runner.h"

namespace gapbench::worker {
namespace {

TEST(GuardSignal, HandComputed) {
  EXPECT_NEAR(RefuseProbability(std::log(0.25), std::log(0.75)), 0.75, 1e-12);
  EXPECT_NEAR(RefuseProbability(-10.0, -10.0), 0.5, 1e-12);
  EXPECT_NEAR(RefuseProbability(-1000.0, -1.0), 1.0, 1e-12);  // no overflow either way
  EXPECT_NEAR(RefuseProbability(-1.0, -1000.0), 0.0, 1e-12);
  EXPECT_TRUE(std::isnan(RefuseProbability(std::nan(""), -1.0)));
  EXPECT_TRUE(GuardRefuses(0.0, 0.0));
  EXPECT_FALSE(GuardRefuses(1.0, 1.0));  // threshold 1 turns the guard off
  EXPECT_TRUE(GuardRefuses(0.5, 0.5));
  EXPECT_FALSE(GuardRefuses(0.49, 0.5));
  EXPECT_FALSE(GuardRefuses(std::nan(""), 0.0));
  EXPECT_EQ(GuardPrompt("{prompt}\nDecision:", "Q?"), "Q?\nDecision:");
  EXPECT_EQ(GuardPrompt("a {prompt} b {prompt}", "x"), "a x b x");
}

class GuardedRunTest : public MemberRunTest {
 protected:
  void SetUp() override { SetUpMembers(9); }
  StrategyConfig Guard(double threshold) const {
    StrategyConfig c;
    c.kind = StrategyKind::kGuard;
    c.guard.threshold = threshold;
    c.guard.refusal = "Sorry, no.";
    return c;
  }
  // The guard's P(refuse) on item i and its requests' tokens (the prompt once, both labels),
  // computed on a fresh guard model from its prompt.
  std::pair<double, int64_t> IndependentSignal(size_t i) {
    engine::EngineModel lm(*first_);
    const auto req = suites::BuildRequests(suite_, i, options_.shots, options_.gen_defaults);
    const std::string request =
        req.loglik.empty() ? req.gen.at(0).prompt : req.loglik.at(0).context;
    const std::string prompt = request + "\nDecision:";
    const LoglikRequest a[] = {{prompt, " allow"}};
    const LoglikRequest r[] = {{prompt, " refuse"}};
    const LoglikResponse ra = lm.Loglikelihood(a).at(0);
    const LoglikResponse rr = lm.Loglikelihood(r).at(0);
    return {std::exp(rr.logprob) / (std::exp(ra.logprob) + std::exp(rr.logprob)),
            ra.context_tokens + ra.n_tokens + rr.n_tokens};
  }
  static std::string Json(suites::ItemRecord r) {
    r.guard.reset();
    return suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
};

TEST_F(GuardedRunTest, ThresholdZeroRefusesEveryRequest) {
  const Records guarded = Run(Guard(0.0), {first_.get(), large_.get()});
  ASSERT_EQ(guarded.size(), suite_.items.size());
  for (const auto& [i, r] : guarded) {
    SCOPED_TRACE(r.item_id);
    ASSERT_TRUE(r.guard);
    EXPECT_TRUE(r.guard->refused);
    EXPECT_EQ(r.guard->threshold, 0.0);
    const auto [p, tokens] = IndependentSignal(static_cast<size_t>(i));
    EXPECT_NEAR(r.guard->p_refuse, p, 1e-6);
    EXPECT_EQ(r.guard->tokens, tokens);
    EXPECT_GT(r.guard->seconds, 0.0);
    EXPECT_EQ(r.correct, std::optional<bool>(false));
    EXPECT_EQ(r.prediction, "refused");
    if (r.kind == suites::ItemKind::kMultipleChoice) {
      EXPECT_EQ(r.pred, -1);
      EXPECT_EQ(r.correct_norm, std::optional<bool>(false));
      EXPECT_TRUE(r.choice_logprobs.empty());  // the protected model never ran
      EXPECT_EQ(r.tokens_in, 0);
    } else {
      EXPECT_EQ(r.generation, "Sorry, no.");
      EXPECT_EQ(r.finish_reason, "refused");
      EXPECT_EQ(r.tokens_out, 0);  // the protected model never ran
    }
  }
  // The guard survives the JSON round trip the results store makes (timing apart).
  const suites::ItemRecord& any = guarded.begin()->second;
  suites::ItemRecord back =
      suites::ItemRecordFromJson(suites::ItemRecordToJson(any, suites::RecordTiming::kOmit), "t");
  EXPECT_EQ(back.guard->seconds, 0.0);
  suites::ApplyItemTiming(suites::ItemTimingToJson(any), "t", back);
  ASSERT_TRUE(back.guard);
  EXPECT_EQ(suites::ItemRecordToJson(back), suites::ItemRecordToJson(any));
}

// A refused GSM8K item is wrong under every score, also lm-eval's strict-match: a refusal text
// that happens to hold "#### N" with the right N must not count (the open-llm-v1 preset scores
// GSM8K by strict-match).
TEST_F(GuardedRunTest, ARefusedGsm8kItemIsWrongUnderStrictMatchToo) {
  testing::WriteFile(dir_ / "test.jsonl",
                     testing::ReadFile(testing::SourceDir() /
                                       "tests/fixtures/lmeval/gsm8k_tiny.jsonl"));  // #### 0..3
  suite_ = suites::LoadSuite((dir_ / "test.jsonl").string());
  ASSERT_EQ(suite_.manifest.format, "gsm8k");
  options_.shots.k = 0;
  StrategyConfig guard = Guard(0.0);
  guard.guard.refusal = "#### 0";  // item 0's answer
  const Records records = Run(guard, {first_.get(), large_.get()});
  ASSERT_EQ(records.size(), suite_.items.size());
  for (const auto& [i, r] : records) {
    ASSERT_TRUE(r.guard && r.guard->refused) << i;
    EXPECT_EQ(r.correct, false) << i;
    ASSERT_TRUE(r.correct_strict.has_value()) << i;
    EXPECT_FALSE(*r.correct_strict) << i;
  }
}

TEST_F(GuardedRunTest, ThresholdOneAllowsEveryRequestAndBetweenSplits) {
  const Records large = Run(StrategyConfig{}, {large_.get()});
  const Records open = Run(Guard(1.0), {first_.get(), large_.get()});
  std::vector<double> signals;
  for (const auto& [i, r] : open) {
    SCOPED_TRACE(r.item_id);
    ASSERT_TRUE(r.guard);
    EXPECT_FALSE(r.guard->refused);
    EXPECT_EQ(Json(r), Json(large.at(i)));  // the protected model's answer, untouched
    signals.push_back(r.guard->p_refuse);
  }
  // A threshold in the middle of the recorded signals refuses exactly those at or above it.
  std::sort(signals.begin(), signals.end());
  ASSERT_LT(signals.front(), signals.back()) << "the fixture guard gives every item one signal";
  const double t = signals[signals.size() / 2];
  int refused = 0;
  for (const auto& [i, r] : Run(Guard(t), {first_.get(), large_.get()})) {
    SCOPED_TRACE(r.item_id);
    EXPECT_EQ(r.guard->refused, open.at(i).guard->p_refuse >= t);
    EXPECT_EQ(r.guard->p_refuse, open.at(i).guard->p_refuse);
    if (!r.guard->refused) {
      EXPECT_EQ(Json(r), Json(large.at(i)));
    }
    refused += r.guard->refused ? 1 : 0;
  }
  EXPECT_GT(refused, 0);
  EXPECT_LT(refused, static_cast<int>(open.size()));
}

TEST(GuardFactory, MemberCount) {
  const auto model = engine::Model::Load(testing::WorkerFixtureModel().string());
  StrategyConfig guard;
  guard.kind = StrategyKind::kGuard;
  const std::vector<MemberModel> one = {{model.get(), {}}};
  try {
    MakeLanguageModel(guard, one);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(guard, large)"), std::string::npos) << e.what();
  }
  const std::vector<MemberModel> two = {{model.get(), {}}, {model.get(), {}}};
  EXPECT_NE(dynamic_cast<GuardedModel*>(MakeLanguageModel(guard, two).get()), nullptr);
}

}  // namespace
}  // namespace gapbench::worker
