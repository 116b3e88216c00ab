// The routed model (worker/routed_model.h) and the model factory on real fixture models: the
// signals against hand-computed values; a routed run's records hold exactly what each member
// produces alone (answers, scores, tokens) and the small model's signal computed independently
// from its own record; the record answers with the member its threshold picks; thresholds that
// never or always escalate reproduce the small or the large model's records.
#include "worker/routed_model.h"

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

TEST(RouteSignals, HandComputed) {
  const std::vector<double> lp = {std::log(0.2), std::log(0.5), std::log(0.3)};
  EXPECT_NEAR(ChoiceSignal(RouteSignal::kTopProb, lp), 0.5, 1e-12);
  EXPECT_NEAR(ChoiceSignal(RouteSignal::kMargin, lp), 0.2, 1e-12);
  // Unnormalised log-likelihoods: the softmax over the choices normalises them.
  const std::vector<double> raw = {-10.0 + std::log(3.0), -10.0};
  EXPECT_NEAR(ChoiceSignal(RouteSignal::kTopProb, raw), 0.75, 1e-12);
  EXPECT_NEAR(ChoiceSignal(RouteSignal::kMargin, raw), 0.5, 1e-12);
  EXPECT_EQ(ChoiceSignal(RouteSignal::kMargin, std::vector<double>{-3.0}), 1.0);
  const std::vector<double> tokens = {-1.0, -2.0, -3.0};
  EXPECT_EQ(GenerationSignal(RouteSignal::kMeanLogprob, tokens), -2.0);
  EXPECT_EQ(GenerationSignal(RouteSignal::kMinLogprob, tokens), -3.0);
  EXPECT_EQ(GenerationSignal(RouteSignal::kMeanLogprob, {}), kNoTokenSignal);
  EXPECT_THROW(ChoiceSignal(RouteSignal::kMeanLogprob, lp), Error);
  EXPECT_THROW(GenerationSignal(RouteSignal::kTopProb, tokens), Error);
  EXPECT_THROW(ChoiceSignal(RouteSignal::kTopProb, {}), Error);
}

class RoutedRunTest : public MemberRunTest {
 protected:
  void SetUp() override { SetUpMembers(12); }
  static std::string Json(suites::ItemRecord r, bool drop_route) {
    if (drop_route) r.route.reset();
    return suites::ItemRecordToJson(r, suites::RecordTiming::kOmit);
  }
};

TEST_F(RoutedRunTest, RecordsHoldBothMembersAndTheSignal) {
  const StrategyConfig single;
  const Records small = Run(single, {first_.get()});
  const Records large = Run(single, {large_.get()});
  StrategyConfig route;
  route.kind = StrategyKind::kRoute;
  route.route.signal = RouteSignal::kMargin;
  // The median MC margin and generation mean log-prob of the small model: some items escalate,
  // some do not.
  std::vector<double> margins, means;
  {
    engine::EngineModel lm(*first_);
    for (const auto& [i, r] : small) {
      if (r.kind == suites::ItemKind::kMultipleChoice) {
        margins.push_back(ChoiceSignal(RouteSignal::kMargin, r.choice_logprobs));
      } else {
        GenRequest g = options_.gen_defaults;
        const auto req = suites::BuildRequests(suite_, static_cast<size_t>(i), options_.shots, g);
        const auto gens = lm.Generate(req.gen);
        ASSERT_EQ(gens[0].text, r.generation);
        ASSERT_EQ(gens[0].token_logprobs.size(), static_cast<size_t>(gens[0].completion_tokens));
        means.push_back(GenerationSignal(RouteSignal::kMeanLogprob, gens[0].token_logprobs));
      }
    }
  }
  ASSERT_EQ(margins.size(), 8u);
  ASSERT_EQ(means.size(), 4u);
  std::sort(margins.begin(), margins.end());
  std::sort(means.begin(), means.end());
  route.route.threshold = margins[4];    // margins[0..3] escalate
  route.route.gen_threshold = means[2];  // means[0..1] escalate
  const Records routed = Run(route, {first_.get(), large_.get()});
  ASSERT_EQ(routed.size(), small.size());
  int escalated = 0;
  for (const auto& [i, r] : routed) {
    SCOPED_TRACE(r.item_id);
    ASSERT_TRUE(r.route);
    const suites::RouteRecord& rr = *r.route;
    const suites::ItemRecord& s = small.at(i);
    const suites::ItemRecord& l = large.at(i);
    // Each member's part is what the member produces alone.
    EXPECT_EQ(rr.small.prediction, s.prediction);
    EXPECT_EQ(rr.small.correct, s.correct);
    EXPECT_EQ(rr.small.tokens_in, s.tokens_in);
    EXPECT_EQ(rr.small.tokens_out, s.tokens_out);
    EXPECT_EQ(rr.large.prediction, l.prediction);
    EXPECT_EQ(rr.large.correct, l.correct);
    EXPECT_EQ(rr.large.tokens_in, l.tokens_in);
    EXPECT_GT(rr.small.seconds, 0.0);
    EXPECT_GT(rr.large.seconds, 0.0);
    if (r.kind == suites::ItemKind::kMultipleChoice) {
      EXPECT_EQ(rr.signal, "margin");
      EXPECT_EQ(rr.threshold, margins[4]);
      // Independent: softmax of the small model's own choice log-likelihoods.
      double z = 0, p1 = 0, p2 = 0;
      for (double x : s.choice_logprobs) z += std::exp(x);
      for (double x : s.choice_logprobs) {
        const double p = std::exp(x) / z;
        if (p > p1) {
          p2 = p1;
          p1 = p;
        } else if (p > p2) {
          p2 = p;
        }
      }
      EXPECT_NEAR(rr.value, p1 - p2, 1e-9);
    } else {
      EXPECT_EQ(rr.signal, "mean_logprob");
      EXPECT_LE(rr.value, 0.0);
    }
    EXPECT_EQ(rr.escalated, rr.value < rr.threshold);
    escalated += rr.escalated ? 1 : 0;
    // The record answers with the member the threshold picked.
    EXPECT_EQ(Json(r, true), Json(rr.escalated ? l : s, true));
  }
  EXPECT_EQ(escalated, 4 + 2);
  // The route survives the JSON round trip the results store makes (timing apart).
  const suites::ItemRecord& any = routed.begin()->second;
  suites::ItemRecord back =
      suites::ItemRecordFromJson(suites::ItemRecordToJson(any, suites::RecordTiming::kOmit), "t");
  suites::ApplyItemTiming(suites::ItemTimingToJson(any), "t", back);
  ASSERT_TRUE(back.route);
  EXPECT_EQ(suites::ItemRecordToJson(back), suites::ItemRecordToJson(any));
  EXPECT_EQ(back.route->large.seconds, any.route->large.seconds);
}

