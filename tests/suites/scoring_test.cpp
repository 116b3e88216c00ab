// Scorers on hand examples, pass@k on values computed by hand from the binomial formula, the
// HumanEval program layout, and the item record's JSON round trip.
#include "suites/scoring.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <span>
#include <string>
#include <tuple>

#include "common/error.h"
#include "common/json.h"
#include "suites/loaders.h"
#include "suites/prompt.h"
#include "suites/record.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

TEST(Scoring, AccAndAccNormByCharacters) {
  const std::vector<double> lp = {-4.0, -6.0, -3.5};
  const std::vector<std::string> cont = {" cat", " elephant", " ox"};
  EXPECT_EQ(ArgmaxAcc(lp), 2);
  // per character: -4/4 = -1.0, -6/9 = -0.667, -3.5/3 = -1.167 -> " elephant"
  EXPECT_EQ(ArgmaxAccNorm(lp, cont), 1);
  // Characters are code points, as Python's len: " été" is 4 characters (6 bytes).
  EXPECT_EQ(Utf8Length(" \u00e9t\u00e9"), 4u);
  const std::vector<double> lp2 = {-4.0, -4.2};
  const std::vector<std::string> cont2 = {" abcd", " \u00e9t\u00e9!"};  // 5 chars vs 5 chars
  EXPECT_EQ(ArgmaxAccNorm(lp2, cont2), 0);
  // An empty choice (a HellaSwag ending that was only "[title]") is never picked by acc_norm:
  // lm-eval divides its log-likelihood by len("") = 0, giving -inf (it won with length 1).
  const std::vector<double> lp3 = {-0.5, -40.0};
  const std::vector<std::string> cont3 = {"", "a long and unlikely ending"};
  EXPECT_EQ(ArgmaxAccNorm(lp3, cont3), 1);
  EXPECT_EQ(ArgmaxAcc(std::vector<double>{-1.0, -1.0}), 0);  // ties: first, as numpy
  EXPECT_EQ(ArgmaxAcc({}), -1);
}

TEST(Scoring, NumbersAsPeopleWriteThem) {
  EXPECT_EQ(ParseNumber("1,234"), 1234.0);
  EXPECT_EQ(ParseNumber(" $18 "), 18.0);
  EXPECT_EQ(ParseNumber("-3.50"), -3.5);
  EXPECT_EQ(ParseNumber("18."), 18.0);
  EXPECT_FALSE(ParseNumber("18 apples"));
  EXPECT_FALSE(ParseNumber("abc"));
  EXPECT_FALSE(ParseNumber(""));
  EXPECT_EQ(LastNumber("She makes 9 * 2 = $18 every day.\n#### 18"), "18");
  EXPECT_EQ(LastNumber("The total is $1,234.50."), "1234.50");
  EXPECT_EQ(LastNumber("from 3-4 degrees to -7"), "-7");
  EXPECT_EQ(LastNumber("pages 3-4"), "4");
  EXPECT_EQ(LastNumber("items 5, 6"), "6");
  EXPECT_EQ(LastNumber("Answer:42"), "42");
  EXPECT_FALSE(LastNumber("no digits here"));
}

Item Gen(std::string reference, MatchRule rule) {
  Item item;
  item.kind = ItemKind::kGeneration;
  item.reference = std::move(reference);
  item.match = rule;
  return item;
}

TEST(Scoring, GenerationMatchRules) {
  EXPECT_TRUE(MatchGeneration(Gen("Paris", MatchRule::kExact), "  Paris\n").correct);
  EXPECT_FALSE(MatchGeneration(Gen("Paris", MatchRule::kExact), "paris").correct);
  const Item gsm = Gen("1,200", MatchRule::kNumeric);
  EXPECT_TRUE(MatchGeneration(gsm, "12 * 100 = 1200 so the answer is 1200.").correct);
  EXPECT_TRUE(MatchGeneration(gsm, "#### 1,200").correct);
  EXPECT_FALSE(MatchGeneration(gsm, "1200 then 12").correct);  // the LAST number counts
  EXPECT_FALSE(MatchGeneration(gsm, "I don't know").correct);
  EXPECT_TRUE(MatchGeneration(Gen("18", MatchRule::kNumeric), "18.0").correct);
  const MatchResult r = MatchGeneration(Gen("colou?r", MatchRule::kRegex), "Its color is red");
  EXPECT_TRUE(r.correct);
  EXPECT_EQ(r.extracted, "color");
  EXPECT_FALSE(MatchGeneration(Gen("^red$", MatchRule::kRegex), "dark red").correct);
  EXPECT_THROW(MatchGeneration(Gen("(", MatchRule::kRegex), "x"), Error);
}

