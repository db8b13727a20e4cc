#!/bin/sh
# test_sarif.sh: `macext audit --sarif` output must pass Microsoft's SARIF validator
# (npm package @microsoft/sarif-multitool-linux, pinned below) with no error-level result.
# The validator is installed once into $MACEXT_BUILD_DIR/sarif-multitool with
# `npm install --prefix`; exit 77 (skipped) when npm or the registry is unavailable.
# Warnings (no informationUri, no region: our findings are about whole files) are allowed.
set -eu

: "${MACEXT:?}" "${MACEXT_BUILD_DIR:?}" "${FIXTURES:?}"
pkg=@microsoft/sarif-multitool-linux@5.7.0
prefix=$MACEXT_BUILD_DIR/sarif-multitool
tool=$prefix/node_modules/.bin/sarif-multitool-linux
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

if [ ! -x "$tool" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "test_sarif: npm not installed; skipped" >&2
		exit 77
	fi
	mkdir -p "$prefix"
	if ! timeout 300 npm install --silent --no-audit --no-fund --prefix "$prefix" "$pkg" \
		>"$work/npm.log" 2>&1; then
		echo "test_sarif: cannot install $pkg (registry unreachable?); skipped:" \
			"$(tail -n 1 "$work/npm.log")" >&2
		exit 77
	fi
fi

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

for f in "$work"/*.sarif; do
	name=$(basename "$f" .sarif)
	out="$work/$name.validation"
	rc=0
	(cd "$work" && timeout 300 "$tool" validate "$f" -o "$out" --log ForceOverwrite \
		>"$work/$name.log" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$out" ]; then
		echo "FAIL $name: validator exited $rc"
		cat "$work/$name.log"
		fail=1
		continue
	fi
	if ! python3 - "$out" "$name" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
errs = [r for run in d.get("runs", []) for r in run.get("results", [])
        if r.get("level") == "error"]
for r in errs:
    print("FAIL %s: %s %s" % (sys.argv[2], r.get("ruleId"), r.get("message", {})))
sys.exit(1 if errs else 0)
PY
		grep -i 'error' "$work/$name.log" || true
		fail=1
	else
		echo "ok $name"
	fi
done

[ "$n" -eq 5 ] || fail=1
exit $fail
