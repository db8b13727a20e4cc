#!/bin/sh
# demo.sh MACEXT: the tour `make demo` runs. Creates a fresh modeled Mac in a temporary root,
# generates the test kexts if needed, and shows inspect and audit on a clean driver and on a
# kext that uses the deprecated KAUTH KPIs, on macOS 10.15.7, 11 and 14; then the Intel
# load story on 10.15.7 and 13 with signed kexts (tests/fixtures/make_signed_kexts.sh):
# install, blocked load (27 + message), approvals list, approve, load (13: 28, reboot,
# loaded from the AuxKC), why.
# `audit` exiting 1 and the exit codes the story expects (27, 28) do not fail the demo; any
# other failure (a crash, a usage error, an unexpected exit code) does.
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
	expect 0 "$@"
}
expect() { # CODE ARGS...: prints the command, runs it, accepts exit CODE (and 1 for audit)
	want=$1
	shift
	printf '$ macext %s\n' "$*" | sed -e "s|$fixtures/||g" -e "s|$signed/||g"
	rc=0
	"$macext" "$@" >"$work/out" 2>&1 || rc=$?
	sed -e "s|$fixtures/||g" -e "s|$signed/||g" "$work/out"
	if [ "$rc" = "$want" ] && [ "$rc" != 0 ]; then
		echo "(exit $rc)"
	elif [ "$rc" != "$want" ] && [ "$rc" = 1 ] && [ "$1" = audit ]; then
		echo "(exit 1: the audit found errors)"
	elif [ "$rc" != "$want" ]; then
		echo "demo: macext $1 exited $rc, expected $want" >&2
		exit 1
	fi
}
signed=$build/signed

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

step "signed test kexts (tests/fixtures/make_signed_kexts.sh: a test Developer ID PKI)"
sh "$top/tests/fixtures/make_signed_kexts.sh" "$signed"
echo "kexts signed by \"Example Corp\" (ABCDE12345) and \"Other Corp\" (ZYXWV98765)"

for v in 10.15.7 13; do
	export MACEXT_ROOT="$work/mac-$v" MACEXT_NOW=2026-11-01T00:00:00Z
	step "macOS $v on an Intel Mac: a modeled Mac that trusts the test root"
	run machine init --arch x86_64 --macos "$v" --trust-anchor "$signed/pki/root.pem"
	step "macOS $v: audit, then install two kexts of one developer"
	run audit --macos "$v" --arch x86_64 --trust-anchor "$signed/pki/root.pem" "$signed/kexts/AlphaA.kext"
	run kext install "$signed/kexts/AlphaA.kext"
	run kext install "$signed/kexts/AlphaB.kext"
	step "macOS $v: the first load is blocked (exit 27) and shows the alert once"
	expect 27 kext load com.example.alpha.A
	step "macOS $v: the Privacy & Security pane offers Allow for 30 minutes"
	run approvals list
	step "macOS $v: why (the trace of every rule)"
	run why com.example.alpha.A
	step "macOS $v: approve 10 minutes later (the team's other kext in /Library/Extensions comes with it)"
	export MACEXT_NOW=2026-11-01T00:10:00Z
	run approvals approve com.example.alpha.A
	if [ "$v" = 13 ]; then
		step "macOS 13: approved kexts load from the Auxiliary Kernel Collection after a restart"
		expect 28 kext load com.example.alpha.A
		run kmutil inspect "$MACEXT_ROOT/Library/KernelCollections/AuxiliaryKernelExtensions.kc"
		run reboot
	fi
	run kext load com.example.alpha.B
	run kext list
	step "macOS $v: why, now"
	run why com.example.alpha.A
done
