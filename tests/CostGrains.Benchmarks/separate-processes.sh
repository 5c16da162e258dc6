#!/usr/bin/env bash
# Node and load generator as separate processes, against a PostgreSQL you name:
#   dotnet build -c Release
#   PGHOST=127.0.0.1 PGUSER=postgres PGPASSWORD=... tests/CostGrains.Benchmarks/separate-processes.sh [events] [database]
# Creates (drops first) the database, starts the node on it, warms it with [events] events, then
# measures [events] more and prints events/s, ack latency and the CPU per event of the node and of
# PostgreSQL (from /proc, so PostgreSQL must run on this machine). Extra node settings pass
# through the environment (e.g. CostGrains__Ledger__Writers=4).
set -euo pipefail
EVENTS=${1:-1500000}
DB=${2:-costgrains_separate}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NODE=$ROOT/src/CostGrains.Server/bin/Release/net10.0/CostGrains.Server
LOADGEN=$ROOT/src/CostGrains.Agent/bin/Release/net10.0/costgrains
URL=http://127.0.0.1:${PORT:-5080}
: "${PGHOST:=127.0.0.1}" "${PGUSER:=postgres}"
export PGHOST PGUSER

PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
export ConnectionStrings__Postgres="Host=$PGHOST;Username=$PGUSER;Password=${PGPASSWORD:-};Database=$DB;SSL Mode=Disable"
export COSTGRAINS_ADMIN_KEY=${COSTGRAINS_ADMIN_KEY:-bench-admin} ASPNETCORE_URLS=$URL Logging__LogLevel__Default=Warning
"$NODE" > "${TMPDIR:-/tmp}/costgrains-separate-node.log" 2>&1 &
NODE_PID=$!
trap 'kill $NODE_PID 2>/dev/null && wait $NODE_PID 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "$URL/health/ready" >/dev/null && break; sleep 1; done

admin=(-H "Authorization: Bearer $COSTGRAINS_ADMIN_KEY" -H 'Content-Type: application/json')
curl -sf -X POST "${admin[@]}" -d '{"key":"bench","name":"Bench"}' "$URL/v1/orgs" >/dev/null
KEY=$(curl -sf -X POST "${admin[@]}" -d '{"role":"ingest"}' "$URL/v1/orgs/bench/keys" | sed -E 's/.*"key":"([^"]+)".*/\1/')

run() { "$LOADGEN" loadgen --url "$URL" --key "$KEY" --events "$EVENTS" --projects 2000 --batch 1000 --run-id "$1" | tail -1; }
cpu_of() { awk '{ s += $14 + $15 } END { print s + 0 }' "$@" 2>/dev/null || echo 0; }
postgres_cpu() { cpu_of $(grep -l '^postgres' /proc/[0-9]*/comm 2>/dev/null | sed 's/comm$/stat/'); }

echo "warm-up: $(run warm)"
pg0=$(postgres_cpu); node0=$(cpu_of /proc/$NODE_PID/stat)
echo "measured: $(run "m$RANDOM")"
pg1=$(postgres_cpu); node1=$(cpu_of /proc/$NODE_PID/stat)
ticks=$(getconf CLK_TCK)
awk -v n=$((node1 - node0)) -v p=$((pg1 - pg0)) -v e="$EVENTS" -v t="$ticks" \
  'BEGIN { printf "CPU per event: node %.1f µs, PostgreSQL %.1f µs\n", n / t * 1e6 / e, p / t * 1e6 / e }'
