#!/bin/sh
# test_profiles_sarif.sh: `macext profiles validate --sarif` must pass Microsoft's SARIF
# validator (npm @microsoft/sarif-multitool-linux, pinned; CLI `sarif-multitool-linux
# validate`) with no error-level result, and carry the key paths as logical locations.
# Installed once into $MACEXT_BUILD_DIR/sarif-multitool; exit 77 when npm is unreachable.
set -eu
: "${MACEXT:?}" "${MACEXT_BUILD_DIR:?}" "${MACEXT_SOURCE_DIR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
. "$MACEXT_SOURCE_DIR/tests/lib/sarif.sh"
sarif_install "$work"
"$MACEXT_SOURCE_DIR/tests/fixtures/make_profiles.sh" "$work/p" >/dev/null
export MACEXT_ROOT="$work/no-mac" MACEXT_NOW=2030-01-01T00:00:00Z
cd "$work/p"
fail=0
run() { # NAME WANT_RC ARGS...
	name=$1 want=$2
	shift 2
	rc=0
	"$MACEXT" profiles validate --sarif "$@" >"$work/$name.sarif" || rc=$?
	[ "$rc" -eq "$want" ] || { echo "FAIL $name: exit $rc, want $want"; fail=1; }
}
run bad 1 bad.mobileconfig --macos 10.15.7
run good 0 good.mobileconfig good.bplist --macos 15.0
run signed 1 pki/signed.mobileconfig pki/tampered.mobileconfig --trust-anchor pki/root.pem

python3 - "$work/bad.sarif" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
names = {l["fullyQualifiedName"] for r in run["results"] for loc in r.get("locations", [])
         for l in loc.get("logicalLocations", [])}
want = "PayloadContent[0].AllowedKernelExtensions.UBF8T346G9[0]"
if want not in names:
    print("FAIL bad: no logical location", want); sys.exit(1)
if not any(r["level"] == "error" and r["ruleId"] == "sysext.team.both" for r in run["results"]):
    print("FAIL bad: no sysext.team.both error"); sys.exit(1)
for r in run["results"]:
    if rules[r["ruleIndex"]]["id"] != r["ruleId"]:
        print("FAIL bad: ruleIndex mismatch"); sys.exit(1)
PY

sarif_validate_all "$work" || fail=1
exit $fail
