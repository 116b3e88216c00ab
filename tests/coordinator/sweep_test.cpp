// Sweep validation: the documented example is accepted with real files; every error is reported
// at once with its JSON path; relative paths resolve against the sweep file's folder.
#include "coordinator/sweep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "coordinator/expand.h"
#include "coordinator/registration.h"
#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "tests/coordinator/sweep_errors.h"
#include "tests/coordinator/sweep_fixture.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

// The lm-eval task formats are valid in a sweep; TruthfulQA's MC2 must be named there, since its
// file is detected as MC1 (a sweep could not score the leaderboard's TruthfulQA metric; review
// finding).
TEST(Sweep, TaskFormatsAreAcceptedAndMc2IsKept) {
  TempDir dir;
  WriteFile(dir / "mc_task.json",
            R"([{"question": "Q?", "mc1_targets": {"t": 1, "f": 0},
                "mc2_targets": {"t": 1, "t2": 1, "f": 0}}])");
  WriteFile(dir / "sweep.json", StrCat(R"({"name": "tqa",
    "models": [{"alias": "m", "path": ")",
                                       testing::FixtureModel().string(), R"("}],
    "engines": [{"name": "base"}],
    "suites": [{"name": "tqa2", "path": "mc_task.json", "format": "truthfulqa_mc2"}],
    "grid": {"model": ["m"], "engine": ["base"], "suite": ["tqa2"]}})"));
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  ASSERT_EQ(c.sweep.suites.size(), 1u);
  EXPECT_EQ(c.sweep.suites[0].format, "truthfulqa_mc2");
}

TEST(Sweep, ExampleShapeIsAccepted) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path());
  WriteFile(dir / "sweep.json", testing::kExampleSweep);
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  const Sweep& sw = c.sweep;
  EXPECT_EQ(sw.name, "example");
  ASSERT_EQ(sw.models.size(), 1u);
  EXPECT_EQ(sw.models[0].alias, "small");
  EXPECT_EQ(sw.models[0].path, (dir.path() / "models" / "small.gguf").lexically_normal().string());
  EXPECT_EQ(sw.models[0].identity.size, fs::file_size(testing::FixtureModel()));
  ASSERT_EQ(sw.engines.size(), 2u);
  EXPECT_TRUE(sw.engines[0].config.Canonical() == engine::EngineConfig{}.Canonical());
  EXPECT_TRUE(sw.engines[1].config.weights == kernels::GgmlType::kQ8_0);
  ASSERT_EQ(sw.strategies.size(), 1u);
  EXPECT_EQ(sw.strategies[0].name, "single");
  ASSERT_EQ(sw.suites.size(), 1u);
  EXPECT_EQ(sw.suites[0].format, "mmlu");
  EXPECT_EQ(sw.suites[0].fewshot, 5);
  EXPECT_EQ(sw.suites[0].n_loaded, 250u);
  EXPECT_EQ(sw.suites[0].n_items, 200u);
  EXPECT_EQ(sw.suites[0].samples, 1);
  EXPECT_EQ(sw.seeds, std::vector<uint64_t>{1});
  EXPECT_EQ(sw.shard_size, 10);
  ASSERT_EQ(sw.combinations.size(), 2u);
  EXPECT_EQ(sw.combinations[0].engine, 0u);
  EXPECT_EQ(sw.combinations[1].engine, 1u);

  const Expansion x = ExpandSweep(sw);
  EXPECT_EQ(x.shards.size(), 40u);  // 2 engines x 200 items / 10
  EXPECT_EQ(x.n_items, 400u);
  EXPECT_EQ(x.n_duplicates, 0u);
  // LoadSweep accepts it too.
  EXPECT_EQ(LoadSweep((dir / "sweep.json").string()).combinations.size(), 2u);
}