// lm-eval's GSM8K strict-match (the leaderboard's score): the first "#### N" of the generation
// against the answer's text after "#### ", both with "," "$" and a final "." ignored and
// lowercased. tests/fixtures/lmeval/gsm8k_strict.json holds what lm-eval's own RegexFilter and
// exact_match, with its gsm8k.yaml settings, give for 125 generation x answer pairs.
TEST(Scoring, Gsm8kStrictMatchAsLmEval) {
  const auto file = testing::SourceDir() / "tests" / "fixtures" / "lmeval" / "gsm8k_strict.json";
  const auto doc = ParseJson(ReadSuiteFile(file.string()), file.string());
  int correct = 0;
  for (const auto& c : doc["cases"].GetArray()) {
    const std::string gen = c["generation"].GetString(), answer = c["answer"].GetString();
    const MatchResult r = Gsm8kStrictMatch(gen, answer);
    EXPECT_EQ(r.extracted, c["extracted"].GetString()) << gen;
    EXPECT_EQ(r.correct, c["correct"].GetBool()) << gen << " vs " << answer;
    correct += r.correct;
  }
  EXPECT_EQ(correct, 12);  // the fixture's count: the check is not vacuous
}

// A GSM8K item's record carries both scores: `correct` by the last number (lm-eval's
// flexible-extract in spirit), `correct_strict` by strict-match; other formats have no strict
// score, and the record's JSON keeps it (written only when set).
TEST(Scoring, Gsm8kRecordsCarryTheStrictScore) {
  testing::TempDir dir;
  testing::WriteFile(dir / "test.jsonl",
                     ReadSuiteFile((testing::SourceDir() / "tests/fixtures/lmeval/gsm8k_tiny.jsonl")
                                       .string()));  // "Q1?" ... answer "s1\n#### 1"
  const Suite s = LoadSuite((dir / "test.jsonl").string());
  ASSERT_EQ(s.manifest.format, "gsm8k");
  const ItemRequests req = BuildRequests(s, 1, {});
  for (const auto& [text, flexible, strict] :
       std::vector<std::tuple<std::string, bool, bool>>{{" s1\n#### 1", true, true},
                                                        {" so it is 1", true, false},
                                                        {" #### 1.00", true, false},
                                                        {" #### 2", false, false}}) {
    const Generation g{.text = text, .finish_reason = "stop"};
    const ItemRecord r = ScoreItem(s, 1, req, {}, std::span<const Generation>(&g, 1));
    EXPECT_EQ(r.correct, flexible) << text;
    ASSERT_TRUE(r.correct_strict.has_value()) << text;
    EXPECT_EQ(*r.correct_strict, strict) << text;
    const ItemRecord back = ItemRecordFromJson(ItemRecordToJson(r), "record");
    EXPECT_EQ(back.correct_strict, r.correct_strict) << text;
  }
  // A native generation item with a numeric reference: no strict score, none in its JSON.
  testing::WriteFile(
      dir / "native.jsonl",
      R"({"kind":"generation","id":"n1","prompt":"2+2=","reference":"4","match":"numeric"})"
      "\n");
  const Suite native = LoadSuite((dir / "native.jsonl").string());
  const Generation g{.text = "#### 4", .finish_reason = "stop"};
  const ItemRecord r =
      ScoreItem(native, 0, BuildRequests(native, 0, {}), {}, std::span<const Generation>(&g, 1));
  EXPECT_FALSE(r.correct_strict.has_value());
  EXPECT_EQ(ItemRecordToJson(r).find("correct_strict"), std::string::npos);
}

// An invalid pattern is an Error that names the item (its source) and says what is wrong.
TEST(Scoring, InvalidRegexNamesTheItem) {
  Item item = Gen("answer: (\\d+", MatchRule::kRegex);
  item.source = "suite.jsonl:7";
  try {
    MatchGeneration(item, "answer: 4");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("suite.jsonl:7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a valid regular expression"), std::string::npos)
        << e.what();
  }
}

// RE2 syntax as docs/SUITES.md describes it: ECMAScript-like, no backreferences or lookaround
// (refused, so the loaders reject the item), UTF-8 code points for `.`.
TEST(Scoring, RegexSyntaxIsRe2) {
  EXPECT_FALSE(RegexError("(?i)^the answer is \\$?(\\d+(?:,\\d{3})*)\\.?$"));
  EXPECT_TRUE(RegexError("(a)\\1"));
  EXPECT_TRUE(RegexError("x(?=y)"));
  EXPECT_TRUE(RegexError("(?<!x)y"));
  EXPECT_EQ(RegexError("("), "missing ): (");
  EXPECT_TRUE(MatchGeneration(Gen("^.$", MatchRule::kRegex), "\u00e9").correct);
  const MatchResult lazy = MatchGeneration(Gen("a.*?b", MatchRule::kRegex), "xa1b2b");
  EXPECT_EQ(lazy.extracted, "a1b");
  EXPECT_TRUE(MatchGeneration(Gen("(?i)PARIS", MatchRule::kRegex), "paris").correct);
}

// A 1 MB generation (a model that repeats itself until max_tokens) against a pattern with an
// alternation under a star: a backtracking matcher recurses once per repetition. Linear-time
// matching finds the answer at the end and does not depend on the stack.
std::string LongGeneration() {
  std::string g;
  g.reserve((1 << 20) + 16);
  while (g.size() < (1 << 20)) g += "ab";
  return g + " so the answer is 42";
}

