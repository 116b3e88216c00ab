// Shard expansion: range arithmetic, and content-addressed ids -- equal for the same work in any
// sweep file, different whenever a field that determines results changes, unchanged when only
// names, priority or order change. The key is checked field by field against values computed
// independently (file size, LoadSuite's content hash, EngineConfig::Canonical) and the id against
// a separate FNV-1a implementation.
#include "coordinator/expand.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "common/json.h"
#include "suites/loaders.h"
#include "tests/coordinator/sweep_fixture.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

Sweep MustLoad(const fs::path& file) {
  SweepCheck c = CheckSweepFile(file.string());
  std::string all;
  for (const auto& e : c.errors) all += e + "\n";
  EXPECT_TRUE(c.ok()) << all;
  return std::move(c.sweep);
}

std::vector<std::pair<size_t, size_t>> Ranges(const Expansion& x) {
  std::vector<std::pair<size_t, size_t>> out;
  for (const auto& s : x.shards) out.emplace_back(s.begin, s.end);
  return out;
}

std::set<std::string> Ids(const Expansion& x) {
  std::set<std::string> out;
  for (const auto& s : x.shards) out.insert(s.id);
  return out;
}

// A GSM8K sweep over `n_items` items: models/m.gguf, data/g.jsonl, with `suite_extra` appended
// inside the suite object and `top_extra` at the top level.
fs::path WriteGsmSweep(const TempDir& dir, const std::string& file, size_t n_items,
                       const std::string& suite_extra = "", const std::string& top_extra = "") {
  if (!fs::exists(dir / "models" / "m.gguf")) testing::CopyModel(dir / "models" / "m.gguf");
  if (!fs::exists(dir / "data" / "g.jsonl")) testing::WriteGsm8k(dir / "data" / "g.jsonl", n_items);
  WriteFile(dir / file, StrCat(R"({"name": "t", "models": [{"alias": "m", "path": "models/m.gguf"}],
    "engines": [{"name": "base"}],
    "suites": [{"name": "g", "path": "data/g.jsonl")",
                               suite_extra, R"(}],
    "grid": {})",
                               top_extra, "}"));
  return dir / file;
}

TEST(Expand, ShardRangesCoverTheLimitedItems) {
  TempDir dir;
  // 7 items, shard 3 -> [0,3) [3,6) [6,7).
  Expansion x = ExpandSweep(MustLoad(WriteGsmSweep(dir, "a.json", 7, "", R"(, "shard_size": 3)")));
  EXPECT_EQ(Ranges(x), (std::vector<std::pair<size_t, size_t>>{{0, 3}, {3, 6}, {6, 7}}));
  EXPECT_EQ(x.n_items, 7u);
  // limit 5 of 7, shard 3 -> 3, 2.
  x = ExpandSweep(
      MustLoad(WriteGsmSweep(dir, "b.json", 7, R"(, "limit": 5)", R"(, "shard_size": 3)")));
  EXPECT_EQ(Ranges(x), (std::vector<std::pair<size_t, size_t>>{{0, 3}, {3, 5}}));
  // A limit above the suite's size takes every item; one shard when shard_size exceeds it.
  x = ExpandSweep(
      MustLoad(WriteGsmSweep(dir, "c.json", 7, R"(, "limit": 100)", R"(, "shard_size": 50)")));
  EXPECT_EQ(Ranges(x), (std::vector<std::pair<size_t, size_t>>{{0, 7}}));
  // Two seeds double the shards; 200 of 250 MMLU items in shards of 10 -> 20 per seed.
  TempDir d2;
  testing::WriteExampleFiles(d2.path());
  std::string text = testing::kExampleSweep;
  text.replace(text.find("\"seed\": 1"), 9, "\"seeds\": [1, 2]");
  WriteFile(d2 / "s.json", text);
  x = ExpandSweep(MustLoad(d2 / "s.json"));
  EXPECT_EQ(x.shards.size(), 2u * 2u * 20u);
  EXPECT_EQ(x.n_items, 2u * 2u * 200u);
  for (const auto& s : x.shards) EXPECT_EQ(s.end - s.begin, 10u);
  EXPECT_EQ(Ids(x).size(), x.shards.size());
}

