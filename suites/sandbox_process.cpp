// The process side of the sandbox (see sandbox_process.h): the init process of a run, the Python
// child, the uid sweep and the isolation probe. Child code only makes system calls.
// Not here: output capture, timeouts and scoring (sandbox.cpp).
#include "suites/sandbox_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace gapbench::suites::internal {
namespace {

constexpr int kNamespaceFlags =
    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;

// fork() as a raw system call: glibc's fork would run atfork handlers and take locks that other
// threads of the supervisor may hold. The child continues on a copy of the caller's stack.
pid_t RawClone(int flags) {
  return static_cast<pid_t>(syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
}

// Credential changes through raw syscalls (glibc's wrappers broadcast to threads that do not
// exist in the child). Returns false on failure.
// `real_gid` != gid makes the next execve leave the process non-dumpable (the kernel treats
// differing real and effective ids like a set-id program): no process of the same uid can then
// trace it or open its /proc/<pid>/mem, fd/ or environ.
bool DropToUid(uid_t uid, gid_t gid, gid_t real_gid) {
  if (syscall(SYS_setgroups, 0, nullptr) != 0) return false;
  if (syscall(SYS_setresgid, real_gid, gid, gid) != 0) return false;
  if (syscall(SYS_setresuid, uid, uid, uid) != 0) return false;
  return true;
}

void CopyStage(InitReport& r, const char* stage) {
  size_t i = 0;
  for (; stage[i] != '\0' && i + 1 < sizeof(r.stage); ++i) r.stage[i] = stage[i];
  r.stage[i] = '\0';
}

void Report(int fd, InitReport::Kind kind, int value, const char* stage) {
  InitReport r;
  r.kind = kind;
  r.value = value;
  CopyStage(r, stage);
  ssize_t ignored = write(fd, &r, sizeof(r));
  (void)ignored;
}

[[noreturn]] void SetupFailed(const ChildPlan& p, const char* stage) {
  Report(p.status_fd, InitReport::kSetupFailed, errno, stage);
  _exit(126);
}

void SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  nanosleep(&ts, nullptr);
}

bool SetLimit(int resource, uint64_t soft, uint64_t hard) {
  rlimit rl{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
  return setrlimit(resource, &rl) == 0;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Best-effort write of a short value to a file (sysctls, oom_score_adj).
bool WriteSmall(const char* path, const char* value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t n = 0;
  while (value[n] != '\0') ++n;
  const bool ok = write(fd, value, n) == static_cast<ssize_t>(n);
  close(fd);
  return ok;
}

// Makes `target` (a fresh bind mount) read-only and nosuid, recursively where the kernel has
// mount_setattr (5.12+), else its top mount only. `nodev` for everything but device binds.
bool MakeReadOnly(const char* target, bool allow_devices) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | (allow_devices ? 0 : MOUNT_ATTR_NODEV);
  if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)) == 0) {
    return true;
  }
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
  if (!allow_devices) flags |= MS_NODEV;
  return mount(nullptr, target, nullptr, flags, nullptr) == 0;
}

// Assembles the private root at p.root_dir from p.root_ops and pivots into it; the host's root
// is detached afterwards, so nothing else of the host is reachable by path. Returns the failed
// stage, or nullptr. Used by the runs and by the probe.
const char* SetUpPrivateRoot(const ChildPlan& p) {
  if (mount("tmpfs", p.root_dir, "tmpfs", MS_NOSUID | MS_NODEV,
            "size=1m,nr_inodes=512,mode=0755") != 0) {
    return "mount root tmpfs";
  }
  for (int i = 0; i < p.n_root_ops; ++i) {
    const RootOp& op = p.root_ops[i];
    switch (op.kind) {
      case RootOp::kDir:
        if (mkdir(op.target, 0755) != 0 && errno != EEXIST) return "mkdir in root";
        break;
      case RootOp::kBindDir:
        if (mkdir(op.target, 0755) != 0 && errno != EEXIST) return "mkdir bind target";
        if (mount(op.source, op.target, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
          return "bind directory";
        }
        if (!MakeReadOnly(op.target, false)) return "read-only bind directory";
        break;
      case RootOp::kBindFile: {
        int fd = open(op.target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return "create bind file";
        close(fd);
        if (mount(op.source, op.target, nullptr, MS_BIND, nullptr) != 0) return "bind file";
        if (!MakeReadOnly(op.target, true)) return "read-only bind file";
        break;
      }
      case RootOp::kSymlink:
        if (symlink(op.source, op.target) != 0) return "symlink in root";
        break;
    }
  }
  if (mkdir(p.root_put_old, 0700) != 0) return "mkdir put_old";
  if (syscall(SYS_pivot_root, p.root_dir, p.root_put_old) != 0) return "pivot_root";
  if (chdir("/") != 0) return "chdir new root";
  if (umount2("/.old", MNT_DETACH) != 0) return "detach old root";
  rmdir("/.old");
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
            nullptr) != 0) {
    return "read-only new root";
  }
  return nullptr;
}

