// Internal to the sandbox: the process side. Starts a run's init process (optionally in fresh
// pid/net/mount/ipc/uts namespaces), which sets up the view, forks the Python child with its
// uid and rlimits, reaps every descendant, kills what is left when Python ends, and reports
// Python's fate through a pipe. Also the supervisor-side kill sweep by uid and the probe.
//
// Everything the children need is prepared in a ChildPlan before the clone: the children of a
// multi-threaded parent only make raw system calls (no allocation, no glibc locks; uid changes go
// through syscall() because glibc's setresuid would try to signal the parent's other threads).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace gapbench::suites::internal {

// One step of building the private root (namespace mode). Paths are absolute inside the new
// root; init prefixes them with the directory where it assembles the root.
struct RootOp {
  enum Kind : int32_t {
    kDir,       // mkdir target (0755)
    kBindDir,   // bind-mount host directory `source` (recursively) on target, read-only
    kBindFile,  // create an empty file at target, bind-mount host file/device `source` on it
    kSymlink,   // symlink target -> source
  };
  Kind kind = kDir;
  const char* source = nullptr;
  const char* target = nullptr;  // inside the assembly directory (already prefixed)
};

// A file init writes into the run's directory (namespace mode), owned by the run's uid.
struct PlanFile {
  const char* path = nullptr;  // as the child sees it
  const char* data = nullptr;
  size_t size = 0;
};

struct ChildPlan {
  const char* python = nullptr;   // absolute path
  char* const* argv = nullptr;    // NULL-terminated
  char* const* envp = nullptr;    // NULL-terminated
  const char* workdir = nullptr;  // the run's private directory (as the child sees it)
  PlanFile files[2];              // written by init in namespace mode (main.py, solution.py)
  int n_files = 0;
  const char* tmpfs_options = nullptr;  // "size=...,mode=0755" for the private /tmp
  bool namespaces = false;              // init is pid 1 of new namespaces; mounts are set up
  bool readonly_root = false;           // fallback view: every host mount read-only
  // Private root: a tmpfs assembled at root_dir from root_ops, then pivot_root'ed into; the
  // host's other folders (/home, /var, /run, /etc, the suite) are not in the view at all.
  const RootOp* root_ops = nullptr;
  int n_root_ops = 0;
  const char* root_dir = nullptr;       // where the new root is assembled ("/tmp")
  const char* root_put_old = nullptr;   // <root_dir>/.old, detached after pivot_root
  bool switch_uid = false;              // drop to uid/gid (needs root)
  uid_t uid = 0;
  gid_t gid = 0;
  int out_fd = -1;     // write end of the output pipe (stdout and stderr of Python)
  int status_fd = -1;  // write end of the status pipe (InitReport records)
  // Code items: fd 3 of Python is the verdict pipe's write end, fd 4 a sealed copy of the test
  // (the judge reads it after forking the completion's process, which closes both). -1: none.
  int verdict_fd = -1;
  int test_fd = -1;
  // cgroup.procs of the run's groups (init joins them first); -1 where absent.
  int cgroup_fds[2] = {-1, -1};
  // Seccomp filter for Python (and everything it forks); null: none.
  const struct sock_filter* seccomp = nullptr;
  unsigned short seccomp_len = 0;
  // rlimits for the Python process and its descendants.
  uint64_t cpu_seconds = 0;
  uint64_t address_space_bytes = 0;
  uint64_t file_size_bytes = 0;
  uint64_t max_processes = 0;
  uint64_t max_open_files = 0;
};

// One record on the status pipe; written with a single write(), so it arrives whole.
struct InitReport {
  enum Kind : int32_t { kSetupFailed = 1, kExited = 2, kSignaled = 3 };
  int32_t kind = 0;
  int32_t value = 0;    // exit code, signal number, or errno for kSetupFailed
  char stage[48] = {};  // which setup step failed
};

// Clones the init process; returns its pid (in our namespace) or -1 with errno set.
pid_t StartInit(const ChildPlan& plan);

// Kills every process whose real uid is `uid` (a helper switches to the uid and kill(-1)s),
// repeating until /proc shows none alive. Returns false if some survived ~2 s of attempts.
bool SweepUid(uid_t uid);

// Pids of live (non-zombie) processes whose real uid is `uid`, read from /proc.
int CountLiveProcessesOfUid(uid_t uid);

// Probes, in a throwaway child, whether namespaces, the read-only remount, the private /tmp and
// a fresh /proc work. Bit 0: clone with namespaces; bit 1: read-only root; bit 2: tmpfs+proc;
// bit 3: the private root of `plan` (root_ops) can be assembled and `plan.python -S -c pass`
// runs in it.
enum ProbeBits { kProbeNamespaces = 1, kProbeReadonly = 2, kProbeTmpfs = 4, kProbePrivateRoot = 8 };
int ProbeIsolation(const ChildPlan& plan);

}  // namespace gapbench::suites::internal
