// Slow tier: the attacks of issue 17 (sandbox part), each a hostile completion scored by the
// real `gapbench suites exec` (the path a user runs). Every attack completion is written to
// PASS only if its attack worked: either a correct function behind top-level attack code that
// raises unless the attack succeeded (escapes, limits, keyrings, seccomp, visibility), or a
// wrong function plus a trick to forge the verdict. Checks: no attack passes, the correct
// control completion passes, the host's UNIX sockets received nothing.
//
// GB_ATTACK_GAPBENCH=/path/to/gapbench runs the same attacks against another build (this is how
// the attacks were shown to get through before the fix; docs/SANDBOX.md lists the results).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "suites/sandbox.h"
#include "tests/test_util.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;

// A folder outside /tmp that the old sandbox showed read-only (world-readable, like a suite
// checked out in a shared place), holding the suite, the samples and two UNIX sockets.
class HostFolder {
 public:
  HostFolder() {
    path_ = fs::path("/var/tmp") / ("gb-attack-" + suites::MakeNonce().substr(0, 12));
    fs::create_directories(path_);
    chmod(path_.c_str(), 0777);
  }
  ~HostFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A world-writable listening socket (stream or datagram) counting what reaches it.
class UnixListener {
 public:
  UnixListener(const fs::path& path, int type) : path_(path), type_(type) {
    fd_ = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    chmod(path.c_str(), 0777);
    if (type == SOCK_STREAM) {
      EXPECT_EQ(listen(fd_, 16), 0);
    }
    thread_ = std::thread([this] {
      char buf[64];
      while (!stop_) {
        pollfd pfd{fd_, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0) continue;
        if (type_ == SOCK_STREAM) {
          int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c >= 0) {
            ++hits_;
            close(c);
          }
        } else if (recv(fd_, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
          ++hits_;
        }
      }
    });
  }
  ~UnixListener() {
    stop_ = true;
    thread_.join();
    close(fd_);
    unlink(path_.c_str());
  }
  int hits() const { return hits_; }

