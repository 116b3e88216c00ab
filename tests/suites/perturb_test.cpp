// The perturbations on small hand-written items: what each one preserves and changes, that the
// output survives prompt building and scoring, determinism per seed, the native few-shot pool
// round trip, and the errors for items that do not fit a kind.
#include "suites/perturb/perturb.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/error.h"
#include "suites/loaders.h"
#include "suites/perturb/perturb_internal.h"
#include "suites/prompt.h"
#include "suites/scoring.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using perturb::Perturb;
using perturb::PerturbKind;
using perturb::PerturbOptions;

Item Mc(const std::string& id, const std::string& subject, int gold) {
  Item it;
  it.kind = ItemKind::kMultipleChoice;
  it.style = PromptStyle::kLetters;
  it.id = id;
  it.question = "Which one is " + id + "? ";
  it.choices = {"alpha " + id, "beta " + id, "gamma " + id, "delta " + id};
  it.gold = gold;
  it.tags.subject = subject;
  it.source = "mc.csv:" + id;
  return it;
}

Item Word(const std::string& id, const std::string& question, const std::string& solution) {
  Item it;
  it.kind = ItemKind::kGeneration;
  it.style = PromptStyle::kQuestionAnswer;
  it.match = MatchRule::kNumeric;
  it.id = id;
  it.prompt = question;
  it.solution = solution;
  it.reference = solution.substr(solution.rfind("#### ") + 5);
  it.stop = {"Question:", "</s>", "<|im_end|>"};
  it.tags.steps = 2;
  it.source = "gsm.jsonl:" + id;
  return it;
}

Suite McSuite() {
  Suite s;
  s.manifest.name = "mmlu";
  for (int i = 0; i < 6; ++i) s.items.push_back(Mc(std::to_string(i), "astronomy", i % 4));
  for (int i = 0; i < 3; ++i) s.fewshot.push_back(Mc("dev" + std::to_string(i), "astronomy", 1));
  FinishManifest(s);
  return s;
}

Suite WordSuite() {
  Suite s;
  s.manifest.name = "gsm8k";
  s.items.push_back(
      Word("g0",
           "Janet\xE2\x80\x99s ducks lay 16 eggs per day. Mrs. Smith buys 3 of them. "
           "Janet sells the rest in Boston for $2 each. How much does Janet make?",
           "16 - 3 = <<16-3=13>>13 eggs\nJanet makes 13 * 2 = $<<13*2=26>>26\n#### 26"));
  s.items.push_back(Word("g1", "A robe takes 2 bolts of blue fiber and half that much white fiber.",
                         "2/2=<<2/2=1>>1\n2+1=<<2+1=3>>3\n#### 3"));
  s.items.push_back(Word("g2",
                         "James and his sister Anna drove from New York to Ohio. They drove 120 "
                         "miles. Anna drove 40 of them. How many miles did James drive?",
                         "James drove 120 - 40 = <<120-40=80>>80 miles\n#### 80"));
  FinishManifest(s);
  return s;
}

TEST(Perturb, ChoicePermutationMovesTheGoldTextAndKeepsEveryChoice) {
  const Suite s = McSuite();
  const auto r = Perturb(s, {.kind = PerturbKind::kChoicePermutation, .seed = 3});
  ASSERT_EQ(r.items.size(), s.items.size());
  EXPECT_EQ(r.changed, s.items.size());
  for (size_t i = 0; i < r.items.size(); ++i) {
    const Item& a = s.items[i];
    const Item& b = r.items[i];
    EXPECT_EQ(b.id, a.id);  // same id: same seeded few-shot draw as the source
    EXPECT_EQ(b.choices[b.gold], a.choices[a.gold]);
    EXPECT_NE(b.gold, a.gold);
    auto x = a.choices, y = b.choices;
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    EXPECT_EQ(x, y);
    EXPECT_EQ(b.question, a.question);
    EXPECT_EQ(b.tags.split, "ood");
    EXPECT_EQ(b.tags.family, "mmlu");
    EXPECT_EQ(b.tags.subject, "astronomy");
    EXPECT_EQ(b.tags.extra.at("source_id"), a.id);
    EXPECT_EQ(b.tags.extra.at("perturbation"), "choice-permutation");
    EXPECT_EQ(b.tags.extra.at("perturb_seed"), "3");
    EXPECT_EQ(b.tags.extra.at("gold_position"), std::string(1, static_cast<char>('A' + b.gold)));
  }
  // The pool is the source's: the shots a 5-shot prompt shows do not change.
  ASSERT_EQ(r.fewshot.size(), s.fewshot.size());
  EXPECT_EQ(r.fewshot[0].choices, s.fewshot[0].choices);
}

