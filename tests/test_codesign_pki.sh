#!/bin/sh
# Signatures made with the test PKI (tests/fixtures/make_pki.sh) over a minimal kext binary
# (tests/fixtures/cs_sign.py, openssl CLI for the CMS): the chain, Team ID, kext requirement,
# critical extensions, look-alike roots, expiry and ad-hoc rules of codesign.md §4-§6.
set -u
: "${MACEXT:?}" "${MACEXT_SOURCE_DIR:?}"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing; skipping"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "openssl missing; skipping"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pki=$tmp/pki
"$MACEXT_SOURCE_DIR/tests/fixtures/make_pki.sh" "$pki" || exit 1
sign="python3 $MACEXT_SOURCE_DIR/tests/fixtures/cs_sign.py"
# The modeled clock: a day after the test leaves were issued (they start "now").
start=$(openssl x509 -in "$pki/leaf.pem" -noout -startdate | cut -d= -f2)
now=$(date -u -d "$start + 1 day" +%Y-%m-%dT%H:%M:%SZ)
fail=0

check() { # NAME RC EXPR -- VERIFY-ARGS
	name=$1 rc_want=$2 expr=$3
	shift 4
	"$MACEXT" --now "$now" codesign verify --json "$@" >"$tmp/out.json" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$rc_want" ]; then
		echo "FAIL $name: exit $rc, expected $rc_want"; cat "$tmp/err" "$tmp/out.json"; fail=1
		return
	fi
	if ! python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); S = d["slices"][0]; E = [e["code"] for e in d["errors"]]
ok = eval(sys.argv[2])
if not ok: print(json.dumps(d, indent=1)[:2500])
sys.exit(0 if ok else 1)' "$tmp/out.json" "$expr"; then
		echo "FAIL $name: $expr"; fail=1; return
	fi
	echo "ok   $name"
}
mk() { # OUT LEAF [cs_sign options]
	out=$1 leaf=$2
	shift 2
	$sign "$tmp/$out" --signer "$pki/$leaf.pem" --key "$pki/$leaf.key" --chain "$pki/chain.pem" "$@"
}
A="--trust-anchor $pki/root.pem"

mk good leaf --team ABCDE12345
check developer-id 0 "d['valid'] and d['kind'] == 'developer-id' and d['signer']['team_id'] == 'ABCDE12345' and d['signer']['developer_name'] == 'Example Corp' and S['kext_requirement'] and S['anchor'] == 'test-anchor' and len(d['signer']['chain']) == 3 and S['time_source'] == 'now'" -- $A "$tmp/good"
check no-anchor 1 "not d['valid'] and E == ['chain-untrusted'] and not S['kext_requirement']" -- "$tmp/good"
openssl x509 -in "$pki/root.pem" -outform DER -out "$tmp/root.der"
check der-anchor 0 "d['valid'] and d['kind'] == 'developer-id'" -- --trust-anchor "$tmp/root.der" "$tmp/good"
mk ber leaf --team ABCDE12345 --stream
# openssl's -stream output is BER with indefinite lengths but embeds the content: Apple's
# signatures are detached, so an attached CMS is refused (BER itself is covered by osxfuse).
check attached-content 1 "not d['valid'] and E == ['cms-malformed'] and 'detached' in d['errors'][0]['message']" -- $A "$tmp/ber"
mk p384 leaf384 --team ABCDE12345 --md sha384
check p384-ecdsa 0 "d['valid'] and d['kind'] == 'developer-id' and S['kext_requirement']" -- $A "$tmp/p384"
mk sha384cd leaf384 --team ABCDE12345 --md sha384 --cd-hash sha384
check sha384-code-directory 0 "d['valid'] and d['kind'] == 'developer-id' and S['code_directories'][0]['hash_type'] == 'sha384' and S['kext_requirement'] and len(S['cdhash']) == 40" -- $A "$tmp/sha384cd"
python3 "$MACEXT_SOURCE_DIR/tests/fixtures/cs_patch.py" flip "$tmp/sha384cd" 0x800
check sha384-page-tamper 1 "not d['valid'] and E == ['page-hash-mismatch'] and '(sha384)' in d['errors'][0]['message']" -- $A "$tmp/sha384cd"
mk nokext leaf_nokext --team ABCDE12345
check leaf-without-6.1.18 0 "d['valid'] and d['kind'] == 'developer-id' and not S['kext_requirement']" -- $A "$tmp/nokext"
mk crit leaf_crit --team ABCDE12345
check unknown-critical 1 "not d['valid'] and E == ['unknown-critical-extension']" -- $A "$tmp/crit"
mk team2 leaf_team2 --team ABCDE12345
check team-mismatch 1 "not d['valid'] and E == ['team-id-mismatch'] and d['signer']['team_id'] == 'ZYXWV98765'" -- $A "$tmp/team2"
mk expired leaf_expired --team ABCDE12345
check expired-tolerated 0 "d['valid'] and S['time_source'] == 'now'" -- $A "$tmp/expired"
mk expired2 leaf_expired --team ABCDE12345 --flags 0x400
check expired-check-expiration 1 "not d['valid'] and E == ['certificate-expired']" -- $A "$tmp/expired2"
$sign "$tmp/fake" --signer "$pki/leaf_fake.pem" --key "$pki/leaf_fake.key" --chain "$pki/fakechain.pem" --team ABCDE12345
check look-alike-apple-root 1 "not d['valid'] and E == ['chain-untrusted'] and S['kind'] == 'other'" -- $A "$tmp/fake"
$sign "$tmp/tsa" --signer "$pki/tsa.pem" --key "$pki/tsa.key" --chain "$pki/chain.pem"
check no-codesigning-eku 1 "not d['valid'] and E == ['chain-invalid']" -- $A "$tmp/tsa"
$sign "$tmp/adhoc" --adhoc
check adhoc 0 "d['valid'] and d['kind'] == 'adhoc' and d['signer'] is None and S['cdhashes'] == [S['cdhash']]" -- $A "$tmp/adhoc"
mk nosig leaf --team ABCDE12345
python3 - "$tmp/nosig" <<'PY'
import struct, sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read())
# Clear the ad-hoc flag's opposite: empty the CMS wrapper (length 8) of a non-ad-hoc signature.
sig = 0x1000; n = struct.unpack_from('>I', d, sig + 8)[0]
for i in range(n):
    t, o = struct.unpack_from('>II', d, sig + 12 + 8 * i)
    if t == 0x10000:
        struct.pack_into('>I', d, sig + o + 4, 8)
open(p, 'wb').write(d)
PY
check cms-missing 1 "not d['valid'] and E == ['cms-missing']" -- $A "$tmp/nosig"
exit $fail