// Multiple-choice items are scored once (log-likelihood), whatever `samples` says, so a shard of
// them holds items x 1 results. A suite spec of samples > 1 would make the coordinator wait for
// items x samples results forever (every shard poison). All-choice suites get samples 1; a suite
// mixing choice and generation items with samples > 1 is an error naming the path.
TEST(Sweep, SamplesApplyToGenerationItemsOnly) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path());
  testing::WriteGsm8k(dir / "data" / "gsm8k.jsonl", 20);
  WriteFile(dir / "data" / "mixed.jsonl",
            R"({"kind":"multiple_choice","id":"a","question":"Q?","choices":["x","y"],"gold":1})"
            "\n"
            R"({"kind":"generation","id":"b","prompt":"2+2=","reference":"4","match":"numeric"})"
            "\n");
  WriteFile(dir / "s.json",
            R"({"name": "x", "models": [{"alias": "small", "path": "models/small.gguf"}],
    "engines": [{"name": "base"}], "samples": 3,
    "suites": [{"name": "mmlu", "path": "data/mmlu", "format": "mmlu", "limit": 20},
               {"name": "gsm", "path": "data/gsm8k.jsonl", "format": "gsm8k"}],
    "grid": {"model": ["small"], "engine": ["base"], "suite": ["mmlu", "gsm"]}})");
  const SweepCheck c = CheckSweepFile((dir / "s.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  ASSERT_EQ(c.sweep.suites.size(), 2u);
  EXPECT_EQ(c.sweep.suites[0].samples, 1);  // multiple choice: one result per item
  EXPECT_EQ(c.sweep.suites[1].samples, 3);
  for (const Shard& s : ExpandSweep(c.sweep).shards) {
    EXPECT_EQ(s.samples, s.combination.suite == 0 ? 1 : 3);
  }

  WriteFile(dir / "m.json",
            R"({"name": "x", "models": [{"alias": "m", "path": "models/small.gguf"}],
    "engines": [{"name": "base"}],
    "suites": [{"name": "mixed", "path": "data/mixed.jsonl", "samples": 2, "temperature": 0.5}],
    "combinations": [{"model": "m", "engine": "base", "suite": "mixed"}]})");
  const SweepCheck m = CheckSweepFile((dir / "m.json").string());
  EXPECT_FALSE(m.ok());
  EXPECT_TRUE(HasError(m, {"$.suites[0].samples", "multiple-choice"})) << AllErrors(m);
}

