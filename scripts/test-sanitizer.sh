#!/usr/bin/env bash
# One sanitizer tier alone (docs/CI.md): `bash scripts/test-sanitizer.sh tsan` (ThreadSanitizer
# on the worker and coordinator tests) or `asan` (ASan + UBSan on the fast tests of the libraries
# that read untrusted input, and the hostile-input tests). Configures ./build with the tier,
# builds only its target (the normal libraries it links come along) and runs its tests. Extra
# arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-}
case "$tier" in
  asan) option=GAPBENCH_ASAN_TIER ;;
  tsan) option=GAPBENCH_TSAN_TIER ;;
  *) echo "usage: scripts/test-sanitizer.sh asan|tsan [cmake args]" >&2; exit 2 ;;
esac
shift
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-D$option=ON" "$@" >/dev/null
cmake --build build -j "$(nproc)" --target "${tier}_tier"
cd build
# --no-tests=error: a tier whose tests were not discovered must fail, not pass empty.
ctest --output-on-failure --no-tests=error -j "$(nproc)" -L "^${tier}\$"