// The mount view of namespace mode: nothing propagates back to the host. With a private root
// the run sees only the interpreter's folders, a few device nodes, its own /tmp and /proc;
// otherwise (fallback) every host mount read-only and nosuid. Either way /tmp and /dev/shm are
// fresh size-limited tmpfs and /proc belongs to the new pid namespace, showing only the run
// uid's own processes (hidepid=2: not init's command line, not the supervisor's).
void SetUpMounts(const ChildPlan& p) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    SetupFailed(p, "mount private /");
  if (p.n_root_ops > 0) {
    if (const char* stage = SetUpPrivateRoot(p); stage != nullptr) SetupFailed(p, stage);
  } else if (p.readonly_root) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
    if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) != 0) {
      SetupFailed(p, "mount_setattr read-only /");
    }
  }
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, p.tmpfs_options) != 0) {
    SetupFailed(p, "mount tmpfs /tmp");
  }
  // Best effort: a container may have no /dev/shm; it is read-only then anyway.
  mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
        "size=1m,nr_inodes=64,mode=1777");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0 &&
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    SetupFailed(p, "mount /proc");
  }
  // SysV IPC of this ipc namespace (per-namespace sysctls): small segments, few of them. The
  // pages are charged to the run's memory cgroup as well; these bound runs without one.
  WriteSmall("/proc/sys/kernel/shmmax", "67108864");
  WriteSmall("/proc/sys/kernel/shmall", "16384");  // pages: 64 MiB in all
  WriteSmall("/proc/sys/kernel/shmmni", "16");
  WriteSmall("/proc/sys/kernel/msgmni", "16");
  WriteSmall("/proc/sys/kernel/msgmnb", "65536");
  const char kHost[] = "sandbox";
  sethostname(kHost, sizeof(kHost) - 1);
  if (mkdir(p.workdir, 0700) != 0) SetupFailed(p, "mkdir workdir");
  if (p.switch_uid && chown(p.workdir, p.uid, p.gid) != 0) SetupFailed(p, "chown workdir");
  for (int i = 0; i < p.n_files; ++i) {
    int fd = open(p.files[i].path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) SetupFailed(p, "create program");
    if (!WriteAll(fd, p.files[i].data, p.files[i].size)) SetupFailed(p, "write program");
    if (p.switch_uid && fchown(fd, p.uid, p.gid) != 0) SetupFailed(p, "chown program");
    close(fd);
  }
}

[[noreturn]] void PythonMain(const ChildPlan& p) {
  setpgid(0, 0);
  WriteSmall("/proc/self/oom_score_adj", "0");  // init is exempt from the OOM killer, not us
  if (!SetLimit(RLIMIT_CORE, 0, 0)) SetupFailed(p, "rlimit core");
  if (!SetLimit(RLIMIT_CPU, p.cpu_seconds, p.cpu_seconds + 1)) SetupFailed(p, "rlimit cpu");
  if (!SetLimit(RLIMIT_AS, p.address_space_bytes, p.address_space_bytes))
    SetupFailed(p, "rlimit as");
  if (!SetLimit(RLIMIT_FSIZE, p.file_size_bytes, p.file_size_bytes)) SetupFailed(p, "rlimit fsize");
  if (!SetLimit(RLIMIT_NOFILE, p.max_open_files, p.max_open_files)) SetupFailed(p, "rlimit nofile");
  if (p.switch_uid) {
    // RLIMIT_NPROC counts the run's own uid only; root would be exempt, so set it, then drop.
    if (!SetLimit(RLIMIT_NPROC, p.max_processes, p.max_processes)) SetupFailed(p, "rlimit nproc");
    // Code items: the judge must be non-dumpable from its first instruction (see DropToUid).
    const gid_t real_gid = p.verdict_fd >= 0 ? p.gid + (1u << 30) : p.gid;
    if (!DropToUid(p.uid, p.gid, real_gid)) SetupFailed(p, "setuid");
  }
  // A fresh anonymous session keyring: nothing of the supervisor's session is possessed here
  // (the filter below then refuses every keyring call anyway). No keyrings: nothing to do.
  syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr, 0, 0, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) SetupFailed(p, "no_new_privs");
  if (chdir(p.workdir) != 0) SetupFailed(p, "chdir workdir");
  if (p.seccomp != nullptr) {
    sock_fprog prog{p.seccomp_len, const_cast<sock_filter*>(p.seccomp)};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) SetupFailed(p, "seccomp");
  }
  // Init left 0-2, the verdict pipe and the test at 3 and 4 (code items), and the status pipe
  // (close-on-exec, so gone at exec).
  execve(p.python, p.argv, p.envp);
  SetupFailed(p, "execve python");
}

