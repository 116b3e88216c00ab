// The supervisor side of the sandbox: finds Python, probes the isolation layers once, and runs
// programs — uid allocation, output capture with a cap, the wall-clock limit, the nonce check and
// the final sweep — plus the worker pool. The process tree itself is in sandbox_process.cpp.
#include "suites/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bitset>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "suites/sandbox_cgroup.h"
#include "suites/sandbox_process.h"
#include "suites/sandbox_seccomp.h"

namespace gapbench::suites {

// What every run of one Sandbox shares, built once: the private root's steps (their strings
// stay put: the struct lives on the heap behind a shared_ptr, so copies of the Sandbox keep
// the pointers valid), the seccomp program and the cgroup hierarchy.
struct SandboxShared {
  std::deque<std::string> strings;
  std::vector<internal::RootOp> root_ops;
  internal::SeccompProgram seccomp;
  internal::CgroupConfig cgroups;
  std::string runner_pyc;  // the code runner compiled once by the interpreter; empty: source
};

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kDefaultUidBase = 1'900'000'000;
constexpr int kSlots = 256;                      // concurrent runs per gapbench process
constexpr const char* kWorkdirNs = "/tmp/work";  // the private directory in namespace mode

// Slots give every concurrent run its own uid: uid_base + (pid % 4096) * kSlots + slot, so runs
// of this process, and (barring a pid collision mod 4096) of other gapbench processes, never
// share a uid and cannot signal, trace or read one another.
class SlotPool {
 public:
  int Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !used_.all(); });
    for (int i = 0; i < kSlots; ++i) {
      if (!used_[i]) {
        used_[i] = true;
        return i;
      }
    }
    return -1;  // unreachable
  }
  void Release(int slot) {
    {
      std::lock_guard lock(mu_);
      used_[slot] = false;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::bitset<kSlots> used_;
};

SlotPool& Slots() {
  static SlotPool pool;
  return pool;
}

// Output capture: keeps the first `cap` bytes and watches the whole stream for the nonce line.
class OutputCapture {
 public:
  // The stream is searched as if it began with '\n', so a nonce on the first line counts.
  OutputCapture(size_t cap, std::string nonce_line)
      : cap_(cap), nonce_line_(std::move(nonce_line)), tail_("\n") {}

  void Feed(const char* data, size_t n) {
    if (!nonce_seen_) {
      // Search across chunk borders: the tail of the previous chunks plus this one.
      std::string window = tail_;
      window.append(data, n);
      if (window.find(nonce_line_) != std::string::npos) nonce_seen_ = true;
      tail_ = window.substr(window.size() - std::min(window.size(), nonce_line_.size() - 1));
    }
    if (head_.size() < cap_) head_.append(data, std::min(n, cap_ - head_.size()));
    total_ += n;
  }
  bool nonce_seen() const { return nonce_seen_; }
  bool truncated() const { return total_ > cap_; }
  // The captured text without the nonce line (the nonce is the harness's, not the program's).
  std::string Text() const {
    std::string text = "\n" + head_;
    size_t pos = text.find(nonce_line_);
    if (pos != std::string::npos) text.erase(pos + 1, nonce_line_.size() - 1);
    text.erase(0, 1);
    if (truncated())
      text += "\n[... output truncated: " + std::to_string(total_) + " bytes in all]\n";
    return text;
  }

 private:
  size_t cap_;
  std::string nonce_line_;  // "\n<nonce>\n" or the nonce at the very start
  std::string head_;
  std::string tail_;
  size_t total_ = 0;
  bool nonce_seen_ = false;
};

bool ExecutableByOthers(const fs::path& file) {
  struct stat st {};
  if (stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IXOTH) == 0) {
    return false;
  }
  for (fs::path dir = file.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) return false;
    if (dir == dir.root_path()) break;
  }
  return true;
}

