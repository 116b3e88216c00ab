// Fast tests of the code sandbox: pass/fail/timeout from the nonce (not the exit code), output
// cap, environment, uid and private directory, input-order results of the pool, and the weak
// (no-namespace) path. Hostile programs are in sandbox_hostile_slow_test.cpp.
#include "suites/sandbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "common/error.h"

namespace gapbench::suites {
namespace {

SandboxLimits QuickLimits(double wall = 5.0) {
  SandboxLimits limits;
  limits.wall_seconds = wall;
  limits.address_space_bytes = 1ull << 30;
  return limits;
}

const Sandbox& Strong() {
  static const Sandbox sandbox;
  return sandbox;
}

const Sandbox& Weak() {
  static const Sandbox sandbox = [] {
    SandboxOptions options;
    options.use_namespaces = false;
    return Sandbox(options);
  }();
  return sandbox;
}

TEST(Sandbox, PassingProgramPassesAndHidesTheNonce) {
  SandboxResult r =
      Strong().Run("def f(x):\n    return x + 1\nassert f(1) == 2\nprint('hello')", QuickLimits());
  EXPECT_EQ(r.status, RunStatus::kPassed) << r.output << r.error;
  EXPECT_TRUE(r.nonce_seen);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "hello\n");
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_GT(r.duration_seconds, 0.0);
}

TEST(Sandbox, FailedAssertFails) {
  SandboxResult r = Strong().Run("assert 1 == 2, 'wrong'", QuickLimits());
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_FALSE(r.nonce_seen);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("AssertionError: wrong"), std::string::npos) << r.output;
}

TEST(Sandbox, EarlyExitWithStatusZeroFails) {
  for (const char* exit_call :
       {"import os\nos._exit(0)", "import sys\nsys.exit(0)", "raise SystemExit(0)"}) {
    SandboxResult r = Strong().Run(std::string(exit_call) + "\nassert False", QuickLimits());
    EXPECT_EQ(r.status, RunStatus::kFailed) << exit_call;
    EXPECT_EQ(r.exit_code, 0) << exit_call;
    EXPECT_FALSE(r.nonce_seen) << exit_call;
  }
}

TEST(Sandbox, SyntaxErrorFails) {
  SandboxResult r = Strong().Run("def f(:\n  pass", QuickLimits());
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_NE(r.output.find("SyntaxError"), std::string::npos) << r.output;
}

TEST(Sandbox, InfiniteLoopTimesOutNearTheWallLimit) {
  const auto start = std::chrono::steady_clock::now();
  SandboxResult r = Strong().Run("while True:\n    pass", QuickLimits(1.0));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.status, RunStatus::kTimeout);
  EXPECT_GE(r.duration_seconds, 1.0);
  EXPECT_LT(elapsed, 3.0);
}

TEST(Sandbox, CpuLimitBelowWallLimitIsATimeout) {
  SandboxLimits limits = QuickLimits(10.0);
  limits.cpu_seconds = 1;
  SandboxResult r = Strong().Run("while True:\n    pass", limits);
  EXPECT_EQ(r.status, RunStatus::kTimeout);
  // SIGXCPU: the CPU limit ended it, not the 10 s wall limit (SIGKILL). No bound on the wall
  // time: on a loaded machine one CPU second can take most of the wall limit (seen: 9.4 s).
  EXPECT_EQ(r.term_signal, SIGXCPU);
}

TEST(Sandbox, OutputIsCappedAndMarkedButTheNonceStillCounts) {
  SandboxLimits limits = QuickLimits();
  limits.output_cap_bytes = 1000;
  SandboxResult r = Strong().Run("import sys\nsys.stdout.write('x' * 300000 + '\\n')", limits);
  EXPECT_EQ(r.status, RunStatus::kPassed) << r.output;
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.output.substr(0, 1000), std::string(1000, 'x'));
  EXPECT_NE(r.output.find("[... output truncated: "), std::string::npos) << r.output.substr(1000);
  EXPECT_LT(r.output.size(), 1100u);
}

