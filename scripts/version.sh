#!/bin/sh
# Prints the version `make build` stamps into extguard and extguard-agent, as
# SemVer 2.0 so that every build can enroll and sorts sensibly beside releases:
#
#   on the tag v1.2.0                       1.2.0
#   3 commits after it                      1.2.0+3.gabc1234
#   uncommitted changes (tracked files)     1.2.0+dirty, 1.2.0+3.gabc1234.dirty
#   no version tag (v<semver>) at all       0.0.0-dev+abc1234, 0.0.0-dev+abc1234.dirty
#   not a git checkout                      0.0.0-dev
#
# What follows the tag is build metadata: it says which commit it is without
# claiming a release that does not exist.
set -eu
cd "$(dirname "$0")/.."

commit=$(git rev-parse --short=7 HEAD 2>/dev/null) || { echo 0.0.0-dev; exit 0; }
dirty=
git update-index -q --refresh >/dev/null 2>&1 || true
git diff-index --quiet HEAD -- 2>/dev/null || dirty=dirty

semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$'
if desc=$(git describe --tags --match 'v[0-9]*' --long --abbrev=7 2>/dev/null); then
	tag=${desc%-*-g*}       # v1.2.0-3-gabc1234 -> v1.2.0
	ahead=${desc#"$tag"-}   # -> 3-gabc1234
	ahead=${ahead%%-*}      # -> 3
	base=${tag#v}
	if printf '%s\n' "$base" | grep -Eq "$semver"; then
		meta=
		[ "$ahead" = 0 ] || meta="$ahead.g$commit"
		[ -z "$dirty" ] || meta="${meta:+$meta.}$dirty"
		echo "$base${meta:++$meta}"
		exit 0
	fi
fi
echo "0.0.0-dev+$commit${dirty:+.$dirty}"
