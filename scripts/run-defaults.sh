#!/usr/bin/env bash
# The main job on bundled defaults: builds gapbench, then runs it on the bundled tiny model
# (generation and a speed benchmark). Later issues turn this into the default evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
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
