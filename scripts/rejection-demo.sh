#!/usr/bin/env bash
# Rejection-sampling demo (docs/blackbox.md): train a Llama teacher on addition with worked steps, serve it
# over the OpenAI-compatible API, collect k = 4 samples per prompt, verify them, train the three students.
# Usage: scripts/rejection-demo.sh [CONFIG] [OUT]   (defaults: examples/rejection-arithmetic.yaml, out/rejection-arithmetic)
set -euo pipefail
CONFIG=${1:-examples/rejection-arithmetic.yaml}
OUT=${2:-out/rejection-arithmetic}
PORT=$(node -e "const u=new URL(require('yaml').parse(require('fs').readFileSync('$CONFIG','utf8')).teacher.baseUrl);console.log(u.port)")
MODEL=$(node -e "console.log(require('yaml').parse(require('fs').readFileSync('$CONFIG','utf8')).teacher.model)")
D="node bin/distillery.mjs"
start=$(date +%s)
[ -f "$OUT/teacher.bin" ] || $D train-teacher "$CONFIG" --out "$OUT"
$D serve-teacher --model "$OUT/teacher.bin" --name "$MODEL" --port "$PORT" > "$OUT/serve-teacher.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q serving "$OUT/serve-teacher.log" 2>/dev/null && break; sleep 0.2; done
$D collect "$CONFIG" --out "$OUT"
$D blackbox "$CONFIG" --out "$OUT"
echo "total $(( $(date +%s) - start )) s"
