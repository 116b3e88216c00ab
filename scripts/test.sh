#!/usr/bin/env bash
# The test command (README, .ci/run): installs dependencies, builds, runs every test (fast and
# slow tiers), then CI's checks (docs/CI.md): clang-tidy on the changed files, the ThreadSanitizer
# tier and the ASan + UBSan tier. Every step runs even when one fails; the exit status is non-zero
# when any failed, and a table of the steps' times ends the output.
#   GAPBENCH_TEST_LABEL=fast   only the fast tier (no checks)
#   GAPBENCH_CHECKS="tidy tsan asan"   which checks run after the tests (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
label=${GAPBENCH_TEST_LABEL:-}
checks=${GAPBENCH_CHECKS-tidy tsan asan}
[ -z "$label" ] || checks=""

summary=()
failed=0
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
cpu_read() {  # CPU seconds (user + system) of this shell's finished children, from `times`
  awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } }
       END { printf "%d", s }' "$times_file"
}
step() {  # step NAME COMMAND...: runs it, times it (wall and CPU), remembers a failure
  local name=$1 start=$SECONDS cpu0 rc=0
  times >"$times_file"  # here, not in $(...): a subshell would see no children
  cpu0=$(cpu_read)
  shift
  echo "=== ${name}"
  "$@" || rc=$?
  local result=ok
  [ $rc = 0 ] || result="FAILED ($rc)"
  times >"$times_file"
  summary+=("$(printf '%-26s %5d s wall %6d s CPU  %s' "$name" $((SECONDS - start)) \
    $(($(cpu_read) - cpu0)) "$result")")
  [ $rc = 0 ] || failed=1
  return 0
}
tier_flags=()
for c in $checks; do
  case "$c" in
    tsan) tier_flags+=(-DGAPBENCH_TSAN_TIER=ON) ;;
    asan) tier_flags+=(-DGAPBENCH_ASAN_TIER=ON) ;;
  esac
done

step "build" bash scripts/build.sh "${tier_flags[@]}"
if [ $failed = 0 ]; then
  if [ -n "$label" ]; then
    step "ctest -L $label" ctest --test-dir build --output-on-failure --no-tests=error \
      -j "$(nproc)" -L "$label"
  else
    # The tiers' tests have labels of their own (asan, tsan), run by their steps below.
    step "ctest fast+slow" ctest --test-dir build --output-on-failure --no-tests=error \
      -j "$(nproc)" -L '^(fast|slow)$'
  fi
  for c in $checks; do
    case "$c" in
      tidy) step "clang-tidy (changed files)" bash scripts/tidy.sh ;;
      tsan | asan) step "$c tier (build + ctest)" bash scripts/test-sanitizer.sh "$c" ;;
      *) echo "GAPBENCH_CHECKS: unknown check '$c'" >&2; failed=1 ;;
    esac
  done
fi
echo "=== summary ($(nproc) cores; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${summary[@]}"
exit $failed
