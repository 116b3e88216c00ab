#!/usr/bin/env bash
# The main job on bundled defaults: builds gapbench, then `gapbench run` with no sweep file runs
# the bundled default sweep (examples/default-sweep.json: the model zoo in models/zoo on the
# synthetic world's suites, docs/ZOO.md) on a local coordinator with two workers and writes the
# report into ./gapbench-out; prints the report's gap tables; then shows the engine on the large
# zoo model (inspect, generate, bench).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
echo "== gapbench run   (the bundled default sweep; report in ./gapbench-out)"
start=$(date +%s)
./build/cli/gapbench run
echo "== the run took $(( $(date +%s) - start )) s"
echo "== gapbench-out/report.md: accuracy and the three gaps (open gapbench-out/index.html in a browser)"
awk '/^## Accuracy$/,/^## Cost/' gapbench-out/report.md | sed '$d'
awk '/^## Generalisation gap/,/^## Accuracy versus cost/' gapbench-out/report.md | sed '$d'
MODEL=models/zoo/large.gguf
echo "== gapbench model inspect $MODEL"
./build/cli/gapbench model inspect "$MODEL" | head -n 30
echo "== gapbench generate (a worked problem in the world's format)"
./build/cli/gapbench generate --model "$MODEL" --max-tokens 48 \
  --prompt $'Question: Vrybix Glybetu has 7 beads. Vrybix Glybetu finds 5 more beads. How many beads does Vrybix Glybetu have now?\nAnswer:'
echo "== gapbench bench"
./build/cli/gapbench bench --model "$MODEL" -p 128 -n 64 -r 3