TEST(Expand, KeyHoldsTheDeterminingFieldsAndIdIsItsHash) {
  TempDir dir;
  const Sweep sw =
      MustLoad(WriteGsmSweep(dir, "a.json", 7, R"(, "fewshot": 2, "samples": 3, "max_tokens": 64)",
                             R"(, "seed": 42, "shard_size": 4)"));
  const Expansion x = ExpandSweep(sw);
  ASSERT_EQ(x.shards.size(), 2u);
  const Shard& s = x.shards[1];
  const rapidjson::Document key = ParseJson(s.key, "key");
  // Independent values.
  const auto suite = suites::LoadSuite((dir / "data" / "g.jsonl").string());
  EXPECT_EQ(key["suite"].GetString(), suite.manifest.content_hash);
  EXPECT_EQ(key["model"]["bytes"].GetUint64(), fs::file_size(testing::FixtureModel()));
  EXPECT_EQ(std::string(key["model"]["scheme"].GetString()), kModelIdentityScheme);
  EXPECT_EQ(CanonicalJson(key["engine"]),
            CanonicalJson(ParseJson(engine::EngineConfig{}.Canonical(), "engine")));
  EXPECT_EQ(key["items"][0].GetInt(), 4);
  EXPECT_EQ(key["items"][1].GetInt(), 7);
  EXPECT_EQ(key["seed"].GetInt(), 42);
  EXPECT_EQ(key["samples"].GetInt(), 3);
  EXPECT_EQ(key["fewshot"].GetInt(), 2);
  EXPECT_EQ(key["max_tokens"].GetInt(), 64);
  EXPECT_EQ(std::string(key["temperature"].GetString()), "0.8");  // the default with samples > 1
  EXPECT_EQ(key["result_format"].GetInt(), kResultFormatVersion);
  EXPECT_EQ(std::string(key["strategy"]["name"].GetString()), "single");
  // Nothing else, and nothing a rename could change.
  EXPECT_EQ(key.MemberCount(), 11u);
  EXPECT_EQ(s.key.find("\"t\""), std::string::npos);
  // Canonical: sorted keys, no whitespace -- re-canonicalising changes nothing.
  EXPECT_EQ(CanonicalJson(key), s.key);
  EXPECT_EQ(s.key.find(' '), std::string::npos);
  std::string prev;
  for (const auto& m : key.GetObject()) {
    EXPECT_LT(prev, m.name.GetString());
    prev = m.name.GetString();
  }
  // FNV-1a 64, written out here independently of common/hash.cpp.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s.key) h = (h ^ ch) * 0x100000001b3ull;
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  EXPECT_EQ(s.id, hex);
}

TEST(Expand, CanonicalJsonSortsKeysRecursively) {
  const auto doc = ParseJson(R"({"b": 1, "a": {"d": [3, {"z": null, "y": "s"}], "c": true}})", "t");
  EXPECT_EQ(CanonicalJson(doc), R"({"a":{"c":true,"d":[3,{"y":"s","z":null}]},"b":1})");
}

TEST(Expand, SameWorkInAnotherSweepFileHasTheSameIds) {
  // Sweep A in one folder; sweep B elsewhere, with copies of the same files under other names,
  // other aliases, engine and suite names, sweep name, priority, entry order and key order.
  TempDir a, b;
  testing::WriteExampleFiles(a.path());
  WriteFile(a / "sweep.json", testing::kExampleSweep);
  testing::CopyModel(b / "elsewhere" / "renamed.gguf");
  testing::CopyModel(b / "other.gguf", "llama-mha-q8_0.gguf");
  testing::WriteMmluFolder(b / "mmlu_copy", 250);
  WriteFile(b / "other.json", R"({"priority": 7, "shard_size": 10, "seed": 1,
    "name": "a different sweep",
    "suites": [{"limit": 200, "fewshot": 5, "path": "mmlu_copy", "name": "M"}],
    "engines": [{"name": "quant", "config": {"weights": "Q8_0", "kv_cache": "f16"}},
                {"name": "plain", "config": {"kv_sharing": {"mode": "none"}}}],
    "models": [{"alias": "x", "path": "other.gguf"}, {"path": "elsewhere/renamed.gguf"}],
    "combinations": [{"model": "renamed", "engine": "quant", "suite": "M"},
                     {"model": "renamed", "engine": "plain", "suite": "M"}]})");
  const Expansion xa = ExpandSweep(MustLoad(a / "sweep.json"));
  const Expansion xb = ExpandSweep(MustLoad(b / "other.json"));
  ASSERT_EQ(xa.shards.size(), 40u);
  EXPECT_EQ(Ids(xa), Ids(xb));
  // And across runs: expanding again gives the same ids in the same order.
  const Expansion xa2 = ExpandSweep(MustLoad(a / "sweep.json"));
  ASSERT_EQ(xa2.shards.size(), xa.shards.size());
  for (size_t i = 0; i < xa.shards.size(); ++i) EXPECT_EQ(xa.shards[i].id, xa2.shards[i].id);
}

