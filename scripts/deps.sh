#!/bin/sh
# Installs the Debian packages macext builds and tests with, only those missing.
# Idempotent: when everything is present it changes nothing and says so in one line.
set -eu

pkgs="cmake make pkg-config gcc clang-14 lld-14 llvm-14 llvm-19 libclang-rt-14-dev
libplist-dev libplist-utils libssl-dev openssl libsqlite3-dev libcmocka-dev libjansson-dev
libarchive-dev nodejs npm ca-certificates python3 file time sqlite3"

# A package whose command is already on PATH from another source counts as present: a
# machine with Node.js from elsewhere (its own npm bundled) must not get Debian's npm, which
# conflicts with it.
provided_by_path() {
	case "$1" in
	nodejs) command -v node >/dev/null 2>&1 ;;
	npm) command -v npm >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

missing=""
for p in $pkgs; do
	provided_by_path "$p" && continue
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all Debian packages present"
	exit 0
fi

echo "deps: installing:$missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "deps: missing packages and not root (no sudo): install$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