TEST(Perturb, AllRotationsPutsTheGoldAtEveryPositionOnce) {
  const Suite s = McSuite();
  const auto r =
      Perturb(s, {.kind = PerturbKind::kChoicePermutation, .seed = 3, .all_rotations = true});
  ASSERT_EQ(r.items.size(), 4 * s.items.size());
  for (size_t i = 0; i < s.items.size(); ++i) {
    std::vector<int> golds;
    for (size_t k = 0; k < 4; ++k) {
      const Item& b = r.items[4 * i + k];
      EXPECT_EQ(b.id, s.items[i].id + "#r" + std::to_string(k));
      EXPECT_EQ(b.choices[b.gold], s.items[i].choices[s.items[i].gold]);
      EXPECT_EQ(b.tags.extra.at("cluster"), s.items[i].id);
      golds.push_back(b.gold);
    }
    std::sort(golds.begin(), golds.end());
    EXPECT_EQ(golds, (std::vector<int>{0, 1, 2, 3}));
  }
}

TEST(Perturb, IrrelevantClauseOnlyInsertsASentenceBeforeTheQuestion) {
  const Suite s = WordSuite();
  const auto r = Perturb(s, {.kind = PerturbKind::kIrrelevantClause, .seed = 1});
  ASSERT_EQ(r.items.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Item& a = s.items[i];
    const Item& b = r.items[i];
    const std::string inserted = b.tags.extra.at("inserted");
    ASSERT_FALSE(inserted.empty());
    const size_t at = b.prompt.find(inserted + " ");
    ASSERT_NE(at, std::string::npos) << b.prompt;
    std::string back = b.prompt;
    back.erase(at, inserted.size() + 1);
    EXPECT_EQ(back, a.prompt);
    EXPECT_EQ(b.solution, a.solution);
    EXPECT_EQ(b.reference, a.reference);
    EXPECT_EQ(b.stop, a.stop);
    EXPECT_EQ(b.tags.steps, a.tags.steps);
  }
  // Before the last sentence, never after "Mrs." (an abbreviation, not a sentence end).
  EXPECT_NE(r.items[0].prompt.find(r.items[0].tags.extra.at("inserted") + " How much"),
            std::string::npos)
      << r.items[0].prompt;
  // One sentence: the clause goes first.
  EXPECT_EQ(r.items[1].prompt.find(r.items[1].tags.extra.at("inserted")), 0u);
  // The inserted number is new to the item.
  for (const Item& b : r.items) {
    std::string digits;
    for (char c : b.tags.extra.at("inserted"))
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    ASSERT_FALSE(digits.empty());
    const Item& a = s.items[&b - r.items.data()];
    const std::string all = a.prompt + " " + a.solution;
    for (size_t p = all.find(digits); p != std::string::npos; p = all.find(digits, p + 1)) {
      const bool alone = (p == 0 || !std::isdigit(static_cast<unsigned char>(all[p - 1]))) &&
                         (p + digits.size() >= all.size() ||
                          !std::isdigit(static_cast<unsigned char>(all[p + digits.size()])));
      EXPECT_FALSE(alone) << digits << " already in " << a.id;
    }
  }
}

