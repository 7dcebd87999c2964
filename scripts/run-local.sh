#!/usr/bin/env bash
# `make run`: DynamoDB Local on 127.0.0.1:8000, tables from template.yaml, demo data, and the local
# API gateway on 127.0.0.1:3000 in the background. Safe to run again: nothing is duplicated, and a
# gateway that is already up is left running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${PORT:-3000}
state="$root/.local"
mkdir -p "$state"

scripts/dynamodb-local.sh start 8000
cargo build --quiet -p inventory-local -p inventory-onboard
export DYNAMODB_ENDPOINT=http://127.0.0.1:8000
target/debug/inventory-local setup

up() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/api/v1/inventory/units"; }
if up; then
  echo "gateway already running on http://127.0.0.1:$port (make stop, then make run, to restart it)"
  exit 0
fi
nohup target/debug/inventory-local serve --port "$port" >"$state/gateway.log" 2>&1 &
echo $! >"$state/gateway.pid"
for _ in $(seq 1 60); do
  if up; then
    echo "serving http://127.0.0.1:$port/api/v1/inventory (log: .local/gateway.log; stop: make stop)"
    exit 0
  fi
  sleep 0.5
done
echo "gateway did not start; see .local/gateway.log" >&2
exit 1