TEST(Sandbox, StderrIsCaptured) {
  SandboxResult r = Strong().Run("import sys\nprint('to-stderr', file=sys.stderr)", QuickLimits());
  EXPECT_EQ(r.status, RunStatus::kPassed);
  EXPECT_NE(r.output.find("to-stderr"), std::string::npos);
}

// The program sees only the harness's environment, an unprivileged uid and a private 0700
// directory it owns.
TEST(Sandbox, EnvironmentUidAndPrivateDirectory) {
  const char* program = R"(import os, stat
env = dict(os.environ)
assert set(env) == {'PATH', 'HOME', 'TMPDIR', 'PYTHONDONTWRITEBYTECODE', 'PYTHONHASHSEED',
                    'LANG', 'PYTHONIOENCODING'}, env
assert env['HOME'] == os.getcwd(), (env['HOME'], os.getcwd())
assert env['PYTHONHASHSEED'] == '0'
st = os.stat('.')
assert stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
assert st.st_uid == os.getuid()
open('scratch.txt', 'w').write('ok')
assert open('scratch.txt').read() == 'ok'
fds = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))
assert fds[:3] == [0, 1, 2] and len(fds) <= 4, fds  # + the one listdir opened
print('uid', os.getuid(), os.getgid())
)";
  for (const Sandbox* sandbox : {&Strong(), &Weak()}) {
    SandboxResult r = sandbox->Run(program, QuickLimits());
    EXPECT_EQ(r.status, RunStatus::kPassed) << r.output << r.error;
    if (sandbox->isolation().setuid) {
      EXPECT_EQ(r.output.find("uid 0 "), std::string::npos) << r.output;
    }
  }
}

TEST(Sandbox, HashSeedIsFixed) {
  SandboxResult a = Strong().Run("print(hash('gapbench'))", QuickLimits());
  SandboxResult b = Strong().Run("print(hash('gapbench'))", QuickLimits());
  ASSERT_EQ(a.status, RunStatus::kPassed);
  EXPECT_EQ(a.output, b.output);
}

TEST(Sandbox, RunAllKeepsInputOrder) {
  std::vector<SandboxJob> jobs;
  for (int i = 0; i < 12; ++i) {
    // Later jobs finish first, so completion order differs from input order.
    jobs.push_back({"import time\ntime.sleep(" + std::to_string((12 - i) * 0.02) + ")\nprint(" +
                        std::to_string(i) + ")\nassert " + std::to_string(i % 3) + " != 1",
                    QuickLimits()});
  }
  std::vector<SandboxResult> results = Strong().RunAll(jobs, 4);
  ASSERT_EQ(results.size(), jobs.size());
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(results[i].output.substr(0, std::to_string(i).size() + 1), std::to_string(i) + "\n");
    EXPECT_EQ(results[i].status, i % 3 == 1 ? RunStatus::kFailed : RunStatus::kPassed) << i;
  }
}

TEST(Sandbox, WeakModeIsMarkedAndStillScores) {
  EXPECT_TRUE(Weak().isolation().weak());
  EXPECT_FALSE(Weak().isolation().warning.empty());
  SandboxResult pass = Weak().Run("assert True", QuickLimits());
  EXPECT_EQ(pass.status, RunStatus::kPassed) << pass.output << pass.error;
  EXPECT_TRUE(pass.weakly_isolated);
  SandboxResult early = Weak().Run("import os\nos._exit(0)", QuickLimits());
  EXPECT_EQ(early.status, RunStatus::kFailed);
  SandboxResult loop = Weak().Run("while True: pass", QuickLimits(1.0));
  EXPECT_EQ(loop.status, RunStatus::kTimeout);
  // Code items take the same judge path without namespaces.
  const char* prompt = "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n";
  const char* test = "def check(candidate):\n    assert candidate(1, 2) == 3\n";
  SandboxResult code =
      Weak().Run(CodeJob(prompt, "    return a + b\n", test, "add", QuickLimits()));
  EXPECT_EQ(code.status, RunStatus::kPassed) << code.output << code.error;
  SandboxResult wrong = Weak().Run(CodeJob(prompt, "    return 0\n", test, "add", QuickLimits()));
  EXPECT_EQ(wrong.status, RunStatus::kFailed) << wrong.output;
}

