// Fast tests of the code sandbox: pass/fail/timeout from the nonce (not the exit code), output
// cap, environment, uid and private directory, input-order results of the pool, and the weak
// (no-namespace) path. Hostile programs are in sandbox_hostile_slow_test.cpp.
#include "suites/sandbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
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
  EXPECT_EQ(r.term_signal, SIGXCPU);
  EXPECT_LT(r.duration_seconds, 5.0);
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
}

TEST(Sandbox, StrongModeWhereAvailable) {
  const IsolationInfo& info = Strong().isolation();
  if (getuid() != 0) GTEST_SKIP() << "not root: the uid switch is unavailable";
  EXPECT_TRUE(info.setuid);
  // Informational: the report says which layers this machine allows.
  std::printf("isolation: namespaces=%d readonly_root=%d setuid=%d python=%s\n", info.namespaces,
              info.readonly_root, info.setuid, info.python.c_str());
  SandboxResult r = Strong().Run("assert True", QuickLimits());
  EXPECT_EQ(r.weakly_isolated, info.weak());
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