std::string UsablePython(const std::string& candidate, bool need_others) {
  if (candidate.empty()) return "";
  std::error_code ec;
  fs::path resolved = fs::canonical(candidate, ec);
  if (ec) return "";
  if (need_others ? !ExecutableByOthers(resolved) : access(resolved.c_str(), X_OK) != 0) return "";
  return resolved.string();
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

constexpr const char* kRootDir = "/tmp";  // where init assembles the private root (its own view)

// The private root: the interpreter's folders (read-only), the loader cache, a few device nodes
// and empty mount points for /tmp, /proc and /dev/shm. Everything else of the host is absent.
void BuildRootLayout(SandboxShared& shared, const std::string& python) {
  auto str = [&](std::string v) -> const char* {
    return shared.strings.emplace_back(std::move(v)).c_str();
  };
  auto op = [&](internal::RootOp::Kind kind, const std::string& source, const std::string& target) {
    internal::RootOp o;
    o.kind = kind;
    o.source = source.empty() ? nullptr : str(source);
    o.target = str(std::string(kRootDir) + target);
    shared.root_ops.push_back(o);
  };
  using K = internal::RootOp;
  struct stat st {};
  op(K::kBindDir, "/usr", "/usr");
  // Merged-/usr systems have these as symlinks into /usr; older ones as directories.
  for (const char* d : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    if (lstat(d, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(d, ec);
      if (!ec) op(K::kSymlink, target.string(), d);
    } else if (S_ISDIR(st.st_mode)) {
      op(K::kBindDir, d, d);
    }
  }
  // An interpreter outside those (/opt/python3.12/bin/python3): its prefix, read-only.
  const fs::path prefix = fs::path(python).parent_path().parent_path();
  bool covered = prefix.empty() || prefix == "/";
  for (const char* d : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    const std::string root = d;
    if (python.rfind(root + "/", 0) == 0) covered = true;
  }
  if (!covered) {
    std::string partial;
    for (const auto& part : prefix.parent_path().relative_path()) {
      partial += "/" + part.string();
      op(K::kDir, "", partial);
    }
    op(K::kBindDir, prefix.string(), prefix.string());
  }
  op(K::kDir, "", "/etc");
  if (stat("/etc/ld.so.cache", &st) == 0) op(K::kBindFile, "/etc/ld.so.cache", "/etc/ld.so.cache");
  op(K::kDir, "", "/dev");
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}) {
    if (stat(dev, &st) == 0 && S_ISCHR(st.st_mode)) op(K::kBindFile, dev, dev);
  }
  op(K::kSymlink, "/proc/self/fd", "/dev/fd");
  op(K::kSymlink, "/proc/self/fd/0", "/dev/stdin");
  op(K::kSymlink, "/proc/self/fd/1", "/dev/stdout");
  op(K::kSymlink, "/proc/self/fd/2", "/dev/stderr");
  op(K::kDir, "", "/dev/shm");
  op(K::kDir, "", "/proc");
  op(K::kDir, "", "/tmp");
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The runner of code items (main.py, or main.pyc compiled once per Sandbox). The judge (this
// process, the one init waits for) makes itself non-dumpable, so a process of the same uid can
// neither trace it nor open its /proc/<pid>/mem or fd/; forks the completion's process before it
// has read the test (so no copy of the test or the verdict pipe is in that process); then runs
// prompt + test + check() with the entry point bound to a proxy that sends arguments and receives
// results as tagged JSON of plain values. Only the judge holds fd 3 (verdict pipe) and fd 4
// (the test): the completion's process closes both before any of its code runs.
constexpr const char* kCodeRunner = R"PY(
import builtins, os, sys

# JSON through the C scanner and encoder of _json: `import json` would pull in re and enum,
# which cost more than the rest of a typical test. The standard module is the fallback.
try:
    import _json

    class _Ctx:
        pass

    def _no_constant(name):
        raise ValueError('JSON constant ' + name)

    def _no_default(o):
        raise TypeError('not a plain value')

    _ctx = _Ctx()
    _ctx.strict, _ctx.object_hook, _ctx.object_pairs_hook = True, None, None
    _ctx.parse_float, _ctx.parse_int, _ctx.parse_constant, _ctx.memo = float, int, _no_constant, {}
    _scan = _json.make_scanner(_ctx)
    _encoder = _json.make_encoder(None, _no_default, _json.encode_basestring_ascii, None, ':',
                                  ',', False, False, False)

    def _dumps(obj):
        return ''.join(_encoder(obj, 0))

    def _loads(text):
        obj, end = _scan(text, 0)
        if end != len(text):
            raise ValueError('trailing data')
        return obj

    if _loads(_dumps({'a': [1, 'x\n', None, True]})) != {'a': [1, 'x\n', None, True]}:
        raise ValueError('_json self-check')
except Exception:
    import json
    _dumps, _loads = json.dumps, json.loads


def _enc(v, depth=0):
    if depth > 200:
        raise ValueError('value nested too deeply')
    t = type(v)
    if v is None or t is bool or t is int or t is str:
        return v
    if t is float:
        return {'f': v.hex()}
    d = depth + 1
    if t is list:
        return [_enc(x, d) for x in v]
    if t is tuple:
        return {'t': [_enc(x, d) for x in v]}
    if t is dict:
        return {'d': [[_enc(k, d), _enc(x, d)] for k, x in v.items()]}
    if t is set:
        return {'s': [_enc(x, d) for x in v]}
    if t is frozenset:
        return {'z': [_enc(x, d) for x in v]}
    if t is complex:
        return {'c': [v.real.hex(), v.imag.hex()]}
    if t is bytes:
        return {'b': v.hex()}
    raise TypeError('the sandbox passes plain values only (None, bool, int, float, complex, '
                    'str, bytes, list, tuple, dict, set, frozenset), not ' + t.__name__)


def _dec(x):
    t = type(x)
    if x is None or t is bool or t is int or t is str:
        return x
    if t is list:
        return [_dec(e) for e in x]
    if t is dict and len(x) == 1:
        k, v = next(iter(x.items()))
        if k == 'f' and type(v) is str:
            return float.fromhex(v)
        if k == 'b' and type(v) is str:
            return bytes.fromhex(v)
        if type(v) is list:
            if k == 't':
                return tuple(_dec(e) for e in v)
            if k == 's':
                return set(_dec(e) for e in v)
            if k == 'z':
                return frozenset(_dec(e) for e in v)
            if k == 'c' and len(v) == 2 and type(v[0]) is str and type(v[1]) is str:
                return complex(float.fromhex(v[0]), float.fromhex(v[1]))
            if k == 'd' and all(type(p) is list and len(p) == 2 for p in v):
                return {_dec(p[0]): _dec(p[1]) for p in v}
    raise ValueError('malformed value from the completion process')


def _candidate(req_r, resp_w):
    rd = os.fdopen(req_r, 'rb')
    wr = os.fdopen(resp_w, 'wb', buffering=0)
    g = {'__name__': '__main__', '__file__': os.path.abspath('solution.py'),
         '__builtins__': builtins}
    try:
        with open('solution.py', encoding='utf-8') as f:
            src = f.read()
        exec(compile(src, 'solution.py', 'exec'), g)
        fn = g[ENTRY]
    except BaseException:
        import traceback
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    while True:
        line = rd.readline()
        if not line:
            break
        try:
            msg = _loads(line.rstrip(b'\n').decode('utf-8'))
            args = _dec(msg['a'])
            kwargs = {k: _dec(v) for k, v in msg['k'].items()}
            data = _dumps({'ok': _enc(fn(*args, **kwargs))})
        except BaseException as e:
            try:
                data = _dumps({'e': [str(type(e).__name__), str(e)[:2000]]})
            except BaseException:
                data = '{"e": ["Exception", ""]}'
        # What the function printed reaches the output before the judge goes on (this process
        # is killed, not finalized, when the judge ends).
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        wr.write(data.encode() + b'\n')
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _read_at(fd, offset, size):
    parts = []
    while size > 0:
        b = os.pread(fd, size, offset)
        if not b:
            break
        parts.append(b)
        offset += len(b)
        size -= len(b)
    return b''.join(parts)


def _judge():
    import select
    # Non-dumpable, so that the completion's process (same uid) can neither trace this one nor
    # open its /proc/<pid>/mem or fd/. Started with real gid != effective gid, the kernel made it
    # so at exec; otherwise (no root to switch ids) prctl through ctypes.
    if os.getgid() == os.getegid():
        import ctypes
        if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
            raise SystemExit('sandbox judge: prctl(PR_SET_DUMPABLE, 0) failed')
    # fd 4: a 128-byte header (the prompt's length and the entry point), the prompt, the test.
    # The prompt (no secret: the completion's file starts with it) runs here before the fork, so
    # its imports are loaded once for both processes; the test is read only after the fork.
    global ENTRY
    header = _read_at(4, 0, 128).decode('ascii').split()
    prompt_len, ENTRY = int(header[0]), header[1]
    prompt = _read_at(4, 128, prompt_len).decode('utf-8')
    g = {'__name__': '__main__', '__builtins__': builtins}
    try:
        prompt_code = compile(prompt, 'prompt.py', 'exec')
    except SyntaxError:
        prompt_code = None  # not a program by itself: run with the test below (both trusted)
    if prompt_code is not None:
        exec(prompt_code, g)
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    import gc
    gc.freeze()  # the child's collections then leave the shared pages alone (fewer copies)
    pid = os.fork()
    if pid == 0:
        os.close(3)
        os.close(4)
        os.close(req_w)
        os.close(resp_r)
        _candidate(req_r, resp_w)
    os.close(req_r)
    os.close(resp_w)
    test = _read_at(4, 128 + prompt_len, os.fstat(4).st_size - 128 - prompt_len).decode('utf-8')
    os.close(4)
    wr = os.fdopen(req_w, 'wb', buffering=0)
    # The completion's process ending is seen through a pidfd: processes it forked may still
    # hold the reply pipe open, so end of file alone could come only at the time limit.
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    pending = bytearray()

    def read_line():
        while b'\n' not in pending:
            watch = [resp_r] if pidfd is None else [resp_r, pidfd]
            ready = select.select(watch, [], [])[0]
            if resp_r in ready:
                chunk = os.read(resp_r, 1 << 16)
                if chunk:
                    pending.extend(chunk)
                    continue
            raise RuntimeError('the completion process ended during a call')
        line, _, rest = bytes(pending).partition(b'\n')
        pending[:] = rest
        return line

    def candidate(*args, **kwargs):
        wr.write(_dumps({'a': _enc(list(args)),
                         'k': {k: _enc(v) for k, v in kwargs.items()}}).encode() + b'\n')
        msg = _loads(read_line().decode('utf-8'))
        if type(msg) is dict and len(msg) == 1:
            if 'ok' in msg:
                return _dec(msg['ok'])
            err = msg.get('e')
            if (type(err) is list and len(err) == 2 and type(err[0]) is str and
                    type(err[1]) is str):
                cls = getattr(builtins, err[0], None)
                if isinstance(cls, type) and issubclass(cls, Exception):
                    raise cls(err[1])
                raise RuntimeError(err[0] + ': ' + err[1])
        raise ValueError('malformed reply from the completion process')

    combined = None
    if prompt_code is None:
        try:  # e.g. a prompt that opens a string the test closes
            combined = compile(prompt + test, 'test.py', 'exec')
        except SyntaxError:
            pass  # a bare signature: the test gets no helpers from the prompt
    if combined is not None:
        exec(combined, g)
        g[ENTRY] = candidate
    else:
        g[ENTRY] = candidate
        exec(compile(test, 'test.py', 'exec'), g)
    exec(compile('check(' + ENTRY + ')', 'test.py', 'exec'), g)
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(3, b'pass\n')


# Either way the run ends here without the interpreter's finalization (milliseconds): the
# completion's process is killed by the run's init once the judge is gone.
try:
    _judge()
except BaseException:
    sys.excepthook(*sys.exc_info())
    code = 1
else:
    code = 0
try:
    sys.stdout.flush()
    sys.stderr.flush()
finally:
    os._exit(code)
)PY";

// Compiles the runner with the interpreter the runs use (so each run skips a few milliseconds
// of compiling it); "" when that fails, and runs get the source instead.
std::string CompileRunner(const std::string& python) {
  const char* tmp_env = std::getenv("TMPDIR");
  std::string dir = std::string(tmp_env != nullptr && *tmp_env != '\0' ? tmp_env : "/tmp") +
                    "/gapbench-runner-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "";
  const std::string src = dir + "/runner.py", dst = dir + "/runner.pyc";
  std::ofstream(src, std::ios::binary) << kCodeRunner;
  std::string code =
      "import py_compile, sys\n"
      "py_compile.compile(sys.argv[1], cfile=sys.argv[2], dfile='main.py', doraise=True,\n"
      "                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n";
  std::vector<std::string> args = {python, "-s", "-S", "-B", "-c", code, src, dst};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  pid_t pid = -1;
  std::string pyc;
  if (posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), envp) == 0) {
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      std::ifstream in(dst, std::ios::binary);
      pyc.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return pyc;
}

