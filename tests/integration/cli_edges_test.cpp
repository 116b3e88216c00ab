// The command line's edges as a new user meets them: one exit-code rule for every command
// (0 success, 1 the work failed, 2 usage or input error), extra arguments and conflicting options
// refused before any work, a directory where a file is expected named as such, generated --help,
// and the engine commands refusing to run past the model's context.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "suites/loaders.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

std::string Model(const char* name) {
  return (testing::EngineFixtureDir() / (std::string(name) + ".gguf")).string();
}

bool Has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(CliEdges, InputErrorsExitTwoEverywhere) {
  testing::TempDir dir;
  const std::string missing = (dir / "missing.gguf").string();
  // `model` alone and `model inspect` of a missing file: the same rule.
  EXPECT_EQ(RunProcess({GapbenchBin(), "model"}).exit_code, 2);
  const auto inspect = RunProcess({GapbenchBin(), "model", "inspect", missing});
  EXPECT_EQ(inspect.exit_code, 2) << inspect.err;
  EXPECT_TRUE(Has(inspect.err, missing)) << inspect.err;
  EXPECT_EQ(RunProcess({GapbenchBin(), "tokenize", "--model", missing, "--text", "a"}).exit_code,
            2);
  const auto unknown = RunProcess({GapbenchBin(), "logits", "--model", missing, "--tokenz", "1"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(Has(unknown.err, "unknown option --tokenz")) << unknown.err;
  // An option given twice is refused rather than silently keeping the last value.
  const auto twice = RunProcess({GapbenchBin(), "detokenize", "--model", Model("llama-tied-f32"),
                                 "--tokens", "1", "--tokens", "2"});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_TRUE(Has(twice.err, "given twice")) << twice.err;
  // `run` with a sweep that is not valid: an input error, as docs/SWEEP.md says.
  testing::WriteFile(dir / "bad.json", R"({"name": "bad", "models": []})");
  const auto run = RunProcess(
      {GapbenchBin(), "run", (dir / "bad.json").string(), "--out", (dir / "run").string()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
}

// `gapbench run` without a sweep runs the bundled default sweep (docs/ZOO.md) and says which file
// it took; here a bad --bind stops it right after (exit 2), before any worker starts.
TEST(CliEdges, RunWithoutASweepTakesTheBundledDefault) {
  const auto r = RunProcess({GapbenchBin(), "run", "--bind", "tcp://8.8.8.8:5"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const std::string lead = "running the bundled default sweep ";
  const size_t at = r.err.find(lead);
  ASSERT_NE(at, std::string::npos) << r.err;
  const size_t end = r.err.find('\n', at);
  const std::filesystem::path used = r.err.substr(at + lead.size(), end - at - lead.size());
  EXPECT_TRUE(
      std::filesystem::equivalent(used, testing::SourceDir() / "examples" / "default-sweep.json"))
      << used;
  // The sweep itself is valid (a mistake there would only show in the README's main job).
  const auto check = RunProcess({GapbenchBin(), "sweep", "validate", used.string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(CliEdges, ExtraArgumentsAreErrors) {
  const std::string m = Model("llama-tied-f32");
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"tokenize", "--model", m, "--text", "a", "extra"},
        std::vector<std::string>{"logits", "--model", m, "--tokens", "1", "extra"},
        std::vector<std::string>{"generate", "--model", m, "--prompt", "a", "extra"},
        std::vector<std::string>{"bench", "--model", m, "-p", "4", "-n", "4", "extra"},
        std::vector<std::string>{"model", "inspect", m, "extra"},
        std::vector<std::string>{"sweep", "validate", "a.json", "b.json"},
        std::vector<std::string>{"report", "a", "b"},
        std::vector<std::string>{"status", "--http", "127.0.0.1:1", "extra"}}) {
    std::vector<std::string> full = {GapbenchBin()};
    full.insert(full.end(), argv.begin(), argv.end());
    const auto r = RunProcess(full);
    EXPECT_EQ(r.exit_code, 2) << argv[0] << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "unexpected argument")) << argv[0] << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << argv[0] << ": " << r.out;
  }
}

TEST(CliEdges, DirectoriesWhereFilesAreExpected) {
  testing::TempDir dir;
  const std::string d = dir.path().string();
  const std::string m = Model("llama-tied-f32");
  const std::vector<std::vector<std::string>> cases = {
      {"tokenize", "--model", m, "--file", d},
      {"perplexity", "--model", m, "--text", d},
      {"model", "inspect", d},
      {"generate", "--model", d, "--prompt", "a"},
      {"tokenize", "--model", d, "--text", "a"},
  };
  for (const auto& argv : cases) {
    std::vector<std::string> full = {GapbenchBin()};
    full.insert(full.end(), argv.begin(), argv.end());
    const auto r = RunProcess(full);
    EXPECT_EQ(r.exit_code, 2) << argv[0] << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "is a directory")) << argv[0] << ": " << r.err;
  }
  // --out naming an existing file where a directory is expected: a plain message.
  testing::WriteFile(dir / "file.txt", "x");
  const auto rep = RunProcess(
      {GapbenchBin(), "report", (dir / "nowhere").string(), "--out", (dir / "file.txt").string()});
  EXPECT_EQ(rep.exit_code, 2);
  EXPECT_TRUE(Has(rep.err, "is a file, not a directory")) << rep.err;
  testing::WriteFile(dir / "s.json", "{}");
  const auto run = RunProcess(
      {GapbenchBin(), "run", (dir / "s.json").string(), "--out", (dir / "file.txt").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(Has(run.err, "is a file, not a directory")) << run.err;
}

TEST(CliEdges, ConflictingOptionsAreRefusedBeforeAnyWork) {
  testing::TempDir dir;
  // Both runs are missing: the conflict is reported first, nothing is loaded or printed.
  const auto c = RunProcess({GapbenchBin(), "compare", (dir / "a").string(), (dir / "b").string(),
                             "--report-only", "--fail-on-regression"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(Has(c.err, "exclude each other")) << c.err;
  EXPECT_TRUE(c.out.empty());
  const auto t = RunProcess({GapbenchBin(), "tokenize", "--model", Model("llama-tied-f32"),
                             "--text", "a", "--bos", "--no-bos"});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_TRUE(Has(t.err, "exclude each other")) << t.err;
}

TEST(CliEdges, HelpIsGeneratedForEveryCommand) {
  const std::vector<std::vector<std::string>> commands = {
      {"tokenize"},        {"detokenize"},
      {"logits"},          {"generate"},
      {"bench"},           {"eval"},
      {"perplexity"},      {"model", "inspect"},
      {"model", "random"}, {"suites", "list"},
      {"suites", "show"},  {"suites", "validate"},
      {"suites", "exec"},  {"sweep", "validate"},
      {"sweep", "expand"}, {"run"},
      {"coordinator"},     {"worker"},
      {"status"},          {"report"},
      {"leaderboard"},     {"compare"}};
  for (const auto& cmd : commands) {
    std::vector<std::string> argv = {GapbenchBin()};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    argv.push_back("--help");
    const auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << cmd[0];
    EXPECT_EQ(r.out.rfind("usage: gapbench " + cmd[0], 0), 0u) << r.out;
    EXPECT_TRUE(Has(r.out, "\noptions:\n")) << cmd[0] << ": " << r.out;
  }
  // One line per option, with its value placeholder.
  const auto eval = RunProcess({GapbenchBin(), "eval", "--help"});
  for (const char* line :
       {"\n  --limit N ", "\n  --fewshot K ", "\n  --model FILE ", "\n  --ctx N "}) {
    EXPECT_TRUE(Has(eval.out, line)) << line << "\n" << eval.out;
  }
}

// Every command that reads a suite lists every format the loaders know (suites/loaders.h
// SuiteFormats), so --help cannot fall behind a new loader.
TEST(CliEdges, HelpListsEverySuiteFormat) {
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"eval", "--help"},
                                             {"suites", "show", "--help"},
                                             {"suites", "validate", "--help"},
                                             {"suites", "perturb", "--help"},
                                             {"suites", "--help"}}) {
    std::vector<std::string> argv = {GapbenchBin()};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    const auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << cmd[1];
    for (const std::string& f : suites::SuiteFormats()) {
      EXPECT_TRUE(Has(r.out, f)) << cmd[0] << " " << cmd[1] << " lacks " << f << "\n" << r.out;
    }
  }
}

// The fixture models were trained on 128 positions: nothing runs past them unless --ctx says so.
TEST(CliEdges, EngineCommandsStayWithinTheContext) {
  const std::string m = Model("llama-tied-f32");
  std::string ids;
  for (int i = 0; i < 200; ++i) ids += (i ? "," : "") + std::to_string(1 + i % 50);
  const auto logits = RunProcess({GapbenchBin(), "logits", "--model", m, "--tokens", ids});
  EXPECT_EQ(logits.exit_code, 2);
  EXPECT_TRUE(Has(logits.err, "128-token context")) << logits.err;
  const auto wide =
      RunProcess({GapbenchBin(), "logits", "--model", m, "--tokens", ids, "--ctx", "256"});
  EXPECT_EQ(wide.exit_code, 0) << wide.err;

  const auto bench = RunProcess(
      {GapbenchBin(), "bench", "--model", m, "-p", "512", "-n", "4", "-r", "1", "--json"});
  EXPECT_EQ(bench.exit_code, 2);
  EXPECT_TRUE(Has(bench.err, "128-token context")) << bench.err;

  std::string long_prompt;
  for (int i = 0; i < 400; ++i) long_prompt += " q" + std::to_string(i);
  const auto gen = RunProcess(
      {GapbenchBin(), "generate", "--model", m, "--prompt", long_prompt, "--max-tokens", "4"});
  EXPECT_EQ(gen.exit_code, 2);
  EXPECT_TRUE(Has(gen.err, "context holds 128 positions")) << gen.err;
  // A budget past the context's end: a warning, and generation stops there.
  const auto warn = RunProcess({GapbenchBin(), "generate", "--model", m, "--prompt", "hello",
                                "--max-tokens", "500", "--json"});
  EXPECT_EQ(warn.exit_code, 0) << warn.err;
  EXPECT_TRUE(Has(warn.err, "warning")) << warn.err;
}

// A command's warnings go through the logger (common/log.h, docs/STYLE.md "Logging"): the text
// line is the command's own ("gapbench generate: warning: ..."), and with
// GAPBENCH_LOG_FORMAT=json every stderr line is one JSON object, the warning one of level "warn"
// (--json: the result goes to stdout, no statistics line on stderr).
TEST(CliEdges, WarningsFollowTheLogFormat) {
  const std::string m = Model("llama-tied-f32");
  const std::vector<std::string> argv = {GapbenchBin(), "generate", "--model",      m,
                                         "--prompt",    "hello",    "--max-tokens", "500",
                                         "--json"};
  const auto text = RunProcess(argv);
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Has(text.err, "gapbench generate: warning: prompt (")) << text.err;

  setenv("GAPBENCH_LOG_FORMAT", "json", 1);
  const auto json = RunProcess(argv);
  unsetenv("GAPBENCH_LOG_FORMAT");
  EXPECT_EQ(json.exit_code, 0) << json.err;
  size_t warnings = 0, lines = 0;
  size_t begin = 0;
  while (begin < json.err.size()) {
    size_t end = json.err.find('\n', begin);
    if (end == std::string::npos) end = json.err.size();
    const std::string line = json.err.substr(begin, end - begin);
    begin = end + 1;
    if (line.empty()) continue;
    ++lines;
    rapidjson::Document d;
    d.Parse(line.c_str());
    ASSERT_FALSE(d.HasParseError()) << "not a JSON line: " << line;
    ASSERT_TRUE(d.IsObject() && d.HasMember("level") && d.HasMember("msg")) << line;
    if (std::string(d["level"].GetString()) == "warn") {
      ++warnings;
      EXPECT_EQ(std::string(d["component"].GetString()), "gapbench generate") << line;
      EXPECT_TRUE(Has(d["msg"].GetString(), "exceed the")) << line;
    }
  }
  EXPECT_GE(lines, 1u) << json.err;
  EXPECT_EQ(warnings, 1u) << json.err;
}

// The commit recorded with every sweep and printed by --version is one of the checkout's commits
// (not necessarily HEAD: a commit after the last build is not in the binary yet). Skipped outside
// a git checkout.
TEST(CliEdges, VersionNamesACommitOfTheCheckout) {
  const std::string src = testing::SourceDir().string();
  if (RunProcess({"git", "-C", src, "rev-parse", "HEAD"}).exit_code != 0) {
    GTEST_SKIP() << "not a git checkout";
  }
  const auto version = RunProcess({GapbenchBin(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(Has(version.out, "gapbench 0.")) << version.out;
  const size_t at = version.out.find("(commit ");
  ASSERT_NE(at, std::string::npos) << version.out;
  const std::string commit = version.out.substr(at + 8, 12);
  EXPECT_EQ(RunProcess({"git", "-C", src, "cat-file", "-e", commit + "^{commit}"}).exit_code, 0)
      << version.out;
}

// The generator of that id (cli/write_build_info.cmake, run by every build) on a repository of
// its own: it writes the HEAD of the moment, follows a new commit without CMake configuring again,
// and leaves the file untouched (so nothing recompiles) while the commit stays. Skipped without
// git or cmake on PATH.
TEST(CliEdges, BuildInfoFollowsEveryCommitAndIsRewrittenOnlyThen) {
  testing::TempDir dir;
  const std::string repo = (dir / "repo").string();
  const std::string out = (dir / "build_info.cpp").string();
  if (RunProcess({"git", "init", "-q", repo}).exit_code != 0 ||
      RunProcess({"cmake", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "git or cmake is not on PATH";
  }
  auto commit = [&] {
    const auto c = RunProcess({"git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "-c",
                               "commit.gpgsign=false", "commit", "-q", "--no-verify",
                               "--allow-empty", "-m", "c"});
    EXPECT_EQ(c.exit_code, 0) << c.err;
    return RunProcess({"git", "-C", repo, "rev-parse", "--short=12", "HEAD"}).out.substr(0, 12);
  };
  auto generate = [&] {
    const auto g =
        RunProcess({"cmake", "-DSOURCE_DIR=" + repo, "-DOUT=" + out, "-DVERSION=9.8.7", "-P",
                    (testing::SourceDir() / "cli" / "write_build_info.cmake").string()});
    EXPECT_EQ(g.exit_code, 0) << g.err;
    return testing::ReadFile(out);
  };
  const std::string first = commit();
  const std::string text = generate();
  EXPECT_TRUE(Has(text, "return \"" + first + "\";")) << text;
  EXPECT_TRUE(Has(text, "return \"9.8.7\";")) << text;
  // Unchanged commit: not rewritten (an old mtime stays old).
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::filesystem::last_write_time(out, old);
  generate();
  EXPECT_EQ(std::filesystem::last_write_time(out), old);
  // A new commit: the new id, without any configure step.
  const std::string second = commit();
  ASSERT_NE(first, second);
  EXPECT_TRUE(Has(generate(), "return \"" + second + "\";"));
  EXPECT_NE(std::filesystem::last_write_time(out), old);
}

}  // namespace
}  // namespace gapbench
