#!/bin/sh
# test_sarif.sh: `macext audit --sarif` output must pass Microsoft's SARIF validator
# (npm package @microsoft/sarif-multitool-linux, pinned in tests/lib/sarif.sh) with no
# error-level result.
# The validator is installed once into $MACEXT_BUILD_DIR/sarif-multitool with
# `npm install --prefix`; exit 77 (skipped) when npm or the registry is unavailable.
# Warnings (no informationUri, no region: our findings are about whole files) are allowed.
set -eu

: "${MACEXT:?}" "${MACEXT_BUILD_DIR:?}" "${MACEXT_SOURCE_DIR:?}" "${FIXTURES:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
. "$MACEXT_SOURCE_DIR/tests/lib/sarif.sh"
sarif_install "$work"

export MACEXT_ROOT="$work/no-mac"
fail=0
n=0
audit() { # NAME MACOS PATH...
	name=$1 macos=$2
	shift 2
	rc=0
	"$MACEXT" audit --sarif --macos "$macos" "$@" >"$work/$name.sarif" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "FAIL $name: macext audit exited $rc"
		fail=1
		return
	fi
	n=$((n + 1))
}
audit kauth-10.15.7 10.15.7 "$FIXTURES/kexts/Kauth.kext"
audit kauth-11 11 "$FIXTURES/kexts/Kauth.kext"
audit clean-14 14 "$FIXTURES/kexts/Control.kext"
audit all-kexts-11 11 "$FIXTURES/kexts"
audit bad-bundles-14 14 "$FIXTURES/bad"

# Non-empty runs: the KAUTH kext on 11 must produce at least one error result.
python3 - "$work/kauth-11.sarif" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
res = d["runs"][0]["results"]
if not any(r["level"] == "error" for r in res):
    print("FAIL kauth-11: no error-level result"); sys.exit(1)
rules = d["runs"][0]["tool"]["driver"]["rules"]
for r in res:
    if rules[r["ruleIndex"]]["id"] != r["ruleId"]:
        print("FAIL kauth-11: ruleIndex does not point at ruleId"); sys.exit(1)
PY

sarif_validate_all "$work" || fail=1

[ "$n" -eq 5 ] || fail=1
exit $fail
