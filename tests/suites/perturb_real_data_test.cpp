// The perturbations on the real benchmarks in ../shared/data (skipped when absent): every one of
// the 14,042 MMLU test items keeps its gold text under choice-permutation; no GSM8K number, worked
// solution or answer is changed by irrelevant-clause or name-substitution; substitutions are one
// mapping per item; format-shift output still scores; same seed, same bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "suites/loaders.h"
#include "suites/perturb/perturb.h"
#include "suites/prompt.h"
#include "suites/scoring.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using perturb::Perturb;
using perturb::PerturbKind;

// The numbers of a text as written (digits with their inner commas and points), in order.
// Independent of the code under test.
std::vector<std::string> Numbers(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                               ((text[j] == ',' || text[j] == '.') && j + 1 < text.size() &&
                                std::isdigit(static_cast<unsigned char>(text[j + 1]))))) {
      ++j;
    }
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsWordByte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (static_cast<unsigned char>(c) >= 0xC3 && static_cast<unsigned char>(c) < 0xE2);
}

// Whole-word occurrences of `w` (ASCII names) in `text`.
size_t CountWord(std::string_view text, std::string_view w) {
  size_t n = 0;
  for (size_t p = text.find(w); p != std::string_view::npos; p = text.find(w, p + 1)) {
    const bool before = p > 0 && IsWordByte(text[p - 1]);
    const bool after = p + w.size() < text.size() && IsWordByte(text[p + w.size()]);
    if (!before && !after) ++n;
  }
  return n;
}

Suite LoadMmlu() {
  const auto data = testing::SharedDataDir();
  return LoadSuite((data / "mmlu").string());
}

Suite LoadGsm8k() {
  const auto data = testing::SharedDataDir();
  return LoadSuite((data / "gsm8k" / "test.jsonl").string());
}

TEST(PerturbRealData, EveryMmluItemKeepsItsGoldTextUnderChoicePermutation) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadMmlu();
  ASSERT_EQ(s.items.size(), 14042u);
  const auto r = Perturb(s, {.kind = PerturbKind::kChoicePermutation, .seed = 1});
  ASSERT_EQ(r.items.size(), 14042u);
  std::map<int, size_t> positions;
  size_t moved = 0;
  for (size_t i = 0; i < s.items.size(); ++i) {
    const Item& a = s.items[i];
    const Item& b = r.items[i];
    ASSERT_EQ(b.choices.at(static_cast<size_t>(b.gold)), a.choices[static_cast<size_t>(a.gold)])
        << a.id;
    auto x = a.choices, y = b.choices;
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    ASSERT_EQ(x, y) << a.id;
    ASSERT_EQ(b.question, a.question) << a.id;
    ASSERT_EQ(b.tags.extra.at("source_id"), a.id);
    moved += b.gold != a.gold;
    ++positions[b.gold];
  }
  EXPECT_EQ(moved, 14042u);
  for (int g = 0; g < 4; ++g) EXPECT_GT(positions[g], 14042u / 8) << "gold position " << g;
  EXPECT_EQ(r.fewshot.size(), 285u);

  const auto all =
      Perturb(s, {.kind = PerturbKind::kChoicePermutation, .seed = 1, .all_rotations = true});
  ASSERT_EQ(all.items.size(), 4 * 14042u);
  std::map<std::string, size_t> by_position;
  for (size_t i = 0; i < all.items.size(); ++i) {
    const Item& a = s.items[i / 4];
    const Item& b = all.items[i];
    ASSERT_EQ(b.choices[static_cast<size_t>(b.gold)], a.choices[static_cast<size_t>(a.gold)]);
    ++by_position[b.tags.extra.at("gold_position")];
  }
  EXPECT_EQ(by_position, (std::map<std::string, size_t>{
                             {"A", 14042}, {"B", 14042}, {"C", 14042}, {"D", 14042}}));
}

TEST(PerturbRealData, IrrelevantClauseChangesNoGsm8kNumberSolutionOrAnswer) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadGsm8k();
  ASSERT_EQ(s.items.size(), 1319u);
  const auto r = Perturb(s, {.kind = PerturbKind::kIrrelevantClause, .seed = 1});
  ASSERT_EQ(r.items.size(), 1319u);
  EXPECT_EQ(r.changed, 1319u);
  size_t before_last_sentence = 0;
  for (size_t i = 0; i < s.items.size(); ++i) {
    const Item& a = s.items[i];
    const Item& b = r.items[i];
    const std::string inserted = b.tags.extra.at("inserted");
    const size_t at = b.prompt.find(inserted + " ");
    ASSERT_NE(at, std::string::npos) << a.id;
    std::string back = b.prompt;
    back.erase(at, inserted.size() + 1);
    ASSERT_EQ(back, a.prompt) << a.id;  // every original character, numbers included, in place
    ASSERT_EQ(b.solution, a.solution) << a.id;
    ASSERT_EQ(b.reference, a.reference) << a.id;
    // The original numbers in order, plus exactly one new one that the item never used.
    const auto na = Numbers(a.prompt), nb = Numbers(b.prompt), ni = Numbers(inserted);
    ASSERT_EQ(ni.size(), 1u) << inserted;
    ASSERT_EQ(nb.size(), na.size() + 1) << a.id;
    auto without = nb;
    without.erase(std::find(without.begin(), without.end(), ni[0]));
    ASSERT_EQ(without, na) << a.id;
    const auto ns = Numbers(a.solution);
    EXPECT_EQ(std::count(na.begin(), na.end(), ni[0]) + std::count(ns.begin(), ns.end(), ni[0]), 0)
        << a.id << ": " << ni[0];
    // Nor in words ("three eggs" rules out 3).
    static const char* kWords[] = {
        "zero",     "one",     "two",     "three",     "four",     "five",     "six",
        "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
    std::string lower = a.prompt + " " + a.solution;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (int n = 0; n <= 20; ++n) {
      if (CountWord(lower, kWords[n]) > 0) {
        EXPECT_NE(ni[0], std::to_string(n)) << a.id << " uses '" << kWords[n] << "'";
      }
    }
    before_last_sentence += at > 0;
  }
  // Almost every GSM8K question has facts before its question sentence.
  EXPECT_GT(before_last_sentence, 1319u * 9 / 10);
}

