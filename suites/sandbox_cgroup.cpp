// Per-run control groups (see sandbox_cgroup.h).
#include "suites/sandbox_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gapbench::suites::internal {
namespace {

bool WriteFile(const std::string& path, const std::string& value) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = write(fd, value.data(), value.size());
  const int saved = errno;
  close(fd);
  errno = saved;
  return n == static_cast<ssize_t>(value.size());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool HasWord(const std::string& list, const std::string& word) {
  std::istringstream in(list);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

struct Mount {
  std::string root, point, type, options;
};

std::vector<Mount> CgroupMounts() {
  std::vector<Mount> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, opts, f;
    fields >> id >> parent >> dev >> root >> point >> opts;
    while (fields >> f && f != "-") {
    }
    std::string type, source, super;
    fields >> type >> source >> super;
    if (type == "cgroup" || type == "cgroup2") mounts.push_back({root, point, type, super});
  }
  return mounts;
}

// This process's path in a hierarchy: the v1 line naming `controller`, or the v2 line "0::".
std::string OwnPath(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string names = line.substr(a + 1, b - a - 1);
    for (char& c : names) {
      if (c == ',') c = ' ';
    }
    const bool match = controller.empty() ? line.rfind("0::", 0) == 0 : HasWord(names, controller);
    if (match) return line.substr(b + 1);
  }
  return "";
}

std::string Join(const Mount& m, const std::string& own) {
  std::string rel = own;
  if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
  if (rel == "/") rel.clear();
  return m.point + rel;
}

void SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
  nanosleep(&ts, nullptr);
}

// Creates and removes a probe group with a memory limit; "" when that works.
std::string ProbeDir(const std::string& parent, const char* limit_file, const char* value) {
  const std::string dir = parent + "/gapbench-probe-" + std::to_string(getpid());
  rmdir(dir.c_str());
  if (mkdir(dir.c_str(), 0755) != 0) return "mkdir " + dir + ": " + std::strerror(errno);
  std::string error;
  if (limit_file != nullptr && !WriteFile(dir + "/" + limit_file, value)) {
    error = "write " + dir + "/" + limit_file + ": " + std::strerror(errno);
  }
  rmdir(dir.c_str());
  return error;
}

}  // namespace

CgroupConfig DetectCgroups() {
  CgroupConfig config;
  const std::vector<Mount> mounts = CgroupMounts();
  std::string why;
  // v2 first: a unified hierarchy whose group of ours offers memory and pids to its children.
  for (const Mount& m : mounts) {
    if (m.type != "cgroup2") continue;
    const std::string own = OwnPath("");
    if (own.empty()) continue;
    const std::string dir = Join(m, own);
    const std::string controllers = ReadFile(dir + "/cgroup.controllers");
    if (!HasWord(controllers, "memory") || !HasWord(controllers, "pids")) {
      why += " cgroup v2 at " + m.point + " offers no memory+pids controllers;";
      continue;
    }
    const std::string subtree = ReadFile(dir + "/cgroup.subtree_control");
    if (!HasWord(subtree, "memory") || !HasWord(subtree, "pids")) {
      if (!WriteFile(dir + "/cgroup.subtree_control", "+memory +pids")) {
        why += " cannot enable memory+pids below " + dir + ": " + std::strerror(errno) + ";";
        continue;
      }
    }
    if (std::string e = ProbeDir(dir, "memory.max", "1073741824"); !e.empty()) {
      why += " " + e + ";";
      continue;
    }
    config.version = 2;
    config.memory_parent = config.pids_parent = dir;
    return config;
  }
  // v1: separate memory and pids hierarchies.
  std::string memory_dir, pids_dir;
  for (const Mount& m : mounts) {
    if (m.type != "cgroup") continue;
    std::string opts = m.options;
    for (char& c : opts)
      if (c == ',') c = ' ';
    if (memory_dir.empty() && HasWord(opts, "memory")) memory_dir = Join(m, OwnPath("memory"));
    if (pids_dir.empty() && HasWord(opts, "pids")) pids_dir = Join(m, OwnPath("pids"));
  }
  if (memory_dir.empty() || pids_dir.empty()) {
    why += " no cgroup v1 memory and pids hierarchies mounted;";
  } else if (std::string e = ProbeDir(memory_dir, "memory.limit_in_bytes", "1073741824");
             !e.empty()) {
    why += " " + e + ";";
  } else if (std::string e2 = ProbeDir(pids_dir, "pids.max", "64"); !e2.empty()) {
    why += " " + e2 + ";";
  } else {
    config.version = 1;
    config.memory_parent = memory_dir;
    config.pids_parent = pids_dir;
    return config;
  }
  config.why_not = why.empty() ? "no cgroup hierarchy mounted" : why.substr(1, why.size() - 2);
  return config;
}

