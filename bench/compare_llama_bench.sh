#!/usr/bin/env bash
# Side-by-side speed: gapbench bench and llama.cpp's llama-bench on the same GGUF files, same
# threads, run back to back; prints a Markdown table with the gapbench / llama.cpp ratios.
# usage: bench/compare_llama_bench.sh [-p 512] [-n 128] [-r 3] [-t 2] MODEL.gguf...
# Needs bench/build_llama_cpp.sh to have built .peer/llama.cpp/bin/llama-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
P=512 N=128 R=3 T=2
while getopts "p:n:r:t:" o; do
  case $o in p) P=$OPTARG ;; n) N=$OPTARG ;; r) R=$OPTARG ;; t) T=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
GB=${GAPBENCH:-./build/cli/gapbench}
LB=.peer/llama.cpp/bin/llama-bench
[ -x "$LB" ] || { echo "run bench/build_llama_cpp.sh first" >&2; exit 1; }
echo "| model | test | gapbench t/s | llama.cpp t/s | ratio |"
echo "|---|---|---|---|---|"
for m in "$@"; do
  g=$($GB bench --model "$m" -p "$P" -n "$N" -r "$R" --threads "$T" --json)
  l=$($LB -m "$m" -p "$P" -n "$N" -r "$R" -t "$T" -o json 2>/dev/null)
  python3 - "$m" "$P" "$N" "$g" "$l" <<'PY'
import json, os, sys
m, p, n, g, l = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5])
name = os.path.basename(m)
def peer(test_pp):
    for r in l:
        if (r["n_prompt"] > 0) == test_pp:
            return r["avg_ts"], r["stddev_ts"]
for test, key, pp in (("pp%d" % p, "prompt", True), ("tg%d" % n, "generation", False)):
    gm, gs = g[key]["tokens_per_s"], g[key]["sd"]
    lm, ls = peer(pp)
    print(f"| {name} | {test} | {gm:.1f} ± {gs:.1f} | {lm:.1f} ± {ls:.1f} | {gm / lm:.2f} |")
PY
done
