#!/usr/bin/env bash
# The main job on bundled defaults: builds gapbench, runs the bundled sweep
# (examples/default-sweep.json) on a local coordinator with two workers and writes its report into
# runs/default/, then shows the engine on a bundled model (inspect, generate, bench) and, when
# ../shared/data is present, a 5-shot MMLU eval.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
echo "== gapbench run examples/default-sweep.json --workers 2 --out runs/default"
./build/cli/gapbench run examples/default-sweep.json --workers 2 --out runs/default
echo "== runs/default/report.md (first 40 lines; open runs/default/index.html in a browser)"
head -n 40 runs/default/report.md
MODEL=tests/fixtures/engine/llama-untied-q8_0.gguf
echo "== gapbench model inspect $MODEL"
./build/cli/gapbench model inspect "$MODEL" | head -n 30
echo "== gapbench generate"
./build/cli/gapbench generate --model "$MODEL" --prompt "The quick brown fox" --max-tokens 24
echo "== gapbench bench"
./build/cli/gapbench bench --model "$MODEL" -p 64 -n 32 -r 3
DATA=../shared/data
if [ -d "$DATA/mmlu" ]; then
  echo "== gapbench eval (5-shot MMLU, first 20 items)"
  ./build/cli/gapbench eval --model "$MODEL" --suite "$DATA/mmlu" --fewshot 5 --limit 20
else
  echo "== gapbench eval skipped: no MMLU data at $DATA/mmlu"
fi
