// `gapbench suites perturb` on the whole published MMLU and GSM8K test sets in ../shared/data
// (skipped when absent): every kind writes every item, and `suites validate` accepts the output.
// Each run's summary line (items, changed, time) is printed for the record.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

namespace fs = std::filesystem;
using testing::GapbenchBin;
using testing::RunProcess;

testing::ProcessResult Perturb(const fs::path& suite, const char* kind, const char* seed,
                               const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {GapbenchBin(),  "suites", "perturb",   "--suite",
                                   suite.string(), "--kind", kind,        "--seed",
                                   seed,           "--out",  out.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

TEST(SuitesPerturbCli, PerturbsTheRealMmluAndGsm8kTestSets) {
  GB_REQUIRE_SHARED_DATA(data);
  testing::TempDir dir;
  struct Case {
    fs::path suite;
    const char* kind;
    std::vector<std::string> extra;
    const char* items;
  };
  const std::vector<Case> cases = {
      {data / "mmlu", "choice-permutation", {}, "14042"},
      {data / "mmlu", "choice-permutation", {"--all-rotations"}, "56168"},
      {data / "mmlu", "format-shift", {}, "14042"},
      {data / "gsm8k" / "test.jsonl", "irrelevant-clause", {}, "1319"},
      {data / "gsm8k" / "test.jsonl", "name-substitution", {}, "1319"},
      {data / "gsm8k" / "test.jsonl", "format-shift", {}, "1319"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kind);
    const fs::path out = dir / "out.jsonl";
    const auto r = Perturb(c.suite, c.kind, "1", out, c.extra);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::printf("%s", r.err.c_str());
    EXPECT_NE(r.err.find(StrCat("wrote ", c.items, " items")), std::string::npos) << r.err;
    const auto v = RunProcess({GapbenchBin(), "suites", "validate", out.string()});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_NE(v.out.find(StrCat("items         ", c.items, " ")), std::string::npos) << v.out;
  }
}

}  // namespace
}  // namespace gapbench