TEST(Sandbox, StrongModeWhereAvailable) {
  const IsolationInfo& info = Strong().isolation();
  if (getuid() != 0) GTEST_SKIP() << "not root: the uid switch is unavailable";
  EXPECT_TRUE(info.setuid);
  // Informational: the report says which layers this machine allows.
  std::printf(
      "isolation: namespaces=%d readonly_root=%d private_root=%d setuid=%d cgroup=v%d "
      "seccomp=%d python=%s\n",
      info.namespaces, info.readonly_root, info.private_root, info.setuid, info.cgroup_version,
      info.seccomp, info.python.c_str());
  // Namespaces and cgroups depend on the machine (a container may refuse them); where the mount
  // namespace works, so must the private root, and seccomp everywhere.
  if (info.namespaces) {
    EXPECT_TRUE(info.private_root) << info.warning;
  }
  EXPECT_TRUE(info.seccomp) << info.warning;
  SandboxResult r = Strong().Run("assert True", QuickLimits());
  EXPECT_EQ(r.weakly_isolated, info.weak());
}

// Code items: the judge runs the test, the completion answers through plain values.
constexpr const char* kAddPrompt = "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n";
constexpr const char* kAddTest =
    "def check(candidate):\n"
    "    assert candidate(1, 2) == 3\n"
    "    assert candidate(a=2, b=5) == 7\n"
    "    assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9\n";

TEST(Sandbox, CodeItemPassesOnlyWithTheRightFunction) {
  SandboxResult ok =
      Strong().Run(CodeJob(kAddPrompt, "    print('from the completion')\n    return a + b\n",
                           kAddTest, "add", QuickLimits()));
  EXPECT_EQ(ok.status, RunStatus::kPassed) << ok.output << ok.error;
  EXPECT_TRUE(ok.nonce_seen);
  EXPECT_NE(ok.output.find("from the completion"), std::string::npos) << ok.output;
  SandboxResult wrong =
      Strong().Run(CodeJob(kAddPrompt, "    return a - b\n", kAddTest, "add", QuickLimits()));
  EXPECT_EQ(wrong.status, RunStatus::kFailed);
  EXPECT_FALSE(wrong.nonce_seen);
  EXPECT_NE(wrong.output.find("AssertionError"), std::string::npos) << wrong.output;
  SandboxResult syntax =
      Strong().Run(CodeJob(kAddPrompt, "    return a +\n", kAddTest, "add", QuickLimits()));
  EXPECT_EQ(syntax.status, RunStatus::kFailed);
  EXPECT_NE(syntax.output.find("SyntaxError"), std::string::npos) << syntax.output;
  SandboxResult bad_entry =
      Strong().Run(CodeJob(kAddPrompt, "    return a + b\n", kAddTest, "add)", QuickLimits()));
  EXPECT_EQ(bad_entry.status, RunStatus::kFailed);
  EXPECT_NE(bad_entry.error.find("identifier"), std::string::npos) << bad_entry.error;
}

