#!/usr/bin/env bash
# The bundled plotting script turns a CsvLogger file into a PNG, and refuses a missing column.
set -euo pipefail
script="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
printf 'step,rollout/ep_rew_mean,train/loss\n100,10,1\n200,30,0.5\n300,80,0.2\n' > "$dir/run.csv"
"$script" "$dir/run.csv" "$dir/curve.png"
[ "$(head -c 8 "$dir/curve.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "not a PNG"; exit 1; }
if "$script" "$dir/run.csv" "$dir/other.png" "no/such_column" 2>/dev/null; then echo "accepted a missing column"; exit 1; fi
echo "plot script OK"
