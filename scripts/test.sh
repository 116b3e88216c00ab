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
step() {  # step NAME COMMAND...: runs it, times it, remembers a failure
  local name=$1 start=$SECONDS rc=0
  shift
  echo "=== ${name}"
  "$@" || rc=$?
  local result=ok
  [ $rc = 0 ] || result="FAILED ($rc)"
  summary+=("$(printf '%-26s %5d s  %s' "$name" $((SECONDS - start)) "$result")")
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
    step "ctest -L $label" ctest --test-dir build --output-on-failure -j "$(nproc)" -L "$label"
  else
    # The tiers' tests have labels of their own (asan, tsan), run by their steps below.
    step "ctest fast+slow" ctest --test-dir build --output-on-failure -j "$(nproc)" \
      -L '^(fast|slow)$'
  fi
  for c in $checks; do
    case "$c" in
      tidy) step "clang-tidy (changed files)" bash scripts/tidy.sh ;;
      tsan | asan) step "$c tier (build + ctest)" bash scripts/test-sanitizer.sh "$c" ;;
      *) echo "GAPBENCH_CHECKS: unknown check '$c'" >&2; failed=1 ;;
    esac
  done
fi
echo "=== summary"
printf '%s\n' "${summary[@]}"
exit $failed
