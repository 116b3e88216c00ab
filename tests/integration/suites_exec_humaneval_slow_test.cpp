// Slow tier: `gapbench suites exec` on the real HumanEval (../shared/data): the 164 canonical
// solutions all pass (with limits calibrated from their own runtimes), the bare prompts (body
// `pass`) pass none. About 10 s with two parallel slots.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench::testing {
namespace {

size_t CountLines(const std::filesystem::path& p) {
  std::istringstream in(ReadFile(p));
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) n += !line.empty();
  return n;
}

class HumanEvalExec : public ::testing::Test {
 protected:
  // Writes one sample per task: the canonical solution or a bare `pass` body.
  static void WriteSamples(const std::filesystem::path& suite, const std::filesystem::path& out,
                           bool canonical) {
    ProcessResult show = RunProcess({"python3", "-c",
                                     "import gzip, json, sys\n"
                                     "for l in gzip.open(sys.argv[1], 'rt'):\n"
                                     "    t = json.loads(l)\n"
                                     "    c = t['canonical_solution'] if sys.argv[2] == '1' else "
                                     "'    pass\\n'\n"
                                     "    print(json.dumps({'task_id': t['task_id'], "
                                     "'completion': c}))\n",
                                     suite.string(), canonical ? "1" : "0"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    WriteFile(out, show.out);
  }
};

TEST_F(HumanEvalExec, CanonicalSolutionsAllPassBarePromptsNone) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto suite = data / "humaneval" / "HumanEval.jsonl.gz";
  TempDir dir;
  for (bool canonical : {true, false}) {
    SCOPED_TRACE(canonical ? "canonical" : "bare");
    WriteSamples(suite, dir / "samples.jsonl", canonical);
    ProcessResult r = RunProcess({GapbenchBin(), "suites", "exec", "--suite", suite.string(),
                                  "--samples", (dir / "samples.jsonl").string(), "--parallel", "2",
                                  "--out", (dir / "out.jsonl").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    rapidjson::Document summary = ParseJson(r.out, "stdout");
    EXPECT_EQ(summary["n_tasks"].GetInt(), 164);
    EXPECT_EQ(summary["passed"].GetInt(), canonical ? 164 : 0) << r.out;
    EXPECT_DOUBLE_EQ(summary["pass@1"].GetDouble(), canonical ? 1.0 : 0.0);
    EXPECT_EQ(summary["timeouts"].GetInt(), 0);
    EXPECT_EQ(CountLines(dir / "out.jsonl"), 164u);
  }
}

}  // namespace
}  // namespace gapbench::testing
