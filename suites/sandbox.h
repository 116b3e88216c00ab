// The code sandbox: runs one model-written Python program per item in a child process tree that is
// isolated from the host and from the other items, and reads pass/fail from a random nonce the
// harness prints after the tests (never from the exit code alone).
//
// Layers, each used where the kernel allows it (docs/SANDBOX.md):
//   - pid, net, mount, ipc and uts namespaces (one clone); the per-run init reaps everything and
//     its death kills the whole namespace;
//   - a mount view where every host mount is read-only, /tmp is a fresh size-limited tmpfs that
//     holds the item's private 0700 directory, and /proc belongs to the new pid namespace;
//   - an unprivileged uid/gid per run (distinct from every other run, so runs cannot signal or
//     read one another even without a pid namespace) and no capabilities;
//   - rlimits (CPU, address space, processes, file size, open files, no core dumps), an empty
//     environment, a wall-clock limit after which every process of the run is SIGKILLed (the
//     namespace's init, the process group, and a sweep of the run's uid for escaped daemons);
//   - captured output (stdout+stderr) capped, with the truncation marked.
// When namespaces or the uid switch are unavailable (an unprivileged container, a non-root user)
// the run still happens with what is left; a warning is printed once on stderr and every result
// says weakly_isolated.
//
//   - a private root (namespace mode): only the interpreter's folders, a few device nodes, a
//     private /tmp and /proc are visible; no host /home, /var, /run, /etc or suite folder;
//   - a control group per run bounding memory (all processes, shared memory, tmpfs, kernel
//     memory) and processes (sandbox_cgroup.h);
//   - a seccomp deny-list on the program (sandbox_seccomp.h): no new namespaces, mounts,
//     io_uring, bpf, ptrace, keyrings, non-IP sockets...;
//   - for code items, a verdict the program cannot forge: the test runs in a judge process and
//     the completion in a separate process, reached only through plain values (docs/SANDBOX.md).
//
// Not here: scoring of suites (pass@k lives in sandbox_exec.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gapbench::suites {

struct SandboxLimits {
  double wall_seconds = 10.0;                 // whole tree SIGKILLed after this
  double cpu_seconds = 0.0;                   // RLIMIT_CPU per process; 0: ceil(wall_seconds) + 1
  uint64_t address_space_bytes = 4ull << 30;  // RLIMIT_AS per process (EvalPlus uses 4 GB)
  uint64_t memory_bytes = 0;  // whole run (cgroup, kernel memory included); 0: address_space_bytes
  uint64_t file_size_bytes = 16ull << 20;  // RLIMIT_FSIZE: largest file a run may write
  uint64_t tmpfs_bytes = 64ull << 20;      // size of the private /tmp (namespace mode)
  int max_processes = 32;                  // RLIMIT_NPROC for the run's uid (threads count too)
  int max_open_files = 64;                 // RLIMIT_NOFILE
  size_t output_cap_bytes = 64 * 1024;     // captured stdout+stderr kept; the rest is dropped
};

enum class RunStatus { kPassed, kFailed, kTimeout };
const char* RunStatusName(RunStatus status);  // "passed" | "failed" | "timeout"

struct SandboxResult {
  RunStatus status = RunStatus::kFailed;
  double duration_seconds = 0.0;  // wall clock from start to the end of the run's init
  int exit_code = -1;             // the Python process's exit code, -1 if killed by a signal
  int term_signal = 0;            // signal that ended the Python process, 0 if it exited
  bool nonce_seen = false;        // the verdict arrived: the nonce line (programs) or the judge's
                                  // verdict on its private pipe (code items)
  std::string output;             // stdout+stderr, at most output_cap_bytes (nonce removed)
  bool truncated = false;         // output was longer than the cap
  bool weakly_isolated = false;   // some isolation layer was unavailable (see Isolation())
  std::string error;              // sandbox-side failure (could not start), empty normally
};

// What this process can use, probed once (and reported in docs and `suites exec` output).
struct IsolationInfo {
  bool namespaces = false;     // clone(NEWPID|NEWNET|NEWNS|NEWIPC|NEWUTS) worked
  bool readonly_root = false;  // the host view is hidden or read-only inside the mount namespace
  bool private_root = false;   // only the interpreter's folders are visible (not /home, /var...)
  bool setuid = false;         // running as root: each run switches to its own unprivileged uid
  int cgroup_version = 0;      // per-run memory+pids groups: 1 or 2; 0: rlimits only
  bool seccomp = false;        // the seccomp deny-list is installed on every program
  std::string python;          // the interpreter used (absolute path)
  std::string warning;         // non-empty when weakly isolated: what is missing and why
  bool weak() const {
    return !namespaces || !readonly_root || !private_root || !setuid || cgroup_version == 0 ||
           !seccomp;
  }
};

struct SandboxOptions {
  std::string python;          // empty: $GAPBENCH_PYTHON, then system python3 locations, then PATH
  bool use_namespaces = true;  // false forces the weak path (tests of the fallback)
  bool use_cgroups = true;     // false: rlimits only (tests of the fallback)
  uint32_t uid_base = 0;       // first sandbox uid; 0: 1'900'000'000 (no passwd entry needed)
};

// A code item scored the human-eval way, but with the verdict out of the completion's reach:
// the judge process runs `prompt` then `test` then check(entry_point) with entry_point bound to
// a proxy; the completion's process runs `prompt + completion` and answers the proxy's calls
// with plain values (None, bool, int, float, complex, str, bytes, list, tuple, dict, set,
// frozenset; exact types, so no __eq__ of the completion's making reaches the test).
struct CodeTask {
  std::string prompt;
  std::string completion;
  std::string test;
  std::string entry_point;  // a Python identifier
};

// One program to run: `program` is complete Python source (the sandbox appends the nonce
// print), or, when `code.entry_point` is set, a code item (`program` unused).
struct SandboxJob {
  std::string program;
  SandboxLimits limits;
  CodeTask code{};  // default-initialised: `{program, limits}` stays a complete initializer
};

// The job for a code item and one completion (see CodeTask).
SandboxJob CodeJob(const std::string& prompt, const std::string& completion,
                   const std::string& test, const std::string& entry_point,
                   const SandboxLimits& limits);

struct SandboxShared;  // probed once per Sandbox: root layout, seccomp filter, cgroups

class Sandbox {
 public:
  // Probes the isolation layers and finds Python; throws Error when no usable python3 exists.
  explicit Sandbox(SandboxOptions options = {});

  const IsolationInfo& isolation() const { return info_; }

  // Runs one program. Thread-safe: concurrent calls get distinct uids and directories.
  SandboxResult Run(const std::string& program, const SandboxLimits& limits) const;
  // Runs one job (a program or a code item).
  SandboxResult Run(const SandboxJob& job) const;

  // Runs every job with at most `parallel` at once; results in input order.
  std::vector<SandboxResult> RunAll(const std::vector<SandboxJob>& jobs, int parallel) const;

 private:
  SandboxOptions options_;
  IsolationInfo info_;
  std::shared_ptr<const SandboxShared> shared_;
};

// Looks for a python3 an unprivileged user can execute: `preferred` if non-empty, else
// $GAPBENCH_PYTHON, /usr/bin/python3, /usr/local/bin/python3, /bin/python3, then $PATH.
// Returns the resolved absolute path, or empty when none is usable.
std::string FindPython(const std::string& preferred);

// A fresh random nonce (32 hex digits from getrandom).
std::string MakeNonce();

}  // namespace gapbench::suites
