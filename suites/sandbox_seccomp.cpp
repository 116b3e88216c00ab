// The sandbox's seccomp deny-list (see sandbox_seccomp.h and docs/SANDBOX.md for the choice of a
// deny-list over an allow-list).
#include "suites/sandbox_seccomp.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace gapbench::suites::internal {
namespace {

// Calls a CPython test never needs and that reach kernel surface the sandbox must not expose:
// new namespaces (user namespaces give uid 0 and mounts), mounts, io_uring (bypasses seccomp for
// its own operations, connect included), bpf, userfaultfd, perf, tracing other processes, the
// kernel keyring (shared by every run of the same uid), module and kexec loading, clock and
// system administration calls.
constexpr const char* kDenied[] = {
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "userfaultfd",
    "perf_event_open",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "kcmp",
    "add_key",
    "keyctl",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "quotactl",
    "quotactl_fd",
    "lookup_dcookie",
    "vhangup",
    "iopl",
    "ioperm",
    "open_by_handle_at",
    "name_to_handle_at",
    "uselib",
    "fanotify_init",
    "nfsservctl",
};

// Namespace flags clone() must not carry (clone's first argument on x86-64 and arm64).
constexpr uint64_t kCloneNamespaceFlags[] = {CLONE_NEWUSER,  CLONE_NEWNS,  CLONE_NEWPID,
                                             CLONE_NEWNET,   CLONE_NEWIPC, CLONE_NEWUTS,
                                             CLONE_NEWCGROUP};

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

SeccompProgram BuildSeccompFilter() {
  SeccompProgram out;
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) {
    out.error = "seccomp_init failed";
    return out;
  }
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, eperm);
  auto add = [&](const char* what, int nr, unsigned count, const scmp_arg_cmp* cmp,
                 uint32_t action) {
    if (rc != 0) return;
    rc = seccomp_rule_add_array(ctx.get(), action, nr, count, cmp);
    if (rc != 0) out.error = std::string("seccomp rule for ") + what + ": " + std::strerror(-rc);
  };
  for (const char* name : kDenied) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    add(name, nr, 0, nullptr, eperm);
  }
  // clone3 passes its flags in memory the filter cannot read: ENOSYS makes glibc fall back to
  // clone, whose flags are checked below (Docker's default profile does the same).
  const int clone3 = seccomp_syscall_resolve_name("clone3");
  if (clone3 != __NR_SCMP_ERROR) add("clone3", clone3, 0, nullptr, SCMP_ACT_ERRNO(ENOSYS));
  for (uint64_t flag : kCloneNamespaceFlags) {
    const scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag);
    add("clone", SCMP_SYS(clone), 1, &cmp, eperm);
  }
  // socket(): only AF_INET and AF_INET6 (which the network namespace confines). AF_UNIX would
  // reach path sockets of any folder the run can see (seccomp cannot read connect's address, so
  // the wall is at creation), AF_NETLINK the kernel, AF_VSOCK a hypervisor host. Comparisons are
  // on the full 64-bit argument, so junk in the upper half is refused too (> AF_INET6).
  {
    const scmp_arg_cmp below = SCMP_A0(SCMP_CMP_LT, AF_INET);
    add("socket", SCMP_SYS(socket), 1, &below, eperm);
    const scmp_arg_cmp above = SCMP_A0(SCMP_CMP_GT, AF_INET6);
    add("socket", SCMP_SYS(socket), 1, &above, eperm);
    for (uint64_t family = AF_INET + 1; family < AF_INET6; ++family) {
      const scmp_arg_cmp eq = SCMP_A0(SCMP_CMP_EQ, family);
      add("socket", SCMP_SYS(socket), 1, &eq, eperm);
    }
  }
  // socketpair(): AF_UNIX stream pairs only (asyncio's self-pipe, multiprocessing.Pipe). A
  // datagram pair could sendto() a path socket; a connected stream socket cannot be re-aimed.
  {
    const scmp_arg_cmp not_unix = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
    add("socketpair", SCMP_SYS(socketpair), 1, &not_unix, eperm);
    for (uint64_t type : {SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_PACKET}) {
      const scmp_arg_cmp cmp = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, type);
      add("socketpair", SCMP_SYS(socketpair), 1, &cmp, eperm);
    }
  }
  if (rc != 0) {
    if (out.error.empty()) out.error = std::string("seccomp setup: ") + std::strerror(-rc);
    return out;
  }
  // Export through a memfd (libseccomp 2.5 writes to a descriptor only).
  const int fd = memfd_create("gapbench-seccomp", MFD_CLOEXEC);
  if (fd < 0) {
    out.error = std::string("memfd_create: ") + std::strerror(errno);
    return out;
  }
  rc = seccomp_export_bpf(ctx.get(), fd);
  struct stat st {};
  if (rc != 0 || fstat(fd, &st) != 0 || st.st_size <= 0 ||
      st.st_size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    out.error = "seccomp_export_bpf failed";
    close(fd);
    return out;
  }
  out.code.resize(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  const ssize_t got = pread(fd, out.code.data(), static_cast<size_t>(st.st_size), 0);
  close(fd);
  if (got != st.st_size) {
    out.code.clear();
    out.error = "reading the exported seccomp filter failed";
  }
  return out;
}

}  // namespace gapbench::suites::internal