TEST(PerturbRealData, NameSubstitutionIsOneMappingPerGsm8kItemAndChangesNoNumber) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadGsm8k();
  const auto r = Perturb(s, {.kind = PerturbKind::kNameSubstitution, .seed = 1});
  ASSERT_EQ(r.items.size(), 1319u);
  size_t substituted = 0, names = 0;
  for (size_t i = 0; i < s.items.size(); ++i) {
    const Item& a = s.items[i];
    const Item& b = r.items[i];
    ASSERT_EQ(Numbers(b.prompt), Numbers(a.prompt)) << a.id;
    ASSERT_EQ(Numbers(b.solution), Numbers(a.solution)) << a.id;
    ASSERT_EQ(b.reference, a.reference) << a.id;
    const std::string subs = b.tags.extra.at("substitutions");
    if (subs.empty()) {
      ASSERT_EQ(b.prompt, a.prompt) << a.id;
      continue;
    }
    ++substituted;
    // Parse "From=To;From=To" and check each pair: every occurrence of From (question and
    // solution) became To, To was not in the item before, and no two names share a To.
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t p = 0; p < subs.size();) {
      size_t e = subs.find(';', p);
      if (e == std::string::npos) e = subs.size();
      const std::string pair = subs.substr(p, e - p);
      const size_t eq = pair.find('=');
      ASSERT_NE(eq, std::string::npos) << subs;
      pairs.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
      p = e + 1;
    }
    // A name inside a longer mapped name ("New York" in "New York City") is not an occurrence
    // of its own: blank the longer ones out of the original before counting.
    auto masked = [&](std::string text, const std::string& name, bool after) {
      for (const auto& pair : pairs) {
        const std::string& longer = after ? pair.second : pair.first;
        if (longer.size() <= name.size() || longer.find(name) == std::string::npos) continue;
        for (size_t at = text.find(longer); at != std::string::npos; at = text.find(longer, at))
          text.replace(at, longer.size(), "#");
      }
      return text;
    };
    std::vector<std::string> tos;
    for (const auto& [from, to] : pairs) {
      ++names;
      EXPECT_EQ(CountWord(a.prompt, to) + CountWord(a.solution, to), 0u) << a.id << " " << to;
      EXPECT_EQ(CountWord(b.prompt, from) + CountWord(b.solution, from), 0u)
          << a.id << " " << from << "\n"
          << b.prompt;
      EXPECT_EQ(CountWord(masked(b.prompt, to, true), to),
                CountWord(masked(a.prompt, from, false), from))
          << a.id << " " << from;
      EXPECT_EQ(CountWord(masked(b.solution, to, true), to),
                CountWord(masked(a.solution, from, false), from))
          << a.id << " " << from;
      EXPECT_EQ(std::count(tos.begin(), tos.end(), to), 0) << a.id << " " << to;
      tos.push_back(to);
    }
  }
  // The lexicon knows the people of most GSM8K problems.
  EXPECT_GT(substituted, 1319u / 2) << substituted << " items, " << names << " names";
  std::printf("name-substitution: %zu of 1319 GSM8K items changed, %zu names swapped\n",
              substituted, names);
}

TEST(PerturbRealData, FormatShiftedSuitesStillScoreTheirGoldAnswers) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite g = LoadGsm8k();
  const auto rg = Perturb(g, {.kind = PerturbKind::kFormatShift, .seed = 1});
  for (size_t i = 0; i < g.items.size(); ++i) {
    ASSERT_TRUE(MatchGeneration(rg.items[i], rg.items[i].solution).correct) << g.items[i].id;
    ASSERT_TRUE(MatchGeneration(rg.items[i], g.items[i].solution).correct) << g.items[i].id;
  }
  const Suite m = LoadMmlu();
  const auto rm = Perturb(m, {.kind = PerturbKind::kFormatShift, .seed = 1});
  Suite out;
  out.items = rm.items;
  out.fewshot = rm.fewshot;
  FinishManifest(out);
  for (size_t i = 0; i < out.items.size(); i += 97) {
    const ItemPrompt p = BuildPrompt(out, i, {.k = 5});
    ASSERT_EQ(p.shot_ids.size(), 5u);
    ASSERT_EQ(p.continuations.size(), m.items[i].choices.size());
    // The gold text is shown, under the label of the gold continuation.
    const Item& b = out.items[i];
    ASSERT_NE(b.question.find(m.items[i].choices[static_cast<size_t>(m.items[i].gold)]),
              std::string::npos)
        << b.id;
  }
}

TEST(PerturbRealData, SameSeedSameBytes) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite g = LoadGsm8k();
  for (PerturbKind kind : {PerturbKind::kIrrelevantClause, PerturbKind::kNameSubstitution}) {
    const auto a = perturb::ToJsonl(Perturb(g, {.kind = kind, .seed = 9}));
    EXPECT_EQ(a, perturb::ToJsonl(Perturb(g, {.kind = kind, .seed = 9})));
    EXPECT_NE(a, perturb::ToJsonl(Perturb(g, {.kind = kind, .seed = 10})));
  }
}

}  // namespace
}  // namespace gapbench::suites
