#!/usr/bin/env bash
# Side-by-side speed: gapbench bench and llama.cpp's llama-bench on the same GGUF files, same
# threads, run alternately (gapbench, llama.cpp, gapbench, llama.cpp, ... -a rounds of -r
# repetitions each), so machine load that drifts during the run hits both tools alike; prints a
# Markdown table with the gapbench / llama.cpp ratios and, for tg, each tool's decode speed as a
# fraction of the memory-bandwidth bound (weight bytes read per token / read bandwidth, both from
# gapbench bench --json: its STREAM-like probe, best of the rounds).
# usage: bench/compare_llama_bench.sh [-p 512] [-n 128] [-r 2] [-t 2] [-a 2] MODEL.gguf...
# Needs bench/build_llama_cpp.sh to have built .peer/llama.cpp/bin/llama-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
P=512 N=128 R=2 T=2 A=2
while getopts "p:n:r:t:a:" o; do
  case $o in p) P=$OPTARG ;; n) N=$OPTARG ;; r) R=$OPTARG ;; t) T=$OPTARG ;; a) A=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
GB=${GAPBENCH:-./build/cli/gapbench}
LB=.peer/llama.cpp/bin/llama-bench
[ -x "$LB" ] || { echo "run bench/build_llama_cpp.sh first" >&2; exit 1; }
CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "CPU: $CPU, $(nproc) CPUs; $T threads; pp$P / tg$N, $A alternating rounds of $R repetitions;"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| model | test | gapbench t/s | llama.cpp t/s | ratio | gapbench / bound | llama.cpp / bound |"
echo "|---|---|---|---|---|---|---|"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$TMP/notes"
for m in "$@"; do
  for ((i = 0; i < A; i++)); do
    "$GB" bench --model "$m" -p "$P" -n "$N" -r "$R" --threads "$T" --json >"$TMP/g$i.json"
    "$LB" -m "$m" -p "$P" -n "$N" -r "$R" -t "$T" -o json 2>/dev/null >"$TMP/l$i.json"
  done
  python3 - "$m" "$P" "$N" "$R" "$A" "$TMP" <<'PY'
import json, math, os, sys
m, p, n, r, a, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
g = [json.load(open(os.path.join(tmp, f"g{i}.json"))) for i in range(a)]
l = [json.load(open(os.path.join(tmp, f"l{i}.json"))) for i in range(a)]
def pooled(runs):
    # runs: (mean, sd) of r repetitions each -> mean and sd over all a * r repetitions
    mean = sum(x for x, _ in runs) / len(runs)
    ss = sum((r - 1) * s * s + r * (x - mean) ** 2 for x, s in runs)
    return mean, math.sqrt(ss / max(1, r * len(runs) - 1))
def peer(run, pp):
    for row in run:
        if (row["n_prompt"] > 0) == pp:
            return row["avg_ts"], row["stddev_ts"]
bound = max(x["generation"].get("bandwidth_bound_tokens_per_s", 0.0) for x in g)
bw = max(x.get("memory_bandwidth", {}).get("read_gb_per_s", 0.0) for x in g)
name = os.path.basename(m)
for test, key, pp in (("pp%d" % p, "prompt", True), ("tg%d" % n, "generation", False)):
    gm, gs = pooled([(x[key]["tokens_per_s"], x[key]["sd"]) for x in g])
    lm, ls = pooled([peer(x, pp) for x in l])
    gb = lb = "–"
    if not pp and bound > 0:
        gb, lb = f"{gm / bound:.2f}", f"{lm / bound:.2f}"
    print(f"| {name} | {test} | {gm:.1f} ± {gs:.1f} | {lm:.1f} ± {ls:.1f} | {gm / lm:.2f} | {gb} | {lb} |")
mb = g[0]["generation"]["weight_bytes_per_token"] / 1e6
with open(os.path.join(tmp, "notes"), "a") as f:
    f.write(f"- {name}: {mb:.1f} MB of weights read per token; read bandwidth {bw:.1f} GB/s "
            f"(best of the rounds): bound {bound:.1f} t/s\n")
PY
done
echo
cat "$TMP/notes"
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