TEST(Perturb, IrrelevantClauseNumberIsNewInWordsToo) {
  Suite s;
  s.manifest.name = "words";
  s.items.push_back(Word("w", "Ann has three cats and twenty dogs. How many pets does she have?",
                         "She has all of them.\n#### 23"));
  FinishManifest(s);
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const auto r = Perturb(s, {.kind = PerturbKind::kIrrelevantClause, .seed = seed});
    const std::string& inserted = r.items[0].tags.extra.at("inserted");
    std::string digits;
    for (char c : inserted)
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    EXPECT_NE(digits, "3") << "seed " << seed << ": " << inserted;
    EXPECT_NE(digits, "20") << "seed " << seed << ": " << inserted;
    EXPECT_NE(digits, "23") << "seed " << seed << ": " << inserted;
  }
}

// "twenty-five" is 25: the tens word "twenty" covers 20..29 as "thirty" covers 30..39.
TEST(Perturb, IrrelevantClauseNumberIsNewForHyphenatedTwenties) {
  Suite s;
  s.manifest.name = "words";
  s.items.push_back(
      Word("w", "Ann has twenty-five dogs. How many legs do they have?", "Four each.\n#### 100"));
  FinishManifest(s);
  for (uint64_t seed = 0; seed < 600; ++seed) {
    const auto r = Perturb(s, {.kind = PerturbKind::kIrrelevantClause, .seed = seed});
    const std::string& inserted = r.items[0].tags.extra.at("inserted");
    std::string digits;
    for (char c : inserted)
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
    EXPECT_NE(digits, "25") << "seed " << seed << ": " << inserted;
  }
}

TEST(Perturb, NameSubstitutionIsConsistentWithinTheItemAndItsSolution) {
  const Suite s = WordSuite();
  const auto r = Perturb(s, {.kind = PerturbKind::kNameSubstitution, .seed = 5});
  const Item& b = r.items[0];
  const std::string subs = b.tags.extra.at("substitutions");
  // Janet (a woman's name), Smith (after Mrs.), Boston (a city), in order of appearance.
  ASSERT_EQ(std::count(subs.begin(), subs.end(), '='), 3) << subs;
  EXPECT_EQ(subs.rfind("Janet=", 0), 0u) << subs;
  std::string janet = subs.substr(6, subs.find(';') - 6);
  EXPECT_EQ(b.prompt.find("Janet"), std::string::npos) << b.prompt;
  EXPECT_EQ(b.solution.find("Janet"), std::string::npos) << b.solution;
  EXPECT_EQ(b.prompt.find("Smith"), std::string::npos);
  EXPECT_EQ(b.prompt.find("Boston"), std::string::npos);
  EXPECT_EQ(b.prompt.rfind(janet + "\xE2\x80\x99s ducks lay 16 eggs per day.", 0), 0u) << b.prompt;
  EXPECT_NE(b.solution.find(janet + " makes 13 * 2"), std::string::npos) << b.solution;
  const auto kind = perturb::PerturbKindName(PerturbKind::kNameSubstitution);
  EXPECT_EQ(kind, "name-substitution");
  // The woman's name went to a woman's name: it is in the female list, not the male one.
  EXPECT_EQ(b.reference, "26");
  // Multi-word places and two people: both replaced, with different names.
  const Item& c = r.items[2];
  EXPECT_EQ(c.prompt.find("New York"), std::string::npos) << c.prompt;
  EXPECT_EQ(c.prompt.find("James"), std::string::npos);
  EXPECT_EQ(c.prompt.find("Anna"), std::string::npos);
  EXPECT_EQ(c.solution.find("James"), std::string::npos);
  EXPECT_NE(c.prompt.find("120 miles"), std::string::npos);
  // No names: unchanged, with an empty tag.
  EXPECT_EQ(r.items[1].prompt, s.items[1].prompt);
  EXPECT_EQ(r.items[1].tags.extra.at("substitutions"), "");
  EXPECT_EQ(r.changed, 2u);
}