TEST(Sweep, EveryErrorIsReportedAtOnceWithItsJsonPath) {
  TempDir dir;
  testing::CopyModel(dir / "models" / "ok.gguf");
  WriteFile(dir / "sweep.json", R"({
    "name": "broken",
    "models": [{"alias": "ok", "path": "models/ok.gguf"},
               {"alias": "gone", "path": "models/missing.gguf"},
               {"alias": "ok", "path": "models/also_missing.gguf"},
               {"alias": "notgguf", "path": "sweep.json"}],
    "engines": [{"name": "base", "config": {}},
                {"name": "typo", "config": {"kv_head": 2}},
                {"name": "base", "config": {"kv_heads": -1}},
                {"nam": "x"}],
    "suites": [{"name": "mmlu", "path": "data/nowhere", "format": "mmlu", "fewshot": -5},
               {"name": "g", "path": "data/g.jsonl", "format": "gsm9k", "limit": 0},
               {"name": "h", "path": "data/h.jsonl", "samples": 4, "temperature": 0}],
    "grid": {"model": ["ok", "smal"], "engine": ["base", "q8"], "suite": ["mmlu", 3]},
    "seeds": [1, 1, -2],
    "shard_size": "10",
    "priority": -1,
    "extra": true
  })");
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_FALSE(c.ok());
  const std::string f = (dir / "sweep.json").string();
  for (const auto& e : c.errors) EXPECT_EQ(e.rfind(f + ": $", 0), 0u) << e;  // FILE: $.path
  // Both missing model files and the missing suite file, each with its path.
  EXPECT_TRUE(HasError(c, {"$.models[1].path: not found", "missing.gguf"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.models[2].path: not found", "also_missing.gguf"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.models[3].path: not a usable GGUF model"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.suites[0].fewshot", "integer >= 0", "-5"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.suites[2].path: not found", "h.jsonl"})) << AllErrors(c);
  // The engine config's unknown key, with the key in the path and a suggestion.
  EXPECT_TRUE(HasError(c, {"$.engines[1].config.kv_head: unknown key", "did you mean 'kv_heads'"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.engines[2].config.kv_heads: value -1 is out of range"}))
      << AllErrors(c);
  // Duplicates, unknown keys, missing fields.
  EXPECT_TRUE(HasError(c, {"$.models[2].alias: duplicate model name 'ok'", "$.models[0].alias"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.engines[2].name: duplicate engine name 'base'"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.engines[3].nam: unknown key", "did you mean 'name'"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.engines[3].name: missing"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.extra: unknown key"})) << AllErrors(c);
  // Bad values.
  EXPECT_TRUE(HasError(c, {"$.suites[0].path: not found"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.suites[1].format: unknown format \"gsm9k\"", "gsm8k"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.suites[1].limit", ">= 1", "got 0"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.suites[2].temperature: must be > 0"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.shard_size", "integer >= 1", "got a string"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.priority", "got -1"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.seeds[1]: seed 1 is listed twice"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.seeds[2]", "got -2"})) << AllErrors(c);
  // Grid references to undeclared names.
  EXPECT_TRUE(HasError(c, {"$.grid.model[1]: unknown model 'smal'"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.grid.engine[1]: unknown engine 'q8'", "declared: base"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.grid.suite[1]: expected a suite name (a string), got an integer"}))
      << AllErrors(c);
  EXPECT_GE(c.errors.size(), 24u) << AllErrors(c);
  // LoadSweep throws one Error holding them all.
  try {
    LoadSweep(f);
    FAIL() << "LoadSweep accepted a broken sweep";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(StrCat(c.errors.size(), " errors")), std::string::npos) << msg;
    for (const auto& err : c.errors) EXPECT_NE(msg.find(err), std::string::npos) << err;
  }
}

TEST(Sweep, CombinationsListStrategiesAndDuplicates) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path(), 20);
  WriteFile(dir / "s.json", R"({
    "models": [{"path": "models/small.gguf"}],
    "engines": [{"name": "base"}, {"name": "f32kv", "config": {"kv_cache": "f32"}}],
    "strategies": [{"name": "single"}],
    "suites": [{"name": "mmlu", "path": "data/mmlu"}],
    "combinations": [{"model": "small", "engine": "f32kv", "suite": "mmlu"},
                     {"model": "small", "engine": "base", "suite": "mmlu", "strategy": "single"},
                     {"model": "small", "engine": "f32kv", "suite": "mmlu"}]
  })");
  SweepCheck c = CheckSweepFile((dir / "s.json").string());
  ASSERT_EQ(c.errors.size(), 1u) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.combinations[2]: the same combination is listed twice"}));
  ASSERT_EQ(c.sweep.combinations.size(), 2u);
  EXPECT_EQ(c.sweep.combinations[0].engine, 1u);  // list order is kept
  EXPECT_EQ(c.sweep.models[0].alias, "small");    // alias defaults to the file's stem
  EXPECT_EQ(c.sweep.name, "s");                   // name defaults to the sweep file's stem
  EXPECT_EQ(c.sweep.suites[0].format, "mmlu");    // detected

  WriteFile(dir / "t.json", R"({"models": [{"path": "models/small.gguf"}],
    "engines": [{"name": "base"}],
    "strategies": [{"name": "spec", "kind": "speculative"}, {"name": "single"}],
    "suites": [{"name": "mmlu", "path": "data/mmlu"}],
    "grid": {}, "combinations": []})");
  c = CheckSweepFile((dir / "t.json").string());
  EXPECT_TRUE(HasError(c, {"$.strategies[0].kind: expected \"single\", \"route\" or \"guard\""}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$: give either \"grid\" or \"combinations\""})) << AllErrors(c);

  WriteFile(dir / "u.json", R"({"models": [{"path": "models/small.gguf"}],
    "engines": [{"name": "base"}], "suites": [{"name": "mmlu", "path": "data/mmlu"}]})");
  c = CheckSweepFile((dir / "u.json").string());
  EXPECT_TRUE(HasError(c, {"$.grid: missing"})) << AllErrors(c);
}

