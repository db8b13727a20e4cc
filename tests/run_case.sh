#!/bin/sh
# run_case.sh CASEDIR: runs one golden integration case (STYLE.md §8.2).
#
# CASEDIR holds: setup (optional, shell), cmd (shell), expect.out, expect.err, expect.rc.
# Each run gets a fresh temporary directory with the modeled Mac's root at $tmp/mac (not yet
# created: `machine init` makes it), MACEXT_ROOT pointing there, MACEXT_NOW pinned,
# LC_ALL=C, TZ=UTC, HOME=$tmp/home, MACEXT_PASSWORD set, and `macext` first on PATH. setup
# must exit 0; cmd's stdout, stderr and exit code are compared exactly with the expect
# files after replacing the root by @ROOT@, the fixture directory by @FIXTURES@, the
# temporary directory by @TMP@ and random (version 4) UUIDs by @UUID4@.
# MACEXT_UPDATE_GOLDEN=1 rewrites the expect files instead (review the diff like code).
# Exit: 0 pass, 1 fail, 77 the case needs fixtures that were not generated.
set -eu

case_dir=$(cd "${1:?usage: run_case.sh CASEDIR}" && pwd)
: "${MACEXT:?set MACEXT to the built tool}"
FIXTURES=${FIXTURES:-}
name=$(basename "$case_dir")

if grep -q 'FIXTURES' "$case_dir/cmd" "$case_dir/setup" 2>/dev/null &&
	{ [ -z "$FIXTURES" ] || [ ! -d "$FIXTURES/kexts" ]; }; then
	echo "case $name: needs generated fixtures (tests/fixtures/generate.sh); skipped"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/macext-case.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/bin" "$tmp/home" "$tmp/work"
ln -s "$MACEXT" "$tmp/bin/macext"

export PATH="$tmp/bin:$PATH" MACEXT_ROOT="$tmp/mac" MACEXT_NOW=2026-11-01T00:00:00Z
export LC_ALL=C TZ=UTC HOME="$tmp/home" MACEXT_PASSWORD="correct horse battery staple"
export FIXTURES
unset XDG_STATE_HOME MACEXT_PASSWORD_FILE 2>/dev/null || true
cd "$tmp/work"

if [ -f "$case_dir/setup" ]; then
	if ! sh "$case_dir/setup" >"$tmp/setup.log" 2>&1; then
		echo "case $name: setup failed:"
		cat "$tmp/setup.log"
		exit 1
	fi
fi

rc=0
sh "$case_dir/cmd" >"$tmp/out" 2>"$tmp/err" || rc=$?

scrub() {
	sed -e "s|$tmp/mac|@ROOT@|g" ${FIXTURES:+-e "s|$FIXTURES|@FIXTURES@|g"} -e "s|$tmp|@TMP@|g" \
		-e 's/[0-9A-F]\{8\}-[0-9A-F]\{4\}-4[0-9A-F]\{3\}-[89AB][0-9A-F]\{3\}-[0-9A-F]\{12\}/@UUID4@/g' \
		"$1"
}
scrub "$tmp/out" >"$tmp/out.s"
scrub "$tmp/err" >"$tmp/err.s"
echo "$rc" >"$tmp/rc"

if [ "${MACEXT_UPDATE_GOLDEN:-0}" = 1 ]; then
	cp "$tmp/out.s" "$case_dir/expect.out"
	cp "$tmp/err.s" "$case_dir/expect.err"
	cp "$tmp/rc" "$case_dir/expect.rc"
	echo "case $name: golden files rewritten (rc $rc)"
	exit 0
fi

fail=0
for f in out err; do
	if ! diff -u "$case_dir/expect.$f" "$tmp/$f.s" >"$tmp/diff.$f" 2>&1; then
		echo "case $name: std$f differs:"
		cat "$tmp/diff.$f"
		fail=1
	fi
done
if [ "$(cat "$case_dir/expect.rc" 2>/dev/null)" != "$rc" ]; then
	echo "case $name: exit code $rc, expected $(cat "$case_dir/expect.rc" 2>/dev/null)"
	fail=1
fi
[ $fail -eq 0 ] && echo "case $name: ok"
exit $fail
