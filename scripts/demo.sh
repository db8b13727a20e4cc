#!/bin/sh
# demo.sh MACEXT: the tour `make demo` runs. Creates a fresh modeled Mac in a temporary root,
# generates the test kexts if needed, and shows inspect and audit on a clean driver and on a
# kext that uses the deprecated KAUTH KPIs, on macOS 10.15.7, 11 and 14.
# `audit` exiting 1 (it found errors) is the point of the demo and does not fail it; any
# other failure (a crash, a usage error) does.
set -eu

macext=$(cd "$(dirname "${1:?usage: demo.sh path/to/macext}")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(dirname "$macext")
fixtures=$build/fixtures

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
export MACEXT_ROOT="$work/mac" MACEXT_PASSWORD=demo-password MACEXT_NOW=2026-11-01T00:00:00Z

step() { printf '\n== %s\n' "$*"; }
run() { # prints the command, runs it, accepts exit 0 and 1 only
	printf '$ macext %s\n' "$*" | sed "s|$fixtures/||g"
	rc=0
	"$macext" "$@" >"$work/out" 2>&1 || rc=$?
	sed "s|$fixtures/||g" "$work/out"
	case $rc in
	0) ;;
	1) echo "(exit 1: the audit found errors)" ;;
	*) echo "demo: macext $1 failed with exit $rc" >&2; exit 1 ;;
	esac
}

if [ ! -d "$fixtures/kexts" ]; then
	step "generating the test kexts (tests/fixtures/generate.sh)"
	sh "$top/tests/fixtures/generate.sh" "$fixtures"
fi
clean=$fixtures/kexts/Control.kext
kauth=$fixtures/kexts/Kauth.kext

step "a fresh modeled Mac (root $MACEXT_ROOT)"
run machine init --arch x86_64 --macos 15
run machine show

step "what the clean driver contains"
run inspect "$clean"
step "what the KAUTH kext contains (imports the deprecated KAUTH listener KPIs)"
run inspect -v "$kauth/Contents/MacOS/Kauth"

for v in 10.15.7 11 14; do
	step "audit on macOS $v: the clean driver and the KAUTH kext"
	run audit --macos "$v" "$clean" "$kauth"
done

step "the same audit as JSON (first lines)"
"$macext" audit --json --macos 11 "$kauth" | sed "s|$fixtures/||g" | head -n 20 || true

step "not built yet"
echo "install, blocked load, user approval, restart and loaded (later issues) are not built yet."
