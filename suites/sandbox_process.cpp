// The process side of the sandbox (see sandbox_process.h): the init process of a run, the Python
// child, the uid sweep and the isolation probe. Child code only makes system calls.
// Not here: output capture, timeouts and scoring (sandbox.cpp).
#include "suites/sandbox_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
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
bool DropToUid(uid_t uid, gid_t gid) {
  if (syscall(SYS_setgroups, 0, nullptr) != 0) return false;
  if (syscall(SYS_setresgid, gid, gid, gid) != 0) return false;
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

// The mount view of namespace mode: nothing propagates back to the host, every host mount is
// read-only and nosuid, /tmp and /dev/shm are fresh tmpfs, /proc shows only this pid namespace.
void SetUpMounts(const ChildPlan& p) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    SetupFailed(p, "mount private /");
  if (p.readonly_root) {
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
  mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=1777");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    SetupFailed(p, "mount /proc");
  }
  const char kHost[] = "sandbox";
  sethostname(kHost, sizeof(kHost) - 1);
  if (mkdir(p.workdir, 0700) != 0) SetupFailed(p, "mkdir workdir");
  if (p.switch_uid && chown(p.workdir, p.uid, p.gid) != 0) SetupFailed(p, "chown workdir");
  int fd = open(p.program_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) SetupFailed(p, "create program");
  if (!WriteAll(fd, p.program, p.program_size)) SetupFailed(p, "write program");
  if (p.switch_uid && fchown(fd, p.uid, p.gid) != 0) SetupFailed(p, "chown program");
  close(fd);
}

[[noreturn]] void PythonMain(const ChildPlan& p) {
  setpgid(0, 0);
  if (!SetLimit(RLIMIT_CORE, 0, 0)) SetupFailed(p, "rlimit core");
  if (!SetLimit(RLIMIT_CPU, p.cpu_seconds, p.cpu_seconds + 1)) SetupFailed(p, "rlimit cpu");
  if (!SetLimit(RLIMIT_AS, p.address_space_bytes, p.address_space_bytes))
    SetupFailed(p, "rlimit as");
  if (!SetLimit(RLIMIT_FSIZE, p.file_size_bytes, p.file_size_bytes)) SetupFailed(p, "rlimit fsize");
  if (!SetLimit(RLIMIT_NOFILE, p.max_open_files, p.max_open_files)) SetupFailed(p, "rlimit nofile");
  if (p.switch_uid) {
    // RLIMIT_NPROC counts the run's own uid only; root would be exempt, so set it, then drop.
    if (!SetLimit(RLIMIT_NPROC, p.max_processes, p.max_processes)) SetupFailed(p, "rlimit nproc");
    if (!DropToUid(p.uid, p.gid)) SetupFailed(p, "setuid");
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) SetupFailed(p, "no_new_privs");
  if (chdir(p.workdir) != 0) SetupFailed(p, "chdir workdir");
  // Init left only 0-2 and the status pipe (fd 3, close-on-exec, so gone at exec).
  execve(p.python, p.argv, p.envp);
  SetupFailed(p, "execve python");
}

// Init of a run: pid 1 of the namespaces (or a plain child in weak mode) and a subreaper, so
// every orphan of the program is reparented here and reaped; kills what remains once Python ends.
[[noreturn]] void InitMain(const ChildPlan& p) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // the supervisor died: take the run down with us
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (p.namespaces) SetUpMounts(p);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull < 0 || dup2(devnull, 0) < 0) SetupFailed(p, "stdin /dev/null");
  if (dup2(p.out_fd, 1) < 0 || dup2(p.out_fd, 2) < 0) SetupFailed(p, "dup output");
  if (p.status_fd != 3 && dup3(p.status_fd, 3, O_CLOEXEC) < 0) SetupFailed(p, "dup status");
  ChildPlan q = p;
  q.out_fd = 1;
  q.status_fd = 3;
  // Drop every other inherited descriptor now: the pipes of runs that other supervisor threads
  // started are in our copy of the table, and holding their write ends would delay their EOF
  // until this run ends.
  syscall(SYS_close_range, 4u, ~0u, 0u);

  pid_t python = RawClone(0);
  if (python < 0) SetupFailed(q, "fork python");
  if (python == 0) PythonMain(q);

  int status = 0;
  for (;;) {
    pid_t w = wait4(-1, &status, 0, nullptr);
    if (w == python) break;
    if (w < 0 && errno != EINTR) SetupFailed(q, "wait python");
  }
  // Python is gone: kill everything it left behind. In a pid namespace pid 1's kill(-1) reaches
  // every other process of the namespace; outside, only as the run's uid is kill(-1) safe.
  if (p.namespaces) {
    kill(-1, SIGKILL);
  } else if (p.switch_uid) {
    if (DropToUid(p.uid, p.gid)) kill(-1, SIGKILL);
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
      if (!DropToUid(uid, uid)) _exit(1);
      kill(-1, SIGKILL);  // everything of this uid except the helper itself
      _exit(0);
    }
    if (helper > 0) waitpid(helper, nullptr, 0);
    SleepMs(10);
  }
  return CountLiveProcessesOfUid(uid) == 0;
}

int ProbeIsolation() {
  pid_t pid = RawClone(kNamespaceFlags);
  if (pid < 0) return 0;
  if (pid == 0) {
    int bits = 0;
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
      if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) == 0) {
        if (mkdir("/gapbench-ro-probe", 0700) != 0) {
          if (errno == EROFS) bits |= 2;
        } else {
          rmdir("/gapbench-ro-probe");  // the remount did not take: leave the host as it was
        }
      }
      if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") == 0 &&
          mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0) {
        bits |= 4;
      }
    }
    _exit(bits);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 0;
  return 1 | WEXITSTATUS(status);
}

}  // namespace gapbench::suites::internal
