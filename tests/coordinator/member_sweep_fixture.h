// Set-up shared by the sweep tests of strategies with two members (route_sweep_test,
// guard_sweep_test): two models ("s" the fixture, "l" another fixture), two engines ("base",
// "q8"), an MMLU folder, and a sweep text around a given "strategies" array.
#pragma once

#include <string>

#include "common/error.h"
#include "tests/coordinator/sweep_fixture.h"

namespace gapbench::coordinator {

inline void WriteMemberFiles(const testing::TempDir& dir) {
  testing::WriteExampleFiles(dir.path(), 30);
  testing::CopyModel(dir / "models" / "large.gguf", "llama-rope3-f32.gguf");
}

inline std::string MemberSweepText(const std::string& strategies,
                                   const std::string& grid_extra = "") {
  return StrCat(R"({"name": "r",
    "models": [{"alias": "s", "path": "models/small.gguf"},
               {"alias": "l", "path": "models/large.gguf"}],
    "engines": [{"name": "base"}, {"name": "q8", "config": {"weights": "q8_0"}}],
    "strategies": )",
                strategies, R"(,
    "suites": [{"name": "mmlu", "path": "data/mmlu", "format": "mmlu", "limit": 20}],
    "grid": {"model": ["s", "l"], "engine": ["base", "q8"], "suite": ["mmlu"])",
                grid_extra, R"(}, "shard_size": 10})");
}

}  // namespace gapbench::coordinator
