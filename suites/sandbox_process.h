// Internal to the sandbox: the process side. Starts a run's init process (optionally in fresh
// pid/net/mount/ipc/uts namespaces), which sets up the view, forks the Python child with its
// uid and rlimits, reaps every descendant, kills what is left when Python ends, and reports
// Python's fate through a pipe. Also the supervisor-side kill sweep by uid and the probe.
//
// Everything the children need is prepared in a ChildPlan before the clone: the children of a
// multi-threaded parent only make raw system calls (no allocation, no glibc locks; uid changes go
// through syscall() because glibc's setresuid would try to signal the parent's other threads).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace gapbench::suites::internal {

struct ChildPlan {
  const char* python = nullptr;   // absolute path
  char* const* argv = nullptr;    // NULL-terminated
  char* const* envp = nullptr;    // NULL-terminated
  const char* workdir = nullptr;  // the run's private directory (as the child sees it)
  const char* program = nullptr;  // written to <workdir>/main.py by init in namespace mode
  size_t program_size = 0;
  const char* program_path = nullptr;   // <workdir>/main.py
  const char* tmpfs_options = nullptr;  // "size=...,mode=0755" for the private /tmp
  bool namespaces = false;              // init is pid 1 of new namespaces; mounts are set up
  bool readonly_root = false;           // remount every host mount read-only
  bool switch_uid = false;              // drop to uid/gid (needs root)
  uid_t uid = 0;
  gid_t gid = 0;
  int out_fd = -1;     // write end of the output pipe (stdout and stderr of Python)
  int status_fd = -1;  // write end of the status pipe (InitReport records)
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
// a fresh /proc work. Bit 0: clone with namespaces; bit 1: read-only root; bit 2: tmpfs+proc.
int ProbeIsolation();

}  // namespace gapbench::suites::internal