TEST(Sweep, RelativePathsResolveAgainstTheSweepFilesFolder) {
  TempDir dir;
  testing::CopyModel(dir / "models" / "m.gguf");
  testing::WriteGsm8k(dir / "data" / "g.jsonl", 7);
  fs::create_directories(dir / "sweeps" / "nested");
  const std::string abs_model = (dir / "models" / "m.gguf").string();
  WriteFile(dir / "sweeps" / "nested" / "s.json",
            StrCat(R"({"models": [{"alias": "a", "path": "../../models/m.gguf"},
                                  {"alias": "b", "path": ")",
                   abs_model, R"("}],
              "engines": [{"name": "e", "config": "../engine.json"}],
              "suites": [{"name": "g", "path": "../../data/g.jsonl"}],
              "grid": {"model": ["a"]}})"));
  WriteFile(dir / "sweeps" / "engine.json", R"({"weights": "f16"})");
  const SweepCheck c = CheckSweepFile((dir / "sweeps" / "nested" / "s.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  EXPECT_EQ(c.sweep.models[0].path, fs::path(abs_model).lexically_normal().string());
  EXPECT_EQ(c.sweep.models[1].path, abs_model);
  EXPECT_EQ(c.sweep.suites[0].path, (dir.path() / "data" / "g.jsonl").lexically_normal().string());
  EXPECT_EQ(c.sweep.suites[0].format, "gsm8k");
  EXPECT_EQ(c.sweep.suites[0].n_items, 7u);
  EXPECT_TRUE(c.sweep.engines[0].config.weights == kernels::GgmlType::kF16);
  EXPECT_EQ(c.sweep.combinations.size(), 1u);  // omitted axes take every entry

  // The same relative names from a sweep in another folder are looked up there, and the message
  // shows the resolved path next to the given one.
  WriteFile(dir / "s2.json", R"({"models": [{"path": "../../models/m.gguf"}],
    "engines": [{"name": "e"}], "suites": [{"name": "g", "path": "data/g.jsonl"}], "grid": {}})");
  const SweepCheck c2 = CheckSweepFile((dir / "s2.json").string());
  ASSERT_EQ(c2.errors.size(), 1u) << AllErrors(c2);
  EXPECT_TRUE(HasError(c2, {"$.models[0].path: not found", "'../../models/m.gguf' relative to"}));
}

TEST(Sweep, MalformedInputIsOneClearErrorNeverACrash) {
  TempDir dir;
  const auto check = [&](const std::string& text) {
    WriteFile(dir / "x.json", text);
    return CheckSweepFile((dir / "x.json").string());
  };
  SweepCheck c = check("{\"models\": [");
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(HasError(c, {"x.json: $: invalid JSON at byte"})) << AllErrors(c);
  c = check(std::string(100000, '['));  // iterative parsing: no stack overflow
  ASSERT_EQ(c.errors.size(), 1u);
  c = check("[1, 2]");
  EXPECT_TRUE(HasError(c, {"$: expected a sweep (an object), got an array"})) << AllErrors(c);
  c = check(R"({"models": {}, "engines": [], "suites": [1], "grid": []})");
  EXPECT_TRUE(HasError(c, {"$.models: expected a non-empty array", "got an object"}));
  EXPECT_TRUE(HasError(c, {"$.engines: expected a non-empty array", "got an empty array"}));
  EXPECT_TRUE(HasError(c, {"$.suites[0]: expected a suite", "got an integer"}));
  EXPECT_TRUE(HasError(c, {"$.grid: expected a grid", "got an array"}));
  c = CheckSweepFile((dir / "absent.json").string());
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(HasError(c, {"absent.json: cannot read the sweep file"})) << AllErrors(c);
}

}  // namespace
}  // namespace gapbench::coordinator