TEST(Expand, EveryDeterminingFieldChangesTheIds) {
  TempDir dir;
  const std::set<std::string> base = Ids(ExpandSweep(MustLoad(WriteGsmSweep(dir, "base.json", 6))));
  ASSERT_EQ(base.size(), 1u);
  const auto ids = [&](const std::string& name, const std::string& suite_extra,
                       const std::string& top_extra) {
    return Ids(ExpandSweep(MustLoad(WriteGsmSweep(dir, name, 6, suite_extra, top_extra))));
  };
  std::set<std::set<std::string>> all = {base};
  const auto expect_new = [&](const std::set<std::string>& s, const char* what) {
    EXPECT_TRUE(all.insert(s).second) << what << " did not change the shard ids";
  };
  expect_new(ids("seed.json", "", R"(, "seed": 2)"), "seed");
  expect_new(ids("fewshot.json", R"(, "fewshot": 1)", ""), "fewshot");
  expect_new(ids("samples.json", R"(, "samples": 2)", ""), "samples");
  expect_new(ids("maxtok.json", R"(, "max_tokens": 100)", ""), "max_tokens");
  expect_new(ids("temp.json", R"(, "temperature": 0.5)", ""), "temperature");
  expect_new(ids("range.json", R"(, "limit": 5)", ""), "item range");
  // Engine config: a different one, written in the sweep.
  {
    std::string text = testing::ReadFile(dir / "base.json");
    text.replace(text.find(R"({"name": "base"})"), 16,
                 R"({"name": "base", "config": {"batch": 32}})");
    WriteFile(dir / "engine.json", text);
    expect_new(Ids(ExpandSweep(MustLoad(dir / "engine.json"))), "engine config");
  }
  // Model content: another fixture file at the same path.
  {
    TempDir d2;
    testing::CopyModel(d2 / "models" / "m.gguf", "llama-mha-q8_0.gguf");
    expect_new(Ids(ExpandSweep(MustLoad(WriteGsmSweep(d2, "s.json", 6)))), "model content");
  }
  // Suite content: one character of one item.
  {
    TempDir d3;
    testing::WriteGsm8k(d3 / "data" / "g.jsonl", 6);
    std::string text = testing::ReadFile(d3 / "data" / "g.jsonl");
    text[text.find("What is 3")] = 'w';
    WriteFile(d3 / "data" / "g.jsonl", text);
    expect_new(Ids(ExpandSweep(MustLoad(WriteGsmSweep(d3, "s.json", 6)))), "suite content");
  }
  // Non-determining fields leave the ids alone.
  EXPECT_EQ(ids("prio.json", "", R"(, "priority": 9)"), base);
  EXPECT_EQ(ids("limit_big.json", R"(, "limit": 6)", R"(, "shard_size": 6)"), base);
}

TEST(Expand, OverlappingLimitsShareShardsAndDuplicatesAreDropped) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path());
  std::string text = testing::kExampleSweep;
  WriteFile(dir / "a.json", text);
  text.replace(text.find("\"limit\": 200"), 12, "\"limit\": 230");
  WriteFile(dir / "b.json", text);
  const Expansion a = ExpandSweep(MustLoad(dir / "a.json"));
  const Expansion b = ExpandSweep(MustLoad(dir / "b.json"));
  ASSERT_EQ(b.shards.size(), 46u);
  // The first 200 items of both give the same 40 shards: only 6 shards are new work.
  size_t shared = 0;
  const auto ia = Ids(a);
  for (const auto& id : Ids(b)) shared += ia.count(id);
  EXPECT_EQ(shared, 40u);
  // Two suite entries naming the same data with the same settings: their shards are one work.
  WriteFile(dir / "dup.json", R"({"models": [{"alias": "small", "path": "models/small.gguf"}],
    "engines": [{"name": "base"}],
    "suites": [{"name": "one", "path": "data/mmlu", "limit": 30},
               {"name": "two", "path": "./data/../data/mmlu", "limit": 20}],
    "grid": {}, "shard_size": 10})");
  const Expansion d = ExpandSweep(MustLoad(dir / "dup.json"));
  EXPECT_EQ(d.shards.size(), 3u);
  EXPECT_EQ(d.n_duplicates, 2u);
  EXPECT_EQ(d.n_items, 30u);
}

}  // namespace
}  // namespace gapbench::coordinator
