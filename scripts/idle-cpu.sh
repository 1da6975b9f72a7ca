#!/usr/bin/env bash
# Measures the CPU an idle `extguard all` uses: builds bin/extguard, starts it
# on a database of its own (extguard_idle_cpu_<pid>, dropped afterwards) and a
# private redis-server on a free port, lets it settle, then reads the
# process's user+system time from /proc/<pid>/stat over DURATION seconds.
# Fails when it is above MAX_PERCENT of one core.
#
#   scripts/idle-cpu.sh                 # 60 s, at most 0.5% of a core
#   DURATION=120 MAX_PERCENT=0.3 scripts/idle-cpu.sh
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and redis-server on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
SETTLE=${SETTLE:-10}
MAX_PERCENT=${MAX_PERCENT:-0.5}
DB=extguard_idle_cpu_$$
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

make -s build >/dev/null
for _ in $(seq 20); do # a free port: redis-server exits when the one tried is taken
  port=$((20000 + RANDOM % 20000))
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --logfile "$tmp/redis.log" &
  rpid=$!
  for _ in $(seq 30); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  if redis-cli -p "$port" ping >/dev/null 2>&1; then pids+=("$rpid"); break; fi
  kill "$rpid" 2>/dev/null || true; port=
done
[ -n "$port" ] || { echo "could not start redis-server" >&2; exit 1; }

EXTGUARD_DATABASE_URL="$PGURL/$DB?sslmode=disable" EXTGUARD_REDIS_URL="redis://127.0.0.1:$port/0" \
  EXTGUARD_HTTP_ADDR=127.0.0.1:0 ./bin/extguard all >"$tmp/extguard.log" 2>&1 &
pid=$!
pids=("$pid" "${pids[@]}")
for _ in $(seq 600); do grep -q '"extguard started"' "$tmp/extguard.log" && break; sleep 0.1; done
grep -q '"extguard started"' "$tmp/extguard.log" || { cat "$tmp/extguard.log"; echo "extguard did not start" >&2; exit 1; }
sleep "$SETTLE"

# Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks
# (the command name, field 2, is cut off first since it may hold spaces).
ticks() { local s; s=$(cat "/proc/$pid/stat"); s=${s##*) }; set -- $s; echo $(( ${12} + ${13} )); }
hz=$(getconf CLK_TCK)
start=$(ticks)
sleep "$DURATION"
end=$(ticks)

percent=$(awk -v t=$((end - start)) -v hz="$hz" -v d="$DURATION" 'BEGIN { printf "%.2f", 100 * t / hz / d }')
echo "idle extguard all: $((end - start)) ticks of 1/$hz s in $DURATION s = $percent% of one core (at most $MAX_PERCENT%)"
awk -v p="$percent" -v m="$MAX_PERCENT" 'BEGIN { exit !(p <= m) }'
