// Internal to the sandbox: one control group per run, so memory and process limits bind the
// whole run (every process, SysV and POSIX shared memory, memfd and tmpfs pages, and the kernel
// memory of inodes and dentries the run creates), not one process at a time as rlimits do.
//
// cgroup v2 (memory.max, memory.swap.max, pids.max) where a v2 hierarchy offers the memory and
// pids controllers below this process's own group; otherwise the v1 memory and pids
// hierarchies (memory.limit_in_bytes, which in v1 also counts kernel memory charged to the
// group, memory.memsw.limit_in_bytes where swap accounting exists, pids.max). Groups are created
// below this process's own group (so outer limits still apply), named gapbench-<pid>-<slot>, and
// removed after the run once everything in them is killed. Where neither hierarchy is writable
// (not root, an unprivileged container) Detect() says why and runs keep only their rlimits.
//
// Not here: joining the group (the run's init writes "0" to the cgroup.procs descriptors
// opened here, before it forks anything).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gapbench::suites::internal {

struct CgroupConfig {
  int version = 0;            // 0: none usable, 1: v1 memory+pids, 2: v2
  std::string memory_parent;  // v1: memory hierarchy dir of this process; v2: our own group
  std::string pids_parent;    // v1: pids hierarchy dir of this process; v2: same as memory
  std::string why_not;        // version == 0: what failed
};

// Finds a writable hierarchy (creates and removes a probe group). Never throws.
CgroupConfig DetectCgroups();

// The groups of one run.
class RunCgroup {
 public:
  RunCgroup() = default;
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup();  // kills what is left and removes the groups

  // Creates the groups with the limits and opens their cgroup.procs for the init to join.
  // Returns false (and sets *error) when that failed; whatever was created is removed.
  bool Create(const CgroupConfig& config, const std::string& name, uint64_t memory_bytes,
              int64_t max_pids, std::string* error);

  // cgroup.procs descriptors (close-on-exec) to hand to the run's init; -1 where absent.
  int memory_procs_fd() const { return memory_fd_; }
  int pids_procs_fd() const { return pids_fd_; }
  void CloseProcsFds();

  // Peak memory use in bytes, 0 when unknown (reported in tests).
  uint64_t PeakMemory() const;

  // Kills every process still in the groups and removes them. Idempotent.
  void Destroy();

 private:
  std::vector<std::string> dirs_;  // created groups, removed in reverse order
  std::string memory_dir_;
  int version_ = 0;
  int memory_fd_ = -1;
  int pids_fd_ = -1;
};

}  // namespace gapbench::suites::internal