namespace gapbench::coordinator {
namespace {

// A configuration that parses but does not suit one of the models (the fixture's head dimension
// is 16; a q8_0 KV cache needs a multiple of 32; kv_heads must divide the model's KV heads) is
// a validation error naming the engine's JSON path and the model -- not a poison shard later.
TEST(Sweep, ConfigurationsAreCheckedAgainstEachModel) {
  testing::TempDir dir;
  testing::WriteExampleFiles(dir.path(), 20);
  testing::WriteFile(dir / "s.json", R"({"name": "x",
 "models": [{"alias": "small", "path": "models/small.gguf"}],
 "engines": [{"name": "base", "config": {}},
             {"name": "kv8", "config": {"kv_cache": "q8_0"}},
             {"name": "gqa3", "config": {"kv_heads": 3}}],
 "suites": [{"name": "mmlu", "path": "data/mmlu", "format": "mmlu"}],
 "grid": {"model": ["small"], "engine": ["base", "kv8", "gqa3"], "suite": ["mmlu"]}})");
  const SweepCheck c = CheckSweepFile((dir / "s.json").string());
  ASSERT_EQ(c.errors.size(), 2u) << ::testing::PrintToString(c.errors);
  EXPECT_NE(c.errors[0].find("$.engines[1].config: 'kv8' does not suit model 'small'"),
            std::string::npos)
      << c.errors[0];
  EXPECT_NE(c.errors[0].find("multiple of 32"), std::string::npos) << c.errors[0];
  EXPECT_NE(c.errors[1].find("$.engines[2].config: 'gqa3' does not suit model 'small'"),
            std::string::npos)
      << c.errors[1];

  // The same engines without the unsuitable ones validate.
  testing::WriteFile(dir / "ok.json", R"({"name": "x",
 "models": [{"alias": "small", "path": "models/small.gguf"}],
 "engines": [{"name": "base", "config": {}}, {"name": "kv32", "config": {"kv_cache": "f32"}}],
 "suites": [{"name": "mmlu", "path": "data/mmlu", "format": "mmlu"}],
 "grid": {"model": ["small"], "engine": ["base", "kv32"], "suite": ["mmlu"]}})");
  EXPECT_TRUE(CheckSweepFile((dir / "ok.json").string()).ok());
}

// Copies the fixture model with tokenizer.ggml.pre replaced by `pre`.
void WriteModelWithPre(const fs::path& to, const std::string& pre) {
  const auto src = engine::GgufFile::Open(testing::FixtureModel().string());
  engine::GgufWriter w;
  for (const auto& kv : src->metadata()) {
    w.Set(std::string(kv.key), engine::GgufWriteValue::FromValue(kv.value));
  }
  w.SetString("tokenizer.ggml.pre", pre);
  for (const auto& t : src->tensors()) {
    w.AddTensor(engine::GgufTensorSpec{t.name, t.ne, t.type},
                std::vector<uint8_t>(t.data, t.data + t.n_bytes));
  }
  fs::create_directories(to.parent_path());
  w.WriteFile(to.string());
}