constexpr const char* kVerdictPass = "pass\n";
constexpr size_t kHeaderBytes = 128;  // of the judge's memfd; the entry point fits (checked)

// A sealed memfd for the judge (fd 4): a 128-byte header "<prompt length> <entry point>"
// padded with spaces, the prompt, the test.
int MakeTestFd(const CodeTask& code) {
  const int fd = memfd_create("gapbench-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  std::string header = StrCat(code.prompt.size(), " ", code.entry_point);
  header.resize(kHeaderBytes - 1, ' ');
  const std::string data = header + "\n" + code.prompt + code.test;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

}  // namespace

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kPassed:
      return "passed";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kTimeout:
      return "timeout";
  }
  return "failed";
}

std::string FindPython(const std::string& preferred) {
  // As root the program runs as another uid, which must be able to reach the interpreter
  // (pyenv shims under /root, for one, are not).
  const bool need_others = geteuid() == 0;
  if (!preferred.empty()) return UsablePython(preferred, need_others);
  if (const char* env = std::getenv("GAPBENCH_PYTHON"); env != nullptr && *env != '\0') {
    return UsablePython(env, need_others);
  }
  for (const char* path : {"/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"}) {
    if (std::string p = UsablePython(path, need_others); !p.empty()) return p;
  }
  if (const char* path_env = std::getenv("PATH"); path_env != nullptr) {
    std::string paths = path_env;
    size_t start = 0;
    while (start <= paths.size()) {
      size_t end = paths.find(':', start);
      if (end == std::string::npos) end = paths.size();
      std::string dir = paths.substr(start, end - start);
      if (!dir.empty()) {
        if (std::string p = UsablePython(dir + "/python3", need_others); !p.empty()) return p;
      }
      start = end + 1;
    }
  }
  return "";
}

