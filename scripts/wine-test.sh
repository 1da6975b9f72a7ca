#!/usr/bin/env bash
# Runs the agent's tests built for windows/amd64 under Wine: one fresh Wine prefix (a temporary
# folder, deleted afterwards, with the bcryptprimitives.dll that Debian's Wine 8.0 lacks and Go's
# runtime needs; see scripts/wineprng), then `go test -exec scripts/wine-test.sh --exec` so each
# package's test binary runs as a Windows program. The e2e package needs a server and is left out.
#
#   scripts/wine-test.sh                                  # every agent package
#   scripts/wine-test.sh ./cmd/extguard-agent/internal/discovery -run TestEveryFork
set -euo pipefail

if [[ ${1:-} == --exec ]]; then # go test -exec: run one test binary under the prefix made below
  shift
  exec "$WINE" "$@"
fi

cd "$(dirname "$0")/.."
WINE=${WINE:-$(command -v wine64 || command -v wine || true)}
if [[ -z $WINE ]]; then
  echo "wine-test: no wine64 or wine on PATH" >&2
  exit 1
fi
export WINE WINEDEBUG=-all WINEPREFIX
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/extguard-wine.XXXXXX")
cleanup() {
  WINEPREFIX=$WINEPREFIX wineserver -k >/dev/null 2>&1 || true
  rm -rf "$WINEPREFIX"
}
trap cleanup EXIT

# One persistent wineserver, detached from every output: a wineserver that a test binary starts
# inherits that binary's stdout and stays up while other packages' binaries use it, so go test
# waits on the pipe for a minute and fails the package ("Test I/O incomplete ... after exiting").
wineserver -p </dev/null >/dev/null 2>&1
"$WINE" wineboot --init </dev/null >/dev/null 2>&1
system32="$WINEPREFIX/drive_c/windows/system32"
if [[ ! -e $system32/bcryptprimitives.dll ]]; then
  go run ./scripts/wineprng "$system32/bcryptprimitives.dll"
fi

if [[ $# -eq 0 ]]; then
  mapfile -t pkgs < <(go list ./cmd/extguard-agent/... | grep -v /e2e)
  set -- "${pkgs[@]}"
fi
GOOS=windows GOARCH=amd64 go test -count=1 -exec "$PWD/scripts/wine-test.sh --exec" "$@"
