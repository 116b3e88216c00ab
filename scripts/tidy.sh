#!/usr/bin/env bash
# clang-tidy with the repository's .clang-tidy on the C++ files this change touches (docs/CI.md).
# Any finding on a changed line fails (GAPBENCH_TIDY_SCOPE=files: anywhere in a changed file; the
# tree has findings in lines nobody touched, which would fail whoever edits the file next). Needs
# build/compile_commands.json (scripts/build.sh makes it; this script configures ./build when it
# is missing).
#
# The change: the files that differ between the working tree and a base commit, which is
#   $GAPBENCH_TIDY_BASE when set (e.g. origin/main), else
#   the merge base with main (origin/main or main) when HEAD is not on it, else
#   HEAD's first parent (for a merge into main: everything the merge brought in), else
#   HEAD itself (a shallow clone has no parent: only uncommitted changes are checked).
# GAPBENCH_TIDY_FILES="a.cpp b.h" checks those files instead.
#
# Left out: kernels/*_simd.cpp and kernels/*_hwy*.cpp (Highway's per-target code does not parse
# with clang 14: its EMU128 branch, see fuzz/README.md) and files outside compile_commands.json.
# A changed header is checked through the changed sources that include it, or else through the
# source of the same name beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
tidy=${CLANG_TIDY:-clang-tidy}
if ! command -v "$tidy" >/dev/null; then
  echo "tidy: $tidy not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
[ -f build/compile_commands.json ] ||
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

if [ -n "${GAPBENCH_TIDY_FILES:-}" ]; then
  read -r -a changed <<<"$GAPBENCH_TIDY_FILES"
  base="(GAPBENCH_TIDY_FILES)"
else
  base=${GAPBENCH_TIDY_BASE:-}
  if [ -z "$base" ]; then
    for ref in origin/main main; do
      if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then
        mb=$(git merge-base HEAD "$ref" 2>/dev/null || true)
        if [ -n "$mb" ] && [ "$mb" != "$(git rev-parse HEAD)" ]; then base=$mb; fi
        break
      fi
    done
  fi
  if [ -z "$base" ]; then
    if git rev-parse -q --verify 'HEAD^1' >/dev/null; then
      base=$(git rev-parse 'HEAD^1')
    else
      base=HEAD
      echo "tidy: HEAD has no parent here (shallow clone?): checking uncommitted changes only;" \
           "set GAPBENCH_TIDY_BASE to check a range"
    fi
  fi
  # Into a variable first: a failing git diff (a bad base) must stop the script, which a
  # process substitution would hide (an empty list: "nothing changed", exit 0).
  git rev-parse -q --verify "$base^{commit}" >/dev/null ||
    { echo "tidy: base '$base' is not a commit here" >&2; exit 2; }
  diff_names=$(git diff --name-only --diff-filter=d "$base" -- '*.cpp' '*.h')
  mapfile -t changed <<<"$diff_names"
  [ -n "$diff_names" ] || changed=()
fi

# The normal build's entries only: the sanitizer tiers compile the same files again, and
# clang-tidy would check a file once per entry.
mkdir -p build/tidy
awk '/^\{$/ { block = $0; next }
     block != "" { block = block "\n" $0 }
     /^\},?$/ { if (block !~ /-o tests\/(asan|tsan)\//) { sub(/,$/, "", block); out = out sep block;
                 sep = ",\n" } block = "" }
     END { print "[\n" out "\n]" }' build/compile_commands.json >build/tidy/compile_commands.json
# Sources clang-tidy can parse: in compile_commands.json and not Highway target code.
mapfile -t known < <(sed -n 's/^ *"file": "\(.*\)",\{0,1\}$/\1/p' build/tidy/compile_commands.json |
                     sed "s#^$PWD/##" | sort -u)
parsable() {
  case "$1" in kernels/*_simd.cpp | kernels/*_hwy*.cpp) return 1 ;; esac
  # A here-string, not a pipe: grep -q stops reading at the first match, and a writer killed by
  # SIGPIPE would fail the pipeline under pipefail.
  grep -qxF -- "$1" <<<"$(printf '%s\n' "${known[@]}")"
}
sources=()
headers=()
for f in "${changed[@]}"; do
  [ -f "$f" ] || continue
  case "$f" in
    *.h) headers+=("$f") ;;
    *.cpp) if parsable "$f"; then sources+=("$f"); fi ;;
  esac
done
for h in "${headers[@]}"; do
  covered=0
  for s in "${sources[@]}"; do
    if grep -q "#include \"$h\"" "$s"; then covered=1; break; fi
  done
  sibling=${h%.h}.cpp
  if [ "$covered" = 0 ] && parsable "$sibling"; then sources+=("$sibling"); fi
done
if [ "${#sources[@]}" -eq 0 ]; then
  echo "tidy: no changed C++ file to check (base ${base})"
  exit 0
fi

# Findings are reported only in the changed files (the header filter names the changed headers)
# and, unless GAPBENCH_TIDY_SCOPE=files, only on the changed lines (clang-tidy's line filter: the
# added or modified lines of `git diff -U0`). Compiler warnings are left to GCC's -Werror build.
hfilter='^$'
if [ "${#headers[@]}" -gt 0 ]; then
  hfilter="^$PWD/($(printf '%s|' "${headers[@]}" | sed 's/|$//; s/\./\\./g'))\$"
fi
if [ "${GAPBENCH_TIDY_SCOPE:-lines}" = files ] || [ -n "${GAPBENCH_TIDY_FILES:-}" ]; then
  lfilter="[$(printf '{"name":"%s"},' "${sources[@]}" "${headers[@]}" | sed 's/,$//')]"
else
  lfilter=$(git diff -U0 --no-color "$base" -- "${sources[@]}" "${headers[@]}" | awk '
    /^\+\+\+ b\// { file = substr($0, 7); next }
    /^@@ / { split($3, p, ","); start = substr(p[1], 2); n = (p[2] == "" ? 1 : p[2])
             if (n > 0) {
               r[file] = r[file] sep[file] "[" start "," start + n - 1 "]"; sep[file] = ","
             } }
    END { for (f in r) { out = out s "{\"name\":\"" f "\",\"lines\":[" r[f] "]}"; s = "," }
          print "[" out "]" }')
  if [ "$lfilter" = "[]" ]; then
    echo "tidy: no added or changed line in a checked file (base ${base})"
    exit 0
  fi
fi
echo "tidy: ${#sources[@]} file(s) changed since ${base}: ${sources[*]}"
# One clang-tidy per file, in parallel; clang's "N warnings generated" counts are dropped.
export tidy hfilter lfilter
if ! printf '%s\n' "${sources[@]}" | sort -u | xargs -P "$(nproc)" -I{} bash -c '
  out=$("$tidy" -p build/tidy --quiet --warnings-as-errors="*" --header-filter="$hfilter" \
        --line-filter="$lfilter" --extra-arg=-Wno-everything "$1" 2>&1) && rc=0 || rc=$?
  grep -v "^[0-9]* warnings\? generated\.$" <<<"$out" || true
  exit $((rc != 0))' _ {}; then
  echo "tidy: findings above (docs/CI.md says how to run it alone and what it checks)" >&2
  exit 1
fi
echo "tidy: no finding"