// A model whose pre-tokenizer gapbench does not know would be tokenized differently from its own
// tokenizer: the sweep is refused at validation (not shard by shard on the workers) unless the
// engine allows the fallback, and the model's row in the results records the unknown name.
TEST(Sweep, UnknownPreTokenizerNeedsTheEnginesPermissionAndIsRecorded) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path(), 20);
  WriteModelWithPre(dir / "models" / "odd.gguf", "no-such-pre");
  const auto sweep = [](const std::string& config) {
    return std::string(R"({"name": "x",
 "models": [{"alias": "odd", "path": "models/odd.gguf"}],
 "engines": [{"name": "base", "config": )") +
           config + R"(}],
 "suites": [{"name": "mmlu", "path": "data/mmlu", "format": "mmlu"}],
 "grid": {"model": ["odd"], "engine": ["base"], "suite": ["mmlu"]}})";
  };
  WriteFile(dir / "refused.json", sweep("{}"));
  const SweepCheck refused = CheckSweepFile((dir / "refused.json").string());
  EXPECT_TRUE(HasError(refused, {"$.engines[0].config", "'odd'", "unknown pre-tokenizer",
                                 "'no-such-pre'", "allow_unknown_pre_tokenizer"}))
      << AllErrors(refused);

  WriteFile(dir / "allowed.json", sweep(R"({"allow_unknown_pre_tokenizer": true})"));
  const SweepCheck allowed = CheckSweepFile((dir / "allowed.json").string());
  ASSERT_TRUE(allowed.ok()) << AllErrors(allowed);
  const Registration r =
      BuildRegistration(allowed.sweep, ExpandSweep(allowed.sweep), "{}", RegistrationContext{});
  ASSERT_EQ(r.models.size(), 1u);
  EXPECT_NE(r.models[0].metadata_json.find(R"("pre_tokenizer":"no-such-pre")"), std::string::npos)
      << r.models[0].metadata_json;
  EXPECT_NE(r.models[0].metadata_json.find(R"("pre_tokenizer_fallback":"default")"),
            std::string::npos)
      << r.models[0].metadata_json;
  // A known pre-tokenizer needs no permission and records no fallback.
  WriteFile(dir / "known.json", std::string(testing::kExampleSweep));
  const SweepCheck known = CheckSweepFile((dir / "known.json").string());
  ASSERT_TRUE(known.ok()) << AllErrors(known);
  const Registration rk =
      BuildRegistration(known.sweep, ExpandSweep(known.sweep), "{}", RegistrationContext{});
  EXPECT_NE(rk.models[0].metadata_json.find(R"("pre_tokenizer":"gpt-2")"), std::string::npos)
      << rk.models[0].metadata_json;
  EXPECT_EQ(rk.models[0].metadata_json.find("pre_tokenizer_fallback"), std::string::npos)
      << rk.models[0].metadata_json;
}

// A key given twice, or bytes that are not UTF-8, are refused with their place: the last
// duplicate used to win silently and raw bytes reached report.md and index.html.
TEST(Sweep, DuplicateKeysAndInvalidUtf8AreRefused) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path());
  std::string dup = testing::kExampleSweep;
  dup.replace(dup.find(R"("config": {"weights": "q8_0"})"), 29,
              R"("config": {"weights": "q8_0", "weights": "f16"})");
  WriteFile(dir / "dup.json", dup);
  const SweepCheck d = CheckSweepFile((dir / "dup.json").string());
  EXPECT_TRUE(HasError(d, {"dup.json", "$.engines[1].config.weights", "duplicate key"}))
      << AllErrors(d);
  std::string top = testing::kExampleSweep;
  top.replace(top.find(R"("seed": 1)"), 9, R"("seed": 1, "seed": 2)");
  WriteFile(dir / "top.json", top);
  EXPECT_TRUE(HasError(CheckSweepFile((dir / "top.json").string()), {"$.seed", "duplicate key"}));

  std::string bad = testing::kExampleSweep;
  bad.replace(bad.find(R"("example")"), 9, "\"ex\xff\xfe\"");
  WriteFile(dir / "bad.json", bad);
  const SweepCheck b = CheckSweepFile((dir / "bad.json").string());
  EXPECT_TRUE(HasError(b, {"bad.json", "invalid JSON at byte", "encoding"})) << AllErrors(b);
}

// A few-shot count the pool cannot meet is a validation error naming the suite's fewshot, not a
// shard that fails three times at run time.
TEST(Sweep, FewShotLargerThanThePoolIsAValidationError) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path());
  std::string s = testing::kExampleSweep;
  s.replace(s.find(R"("fewshot": 5)"), 12, R"("fewshot": 6)");  // the dev pool holds 5
  WriteFile(dir / "six.json", s);
  const SweepCheck c = CheckSweepFile((dir / "six.json").string());
  EXPECT_TRUE(HasError(c, {"$.suites[0].fewshot", "fewshot 6 cannot be met", "found 5"}))
      << AllErrors(c);
  // Five is what the pool holds: fine.
  WriteFile(dir / "five.json", testing::kExampleSweep);
  EXPECT_TRUE(CheckSweepFile((dir / "five.json").string()).ok());
}

}  // namespace
}  // namespace gapbench::coordinator