// Every plain type crosses exactly (types included); the completion's exceptions arrive as the
// same builtin exception; helpers of the prompt are the judge's own.
TEST(Sandbox, CodeItemValuesAndExceptionsCrossExactly) {
  const char* prompt =
      "def helper(x):\n    return x * 2\n\n\ndef echo(v, fail=None):\n    \"\"\"Echo.\"\"\"\n";
  const char* completion =
      "    if fail == 'value':\n        raise ValueError('bad value')\n"
      "    if fail == 'custom':\n        class Mine(Exception):\n            pass\n"
      "        raise Mine('mine')\n"
      "    return v\n";
  const char* test = R"(import math
def check(candidate):
    values = [None, True, False, 0, -7, 2**100, 1.5, -0.0, float('inf'), 'x\u00e9\n',
              b'\x00\xff', [1, [2]], (1, (2, 3)), {'a': 1, 2: (3,)}, {1, 2}, frozenset({3}),
              1 + 2j, []]
    for v in values:
        got = candidate(v)
        assert got == v and type(got) is type(v), (v, got)
    assert math.isnan(candidate(float('nan')))
    assert candidate(-0.0).hex() == (-0.0).hex()
    try:
        candidate(1, fail='value')
        assert False, 'no exception'
    except ValueError as e:
        assert 'bad value' in str(e)
    try:
        candidate(1, fail='custom')
        assert False, 'no exception'
    except RuntimeError as e:
        assert 'Mine' in str(e)
    assert helper(4) == 8
)";
  SandboxResult r = Strong().Run(CodeJob(prompt, completion, test, "echo", QuickLimits()));
  EXPECT_EQ(r.status, RunStatus::kPassed) << r.output << r.error;
}

// Nothing of a run's cgroups is left behind (this process's groups are gapbench-<pid>-<slot>).
TEST(Sandbox, CgroupsAreRemovedAfterRuns) {
  if (Strong().isolation().cgroup_version == 0) GTEST_SKIP() << Strong().isolation().warning;
  SandboxResult r = Strong().Run(
      "import os\nif os.fork() == 0:\n    import time\n"
      "    time.sleep(100)\n",
      QuickLimits());
  EXPECT_EQ(r.status, RunStatus::kPassed) << r.output << r.error;
  const std::string prefix = "gapbench-" + std::to_string(getpid()) + "-";
  int checked = 0;
  for (const char* mount : {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(
             mount, std::filesystem::directory_options::skip_permission_denied, ec)) {
      if (!e.is_directory(ec)) continue;
      ++checked;
      EXPECT_NE(e.path().filename().string().rfind(prefix, 0), 0u) << e.path();
    }
  }
  EXPECT_GT(checked, 0);
}

// Where cgroups are not available (a user's machine, an unprivileged container) runs still
// happen, marked weakly isolated, with the per-process rlimits.
TEST(Sandbox, WithoutCgroupsRunsAreWeakButScored) {
  SandboxOptions options;
  options.use_cgroups = false;
  const Sandbox sandbox(options);
  EXPECT_EQ(sandbox.isolation().cgroup_version, 0);
  EXPECT_TRUE(sandbox.isolation().weak());
  EXPECT_NE(sandbox.isolation().warning.find("cgroup"), std::string::npos)
      << sandbox.isolation().warning;
  SandboxResult pass =
      sandbox.Run(CodeJob(kAddPrompt, "    return a + b\n", kAddTest, "add", QuickLimits()));
  EXPECT_EQ(pass.status, RunStatus::kPassed) << pass.output << pass.error;
  EXPECT_TRUE(pass.weakly_isolated);
  SandboxResult fail =
      sandbox.Run(CodeJob(kAddPrompt, "    return 0\n", kAddTest, "add", QuickLimits()));
  EXPECT_EQ(fail.status, RunStatus::kFailed);
}

TEST(Sandbox, MissingPythonIsAnError) {
  EXPECT_EQ(FindPython("/nonexistent/python3"), "");
  SandboxOptions options;
  options.python = "/nonexistent/python3";
  EXPECT_THROW(Sandbox{options}, Error);
}

TEST(Sandbox, NoncesAreFreshHex) {
  std::string a = MakeNonce(), b = MakeNonce();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace gapbench::suites