// Moves `fd` to `target` (without close-on-exec when `inherit`), or closes `target` if fd < 0.
void PlaceFd(int fd, int target, bool inherit) {
  if (fd < 0) return;
  if (fd == target) {
    if (inherit) fcntl(fd, F_SETFD, 0);
    return;
  }
  dup3(fd, target, inherit ? 0 : O_CLOEXEC);
}

// Init of a run: pid 1 of the namespaces (or a plain child in weak mode) and a subreaper, so
// every orphan of the program is reparented here and reaped; kills what remains once Python ends.
[[noreturn]] void InitMain(const ChildPlan& p) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // the supervisor died: take the run down with us
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Join the run's cgroups before anything is forked, so every process of the run is counted.
  for (int fd : p.cgroup_fds) {
    if (fd >= 0 && write(fd, "0", 1) != 1) SetupFailed(p, "join cgroup");
  }
  // The OOM killer of the run's memory group must pick a program process, never init.
  WriteSmall("/proc/self/oom_score_adj", "-1000");
  if (p.namespaces) SetUpMounts(p);
  // Descriptors first moved out of the way (20+), then placed: 0-2, 3 verdict, 4 test, 10 status.
  constexpr int kStatusFd = 10;
  const int out = fcntl(p.out_fd, F_DUPFD_CLOEXEC, 20);
  const int status_dup = fcntl(p.status_fd, F_DUPFD_CLOEXEC, 20);
  const int verdict = p.verdict_fd >= 0 ? fcntl(p.verdict_fd, F_DUPFD_CLOEXEC, 20) : -1;
  const int test = p.test_fd >= 0 ? fcntl(p.test_fd, F_DUPFD_CLOEXEC, 20) : -1;
  if (out < 0 || status_dup < 0) SetupFailed(p, "dup descriptors");
  ChildPlan q = p;
  q.status_fd = status_dup;
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull < 0 || dup2(devnull, 0) < 0) SetupFailed(q, "stdin /dev/null");
  if (dup2(out, 1) < 0 || dup2(out, 2) < 0) SetupFailed(q, "dup output");
  PlaceFd(status_dup, kStatusFd, false);
  q.status_fd = kStatusFd;
  q.out_fd = 1;
  PlaceFd(verdict, 3, true);
  PlaceFd(test, 4, true);
  // Drop every other inherited descriptor now: the pipes of runs that other supervisor threads
  // started are in our copy of the table, and holding their write ends would delay their EOF
  // until this run ends.
  const unsigned first_free = test >= 0 ? 5u : verdict >= 0 ? 4u : 3u;
  syscall(SYS_close_range, first_free, static_cast<unsigned>(kStatusFd - 1), 0u);
  syscall(SYS_close_range, static_cast<unsigned>(kStatusFd + 1), ~0u, 0u);

  pid_t python = RawClone(0);
  if (python < 0) SetupFailed(q, "fork python");
  if (python == 0) PythonMain(q);
  if (verdict >= 0) close(3);  // only Python holds the verdict pipe
  if (test >= 0) close(4);

  int status = 0;
  for (;;) {
    pid_t w = wait4(-1, &status, 0, nullptr);
    if (w == python) break;
    if (w < 0 && errno != EINTR) SetupFailed(q, "wait python");
  }
  // Python is gone: kill everything it left behind. In a pid namespace pid 1's kill(-1) reaches
  // every other process of the namespace; outside, only as the run's uid is kill(-1) safe.
  if (p.namespaces) {
    // No reaping needed: when pid 1 exits the kernel kills the rest of the namespace and waits
    // for it, so the supervisor's wait for init returns only once the whole run is gone.
    kill(-1, SIGKILL);
    Report(q.status_fd, WIFSIGNALED(status) ? InitReport::kSignaled : InitReport::kExited,
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), "");
    _exit(0);
  } else if (p.switch_uid) {
    if (DropToUid(p.uid, p.gid, p.gid)) kill(-1, SIGKILL);
  } else {
    kill(-python, SIGKILL);
  }
  for (int attempt = 0; attempt < 1000; ++attempt) {  // reap the killed orphans, at most ~1 s
    pid_t w = wait4(-1, nullptr, WNOHANG, nullptr);
    if (w < 0 && errno == ECHILD) break;
    if (w <= 0) SleepMs(1);
  }
  if (WIFSIGNALED(status)) {
    Report(q.status_fd, InitReport::kSignaled, WTERMSIG(status), "");
  } else {
    Report(q.status_fd, InitReport::kExited, WEXITSTATUS(status), "");
  }
  _exit(0);
}

