// gapbench's requests against the ones lm-evaluation-harness itself builds: the fixtures in
// tests/fixtures/lmeval were written by tools/lmeval_requests.py, which runs the pinned lm-eval
// (tools/requirements-lmeval.txt) on its built-in task YAMLs over the same local files. For every
// dumped item the context and every continuation (the prompt and stop sequences for generation
// tasks) must be byte-identical. Few-shot fixtures use lm-eval's first_n sampler over the pool
// (ARC Dev, MMLU dev), which is what gapbench's pool shots are.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/json.h"
#include "suites/loaders.h"
#include "suites/prompt.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

namespace fs = std::filesystem;

fs::path FixtureDir() { return testing::SourceDir() / "tests" / "fixtures" / "lmeval"; }

std::string Str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

// Checks every item of one fixture; returns how many requests were compared.
size_t CheckFixture(const std::string& name, const fs::path& data) {
  const fs::path file = FixtureDir() / (name + ".json");
  const auto doc = ParseJson(ReadSuiteFile(file.string()), file.string());
  const std::string rel = doc["path"].GetString();
  const std::string path = rel.starts_with("@fixtures/") ? (FixtureDir() / rel.substr(10)).string()
                                                         : (data / rel).string();
  const Suite suite = LoadSuite(path, {.format = doc["format"].GetString()});
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < suite.items.size(); ++i) by_id[suite.items[i].id] = i;
  const FewShotOptions shots{.k = doc["num_fewshot"].GetInt()};
  size_t compared = 0;
  for (const auto& want : doc["items"].GetArray()) {
    const std::string id = Str(want["id"]);
    SCOPED_TRACE(name + " item " + id);
    const auto at = by_id.find(id);
    if (at == by_id.end()) {
      ADD_FAILURE() << "no item " << id << " in " << path;
      continue;
    }
    const ItemRequests got = BuildRequests(suite, at->second, shots);
    if (want.HasMember("prompt")) {  // generate_until
      if (got.gen.size() != 1) {
        ADD_FAILURE() << "expected one generation request, got " << got.gen.size();
        continue;
      }
      EXPECT_EQ(got.gen[0].prompt, Str(want["prompt"]));
      std::vector<std::string> until;
      for (const auto& u : want["until"].GetArray()) until.push_back(Str(u));
      EXPECT_EQ(got.gen[0].stop, until);
      ++compared;
      continue;
    }
    std::vector<std::pair<std::string, std::string>> expected;
    if (want.HasMember("requests")) {
      for (const auto& r : want["requests"].GetArray()) expected.emplace_back(Str(r[0]), Str(r[1]));
    } else {
      for (const auto& c : want["continuations"].GetArray())
        expected.emplace_back(Str(want["context"]), Str(c));
    }
    if (got.loglik.size() != expected.size()) {
      ADD_FAILURE() << got.loglik.size() << " requests, lm-eval has " << expected.size();
      continue;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(got.loglik[i].context, expected[i].first) << "request " << i;
      EXPECT_EQ(got.loglik[i].continuation, expected[i].second) << "request " << i;
      ++compared;
    }
  }
  return compared;
}

TEST(LmEvalRequests, HellaswagFromTheAuthorsFormat) {
  // The sample lines are committed with the fixtures: no shared data needed.
  EXPECT_EQ(CheckFixture("hellaswag", {}), 16u);
}

// The requests of one fixture item as (context, continuation) pairs, whichever shape it has.
std::vector<std::pair<std::string, std::string>> FixtureRequests(const std::string& name,
                                                                 const std::string& id) {
  const fs::path file = FixtureDir() / (name + ".json");
  const auto doc = ParseJson(ReadSuiteFile(file.string()), file.string());
  for (const auto& want : doc["items"].GetArray()) {
    if (Str(want["id"]) != id) continue;
    std::vector<std::pair<std::string, std::string>> out;
    if (want.HasMember("requests")) {
      for (const auto& r : want["requests"].GetArray()) out.emplace_back(Str(r[0]), Str(r[1]));
    } else {
      for (const auto& c : want["continuations"].GetArray())
        out.emplace_back(Str(want["context"]), Str(c));
    }
    return out;
  }
  ADD_FAILURE() << "no item " << id << " in " << file;
  return {};
}

