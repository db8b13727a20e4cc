#!/bin/sh
# test_hostile.sh: every crafted hostile Mach-O / fat file of $FIXTURES/hostile (made by
# tests/fixtures/craft.py; codesign.md §1.10) must be rejected cleanly:
#   - `macext inspect FILE` and `macext inspect --json FILE` exit 65 (bad input data),
#     print nothing on stdout and exactly one stderr line
#     "macext: FILE: <reason> at offset 0xN" with N inside the file, and, where
#     hostile/EXPECTED.tsv pins a byte range [lo, hi] for the faulty structure, inside it;
#   - no crash (a signal, or a sanitizer report on stderr).
# Then a kext bundle whose executable is hostile: `macext audit --json` must still succeed
# as a command, report the bad executable as an error finding whose rule starts with
# "executable." and exit 1 (audit errors), not 65 and not a crash.
# Exit 0 pass, 1 fail.
set -eu

: "${MACEXT:?set MACEXT to the built macext}"
: "${FIXTURES:?set FIXTURES to the generated fixtures (tests/fixtures/generate.sh)}"
hdir="$FIXTURES/hostile"
libdir="${MACEXT_SOURCE_DIR:-$(dirname "$0")/..}/tests/lib" # findings.py
if [ ! -f "$hdir/EXPECTED.tsv" ]; then
	echo "test_hostile: $hdir/EXPECTED.tsv missing (run tests/fixtures/generate.sh)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

bad() {
	echo "FAIL $*"
	fail=$((fail + 1))
}

# check FILE LO HI MODE...: runs macext inspect MODE FILE and checks the contract above.
check() {
	file=$1 lo=$2 hi=$3
	shift 3
	rc=0
	"$MACEXT" inspect "$@" "$file" >"$tmp/out" 2>"$tmp/err" || rc=$?
	name="inspect $* $(basename "$file")"
	if [ "$rc" -ne 65 ]; then
		bad "$name: exit $rc, expected 65; stderr: $(head -c 400 "$tmp/err")"
		return
	fi
	if [ -s "$tmp/out" ]; then
		bad "$name: stdout not empty: $(head -c 200 "$tmp/out")"
		return
	fi
	lines=$(wc -l <"$tmp/err")
	if [ "$lines" -ne 1 ]; then
		bad "$name: $lines stderr lines, expected 1:"
		sed 's/^/    /' "$tmp/err" | head -n 20
		return
	fi
	line=$(cat "$tmp/err")
	case "$line" in
	"macext: $file: "*) ;;
	*)
		bad "$name: stderr does not start with 'macext: $file: ': $line"
		return
		;;
	esac
	off=$(printf '%s\n' "$line" | sed -n 's/.* at offset \(0x[0-9a-fA-F]*\)$/\1/p')
	if [ -z "$off" ]; then
		bad "$name: no trailing 'at offset 0xN': $line"
		return
	fi
	size=$(wc -c <"$file")
	if [ $((off)) -gt "$size" ]; then
		bad "$name: offset $off is past the end of the file ($size bytes): $line"
		return
	fi
	if [ "$lo" != "-" ] && { [ $((off)) -lt $((lo)) ] || [ $((off)) -gt $((hi)) ]; }; then
		bad "$name: offset $off outside the faulty structure [$lo, $hi]: $line"
		return
	fi
	pass=$((pass + 1))
	echo "ok   $name: $line"
}

n=0
while IFS="$(printf '\t')" read -r f lo hi why; do
	case "$f" in '#'* | '') continue ;; esac
	n=$((n + 1))
	[ -f "$hdir/$f" ] || {
		bad "$f listed in EXPECTED.tsv but missing"
		continue
	}
	check "$hdir/$f" "$lo" "$hi"
	check "$hdir/$f" "$lo" "$hi" --json
	: "$why"
done <"$hdir/EXPECTED.tsv"
if [ "$n" -lt 20 ]; then
	bad "only $n hostile files listed (expected at least 20)"
fi

# A kext whose executable is hostile: audit reports it as a finding and exits 1.
for f in cmdsize-zero.macho fat-overlap.fat strsize-overflow.macho; do
	k="$tmp/Hostile-$f.kext"
	mkdir -p "$k/Contents/MacOS"
	sed "s/<string>Control<\/string>/<string>Hostile<\/string>/" \
		"$FIXTURES/kexts/Control.kext/Contents/Info.plist" >"$k/Contents/Info.plist"
	cp "$hdir/$f" "$k/Contents/MacOS/Hostile"
	rc=0
	"$MACEXT" audit --json --macos 11 "$k" >"$tmp/out" 2>"$tmp/err" || rc=$?
	name="audit of a kext with executable $f"
	if [ "$rc" -ne 1 ]; then
		bad "$name: exit $rc, expected 1; stderr: $(head -c 400 "$tmp/err")"
		continue
	fi
	if grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
		bad "$name: sanitizer report: $(head -c 400 "$tmp/err")"
		continue
	fi
	if ! res=$(PYTHONPATH="$libdir" python3 - "$tmp/out" <<'PY'
import json, sys
from findings import findings
doc = json.load(open(sys.argv[1]))
hits = [f for f in findings(doc) if f["severity"] == "error" and f["rule"].startswith("executable.")]
if not hits:
    print("no error finding with an executable.* rule in: %s" % json.dumps(doc)[:600])
    sys.exit(1)
print(", ".join(sorted({"%s: %s" % (f["rule"], f.get("message", "")) for f in hits})))
PY
	); then
		bad "$name: $res"
		continue
	fi
	pass=$((pass + 1))
	echo "ok   $name: $res"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