// Real uid and state of /proc/<pid>; false if it vanished.
bool ReadProcStatus(const char* pid, uid_t* uid, char* state) {
  std::string path = std::string("/proc/") + pid + "/status";
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  bool have_uid = false;
  while (std::getline(in, line)) {
    if (line.rfind("State:", 0) == 0 && line.size() > 7) {
      size_t pos = line.find_first_not_of(" \t", 6);
      *state = pos == std::string::npos ? '?' : line[pos];
    } else if (line.rfind("Uid:", 0) == 0) {
      *uid = static_cast<uid_t>(std::strtoul(line.c_str() + 4, nullptr, 10));
      have_uid = true;
    }
  }
  return have_uid;
}

}  // namespace

pid_t StartInit(const ChildPlan& plan) {
  pid_t pid = RawClone(plan.namespaces ? kNamespaceFlags : 0);
  if (pid == 0) InitMain(plan);
  return pid;
}

int CountLiveProcessesOfUid(uid_t uid) {
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return 0;
  int count = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    uid_t proc_uid = 0;
    char state = '?';
    if (ReadProcStatus(e->d_name, &proc_uid, &state) && proc_uid == uid && state != 'Z' &&
        state != 'X') {
      ++count;
    }
  }
  closedir(dir);
  return count;
}

bool SweepUid(uid_t uid) {
  for (int round = 0; round < 200; ++round) {
    if (CountLiveProcessesOfUid(uid) == 0) return true;
    pid_t helper = RawClone(0);
    if (helper == 0) {
      if (!DropToUid(uid, uid, uid)) _exit(1);
      kill(-1, SIGKILL);  // everything of this uid except the helper itself
      _exit(0);
    }
    if (helper > 0) waitpid(helper, nullptr, 0);
    SleepMs(10);
  }
  return CountLiveProcessesOfUid(uid) == 0;
}

int ProbeIsolation(const ChildPlan& plan) {
  pid_t pid = RawClone(kNamespaceFlags);
  if (pid < 0) return 0;
  if (pid == 0) {
    int bits = 0;
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
      if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) == 0) {
        if (mkdir("/gapbench-ro-probe", 0700) != 0) {
          if (errno == EROFS) bits |= kProbeReadonly;
        } else {
          rmdir("/gapbench-ro-probe");  // the remount did not take: leave the host as it was
        }
      }
      if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") == 0 &&
          mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0) {
        bits |= kProbeTmpfs;
      }
      // The private root: assemble it and start the interpreter in it once.
      if (plan.n_root_ops > 0 && SetUpPrivateRoot(plan) == nullptr) {
        pid_t py = RawClone(0);
        if (py == 0) {
          static char arg0[] = "python3", arg1[] = "-S", arg2[] = "-c", arg3[] = "pass";
          char* const argv[] = {arg0, arg1, arg2, arg3, nullptr};
          char* const envp[] = {nullptr};
          execve(plan.python, argv, envp);
          _exit(127);
        }
        int st = 0;
        if (py > 0 && waitpid(py, &st, 0) == py && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
          bits |= kProbePrivateRoot;
        }
      }
    }
    _exit(bits);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 0;
  return kProbeNamespaces | WEXITSTATUS(status);
}

}  // namespace gapbench::suites::internal
