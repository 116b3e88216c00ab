// Slow tier: hostile programs (HARNESS_NOTES' list) against the sandbox. Each program is written
// so that it would PASS only if its attack worked; each runs in parallel with a canary item. For
// every one we check: the item does not pass, it ends within its limit (plus slack), nothing of
// it survives (/proc holds no process with a sandbox uid afterwards), the canary still passes,
// no file appears outside, and no secret reaches the output.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "suites/sandbox.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

namespace fs = std::filesystem;

// The uids this process's sandboxes use (docs/SANDBOX.md): 1'900'000'000 + (pid % 4096) * 256
// + slot. Only this block: other test processes may run sandboxes at the same time.
uint64_t UidLow() { return 1'900'000'000ull + static_cast<uint64_t>(getpid() % 4096) * 256; }

// Live (non-zombie) processes whose real uid is one of ours, read independently from /proc.
int LiveSandboxProcesses() {
  const uint64_t low = UidLow(), high = low + 256;
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "status");
    std::string line;
    char state = '?';
    uint64_t uid = 0;
    while (std::getline(in, line)) {
      if (line.rfind("State:", 0) == 0) state = line[line.find_first_not_of(" \t", 6)];
      if (line.rfind("Uid:", 0) == 0) uid = std::strtoull(line.c_str() + 4, nullptr, 10);
    }
    if (uid >= low && uid < high && state != 'Z' && state != 'X') ++count;
  }
  return count;
}

// A secret only root can read, in a directory the sandbox's read-only view still shows.
class Secret {
 public:
  Secret() {
    value_ = "gb-secret-" + MakeNonce();
    dir_ = fs::path("/var/tmp") / ("gb-secret-" + MakeNonce().substr(0, 12));
    fs::create_directories(dir_);
    chmod(dir_.c_str(), 0700);
    std::ofstream(dir_ / "secret") << value_ << "\n";
    chmod((dir_ / "secret").c_str(), 0600);
    setenv("GB_SUPERVISOR_SECRET", value_.c_str(), 1);  // must not reach the program either
  }
  ~Secret() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    unsetenv("GB_SUPERVISOR_SECRET");
  }
  const std::string& value() const { return value_; }
  std::string path() const { return (dir_ / "secret").string(); }

 private:
  std::string value_;
  fs::path dir_;
};

struct Hostile {
  const char* name;
  std::string program;
  bool needs_strong;  // only meaningful with namespaces (files, network)
};

SandboxLimits HostileLimits() {
  SandboxLimits limits;
  limits.wall_seconds = 2.0;
  limits.address_space_bytes = 512ull << 20;
  limits.max_processes = 32;
  limits.tmpfs_bytes = 16ull << 20;
  return limits;
}

constexpr const char* kCanary =
    "import time, os\n"
    "t0 = time.time()\n"
    "while time.time() - t0 < 0.5:\n"
    "    time.sleep(0.05)\n"
    "assert sum(range(10)) == 45\n"
    "open('canary.txt', 'w').write('alive')\n"
    "assert open('canary.txt').read() == 'alive'\n";