RunCgroup::~RunCgroup() { Destroy(); }

void RunCgroup::CloseProcsFds() {
  if (memory_fd_ >= 0) close(memory_fd_);
  if (pids_fd_ >= 0) close(pids_fd_);
  memory_fd_ = pids_fd_ = -1;
}

bool RunCgroup::Create(const CgroupConfig& config, const std::string& name, uint64_t memory_bytes,
                       int64_t max_pids, std::string* error) {
  version_ = config.version;
  auto fail = [&](const std::string& what) {
    *error = what + ": " + std::strerror(errno);
    Destroy();
    return false;
  };
  auto make = [&](const std::string& parent) -> std::string {
    const std::string dir = parent + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0) {
      if (errno != EEXIST) return "";
      // Left by a crashed gapbench whose pid we now have: empty it and start afresh.
      RunCgroup stale;
      stale.dirs_.push_back(dir);
      stale.Destroy();
      if (mkdir(dir.c_str(), 0755) != 0) return "";
    }
    dirs_.push_back(dir);
    return dir;
  };
  const std::string mem = std::to_string(memory_bytes);
  const std::string pids = std::to_string(max_pids);
  if (version_ == 2) {
    const std::string dir = make(config.memory_parent);
    if (dir.empty()) return fail("mkdir " + config.memory_parent + "/" + name);
    memory_dir_ = dir;
    if (!WriteFile(dir + "/memory.max", mem)) return fail("write " + dir + "/memory.max");
    WriteFile(dir + "/memory.swap.max", "0");  // absent without swap accounting
    if (!WriteFile(dir + "/pids.max", pids)) return fail("write " + dir + "/pids.max");
    memory_fd_ = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (memory_fd_ < 0) return fail("open " + dir + "/cgroup.procs");
    return true;
  }
  if (version_ != 1) {
    *error = "no cgroup hierarchy";
    return false;
  }
  const std::string mdir = make(config.memory_parent);
  if (mdir.empty()) return fail("mkdir " + config.memory_parent + "/" + name);
  memory_dir_ = mdir;
  if (!WriteFile(mdir + "/memory.limit_in_bytes", mem)) {
    return fail("write " + mdir + "/memory.limit_in_bytes");
  }
  WriteFile(mdir + "/memory.memsw.limit_in_bytes", mem);  // memory + swap; absent without swap
  const std::string pdir = make(config.pids_parent);
  if (pdir.empty()) return fail("mkdir " + config.pids_parent + "/" + name);
  if (!WriteFile(pdir + "/pids.max", pids)) return fail("write " + pdir + "/pids.max");
  memory_fd_ = open((mdir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (memory_fd_ < 0) return fail("open " + mdir + "/cgroup.procs");
  pids_fd_ = open((pdir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (pids_fd_ < 0) return fail("open " + pdir + "/cgroup.procs");
  return true;
}

uint64_t RunCgroup::PeakMemory() const {
  if (memory_dir_.empty()) return 0;
  const std::string v =
      ReadFile(memory_dir_ + (version_ == 2 ? "/memory.peak" : "/memory.max_usage_in_bytes"));
  return std::strtoull(v.c_str(), nullptr, 10);
}

void RunCgroup::Destroy() {
  CloseProcsFds();
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    const std::string& dir = *it;
    // cgroup.kill (v2, kernel 5.14+) kills atomically; otherwise kill what cgroup.procs lists
    // until it is empty (a fork between the read and the kill shows up in the next round).
    WriteFile(dir + "/cgroup.kill", "1");
    for (int round = 0; round < 200; ++round) {
      if (rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      std::istringstream procs(ReadFile(dir + "/cgroup.procs"));
      pid_t pid = 0;
      while (procs >> pid) {
        if (pid > 0) kill(pid, SIGKILL);
      }
      SleepMs(5);
    }
  }
  dirs_.clear();
  memory_dir_.clear();
}

}  // namespace gapbench::suites::internal
