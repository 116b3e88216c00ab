// The supervisor side of the sandbox: finds Python, probes the isolation layers once, and runs
// programs — uid allocation, output capture with a cap, the wall-clock limit, the nonce check and
// the final sweep — plus the worker pool. The process tree itself is in sandbox_process.cpp.
#include "suites/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "suites/sandbox_process.h"

namespace gapbench::suites {
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

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  if (options_.uid_base == 0) options_.uid_base = kDefaultUidBase;
  info_.python = FindPython(options_.python);
  if (info_.python.empty()) {
    FailResource("sandbox: no usable python3 found",
                 options_.python.empty() ? "" : StrCat(" at '", options_.python, "'"),
                 " (set GAPBENCH_PYTHON to an interpreter that an unprivileged user can execute)");
  }
  info_.setuid = geteuid() == 0;
  if (options_.use_namespaces && info_.setuid) {
    const int bits = internal::ProbeIsolation();
    info_.namespaces = (bits & 1) != 0 && (bits & 4) != 0;
    info_.readonly_root = info_.namespaces && (bits & 2) != 0;
  }
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
  }
  if (!missing.empty()) {
    info_.warning = "sandbox weakly isolated:" + missing.substr(0, missing.size() - 1) +
                    " (rlimits, timeouts and the process sweep still apply)";
    static std::once_flag warned;
    std::call_once(warned,
                   [&] { std::fprintf(stderr, "gapbench: warning: %s\n", info_.warning.c_str()); });
  }
}

SandboxResult Sandbox::Run(const std::string& program, const SandboxLimits& limits) const {
  SandboxResult result;
  result.weakly_isolated = info_.weak();
  const int slot = Slots().Acquire();
  struct SlotGuard {
    int slot;
    ~SlotGuard() { Slots().Release(slot); }
  } slot_guard{slot};
  const uid_t uid = options_.uid_base + static_cast<uid_t>(getpid() % 4096) * kSlots + slot;

  const std::string nonce = MakeNonce();
  const std::string source = program + "\n\nprint(\"" + nonce + "\", flush=True)\n";

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
    std::ofstream(host_dir / "main.py", std::ios::binary) << source;
    if (info_.setuid && (chown(host_dir.c_str(), uid, uid) != 0 ||
                         chown((host_dir / "main.py").c_str(), uid, uid) != 0)) {
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

  const std::string program_path = workdir + "/main.py";
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
  const std::string tmpfs_options = StrCat("size=", limits.tmpfs_bytes, ",mode=0755");

  int out_pipe[2] = {-1, -1}, status_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0) {
    CloseFd(out_pipe[0]);
    CloseFd(out_pipe[1]);
    FailResource("sandbox: pipe: ", std::strerror(errno));
  }
  internal::ChildPlan plan;
  plan.python = info_.python.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.workdir = workdir.c_str();
  plan.program = source.data();
  plan.program_size = source.size();
  plan.program_path = program_path.c_str();
  plan.tmpfs_options = tmpfs_options.c_str();
  plan.namespaces = info_.namespaces;
  plan.readonly_root = info_.readonly_root;
  plan.switch_uid = info_.setuid;
  plan.uid = uid;
  plan.gid = uid;
  plan.out_fd = out_pipe[1];
  plan.status_fd = status_pipe[1];
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
  if (init < 0) {
    CloseFd(out_pipe[0]);
    CloseFd(status_pipe[0]);
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
  if (info_.setuid && info_.namespaces && internal::CountLiveProcessesOfUid(uid) > 0) {
    internal::SweepUid(uid);  // never expected: the namespace died with its init
  }

  result.nonce_seen = capture.nonce_seen();
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
        results[i] = Run(jobs[i].program, jobs[i].limits);
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