 private:
  fs::path path_;
  int type_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> hits_{0};
  std::thread thread_;
};

struct Attack {
  std::string name;
  std::string completion;  // follows the prompt: a function body, then top-level code
};

constexpr const char* kPrompt = "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n";
constexpr const char* kTest =
    "METADATA = {}\n\n\ndef check(candidate):\n"
    "    assert candidate(1, 2) == 3\n"
    "    assert candidate(-1, 1) == 0\n"
    "    assert candidate(10, 5) == 15\n"
    "    assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9\n";
constexpr const char* kRight = "    return a + b\n";
constexpr const char* kWrong = "    return 0\n";

// ctypes prelude for the raw-syscall attacks (x86-64 numbers).
constexpr const char* kLibc =
    "import ctypes, os\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "libc.syscall.restype = ctypes.c_long\n"
    "def sc(*args):\n"
    "    return libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])\n";

std::vector<Attack> Attacks(const fs::path& host, const std::string& cli_marker) {
  const std::string stream = (host / "stream.sock").string();
  const std::string dgram = (host / "dgram.sock").string();
  const std::string suite = (host / "suite.jsonl").string();
  const std::string R = kRight, W = kWrong, L = kLibc;
  return {
      {"control_correct", R},
      // 1. Host UNIX sockets and host folders.
      {"unix_stream_connect_host",
       R +
           "import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
           "s.connect('" +
           stream + "')\ns.close()\n"},
      {"unix_dgram_pair_sendto_host",
       R +
           "import socket\na, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
           "a.sendto(b'hello', '" +
           dgram + "')\n"},
      {"host_folders_visible",
       R + "import os\nseen = [p for p in ('/var', '/run', '/home', '/root', '/etc/passwd', "
           "'/work')"
           " if os.path.exists(p)]\nassert seen, 'nothing of the host visible'\n"},
      {"netlink_socket",
       R + "import socket\nsocket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\n"},
      {"vsock_socket", R + "import socket\nsocket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)\n"},
      // 2. Forging the verdict with a wrong function.
      {"settrace_skips_check",
       W + "import sys\n_lines = open(__file__).read().split('\\n')\n"
           "def _tr(frame, event, arg):\n"
           "    if event == 'line' and frame.f_code.co_name == '<module>':\n"
           "        if 0 < frame.f_lineno <= len(_lines) and "
           "_lines[frame.f_lineno - 1].startswith('check('):\n"
           "            frame.f_lineno = frame.f_lineno + 1\n"
           "    return _tr\n"
           "sys.settrace(_tr)\nsys._getframe().f_trace = _tr\n"},
      {"eq_always_true",
       "    class Any:\n"
       "        def __eq__(self, other): return True\n"
       "        def __ne__(self, other): return False\n"
       "        def __sub__(self, other): return 0\n"
       "    return Any()\n"},
      {"int_subclass_eq",
       "    class I(int):\n"
       "        def __eq__(self, other): return True\n"
       "        def __sub__(self, other): return 0\n"
       "        __hash__ = int.__hash__\n"
       "    return I(0)\n"},
      {"patched_builtins",  // right for ints, wrong for floats; abs() patched to hide that
       "    return int(a + b)\nimport builtins\nbuiltins.abs = lambda x: 0\n"},
      {"nonce_from_own_source",
       W + "import os, re\n_m = re.findall(r'print\\(\"([0-9a-f]{32})\", flush=True\\)', "
           "open(__file__).read())\n"
           "if _m:\n    print(_m[-1], flush=True)\n    os._exit(0)\nraise SystemExit(1)\n"},
      {"answers_from_own_test",
       W + "import re\n_src = open(__file__).read()\n_t = {}\n"
           "for _a, _e in re.findall(r'candidate\\((.*?)\\) == (.*)', _src):\n"
           "    _t[eval('(' + _a + ',)')] = eval(_e)\n"
           "for _a, _e in re.findall(r'abs\\(candidate\\((.*?)\\) - (.*?)\\)', _src):\n"
           "    _t[eval('(' + _a + ',)')] = eval(_e)\n"
           "def add(a, b):\n    return _t.get((a, b), 0)\n"},
      {"verdict_fd_of_parent",
       W + "import os\nfor p in ('/proc/%d/fd/3' % os.getppid(), '/proc/self/fd/3'):\n"
           "    try:\n        open(p, 'w').write('pass\\n')\n    except OSError:\n        pass\n"
           "os._exit(0)\n"},
      {"test_from_judge_fd_or_mem",  // the judge's test memfd, its memory, its environment
       W + "import os, time\nppid = os.getppid()\nend = time.time() + 0.5\nsrc = ''\n"
           "while not src and time.time() < end:\n"
           "    for p in ('/proc/%d/fd/4' % ppid, '/proc/%d/mem' % ppid, '/proc/%d/environ' % "
           "ppid):\n"
           "        try:\n            src = open(p, 'rb').read(4096).decode('latin-1')\n"
           "        except OSError:\n            pass\n"
           "assert 'candidate' in src, 'nothing of the judge readable'\n"},
      {"ptrace_attach_judge",
       W + L + "assert libc.ptrace(16, os.getppid(), 0, 0) == 0, ctypes.get_errno()\n"},
      {"kill_parent_then_exit_zero", W + "import os\ntry:\n    os.kill(os.getppid(), 9)\nexcept "
                                         "OSError:\n    pass\nos._exit(0)\n"},
      // 3. Memory beyond the 512 MiB limit of the run, none of it in one process's heap.
      {"sysv_shm_1536_mib",
       R + L +
           "libc.shmat.restype = ctypes.c_void_p\n"
           "libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]\n"
           "libc.shmdt.argtypes = [ctypes.c_void_p]\n"
           "for i in range(6):\n"
           "    sid = libc.shmget(0, 256 << 20, 0o1600)\n"
           "    assert sid >= 0, ctypes.get_errno()\n"
           "    addr = libc.shmat(sid, None, 0)\n"
           "    assert addr not in (None, 2**64 - 1), ctypes.get_errno()\n"
           "    ctypes.memset(addr, 1, 256 << 20)\n"
           "    libc.shmdt(addr)\n"},
      {"four_processes_300_mib", R + "import os, select, time\nr, w = os.pipe()\n"
                                     "for i in range(4):\n"
                                     "    if os.fork() == 0:\n"
                                     "        blob = b'x' * (300 << 20)\n"
                                     "        os.write(w, b'1')\n"
                                     "        time.sleep(30)\n"
                                     "        os._exit(0)\n"
                                     "got = b''\nend = time.time() + 8\n"
                                     "while len(got) < 4 and time.time() < end:\n"
                                     "    if select.select([r], [], [], 0.1)[0]:\n"
                                     "        got += os.read(r, 4)\n"
                                     "assert len(got) == 4, got\n"},
      {"memfd_720_mib", R + "import os\nfds = []\nfor i in range(48):\n"
                            "    fd = os.memfd_create('x')\n    os.write(fd, b'x' * (15 << 20))\n  "
                            "  fds.append(fd)\n"},
      {"empty_files_100k",
       R + "import os\nfor i in range(100000):\n"
           "    os.close(os.open('f%d' % i, os.O_CREAT | os.O_WRONLY, 0o600))\n"},
      // 4. The kernel keyring: stored by one run, read by the next (same slot, --parallel 1).
      {"keyring_store", R + L +
                            "k = sc(248, b'user', b'gb-attack-key', b'secret', 6, -4)\nassert k > "
                            "0, ctypes.get_errno()\n"},
      {"keyring_read_previous_run",
       R + L +
           "k = sc(250, 10, -4, b'user', b'gb-attack-key', 0)\nassert k > 0, ctypes.get_errno()\n"},
      // 5. Kernel surface a test never needs.
      {"unshare_user_namespace",
       R + L + "assert libc.unshare(0x10000000) == 0, ctypes.get_errno()\n"},
      {"io_uring_setup",
       R + L +
           "p = ctypes.create_string_buffer(120)\nassert sc(425, 8, p) >= 0, ctypes.get_errno()\n"},
      {"userfaultfd", R + L + "assert sc(323, 1 | 0o2000000) >= 0, ctypes.get_errno()\n"},
      {"perf_event_open",
       R + L +
           "a = ctypes.create_string_buffer(128)\n"
           "ctypes.memmove(a, (1).to_bytes(4, 'little') + (128).to_bytes(4, 'little') + "
           "(1).to_bytes(8, 'little'), 16)\n"
           "a[40] = bytes([0x60])\n"
           "assert sc(298, a, 0, -1, -1, 0) >= 0, ctypes.get_errno()\n"},
      {"ptrace_traceme", R + L + "assert libc.ptrace(0, 0, 0, 0) == 0, ctypes.get_errno()\n"},
      {"bpf_map_create",
       R + L +
           "a = ctypes.create_string_buffer(72)\n"
           "ctypes.memmove(a, (2).to_bytes(4, 'little') + (4).to_bytes(4, 'little') * 2 + "
           "(1).to_bytes(4, 'little'), 16)\n"
           "assert sc(321, 0, a, 72) >= 0, ctypes.get_errno()\n"},
      // 6. The harness's command line and other tasks' files.
      {"harness_cmdline_in_proc",
       R +
           "import os\nfound = []\nfor p in os.listdir('/proc'):\n"
           "    if p.isdigit():\n"
           "        try:\n            c = open('/proc/%s/cmdline' % p, 'rb').read()\n"
           "        except OSError:\n            continue\n"
           "        if b'" +
           cli_marker +
           "' in c:\n            found.append(c)\n"
           "assert found, 'no harness command line visible'\n"},
      {"suite_file_readable", R + "assert 'canonical_solution' in open('" + suite + "').read()\n"},
  };
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

TEST(SandboxAttacks, NoAttackGetsThroughTheRealCli) {
  if (getuid() != 0) GTEST_SKIP() << "needs root: the sandbox's uid switch and namespaces";
  HostFolder host;
  const std::string marker = host.path().filename().string();  // in the CLI's argv
  const std::vector<Attack> attacks = Attacks(host.path(), marker);
  {
    std::ofstream suite(host.path() / "suite.jsonl");
    suite << "{\"task_id\": \"Attack/0\", \"prompt\": " << JsonString(kPrompt)
          << ", \"canonical_solution\": " << JsonString(kRight)
          << ", \"test\": " << JsonString(kTest) << ", \"entry_point\": \"add\"}\n";
    std::ofstream samples(host.path() / "samples.jsonl");
    for (const Attack& a : attacks) {
      samples << "{\"task_id\": \"Attack/0\", \"completion\": " << JsonString(a.completion)
              << "}\n";
    }
  }
  chmod((host.path() / "suite.jsonl").c_str(), 0644);
  chmod((host.path() / "samples.jsonl").c_str(), 0644);
  UnixListener stream(host.path() / "stream.sock", SOCK_STREAM);
  UnixListener dgram(host.path() / "dgram.sock", SOCK_DGRAM);

  const char* other = std::getenv("GB_ATTACK_GAPBENCH");
  const std::string bin = other != nullptr && *other != '\0' ? other : GapbenchBin();
  ProcessResult r = RunProcess(
      {bin, "suites", "exec", "--suite", (host.path() / "suite.jsonl").string(), "--samples",
       (host.path() / "samples.jsonl").string(), "--timeout", "10", "--parallel", "1",
       "--memory-mb", "512", "--k", "1", "--out", (host.path() / "out.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream out(host.path() / "out.jsonl");
  std::string line;
  size_t i = 0;
  while (std::getline(out, line)) {
    ASSERT_LT(i, attacks.size());
    rapidjson::Document d = ParseJson(line, "out.jsonl");
    const std::string status = d["status"].GetString();
    const std::string output = d["output"].GetString();
    // The first error line says why an attack failed (the completion's own exception comes
    // before the judge's).
    std::string why;
    for (size_t pos = 0; pos < output.size() && why.empty();) {
      const size_t end = std::min(output.find('\n', pos), output.size());
      const std::string l = output.substr(pos, end - pos);
      if (l.find("Error") != std::string::npos && l.rfind("  ", 0) != 0) why = l;
      pos = end + 1;
    }
    std::printf("  %-28s %-8s %s\n", attacks[i].name.c_str(), status.c_str(),
                why.substr(0, 90).c_str());
    if (i == 0) {
      EXPECT_EQ(status, "passed") << "the correct control completion: " << output;
    } else {
      EXPECT_NE(status, "passed") << attacks[i].name << " got through: " << output;
    }
    ++i;
  }
  EXPECT_EQ(i, attacks.size());
  EXPECT_EQ(stream.hits(), 0) << "a run connected to a host UNIX socket";
  EXPECT_EQ(dgram.hits(), 0) << "a run sent a datagram to a host UNIX socket";
}

}  // namespace
}  // namespace gapbench::testing
