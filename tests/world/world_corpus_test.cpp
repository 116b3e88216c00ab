// What the corpus holds and what it must not: every fact exactly as often as its probes'
// fact_frequency says, no ood item's text and no ood paraphrase template anywhere, no worked
// problem longer than the id limit, no function of a held-out combination. On the default-size
// world too (a few seconds), since the small one has few facts in the frequent strata.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/json.h"
#include "suites/loaders.h"
#include "tests/world/world_test_util.h"

namespace gapbench {
namespace {

using testing::HasWord;
using testing::Lines;
using testing::ReadFile;
using testing::Synth;
using testing::TemplateOccurs;

// Lines of the corpus that mention both names: one corpus line states one fact, and the only
// lines naming a subject together with a value of its relation's type are its statements.
int64_t CountFact(const std::vector<std::string_view>& lines, const std::string& a,
                  const std::string& b) {
  int64_t n = 0;
  for (const auto& line : lines) n += HasWord(line, a) && HasWord(line, b) ? 1 : 0;
  return n;
}

void CheckFrequencies(const std::filesystem::path& dir) {
  const std::string corpus = testing::Corpus(dir);
  const auto lines = Lines(corpus);
  const auto suite = suites::LoadSuite((dir / "knowledge.jsonl").string());
  std::set<int> strata;
  size_t two_hop = 0, checked = 0;
  for (const auto& item : suite.items) {
    if (item.tags.split != "id") continue;  // the ood twin probes the same fact
    ASSERT_TRUE(item.tags.fact_frequency.has_value()) << item.id;
    const auto f = static_cast<int64_t>(*item.tags.fact_frequency);
    const auto& x = item.tags.extra;
    strata.insert(f == 0 ? 0 : f < 10 ? 1 : f < 100 ? 2 : 3);
    if (x.at("hops") == "1") {
      EXPECT_EQ(CountFact(lines, x.at("entity"), x.at("value")), f) << item.id;
    } else {
      ++two_hop;
      const int64_t a = CountFact(lines, x.at("entity"), x.at("via"));
      const int64_t b = CountFact(lines, x.at("via"), x.at("value"));
      EXPECT_EQ(std::min(a, b), f) << item.id;
    }
    EXPECT_EQ(item.choices.at(static_cast<size_t>(item.gold)), x.at("value")) << item.id;
    ++checked;
  }
  // And in total: corpus/knowledge.txt holds exactly the world's fact mentions, one per line.
  const auto m = ParseJson(ReadFile(dir / "manifest.json"), "manifest.json");
  int64_t statements = 0;
  for (const auto& line : Lines(ReadFile(dir / "corpus" / "knowledge.txt"))) {
    statements += line.empty() ? 0 : 1;
  }
  EXPECT_EQ(statements, m["world"]["fact_mentions"].GetInt64());
  EXPECT_GT(checked, 20u);
  EXPECT_GT(two_hop, 0u);
  EXPECT_EQ(strata.size(), 4u) << "probes in every stratum: 0, 1-9, 10-99, 100+";
}

TEST(WorldCorpus, FactMentionsEqualFactFrequencySmall) {
  testing::TempDir dir;
  Synth(dir.path(), 7, "small");
  CheckFrequencies(dir.path());
}

TEST(WorldCorpus, FactMentionsEqualFactFrequencyDefault) {
  testing::TempDir dir;
  Synth(dir.path(), 1, "default", {"--corpus-tokens", "400000"});
  CheckFrequencies(dir.path());
}

TEST(WorldCorpus, NoOodMaterialInTheCorpus) {
  testing::TempDir dir;
  Synth(dir.path(), 7, "small");
  const std::string corpus = testing::Corpus(dir.path());
  const auto m = ParseJson(ReadFile(dir / "manifest.json"), "manifest.json");
  size_t n_templates = 0;
  for (const auto& s : m["suites"].GetArray()) {
    for (const auto& t : s["ood_templates"].GetArray()) {
      EXPECT_FALSE(TemplateOccurs(corpus, t.GetString())) << t.GetString();
      ++n_templates;
    }
    const auto suite = suites::LoadSuite((dir / s["file"].GetString()).string());
    for (const auto& item : suite.items) {
      const std::string text =
          item.kind == suites::ItemKind::kMultipleChoice ? item.question : item.prompt;
      // No item is training data, except that a knowledge id probe is by design the start of
      // its fact's statements (when the fact is stated with the first template).
      if (item.tags.split == "ood" || item.tags.family != "knowledge") {
        EXPECT_EQ(corpus.find(text), std::string::npos) << item.id;
      }
    }
  }
  EXPECT_EQ(n_templates, 12u + 6u + 6u);  // knowledge 9+3, code 6 held out, guard 6
  // The check can fail: an id template of each suite does occur.
  EXPECT_TRUE(TemplateOccurs(corpus, "Given the list {arg} of integers, return the sum."));
  EXPECT_TRUE(TemplateOccurs(corpus, "{S} lives in {V}."));
  EXPECT_TRUE(TemplateOccurs(corpus, "Request: Where does {S} live?"));
  EXPECT_FALSE(TemplateOccurs(corpus, "lives in {V} and calls home"));
}

TEST(WorldCorpus, WorkedProblemsInTheCorpusHaveAtMostFourSteps) {
  testing::TempDir dir;
  Synth(dir.path(), 7, "small");
  const std::string text = ReadFile(dir / "corpus" / "reasoning.txt");
  size_t problems = 0, steps = 0;
  std::map<size_t, size_t> by_steps;
  for (const auto& line : Lines(text)) {
    if (line.starts_with("Question: ")) {
      ++problems;
      steps = 0;
    } else if (line.find(" = ") != std::string_view::npos) {
      ++steps;
    } else if (line.starts_with("#### ")) {
      ++by_steps[steps];
    }
  }
  EXPECT_GT(problems, 100u);
  EXPECT_EQ(by_steps.size(), 4u);
  EXPECT_EQ(by_steps.begin()->first, 1u);
  EXPECT_EQ(by_steps.rbegin()->first, 4u);
}

// Every worked solution is right: each line's calculation holds, all numbers stay in 0..99, the
// number of lines is `steps`, and the reference is the last result.
TEST(WorldCorpus, ReasoningSolutionsAreCorrect) {
  testing::TempDir dir;
  Synth(dir.path(), 9, "small");
  const auto suite = suites::LoadSuite((dir / "reasoning.jsonl").string());
  std::map<int64_t, size_t> per_k;
  for (const auto& item : suite.items) {
    ASSERT_TRUE(item.tags.steps.has_value());
    ++per_k[*item.tags.steps];
    EXPECT_EQ(item.tags.split, *item.tags.steps <= 4 ? "id" : "ood");
    int64_t lines = 0, last = -1;
    for (const auto& line : Lines(item.solution)) {
      if (line.starts_with("#### ")) {
        EXPECT_EQ(std::string(line.substr(5)), std::to_string(last)) << item.id;
        continue;
      }
      long long a = 0, b = 0, c = 0;
      char op = 0;
      ASSERT_EQ(std::sscanf(std::string(line).c_str(), "%lld %c %lld = %lld", &a, &op, &b, &c), 4)
          << item.id << ": " << line;
      const long long want = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;
      EXPECT_EQ(c, want) << item.id << ": " << line;
      if (op == '/') {
        EXPECT_EQ(a % b, 0) << item.id;
      }
      for (long long v : {a, b, c}) EXPECT_TRUE(v >= 0 && v <= 99) << item.id << ": " << line;
      if (last >= 0) {
        EXPECT_EQ(a, last) << item.id;
      }
      last = c;
      ++lines;
    }
    EXPECT_EQ(lines, *item.tags.steps) << item.id;
    EXPECT_EQ(item.reference, std::to_string(last)) << item.id;
  }
  EXPECT_EQ(per_k.size(), 8u);
}

}  // namespace
}  // namespace gapbench