// Few-shot prompts of a task whose shots come from the suite itself (seeded), against lm-eval:
// fixture NAME_0shot holds every row at 0 shots, NAME_shotJ row 0 with row J as its only
// (first_n) training shot, so lm-eval's text of shot J is what NAME_shotJ's contexts hold before
// the 0-shot ones. gapbench's k-shot requests of row 0 must be its chosen shots' texts, in its
// order, before the 0-shot requests, byte for byte.
void CheckSeededShots(const std::string& name, const std::string& sample,
                      const std::string& format) {
  const Suite s = LoadSuite((FixtureDir() / sample).string(), {.format = format});
  ASSERT_EQ(s.items.size(), 4u);
  const auto zero = FixtureRequests(name + "_0shot", s.items[0].id);
  ASSERT_FALSE(zero.empty());
  // Every row at 0 shots, as the other fixtures check it.
  for (size_t i = 0; i < s.items.size(); ++i) {
    const auto want = FixtureRequests(name + "_0shot", s.items[i].id);
    const ItemRequests got = BuildRequests(s, i, {});
    ASSERT_EQ(got.loglik.size(), want.size()) << s.items[i].id;
    for (size_t c = 0; c < want.size(); ++c) {
      EXPECT_EQ(got.loglik[c].context, want[c].first) << s.items[i].id << " request " << c;
      EXPECT_EQ(got.loglik[c].continuation, want[c].second) << s.items[i].id << " request " << c;
    }
  }
  std::map<std::string, std::string> shot_text;
  for (size_t j = 1; j < s.items.size(); ++j) {
    const auto one = FixtureRequests(name + "_shot" + std::to_string(j), s.items[j].id);
    ASSERT_EQ(one.size(), zero.size());
    ASSERT_TRUE(one[0].first.ends_with(zero[0].first)) << one[0].first;
    const std::string text = one[0].first.substr(0, one[0].first.size() - zero[0].first.size());
    for (size_t c = 0; c < one.size(); ++c) {  // the same shot text before every request
      EXPECT_EQ(one[c].first, text + zero[c].first);
      EXPECT_EQ(one[c].second, zero[c].second);
    }
    shot_text[s.items[j].id] = text;
  }
  std::set<std::vector<std::string>> selections;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    SCOPED_TRACE(name + " seed " + std::to_string(seed));
    const ItemRequests got = BuildRequests(s, 0, {.k = 2, .seed = seed});
    ASSERT_EQ(got.prompt.shot_ids.size(), 2u);
    selections.insert(got.prompt.shot_ids);
    const std::string shots = shot_text.at(got.prompt.shot_ids[0]) +
                              shot_text.at(got.prompt.shot_ids[1]);
    ASSERT_EQ(got.loglik.size(), zero.size());
    for (size_t c = 0; c < zero.size(); ++c) {
      EXPECT_EQ(got.loglik[c].context, shots + zero[c].first) << "request " << c;
      EXPECT_EQ(got.loglik[c].continuation, zero[c].second) << "request " << c;
    }
  }
  EXPECT_GT(selections.size(), 1u);  // the seeds reach different shots
}

TEST(LmEvalRequests, WinograndeFewShotAsLmEvalFormatsPartialShots) {
  // Hand-written lines: a blank at the start, a suffix of only "." and one of only spaces (the
  // empty suffix: lm-eval's continuation is then " " and its shot text has no delimiters).
  CheckSeededShots("winogrande_tiny", "winogrande_sample.jsonl", "winogrande");
}

TEST(LmEvalRequests, HellaswagFewShotAsLmEvalFormatsShots) {
  CheckSeededShots("hellaswag_tiny", "hellaswag_sample.jsonl", "hellaswag");
}

TEST(LmEvalRequests, Arc) {
  GB_REQUIRE_SHARED_DATA(data);
  for (const char* f :
       {"arc_easy_0shot", "arc_easy_25shot", "arc_challenge_0shot", "arc_challenge_25shot"}) {
    EXPECT_GT(CheckFixture(f, data), 0u) << f;
  }
}

TEST(LmEvalRequests, TruthfulQa) {
  GB_REQUIRE_SHARED_DATA(data);
  EXPECT_GT(CheckFixture("truthfulqa_mc1", data), 0u);
  EXPECT_GT(CheckFixture("truthfulqa_mc2", data), 0u);
}

TEST(LmEvalRequests, WinograndePiqaBoolq) {
  GB_REQUIRE_SHARED_DATA(data);
  EXPECT_EQ(CheckFixture("winogrande", data), 40u);
  EXPECT_EQ(CheckFixture("piqa", data), 40u);
  EXPECT_EQ(CheckFixture("boolq", data), 40u);
}

TEST(LmEvalRequests, MmluAndGsm8k) {
  GB_REQUIRE_SHARED_DATA(data);
  for (const char* s :
       {"abstract_algebra", "college_physics", "high_school_world_history", "professional_law"}) {
    for (const char* k : {"_0shot", "_5shot"}) {
      const std::string f = std::string("mmlu_") + s + k;
      EXPECT_GT(CheckFixture(f, data), 0u) << f;
    }
  }
  EXPECT_EQ(CheckFixture("gsm8k", data), 20u);
}

}  // namespace
}  // namespace gapbench::suites