TEST(Perturb, FormatShiftSurvivesPromptBuildingAndScoring) {
  const Suite s = McSuite();
  const auto r = Perturb(s, {.kind = PerturbKind::kFormatShift, .seed = 2});
  Suite out;
  out.manifest.name = "mmlu-format";
  out.items = r.items;
  out.fewshot = r.fewshot;
  FinishManifest(out);
  for (size_t i = 0; i < out.items.size(); ++i) {
    const Item& b = out.items[i];
    EXPECT_EQ(b.style, PromptStyle::kCloze);
    EXPECT_EQ(b.gold, s.items[i].gold);
    // The gold text is still shown, in the question, and nothing in the old "A. " format.
    EXPECT_NE(b.question.find(s.items[i].choices[s.items[i].gold]), std::string::npos);
    EXPECT_EQ(b.question.find("\nA. "), std::string::npos);
    const ItemRequests req = BuildRequests(out, i, {.k = 2});
    ASSERT_EQ(req.loglik.size(), 4u);
    EXPECT_EQ(req.prompt.shot_ids, (std::vector<std::string>{"dev0", "dev1"}));
    // Shots are in the same format: the pool was shifted too.
    EXPECT_EQ(req.prompt.context.find("\nA. "), std::string::npos) << req.prompt.context;
    EXPECT_NE(req.prompt.context.find(" " + out.fewshot[0].choices[1] + "\n\n"), std::string::npos)
        << req.prompt.context;
    std::vector<LoglikResponse> ll(4);
    for (size_t c = 0; c < 4; ++c) {
      ll[c].logprob = static_cast<int>(c) == b.gold ? -0.1 : -3.0;
      ll[c].n_tokens = 2;
    }
    const ItemRecord rec = ScoreItem(out, i, req, ll, {});
    EXPECT_EQ(rec.correct, true);
  }
  // Generation: the reworded solution (what a model imitating the shots writes) still scores.
  const Suite w = WordSuite();
  const auto g = Perturb(w, {.kind = PerturbKind::kFormatShift, .seed = 2});
  for (size_t i = 0; i < g.items.size(); ++i) {
    const Item& b = g.items[i];
    EXPECT_EQ(b.style, PromptStyle::kRaw);
    EXPECT_EQ(b.reference, w.items[i].reference);
    EXPECT_EQ(b.solution.find("####"), std::string::npos) << b.solution;
    EXPECT_TRUE(MatchGeneration(b, b.solution).correct) << b.solution;
    EXPECT_NE(b.prompt.find(w.items[i].prompt), std::string::npos);
    ASSERT_FALSE(b.stop.empty());
    EXPECT_EQ(b.prompt.rfind(b.stop[0], 0), 0u);  // stops at the next question's label
  }
}

