#!/bin/sh
# test_profiles_signed.sh: `macext profiles validate` over profiles signed at test time with
# an openssl test PKI (tests/fixtures/make_profiles.sh): a good signature verifies, a
# tampered one is an error, an unknown root a warning, BER a note, a detached signature or
# junk exit 65 with one stderr line; plus the forms, --check-team and exit codes.
set -eu
: "${MACEXT:?}" "${MACEXT_SOURCE_DIR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
command -v openssl >/dev/null || { echo "openssl missing; skipped" >&2; exit 77; }
"$MACEXT_SOURCE_DIR/tests/fixtures/make_profiles.sh" "$work" >/dev/null
export MACEXT_ROOT="$work/no-mac" MACEXT_NOW=2030-01-01T00:00:00Z
cd "$work"
fail=0

# NAME WANT_RC EXPECT... -- ARGS: run validate --json, check the exit code and that each
# EXPECT "rule:severity[:location]" is among the findings (a leading ! means absent).
check() {
	name=$1 want=$2
	shift 2
	exp=""
	while [ "$1" != "--" ]; do exp="$exp $1"; shift; done
	shift
	rc=0
	"$MACEXT" profiles validate --json "$@" >"$name.json" 2>"$name.err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want"; cat "$name.err"; fail=1; return
	fi
	python3 - "$name.json" "$name" $exp <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
have = {(f["rule"], f["severity"], f["location"] or "") for f in d["findings"]}
ok = True
for e in sys.argv[3:]:
    neg = e.startswith("!")
    parts = e.lstrip("!").split(":", 2)
    hit = any(r == parts[0] and s == parts[1] and (len(parts) < 3 or l == parts[2])
              for r, s, l in have)
    if hit == neg:
        print("FAIL %s: %s %s" % (sys.argv[2], "unexpected" if neg else "missing", e))
        ok = False
sys.exit(0 if ok else 1)
PY
	echo "ok $name"
}

check verified 0 profile.cms.signed:note '!profile.cms.untrusted:warning' \
	'!profile.cms.ber:note' -- pki/signed.mobileconfig --trust-anchor pki/root.pem
python3 -c 'import json,sys; s=json.load(open("verified.json"))["profiles"][0]["signature"]; sys.exit(0 if s["status"]=="verified" and "CN=macext test profile signer" in s["signers"][0]["subject"] else 1)' || { echo "FAIL verified: status"; fail=1; }
check untrusted 0 profile.cms.untrusted:warning '!profile.cms.signed:note' -- \
	pki/signed.mobileconfig
check wrong-anchor 0 profile.cms.untrusted:warning -- pki/signed.mobileconfig \
	--trust-anchor pki/other-root.pem
check tampered 1 profile.cms.signature:error '!profile.cms.signed:note' -- \
	pki/tampered.mobileconfig --trust-anchor pki/root.pem
python3 -c 'import json,sys; s=json.load(open("tampered.json"))["profiles"][0]["signature"]; sys.exit(0 if s["status"]=="invalid" else 1)' || { echo "FAIL tampered: status"; fail=1; }
check ber 0 profile.cms.ber:note profile.cms.signed:note -- pki/signed-ber.mobileconfig \
	--trust-anchor pki/root.pem
check two-signers 0 profile.cms.signed:note profile.cms.untrusted:warning -- \
	pki/two-signers.mobileconfig --trust-anchor pki/root.pem
check trailing 1 profile.cms.trailing:error -- pki/signed-trailing.mobileconfig \
	--trust-anchor pki/root.pem
rc=0; MACEXT_NOW=2100-01-01T00:00:00Z "$MACEXT" profiles validate --json \
	pki/signed.mobileconfig --trust-anchor pki/root.pem >future.json || rc=$?
grep -q '"profile.cms.cert-time"' future.json || { echo "FAIL future: no cert-time"; fail=1; }
check unsigned 0 profile.cms.unsigned:note '!profile.plist.binary:note' -- good.mobileconfig
check binary 0 profile.plist.binary:note -- good.bplist
check bad 1 kext.team.shape:warning:'PayloadContent[0].AllowedTeamIdentifiers[0]' \
	kext.value.type:error:'PayloadContent[0].AllowedKernelExtensions.UBF8T346G9[0]' \
	profile.payload.duplicate-id:error:'PayloadContent[1].PayloadIdentifier' \
	sysext.team.both:error sysext.type.value:error profile.payload.unknown-type:note -- \
	bad.mobileconfig

# unreadable input: exit 65, one line on stderr, nothing on stdout
for f in pki/detached.mobileconfig junk; do
	printf 'not a profile\n' > junk
	rc=0
	"$MACEXT" profiles validate --json good.mobileconfig "$f" >out 2>err || rc=$?
	if [ "$rc" -ne 65 ] || [ -s out ] || [ "$(wc -l <err)" -ne 1 ]; then
		echo "FAIL unreadable $f: rc $rc, stdout $(wc -c <out) bytes, $(wc -l <err) lines"
		fail=1
	else
		echo "ok unreadable $f: $(cat err)"
	fi
done
rc=0; "$MACEXT" profiles validate missing.mobileconfig 2>/dev/null || rc=$?
[ "$rc" -eq 66 ] || { echo "FAIL missing: rc $rc"; fail=1; }
rc=0; "$MACEXT" profiles validate --macos 9.9 good.mobileconfig 2>/dev/null || rc=$?
[ "$rc" -eq 64 ] || { echo "FAIL bad --macos: rc $rc"; fail=1; }
rc=0; "$MACEXT" profiles validate --check-team ABCDE12345 good.mobileconfig 2>/dev/null || rc=$?
[ "$rc" -eq 64 ] || { echo "FAIL lone --check-team: rc $rc"; fail=1; }

# --check-team / --check-bundle-id, text and JSON
out=$("$MACEXT" profiles validate good.mobileconfig --check-team UBF8T346G9 \
	--check-bundle-id com.microsoft.driver | tail -n 1)
case $out in
*"allowed-kext"*"PayloadContent[0].AllowedKernelExtensions.UBF8T346G9[0]") echo "ok check text" ;;
*) echo "FAIL check text: $out"; fail=1 ;;
esac
"$MACEXT" profiles validate --json pki/signed.mobileconfig --check-team ZZZZZ99999 \
	--check-bundle-id com.other >check.json
python3 -c 'import json,sys; c=json.load(open("check.json"))["profiles"][0]["check"]; sys.exit(0 if c["verdict"]=="user-may-approve" and c["location"] is None else 1)' \
	&& echo "ok check json" || { echo "FAIL check json"; fail=1; }
exit $fail