std::string MakeNonce() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    GB_CHECK(n > 0, "getrandom failed");
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

SandboxJob CodeJob(const std::string& prompt, const std::string& completion,
                   const std::string& test, const std::string& entry_point,
                   const SandboxLimits& limits) {
  SandboxJob job;
  job.limits = limits;
  job.code = {prompt, completion, test, entry_point};
  return job;
}

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  if (options_.uid_base == 0) options_.uid_base = kDefaultUidBase;
  info_.python = FindPython(options_.python);
  if (info_.python.empty()) {
    FailResource("sandbox: no usable python3 found",
                 options_.python.empty() ? "" : StrCat(" at '", options_.python, "'"),
                 " (set GAPBENCH_PYTHON to an interpreter that an unprivileged user can execute)");
  }
  auto shared = std::make_shared<SandboxShared>();
  info_.setuid = geteuid() == 0;
  if (options_.use_namespaces && info_.setuid) {
    BuildRootLayout(*shared, info_.python);
    internal::ChildPlan probe;
    probe.python = info_.python.c_str();
    probe.root_ops = shared->root_ops.data();
    probe.n_root_ops = static_cast<int>(shared->root_ops.size());
    probe.root_dir = kRootDir;
    const std::string put_old = std::string(kRootDir) + "/.old";
    probe.root_put_old = put_old.c_str();
    const int bits = internal::ProbeIsolation(probe);
    info_.namespaces =
        (bits & internal::kProbeNamespaces) != 0 && (bits & internal::kProbeTmpfs) != 0;
    info_.private_root = info_.namespaces && (bits & internal::kProbePrivateRoot) != 0;
    info_.readonly_root =
        info_.namespaces && (info_.private_root || (bits & internal::kProbeReadonly) != 0);
    if (!info_.private_root) shared->root_ops.clear();
  }
  shared->seccomp = internal::BuildSeccompFilter();
  shared->runner_pyc = CompileRunner(info_.python);
  info_.seccomp = !shared->seccomp.code.empty();
  if (options_.use_cgroups) {
    shared->cgroups = internal::DetectCgroups();
  } else {
    shared->cgroups.why_not = "cgroups disabled";
  }
  info_.cgroup_version = shared->cgroups.version;
  shared_ = std::move(shared);

  std::string missing;
  if (!info_.setuid) missing += " not root, so programs run as this user;";
  if (!options_.use_namespaces) {
    missing += " namespaces disabled;";
  } else if (!info_.namespaces) {
    missing +=
        " no pid/net/mount namespaces (unprivileged container?): network and host files "
        "reachable, /tmp shared;";
  } else if (!info_.readonly_root) {
    missing += " read-only remount of / failed;";
  } else if (!info_.private_root) {
    missing += " private root failed: host folders visible read-only;";
  }
  if (info_.cgroup_version == 0) {
    missing += " no per-run cgroup (" + shared_->cgroups.why_not +
               "): memory and processes limited per process only;";
  }
  if (!info_.seccomp) missing += " no seccomp filter (" + shared_->seccomp.error + ");";
  if (!missing.empty()) {
    info_.warning = "sandbox weakly isolated:" + missing.substr(0, missing.size() - 1) +
                    " (rlimits, timeouts and the process sweep still apply)";
    static std::once_flag warned;
    std::call_once(warned, [&] {
      LogWarn("gapbench", info_.warning, {{"event", "sandbox_weak"}});
    });
  }
}