TEST(Scoring, RegexOnAMegabyteGenerationDoesNotExhaustTheStack) {
  const std::string g = LongGeneration();
  const MatchResult r =
      MatchGeneration(Gen("(a|b)*\\s*so the answer is (\\d+)", MatchRule::kRegex), g);
  EXPECT_TRUE(r.correct);
  EXPECT_EQ(r.extracted.size(), g.size());
  EXPECT_FALSE(MatchGeneration(Gen("(a|b)*c", MatchRule::kRegex), g).correct);
}

// Why not std::regex: libstdc++'s matcher recurses per repetition and overflows the stack (or
// gives up with error_complexity) on the same input, in a child process here.
TEST(ScoringDeathTest, StdRegexOnTheSameGenerationDies) {
  const std::string g = LongGeneration();
  EXPECT_DEATH(
      {
        const std::regex re("(a|b)*\\s*so the answer is (\\d+)", std::regex::ECMAScript);
        std::smatch m;
        const bool found = std::regex_search(g, m, re);
        std::fprintf(stderr, "std::regex survived: %d\n", found ? 1 : 0);
        std::_Exit(0);
      },
      "");
}

TEST(Scoring, HumanEvalProgram) {
  Item item;
  item.kind = ItemKind::kCode;
  item.prompt = "def add(a, b):\n";
  item.test = "def check(candidate):\n    assert candidate(1, 2) == 3\n";
  item.entry_point = "add";
  EXPECT_EQ(AssembleProgram(item, "    return a + b"),
            "def add(a, b):\n    return a + b\n"
            "def check(candidate):\n    assert candidate(1, 2) == 3\n"
            "\ncheck(add)");
}

TEST(Scoring, PassAtKHandComputed) {
  // 1 - C(n-c,k)/C(n,k), by hand:
  EXPECT_NEAR(PassAtK(5, 2, 1), 1.0 - 3.0 / 5.0, 1e-15);      // C(3,1)/C(5,1) = 3/5
  EXPECT_NEAR(PassAtK(5, 2, 2), 1.0 - 3.0 / 10.0, 1e-15);     // C(3,2)/C(5,2) = 3/10
  EXPECT_NEAR(PassAtK(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-15);  // C(7,5)/C(10,5) = 21/252
  EXPECT_NEAR(PassAtK(200, 1, 1), 1.0 / 200.0, 1e-15);
  EXPECT_NEAR(PassAtK(20, 4, 10), 1.0 - 8008.0 / 184756.0, 1e-14);  // C(16,10)/C(20,10)
  EXPECT_EQ(PassAtK(4, 0, 2), 0.0);
  EXPECT_EQ(PassAtK(3, 2, 2), 1.0);  // n - c < k: every pair holds a pass
  EXPECT_EQ(PassAtK(7, 7, 1), 1.0);
  // Huge binomials (C(200,100) ~ 9e58) stay finite.
  EXPECT_NEAR(PassAtK(200, 100, 100), 1.0, 1e-12);
  EXPECT_THROW(PassAtK(5, 6, 1), Error);
  EXPECT_THROW(PassAtK(5, 1, 0), Error);
  EXPECT_THROW(PassAtK(5, 1, 6), Error);
}

TEST(Record, JsonRoundTrip) {
  ItemRecord r;
  r.item_id = "abstract_algebra/0";
  r.suite = "mmlu";
  r.suite_hash = "0123456789abcdef";
  r.prompt_hash = "fedcba9876543210";
  r.kind = ItemKind::kMultipleChoice;
  r.tags.subject = "abstract_algebra";
  r.tags.steps = 3;
  r.tags.extra["source"] = "hand";
  r.shot_ids = {"abstract_algebra/dev/0"};
  r.prediction = "B";
  r.reference = "B";
  r.gold = 1;
  r.pred = 1;
  r.pred_norm = 2;
  r.choice_logprobs = {-1.25, -0.1, -0.30000000000000004, -7.0};
  r.choice_tokens = {1, 1, 1, 1};
  r.correct = true;
  r.correct_norm = false;
  r.tokens_in = 321;
  r.latency_s = 0.125;
  const std::string json = ItemRecordToJson(r);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  const ItemRecord b = ItemRecordFromJson(json, "test");
  EXPECT_EQ(ItemRecordToJson(b), json);
  EXPECT_EQ(b.choice_logprobs, r.choice_logprobs);  // doubles round-trip exactly
  EXPECT_EQ(b.correct_norm, false);
  EXPECT_EQ(b.tags.steps, 3);
  ItemRecord code;
  code.item_id = "HumanEval/0";
  code.kind = ItemKind::kCode;
  code.generation = "    return True\n";
  const ItemRecord c = ItemRecordFromJson(ItemRecordToJson(code), "test");
  EXPECT_FALSE(c.correct.has_value());  // not yet run in the sandbox
  EXPECT_EQ(c.generation, code.generation);
  EXPECT_THROW(ItemRecordFromJson("{\"kind\":\"code\"}", "rec.jsonl:3"), Error);
}

}  // namespace
}  // namespace gapbench::suites