std::vector<Hostile> HostilePrograms(const Secret& secret, const std::string& outside_dir) {
  const std::string s = secret.path();
  const std::string out = outside_dir;
  return {
      {"fork_bomb", "import os\nwhile True:\n    os.fork()\n", false},
      {"thread_bomb",
       "import threading, time\nwhile True:\n"
       "    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n",
       false},
      {"cpu_spin", "while True:\n    pass\n", false},
      {"sleep_forever", "import time\ntime.sleep(10**6)\n", false},
      {"memory_bomb", "a = []\nwhile True:\n    a.append(bytearray(64 * 2**20))\n", false},
      {"deep_recursion",
       "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1) + 1\nf(0)\n",
       false},
      {"ignore_sigterm",
       "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
       "while True:\n    time.sleep(0.1)\n",
       false},
      {"double_fork_daemon",
       "import os, time, sys\n"
       "if os.fork() == 0:\n"
       "    os.setsid()\n"
       "    if os.fork() == 0:\n"
       "        signal = __import__('signal'); signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
       "        time.sleep(10**6)\n"
       "    os._exit(0)\n"
       "time.sleep(0.3)\n"
       "assert False, 'the daemon is the attack; this item must not pass'\n",
       false},
      {"daemon_after_pass",  // the main program passes; its daemon must still not outlive it
       "import os, time\n"
       "if os.fork() == 0:\n"
       "    os.setsid()\n"
       "    if os.fork() == 0:\n"
       "        time.sleep(10**6)\n"
       "    os._exit(0)\n"
       "time.sleep(0.2)\n"
       "raise SystemExit(3)\n",
       false},
      {"kill_parent", "import os\nos.kill(os.getppid(), 9)\nimport time\ntime.sleep(0.5)\n", false},
      {"kill_everything",  // kill(-1) spares the caller: the attack is on the canary
       "import os\ntry:\n    os.kill(-1, 9)\nexcept OSError:\n    pass\n"
       "assert False, 'survived its own kill(-1)'\n",
       false},
      {"kill_all_pids",
       "import os\nkilled = 0\n"
       "for p in os.listdir('/proc'):\n"
       "    if p.isdigit() and int(p) != os.getpid():\n"
       "        try:\n            os.kill(int(p), 9); killed += 1\n"
       "        except OSError:\n            pass\n"
       "assert False, killed\n",
       false},
      {"ptrace_parent",
       "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
       "assert libc.ptrace(16, os.getppid(), 0, 0) == 0, ctypes.get_errno()\n",
       false},
      {"early_exit", "import os\nos._exit(0)\nassert False\n", false},
      {"huge_output", "import sys\nchunk = 'x' * 65536\nwhile True:\n    sys.stdout.write(chunk)\n",
       false},
      {"fill_disk",
       "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (4 * 2**20)); i += 1\n", false},
      {"big_file", "open('big', 'wb').write(b'x' * (64 * 2**20))\n", false},
      {"read_secret", "print(open('" + s + "').read())\n", false},
      {"read_shadow", "print(open('/etc/shadow').read())\n", false},
      {"read_root_ssh", "import os\nprint(os.listdir('/root'))\n", false},
      {"read_environ",
       "import os\nprint(open('/proc/self/environ').read())\n"
       "print(open(f'/proc/{os.getppid()}/environ').read())\n",
       false},
      {"write_outside",
       "import os\nok = []\n"
       "for p in ['" +
           out + "/escaped', '/var/tmp/gb-escaped-" + fs::path(outside_dir).filename().string() +
           "', '/escaped']:\n"
           "    try:\n        open(p, 'w').write('x'); ok.append(p)\n"
           "    except OSError:\n        pass\n"
           "assert ok and all(os.path.exists(p) for p in ok), ok\n"
           "assert False, 'no host write may succeed; checked from outside as well'\n",
       true},
      {"tcp_connect",
       "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1).close()\n", true},
      {"dns_lookup", "import socket\nprint(socket.getaddrinfo('example.com', 80))\n", true},
      {"loopback_connect_host",  // a service on the host's loopback must be unreachable
       "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1).close()\n", true},
  };
}

void RunHostileSet(const Sandbox& sandbox, bool strong) {
  const Secret secret;
  testing::TempDir outside;
  chmod(outside.path().c_str(), 0777);  // world-writable: only the sandbox's view protects it
  const SandboxLimits limits = HostileLimits();
  SandboxLimits canary_limits = limits;
  canary_limits.wall_seconds = 20.0;
  for (const Hostile& h : HostilePrograms(secret, outside.path().string())) {
    if (h.needs_strong && !strong) continue;
    SCOPED_TRACE(h.name);
    const std::vector<SandboxResult> results =
        sandbox.RunAll({{h.program, limits}, {kCanary, canary_limits}}, 2);
    const SandboxResult& r = results[0];
    EXPECT_NE(r.status, RunStatus::kPassed) << r.output;
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_LT(r.duration_seconds, limits.wall_seconds + 1.5);
    EXPECT_LE(r.output.size(), limits.output_cap_bytes + 200);
    EXPECT_EQ(r.output.find(secret.value()), std::string::npos) << r.output;
    EXPECT_EQ(results[1].status, RunStatus::kPassed)
        << "canary: " << results[1].output << results[1].error;
    EXPECT_EQ(LiveSandboxProcesses(), 0) << "a process of the run survived";
    EXPECT_FALSE(fs::exists(outside.path() / "escaped"));
    EXPECT_FALSE(fs::exists("/escaped"));
    EXPECT_FALSE(fs::exists("/var/tmp/gb-escaped-" + outside.path().filename().string()));
    std::printf("  %-22s %-7s %.2fs exit=%d sig=%d%s\n", h.name, RunStatusName(r.status),
                r.duration_seconds, r.exit_code, r.term_signal, r.truncated ? " truncated" : "");
  }
}

TEST(SandboxHostile, StrongIsolation) {
  if (getuid() != 0) GTEST_SKIP() << "needs root for the per-run uid switch";
  const Sandbox sandbox;
  if (sandbox.isolation().weak()) {
    GTEST_SKIP() << "namespaces unavailable here: " << sandbox.isolation().warning;
  }
  RunHostileSet(sandbox, true);
}

// Without namespaces: process containment, limits and the uid's file permissions still hold.
TEST(SandboxHostile, WeakIsolationStillContainsProcesses) {
  if (getuid() != 0) GTEST_SKIP() << "needs root for the per-run uid switch";
  SandboxOptions options;
  options.use_namespaces = false;
  const Sandbox sandbox(options);
  RunHostileSet(sandbox, false);
}

}  // namespace
}  // namespace gapbench::suites