TEST_F(RoutedRunTest, NeverAndAlwaysEscalatingReproduceTheMembers) {
  const StrategyConfig single;
  const Records small = Run(single, {first_.get()});
  const Records large = Run(single, {large_.get()});
  StrategyConfig route;
  route.kind = StrategyKind::kRoute;
  route.route.threshold = 0.0;  // top_prob is never below 0
  route.route.gen_threshold = kNoTokenSignal;
  for (const auto& [i, r] : Run(route, {first_.get(), large_.get()})) {
    EXPECT_FALSE(r.route->escalated) << r.item_id;
    EXPECT_EQ(Json(r, true), Json(small.at(i), true));
  }
  route.route.threshold = 1.0;  // top_prob 1 only when one choice takes all the mass
  route.route.gen_threshold = 0.0;
  for (const auto& [i, r] : Run(route, {first_.get(), large_.get()})) {
    if (!r.route->escalated) continue;
    EXPECT_EQ(Json(r, true), Json(large.at(i), true)) << r.item_id;
  }
}

TEST(ModelFactory, MemberCountMustFitTheStrategy) {
  const auto model = engine::Model::Load(testing::WorkerFixtureModel().string());
  StrategyConfig route;
  route.kind = StrategyKind::kRoute;
  const std::vector<MemberModel> one = {{model.get(), {}}};
  EXPECT_THROW(MakeLanguageModel(route, one), Error);
  const std::vector<MemberModel> two = {{model.get(), {}}, {model.get(), {}}};
  EXPECT_THROW(MakeLanguageModel(StrategyConfig{}, two), Error);
  EXPECT_NE(dynamic_cast<RoutedModel*>(MakeLanguageModel(route, two).get()), nullptr);
  EXPECT_NE(dynamic_cast<engine::EngineModel*>(MakeLanguageModel(StrategyConfig{}, one).get()),
            nullptr);
}

TEST(StrategyConfigJson, ParsesAndRejectsWithPaths) {
  const auto c = ParseStrategyConfigJson(
      R"({"name":"x","kind":"route","signal":"margin","threshold":0.3,"gen_signal":"min_logprob",
          "gen_threshold":-2.5,"small":"s"})",
      "t");
  EXPECT_EQ(c.kind, StrategyKind::kRoute);
  EXPECT_EQ(c.route.signal, RouteSignal::kMargin);
  EXPECT_EQ(c.route.threshold, 0.3);
  EXPECT_EQ(c.route.gen_signal, RouteSignal::kMinLogprob);
  EXPECT_EQ(c.route.gen_threshold, -2.5);
  EXPECT_EQ(ParseStrategyConfigJson(R"({"name":"single"})", "t").kind, StrategyKind::kSingle);
  try {
    ParseStrategyConfigJson(R"({"kind":"route","threshold":"high","gen_signal":"margin"})", "t");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("$.threshold: expected a number in [0, 1]"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("$.gen_signal: expected \"mean_logprob\""),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ParseStrategyConfigJson(R"({"name":"single","threshold":0.5})", "t"), Error);
}

}  // namespace
}  // namespace gapbench::worker
