#!/usr/bin/env bash
# The engine-settings table (issue: "Engine settings"): for one model, each setting's weight
# bytes, KV bytes per token, speed (pp/tg tokens/s) and KL divergence against the default
# configuration on a text, measured by gapbench itself (inspect, bench, perplexity).
# usage: bench/settings_table.sh MODEL.gguf [TEXT] [THREADS] [PP] [TG]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$1
TEXT=${2:-tests/fixtures/text/lighthouse.txt}
THREADS=${3:-2}
PP=${4:-128}
TG=${5:-32}
BIN=${GAPBENCH:-./build/cli/gapbench}
SETTINGS=(
  '{}'
  '{"weights": "q8_0"}'
  '{"weights": "q4_0"}'
  '{"kv_cache": "q8_0"}'
  '{"kv_cache": "f32"}'
  '{"kv_heads": 1}'
  '{"sliding_window": {"window": 32, "layers": "alternate"}}'
  '{"sliding_window": {"window": 32, "layers": "all"}}'
  '{"kv_sharing": {"mode": "adjacent", "group": 2}}'
  '{"kv_sharing": {"mode": "tail", "from_layer": 1}}'
)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
echo "| setting | weight MiB | KV bytes/token | pp$PP t/s | tg$TG t/s | KLD vs default (mean / p99) | top-1 agree |"
echo "|---|---|---|---|---|---|---|"
for s in "${SETTINGS[@]}"; do
  ins=$($BIN model inspect "$MODEL" --json --config "$s" 2>/dev/null) || { echo "| \`$s\` | not applicable to this model |||||| "; continue; }
  w=$(echo "$ins" | json "round(d['engine']['weight_bytes']/1048576, 2)")
  kv=$(echo "$ins" | json "round(d['engine']['kv_bytes_per_token'], 1)")
  b=$($BIN bench --model "$MODEL" --config "$s" -p "$PP" -n "$TG" -r 3 --threads "$THREADS" --json)
  pp=$(echo "$b" | json "'%.1f ± %.1f' % (d['prompt']['tokens_per_s'], d['prompt']['sd'])")
  tg=$(echo "$b" | json "'%.1f ± %.1f' % (d['generation']['tokens_per_s'], d['generation']['sd'])")
  p=$($BIN perplexity --model "$MODEL" --config "$s" --base-config '{}' --text "$TEXT" --ctx 128 --chunks 8 --threads "$THREADS" --json 2>/dev/null)
  kld=$(echo "$p" | json "'%.5f / %.5f' % (d['base']['kld_mean'], d['base']['kld_p99'])")
  agree=$(echo "$p" | json "'%.3f' % d['base']['top1_agreement']")
  echo "| \`$s\` | $w | $kv | $pp | $tg | $kld | $agree |"
done
