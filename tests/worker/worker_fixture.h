// Test helpers for the worker tests: a small native-format suite mixing multiple-choice items
// (few-shot drawn from the suite itself, so draws depend on (seed, item id)) with generation items,
// and the committed fixture model to run it on.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"
#include "coordinator/model_identity.h"
#include "coordinator/protocol.h"
#include "engine/engine_config.h"
#include "suites/loaders.h"
#include "tests/test_util.h"

namespace gapbench::testing {

inline std::filesystem::path WorkerFixtureModel(const std::string& name = "llama-mha-f32.gguf") {
  return SourceDir() / "tests" / "fixtures" / "engine" / name;
}

// n items: every third one a generation item (numeric match), the rest multiple choice (cloze
// and letters alternating). Returns the file's path.
inline std::filesystem::path WriteMixedSuite(const std::filesystem::path& file, size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    if (i % 3 == 2) {
      text +=
          StrCat(R"({"kind":"generation","id":"g)", i, R"(","style":"qa","prompt":"What is )", i,
                 R"( plus )", i, R"(?","reference":")", 2 * i,
                 R"(","match":"numeric","solution":"#### )", 2 * i, R"(","stop":["\n"]})", "\n");
    } else {
      text += StrCat(R"({"kind":"multiple_choice","id":"m)", i, R"(","style":")",
                     i % 2 ? "cloze" : "letters", R"(","question":"Which colour is number )", i,
                     R"(?","choices":["red","green","blue","teal"],"gold":)", i % 4,
                     R"(,"tags":{"subject":"colours"}})", "\n");
    }
  }
  WriteFile(file, text);
  return file;
}

// n code items whose tests sleep `sleep_s` in the sandbox: a shard that takes a predictable,
// non-trivial time on any machine (the fixture model itself is far too fast to interrupt). The
// completion lands inside a raw triple-quoted string of a latin-1 source file, so whatever bytes
// the random model writes, the program parses and sleeps.
inline std::filesystem::path WriteSleepySuite(const std::filesystem::path& file, size_t n,
                                              double sleep_s) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text += StrCat(
        R"({"kind":"code","id":"s)", i,
        R"(","prompt":"# -*- coding: latin-1 -*-\ndef f():\n    return 1\n_ = r\"\"\"","test":"\"\"\"\nimport time\ntime.sleep()",
        sleep_s, R"()\ndef check(g):\n    assert g() == 1\n","entry_point":"f"})", "\n");
  }
  WriteFile(file, text);
  return file;
}

// A ShardTask for `suite` (gapbench format) on the fixture model, ids filled in as the
// coordinator would (model identity hash, canonical default config, suite content hash).
inline coordinator::ShardTask MakeTask(const std::filesystem::path& suite, int64_t begin,
                                       int64_t end) {
  coordinator::ShardTask t;
  t.model_path = WorkerFixtureModel().string();
  t.model_id = coordinator::IdentifyModelFile(t.model_path).hash;
  t.model_alias = "fixture";
  engine::EngineConfig config;
  t.config_json = config.Canonical();
  t.config_hash = config.Hash();
  t.strategy_json = R"({"name":"single"})";
  t.suite_path = suite.string();
  t.suite_format = "gapbench";
  t.suite_name = suite.stem().string();
  suites::LoadOptions lo;
  lo.format = "gapbench";
  t.suite_hash = suites::LoadSuite(t.suite_path, lo).manifest.content_hash;
  t.fewshot = 0;
  t.samples = 1;
  t.max_tokens = 4;
  t.temperature = 0.0;
  t.seed = 7;
  t.begin = begin;
  t.end = end;
  return t;
}

}  // namespace gapbench::testing