TEST(Perturb, FormatShiftNeverNumbersTheOptionsOfNumericChoices) {
  uint64_t seed = 0;
  while (perturb::PickFormatShift(seed).label_style != 2) ++seed;  // "1." labels answered "1"
  Suite s = McSuite();
  s.items[1].choices = {"0", "4", "2", "6"};  // "2" would read as option 2 or the value 2
  FinishManifest(s);
  const auto r = Perturb(s, {.kind = PerturbKind::kFormatShift, .seed = seed});
  EXPECT_EQ(r.items[0].choices, (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_NE(r.items[0].question.find("\n1. alpha 0"), std::string::npos) << r.items[0].question;
  EXPECT_EQ(r.items[1].choices, (std::vector<std::string>{"(a)", "(b)", "(c)", "(d)"}));
  EXPECT_NE(r.items[1].question.find("(c) 2"), std::string::npos) << r.items[1].question;
  EXPECT_NE(r.items[1].tags.extra.at("format").find("labels (a)"), std::string::npos);
}

TEST(Perturb, PerturbationsComposeKeepingFamilyAndRootId) {
  const auto noop = Perturb(WordSuite(), {.kind = PerturbKind::kIrrelevantClause, .seed = 1});
  Suite once;
  once.manifest.name = "gsm8k-noop";
  once.items = noop.items;
  FinishManifest(once);
  const auto twice = Perturb(once, {.kind = PerturbKind::kNameSubstitution, .seed = 2});
  const Item& b = twice.items[0];
  EXPECT_EQ(b.tags.family, "gsm8k");
  EXPECT_EQ(b.tags.extra.at("source_id"), "g0");
  EXPECT_EQ(b.tags.extra.at("perturbation"), "irrelevant-clause,name-substitution");
  EXPECT_EQ(b.tags.extra.at("perturb_seed"), "1,2");
  EXPECT_NE(b.prompt.find(noop.items[0].tags.extra.at("inserted")), std::string::npos);
  EXPECT_EQ(b.prompt.find("Janet"), std::string::npos);
  const auto named =
      Perturb(once, {.kind = PerturbKind::kNameSubstitution, .seed = 2, .family = "mine"});
  EXPECT_EQ(named.items[0].tags.family, "mine");
}

TEST(Perturb, SameSeedSameBytesOtherSeedDiffers) {
  for (PerturbKind kind : {PerturbKind::kChoicePermutation, PerturbKind::kIrrelevantClause,
                           PerturbKind::kNameSubstitution, PerturbKind::kFormatShift}) {
    const Suite s = kind == PerturbKind::kChoicePermutation || kind == PerturbKind::kFormatShift
                        ? McSuite()
                        : WordSuite();
    const auto a = perturb::ToJsonl(Perturb(s, {.kind = kind, .seed = 11}));
    const auto b = perturb::ToJsonl(Perturb(s, {.kind = kind, .seed = 11}));
    const auto c = perturb::ToJsonl(Perturb(s, {.kind = kind, .seed = 12}));
    EXPECT_EQ(a, b) << perturb::PerturbKindName(kind);
    EXPECT_NE(a, c) << perturb::PerturbKindName(kind);
  }
}

TEST(Perturb, OutputLoadsBackWithItsPoolAndTheSameContentHash) {
  testing::TempDir dir;
  const Suite s = McSuite();
  const auto r = Perturb(s, {.kind = PerturbKind::kFormatShift, .seed = 4});
  testing::WriteFile(dir / "out.jsonl", perturb::ToJsonl(r));
  const Suite back = LoadSuite((dir / "out.jsonl").string());
  EXPECT_EQ(back.items.size(), r.items.size());
  EXPECT_EQ(back.fewshot.size(), r.fewshot.size());
  EXPECT_EQ(back.manifest.content_hash, ContentHash(r.items, r.fewshot));
  EXPECT_EQ(back.manifest.splits.at("ood"), r.items.size());
}

TEST(Perturb, KindsThatDoNotFitAreInputErrorsNamingFileAndLine) {
  try {
    Perturb(WordSuite(), {.kind = PerturbKind::kChoicePermutation, .seed = 1});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("gsm.jsonl:g0: item 'g0': choice-permutation needs multiple-choice"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("3 of 3 items"), std::string::npos) << msg;
  }
  for (PerturbKind kind : {PerturbKind::kIrrelevantClause, PerturbKind::kNameSubstitution}) {
    EXPECT_THROW(Perturb(McSuite(), {.kind = kind, .seed = 1}), Error);
  }
  EXPECT_THROW(Perturb(McSuite(), {.kind = PerturbKind::kFormatShift, .all_rotations = true}),
               Error);
  Suite cloze = McSuite();
  for (Item& it : cloze.items) it.style = PromptStyle::kCloze;
  EXPECT_THROW(Perturb(cloze, {.kind = PerturbKind::kFormatShift}), Error);
}

TEST(Perturb, NativePoolLinesAreNeverScoredItems) {
  testing::TempDir dir;
  testing::WriteFile(
      dir / "s.jsonl",
      R"({"kind":"multiple_choice","id":"q","question":"?","choices":["a","b"],"gold":0})"
      "\n"
      R"({"kind":"multiple_choice","id":"s","fewshot":true,"question":"?","choices":["a","b"],"gold":1})"
      "\n"
      R"({"kind":"multiple_choice","id":"t","fewshot":1,"question":"?","choices":["a","b"],"gold":1})"
      "\n");
  const LoadResult r = LoadSuiteChecked((dir / "s.jsonl").string());
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_NE(r.issues[0].ToString().find("s.jsonl:3: \"fewshot\" must be true or false"),
            std::string::npos)
      << r.issues[0].ToString();
  ASSERT_EQ(r.suite.items.size(), 1u);
  ASSERT_EQ(r.suite.fewshot.size(), 1u);
  EXPECT_EQ(r.suite.fewshot[0].id, "s");
}

}  // namespace
}  // namespace gapbench::suites
