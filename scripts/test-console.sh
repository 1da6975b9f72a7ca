#!/usr/bin/env bash
# The console's browser suite (make test-console): builds extguard, starts a
# real `extguard all` on a database and a redis-server of its own (both gone
# afterwards), and runs adapters/console/e2e/scenario.mjs in Debian's
# Chromium. Needs node/npm, /usr/bin/chromium (or CHROMIUM=path), PostgreSQL
# at EXTGUARD_TEST_DATABASE_URL's server (default 127.0.0.1:5432, user postgres)
# and redis-server on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
db="extguard_console_e2e_$$"
pg="${EXTGUARD_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
pg_base="${pg%%\?*}"; pg_base="${pg_base%/*}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port=$(free_port); redis_port=$(free_port)
server_pid=; redis_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/extguard" ./cmd/extguard
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!

export BASE_URL="http://127.0.0.1:$http_port" ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD='console e2e passphrase'
EXTGUARD_DATABASE_URL="$pg_base/$db?sslmode=disable" EXTGUARD_REDIS_URL="redis://127.0.0.1:$redis_port/0" \
EXTGUARD_HTTP_ADDR="127.0.0.1:$http_port" EXTGUARD_ADMIN_EMAIL="$ADMIN_EMAIL" EXTGUARD_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
EXTGUARD_HEARTBEAT_FLUSH_INTERVAL=500ms EXTGUARD_LOG_LEVEL=warn \
  "$work/extguard" all >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do curl -fsS "$BASE_URL/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS "$BASE_URL/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }

cd adapters/console/e2e
[ -d node_modules ] || npm ci --prefer-offline --no-audit --no-fund
node scenario.mjs || { echo "--- server log"; tail -50 "$work/server.log"; exit 1; }