SandboxResult Sandbox::Run(const std::string& program, const SandboxLimits& limits) const {
  SandboxJob job;
  job.program = program;
  job.limits = limits;
  return Run(job);
}

SandboxResult Sandbox::Run(const SandboxJob& job) const {
  const SandboxLimits& limits = job.limits;
  const bool code_mode = !job.code.entry_point.empty();
  SandboxResult result;
  if (code_mode && (!IsIdentifier(job.code.entry_point) || job.code.entry_point.size() > 100)) {
    result.error =
        StrCat("sandbox: entry point '", job.code.entry_point, "' is not a Python identifier");
    return result;
  }
  result.weakly_isolated = info_.weak();
  const int slot = Slots().Acquire();
  struct SlotGuard {
    int slot;
    ~SlotGuard() { Slots().Release(slot); }
  } slot_guard{slot};
  const uid_t uid = options_.uid_base + static_cast<uid_t>(getpid() % 4096) * kSlots + slot;

  const std::string nonce = MakeNonce();
  // Programs: the source with the nonce print appended. Code items: the runner (main.py) and
  // prompt + completion (solution.py); the test goes to the judge through a memfd (fd 4).
  std::vector<std::pair<std::string, std::string>> files;  // name, content
  if (code_mode) {
    if (shared_->runner_pyc.empty()) {
      files.emplace_back("main.py", kCodeRunner);
    } else {
      files.emplace_back("main.pyc", shared_->runner_pyc);
    }
    files.emplace_back("solution.py", job.code.prompt + job.code.completion + "\n");
  } else {
    files.emplace_back("main.py", job.program + "\n\nprint(\"" + nonce + "\", flush=True)\n");
  }

  // Weak mode: a private host directory, 0700 and owned by the run's uid.
  fs::path host_dir;
  std::string workdir = kWorkdirNs;
  if (!info_.namespaces) {
    const char* tmp_env = std::getenv("TMPDIR");
    std::string templ = std::string(tmp_env != nullptr && *tmp_env != '\0' ? tmp_env : "/tmp") +
                        "/gapbench-sbx-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr)
      FailResource("sandbox: cannot create a directory under ", templ);
    host_dir = templ;
    workdir = templ;
    bool ok = !info_.setuid || chown(host_dir.c_str(), uid, uid) == 0;
    for (const auto& [name, content] : files) {
      std::ofstream(host_dir / name, std::ios::binary) << content;
      ok = ok && (!info_.setuid || chown((host_dir / name).c_str(), uid, uid) == 0);
    }
    if (!ok) {
      std::error_code ec;
      fs::remove_all(host_dir, ec);
      FailResource("sandbox: cannot chown ", templ);
    }
  }
  struct DirGuard {
    fs::path dir;
    ~DirGuard() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } dir_guard{host_dir};

  const std::string program_path = workdir + "/" + files[0].first;
  std::vector<std::string> file_paths;
  for (const auto& f : files) file_paths.push_back(workdir + "/" + f.first);
  // -s -S: no user or site packages; -B: no .pyc. Not -E/-I: the environment below is entirely
  // ours, and PYTHONHASHSEED=0 (which -E would ignore) makes set/dict order reproducible.
  std::vector<std::string> argv_s = {info_.python, "-s", "-S", "-B", program_path};
  std::vector<std::string> env_s = {"PATH=/usr/local/bin:/usr/bin:/bin",
                                    "HOME=" + workdir,
                                    "TMPDIR=" + workdir,
                                    "PYTHONDONTWRITEBYTECODE=1",
                                    "PYTHONHASHSEED=0",
                                    "LANG=C.UTF-8",
                                    "PYTHONIOENCODING=utf-8"};
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  // nr_inodes bounds empty files too (the size= limit counts blocks only).
  const std::string tmpfs_options =
      StrCat("size=", limits.tmpfs_bytes,
             ",nr_inodes=", std::max<uint64_t>(1024, limits.tmpfs_bytes >> 12), ",mode=0755");

  // The run's cgroups. Where creating them fails at run time, the run goes on with rlimits and
  // says so (weakly_isolated), once on stderr.
  internal::RunCgroup cgroup;
  bool have_cgroup = false;
  if (shared_->cgroups.version != 0) {
    std::string cg_error;
    const uint64_t memory =
        limits.memory_bytes > 0 ? limits.memory_bytes : limits.address_space_bytes;
    have_cgroup = cgroup.Create(shared_->cgroups, StrCat("gapbench-", getpid(), "-", slot), memory,
                                std::max(1, limits.max_processes) + 2, &cg_error);
    if (!have_cgroup) {
      result.weakly_isolated = true;
      static std::once_flag warned;
      std::call_once(warned, [&] {
        LogWarn("gapbench", StrCat("sandbox run without a cgroup: ", cg_error),
                {{"event", "sandbox_no_cgroup"}});
      });
    }
  }

  int out_pipe[2] = {-1, -1}, status_pipe[2] = {-1, -1}, verdict_pipe[2] = {-1, -1};
  int test_fd = -1;
  auto close_all = [&] {
    for (int* fd : {&out_pipe[0], &out_pipe[1], &status_pipe[0], &status_pipe[1], &verdict_pipe[0],
                    &verdict_pipe[1], &test_fd}) {
      CloseFd(*fd);
    }
  };
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0 ||
      (code_mode && pipe2(verdict_pipe, O_CLOEXEC) != 0)) {
    const int e = errno;
    close_all();
    FailResource("sandbox: pipe: ", std::strerror(e));
  }
  if (code_mode && (test_fd = MakeTestFd(job.code)) < 0) {
    const int e = errno;
    close_all();
    FailResource("sandbox: memfd for the test: ", std::strerror(e));
  }
  internal::ChildPlan plan;
  plan.python = info_.python.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.workdir = workdir.c_str();
  plan.n_files = static_cast<int>(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    plan.files[i] = {file_paths[i].c_str(), files[i].second.data(), files[i].second.size()};
  }
  plan.tmpfs_options = tmpfs_options.c_str();
  plan.namespaces = info_.namespaces;
  plan.readonly_root = info_.readonly_root;
  const std::string put_old = std::string(kRootDir) + "/.old";
  if (info_.private_root) {
    plan.root_ops = shared_->root_ops.data();
    plan.n_root_ops = static_cast<int>(shared_->root_ops.size());
    plan.root_dir = kRootDir;
    plan.root_put_old = put_old.c_str();
  }
  plan.switch_uid = info_.setuid;
  plan.uid = uid;
  plan.gid = uid;
  plan.out_fd = out_pipe[1];
  plan.status_fd = status_pipe[1];
  plan.verdict_fd = verdict_pipe[1];
  plan.test_fd = test_fd;
  plan.cgroup_fds[0] = cgroup.memory_procs_fd();
  plan.cgroup_fds[1] = cgroup.pids_procs_fd();
  if (info_.seccomp) {
    plan.seccomp = shared_->seccomp.code.data();
    plan.seccomp_len = static_cast<unsigned short>(shared_->seccomp.code.size());
  }
  const double cpu =
      limits.cpu_seconds > 0 ? limits.cpu_seconds : std::ceil(limits.wall_seconds) + 1;
  plan.cpu_seconds = static_cast<uint64_t>(std::ceil(cpu));
  plan.address_space_bytes = limits.address_space_bytes;
  plan.file_size_bytes = limits.file_size_bytes;
  plan.max_processes = static_cast<uint64_t>(std::max(1, limits.max_processes));
  plan.max_open_files = static_cast<uint64_t>(std::max(8, limits.max_open_files));

  const auto start = Clock::now();
  const pid_t init = internal::StartInit(plan);
  const int start_errno = errno;
  CloseFd(out_pipe[1]);
  CloseFd(status_pipe[1]);
  CloseFd(verdict_pipe[1]);
  CloseFd(test_fd);
  cgroup.CloseProcsFds();
  if (init < 0) {
    close_all();
    result.error = StrCat("sandbox: clone failed: ", std::strerror(start_errno));
    return result;
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, init, 0));

  OutputCapture capture(limits.output_cap_bytes, "\n" + nonce + "\n");
  auto feed = [&](const char* data, size_t n) { capture.Feed(data, n); };

  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(limits.wall_seconds));
  bool timed_out = false, init_done = false, out_open = true;
  std::vector<char> buf(64 * 1024);
  while (!init_done) {
    const auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      kill(init, SIGKILL);  // pid namespace: takes every process of the run with it
      break;
    }
    int wait_ms =
        static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) +
        1;
    pollfd fds[2];
    int nfds = 0;
    if (out_open) fds[nfds++] = {out_pipe[0], POLLIN, 0};
    if (pidfd >= 0) {
      fds[nfds++] = {pidfd, POLLIN, 0};
    } else {
      wait_ms = std::min(wait_ms, 10);  // no pidfd: poll the init's state
    }
    int rc = poll(fds, nfds, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = read(out_pipe[0], buf.data(), buf.size());
      if (n > 0) {
        feed(buf.data(), static_cast<size_t>(n));
      } else if (n == 0) {
        out_open = false;
      }
    }
    if (pidfd >= 0) {
      if ((fds[nfds - 1].revents & POLLIN) != 0) init_done = true;
    } else if (waitpid(init, nullptr, WNOHANG) == init) {
      init_done = true;  // reaped here already
      pidfd = -2;        // marks "already reaped"
    }
  }
  int init_status = 0;
  if (pidfd != -2) waitpid(init, &init_status, 0);
  result.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (pidfd >= 0) close(pidfd);

  // Whatever the run still had in the pipe; bounded, since an escaped writer may hold it open.
  if (!info_.namespaces && info_.setuid) internal::SweepUid(uid);
  const auto drain_until = Clock::now() + std::chrono::milliseconds(200);
  while (out_open && Clock::now() < drain_until) {
    pollfd pfd{out_pipe[0], POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    ssize_t n = read(out_pipe[0], buf.data(), buf.size());
    if (n <= 0) break;
    feed(buf.data(), static_cast<size_t>(n));
  }
  CloseFd(out_pipe[0]);

  internal::InitReport report;
  bool have_exit = false;
  std::string setup_error;
  while (read(status_pipe[0], &report, sizeof(report)) == static_cast<ssize_t>(sizeof(report))) {
    if (report.kind == internal::InitReport::kSetupFailed) {
      report.stage[sizeof(report.stage) - 1] = '\0';
      setup_error =
          StrCat("sandbox setup failed at '", report.stage, "': ", std::strerror(report.value));
    } else if (report.kind == internal::InitReport::kExited) {
      result.exit_code = report.value;
      have_exit = true;
    } else if (report.kind == internal::InitReport::kSignaled) {
      result.term_signal = report.value;
      have_exit = true;
    }
  }
  CloseFd(status_pipe[0]);
  // Never expected (the namespace died with its init, the cgroup is emptied below); the /proc
  // scan costs milliseconds, so it is only the fallback where the run had no cgroup.
  if (info_.setuid && info_.namespaces && !have_cgroup &&
      internal::CountLiveProcessesOfUid(uid) > 0) {
    internal::SweepUid(uid);
  }
  cgroup.Destroy();  // kills anything left in the groups (weak mode: escaped daemons too)

  bool verdict_pass = false;
  if (code_mode) {
    // Only the judge held the write end and it is gone: whatever it wrote is in the pipe.
    fcntl(verdict_pipe[0], F_SETFL, O_NONBLOCK);
    char verdict[16] = {};
    const ssize_t n = read(verdict_pipe[0], verdict, sizeof(verdict) - 1);
    verdict_pass = n > 0 && std::string(verdict, static_cast<size_t>(n)) == kVerdictPass;
  }
  close_all();

  result.nonce_seen = code_mode ? verdict_pass : capture.nonce_seen();
  result.output = capture.Text();
  result.truncated = capture.truncated();
  if (!setup_error.empty() && !timed_out) {
    result.error = setup_error;
    result.status = RunStatus::kFailed;
  } else if (timed_out || result.term_signal == SIGXCPU) {
    result.status = RunStatus::kTimeout;
  } else if (have_exit && result.exit_code == 0 && result.nonce_seen) {
    result.status = RunStatus::kPassed;
  } else {
    result.status = RunStatus::kFailed;
  }
  return result;
}

std::vector<SandboxResult> Sandbox::RunAll(const std::vector<SandboxJob>& jobs,
                                           int parallel) const {
  std::vector<SandboxResult> results(jobs.size());
  const int n_workers = std::max(1, std::min<int>(parallel, static_cast<int>(jobs.size())));
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  std::string first_error;
  ErrorKind first_kind = ErrorKind::kInternal;
  auto worker = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      try {
        results[i] = Run(jobs[i]);
      } catch (const Error& e) {
        std::lock_guard lock(error_mu);
        if (first_error.empty()) {
          first_error = e.what();
          first_kind = e.kind();
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < n_workers; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (!first_error.empty()) throw Error(first_error, first_kind);
  return results;
}

}  // namespace gapbench::suites
