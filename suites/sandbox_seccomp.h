// Internal to the sandbox: the seccomp filter installed on the Python process of every run (and
// inherited by all it forks). A deny-list on the native architecture, built once with libseccomp
// and exported as classic BPF, so the child only has to call seccomp(2) (no allocation there).
// Every denied call fails with EPERM (clone3 with ENOSYS, so glibc falls back to clone, whose
// flags the filter can see); calls of a foreign ABI (i386 int 0x80, x32) fail with EPERM too.
// Nothing is ever killed by the filter. The list and the reasons are in docs/SANDBOX.md.
//
// Not here: installing it (sandbox_process.cpp), the other isolation layers.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

namespace gapbench::suites::internal {

struct SeccompProgram {
  std::vector<sock_filter> code;  // empty when libseccomp could not build it
  std::string error;              // why it is empty
};

// Builds the filter (about a hundred instructions). Never throws.
SeccompProgram BuildSeccompFilter();

}  // namespace gapbench::suites::internal
