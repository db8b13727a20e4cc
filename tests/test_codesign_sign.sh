#!/bin/sh
# `macext codesign sign` (codesign.md §2, fixtures.md §1.8) on the generated kexts: sign ->
# verify round trips for a thin and a fat (x86_64 + arm64e) kext with RSA and P-384
# identities, peer tools still reading the signed files, tampered twins failing each for its
# own reason, ad-hoc signing, re-signing, and the refusals (no header room, wrong password).
# Also the fat-file attacks of codesign.md §6 #1-#2 built with sign + llvm-lipo-14 -create,
# and hand-built CMS blobs (tests/fixtures/cs_sign.py --cms-dup-attr / --cms-two-signers, #13-#14).
set -u
: "${MACEXT:?}" "${MACEXT_SOURCE_DIR:?}" "${FIXTURES:?}"
for tool in python3 openssl llvm-objdump-14 llvm-lipo-14; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$tool missing; skipping"; exit 77; }
done
[ -d "$FIXTURES/kexts/Control.kext" ] || { echo "no generated fixtures; skipping"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pki=$tmp/pki
"$MACEXT_SOURCE_DIR/tests/fixtures/make_pki.sh" "$pki" || exit 1
start=$(openssl x509 -in "$pki/leaf.pem" -noout -startdate | cut -d= -f2)
now=$(date -u -d "$start + 1 day" +%Y-%m-%dT%H:%M:%SZ)
A="--trust-anchor $pki/root.pem"
fail=0

check() { # NAME RC EXPR -- VERIFY-ARGS   (EXPR sees d, S = slices, E = error codes)
	name=$1 rc_want=$2 expr=$3
	shift 4
	"$MACEXT" --now "$now" codesign verify --json "$@" >"$tmp/out.json" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$rc_want" ]; then
		echo "FAIL $name: exit $rc, expected $rc_want"; cat "$tmp/err"; head -c 2000 "$tmp/out.json"
		fail=1; return
	fi
	if ! python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); S = d["slices"]; E = [e["code"] for e in d["errors"]]
ok = eval(sys.argv[2])
if not ok: print(json.dumps(d, indent=1)[:3000])
sys.exit(0 if ok else 1)' "$tmp/out.json" "$expr"; then
		echo "FAIL $name: $expr"; fail=1; return
	fi
	echo "ok   $name"
}
sign() { # sign [options] PATH: must succeed
	if ! "$MACEXT" --now "$now" codesign sign "$@" >"$tmp/sign.out" 2>"$tmp/sign.err"; then
		echo "FAIL sign $*: $(cat "$tmp/sign.err")"; fail=1
	fi
}
kext() { # NAME COPY: a fresh copy of a generated kext
	rm -rf "${tmp:?}/$2.kext"
	cp -a "$FIXTURES/kexts/$1.kext" "$tmp/$2.kext"
}
expect() { # NAME WANT_RC PATTERN -- COMMAND...: exit code and a stderr pattern
	name=$1 rc_want=$2 pat=$3
	shift 4
	"$@" >"$tmp/x.out" 2>"$tmp/x.err"
	rc=$?
	if [ "$rc" != "$rc_want" ] || ! grep -q -- "$pat" "$tmp/x.err"; then
		echo "FAIL $name: exit $rc (want $rc_want), stderr: $(cat "$tmp/x.err")"; fail=1
	else
		echo "ok   $name"
	fi
}
DEVID="d['valid'] and d['kind'] == 'developer-id' and d['signer']['team_id'] == 'ABCDE12345' and all(s['kext_requirement'] and s['designated_requirement'] == 'satisfied' and s['code_directories'][0]['version'] == '0x20400' and s['code_directories'][0]['hash_type'] == 'sha256' and s['code_directories'][0]['page_size'] == 4096 and s['code_directories'][0]['special_slots'] == 3 for s in S)"

# --- round trips ------------------------------------------------------------------------
kext Socket thin
sign --identity "$pki/leaf.p12" "$tmp/thin.kext"
check thin-rsa 0 "$DEVID and [s['arch'] for s in S] == ['x86_64'] and S[0]['identifier'] == 'com.example.fixture.Socket' and d['resources']['checked'] == 1" -- $A "$tmp/thin.kext"
check thin-rsa-no-anchor 1 "not d['valid'] and E == ['chain-untrusted']" -- "$tmp/thin.kext"
check thin-rsa-executable 0 "$DEVID" -- $A "$tmp/thin.kext/Contents/MacOS/Socket"
kext Control fat
before=$(llvm-lipo-14 -archs "$FIXTURES/kexts/Control.kext/Contents/MacOS/Control")
sign --identity "$pki/leaf.p12" "$tmp/fat.kext"
check fat-rsa 0 "$DEVID and [s['arch'] for s in S] == ['x86_64', 'arm64e'] and len(d['cdhashes']) == 2" -- $A "$tmp/fat.kext"
after=$(llvm-lipo-14 -archs "$tmp/fat.kext/Contents/MacOS/Control")
if [ "$before" = "$after" ] && [ "$(echo $after)" = "x86_64 arm64e" ]; then echo "ok   lipo-archs"; else
	echo "FAIL lipo-archs: '$before' -> '$after'"; fail=1; fi
if llvm-lipo-14 -info "$tmp/fat.kext/Contents/MacOS/Control" | grep -q 'are: x86_64 arm64e'; then
	echo "ok   lipo-info"; else echo "FAIL lipo-info"; fail=1; fi
llvm-objdump-14 --macho --private-headers --arch=all "$tmp/fat.kext/Contents/MacOS/Control" >"$tmp/od" 2>&1
n=$(grep -c 'cmd LC_CODE_SIGNATURE' "$tmp/od")
if [ "$n" = 2 ] && grep -q 'ARM64 *E *0xc0 *KEXTBUNDLE' "$tmp/od" && ! grep -qi 'truncated\|error' "$tmp/od"; then
	echo "ok   objdump-fat"; else echo "FAIL objdump-fat ($n LC_CODE_SIGNATURE)"; fail=1; fi
python3 - "$FIXTURES/kexts/Control.kext/Contents/MacOS/Control" "$tmp/fat.kext/Contents/MacOS/Control" <<'PY' || fail=1
import struct, sys
def fat(p):
    d = open(p, 'rb').read(); n = struct.unpack_from('>I', d, 4)[0]
    return [struct.unpack_from('>iiIII', d, 8 + 20 * i) for i in range(n)]
a, b = fat(sys.argv[1]), fat(sys.argv[2])
ok = [(x[0], x[1], x[4]) for x in a] == [(x[0], x[1], x[4]) for x in b] and \
     all(x[2] % (1 << x[4]) == 0 for x in b)
print(('ok  ' if ok else 'FAIL') + ' fat-alignment %s -> %s' % (a, b))
sys.exit(0 if ok else 1)
PY
kext Kauth p384
sign --identity "$pki/leaf384.p12" "$tmp/p384.kext"
check fat-p384 0 "$DEVID and len(S) == 2" -- $A "$tmp/p384.kext"
kext Socket p384thin
sign --identity "$pki/leaf384.p12" "$tmp/p384thin.kext"
check thin-p384 0 "$DEVID" -- $A "$tmp/p384thin.kext"
llvm-objdump-14 --macho --private-headers "$tmp/p384thin.kext/Contents/MacOS/Socket" >"$tmp/od" 2>&1 &&
	grep -q 'cmd LC_CODE_SIGNATURE' "$tmp/od" && echo "ok   objdump-thin" || { echo "FAIL objdump-thin"; fail=1; }
kext Socket nokext
sign --identity "$pki/leaf_nokext.p12" "$tmp/nokext.kext"
check leaf-without-kext-marker 0 "d['valid'] and d['kind'] == 'developer-id' and not S[0]['kext_requirement']" -- $A "$tmp/nokext.kext"

# Re-signing replaces the signature in place (the existing LC_CODE_SIGNATURE is reused).
dataoff() { llvm-objdump-14 --macho --private-headers "$1" | grep -A2 'cmd LC_CODE_SIGNATURE' | grep dataoff; }
size1=$(dataoff "$tmp/thin.kext/Contents/MacOS/Socket")
sign --identity "$pki/leaf_team2.p12" "$tmp/thin.kext"
size2=$(dataoff "$tmp/thin.kext/Contents/MacOS/Socket")
check resign-team2 0 "d['valid'] and d['signer']['team_id'] == 'ZYXWV98765' and S[0]['cd_team_id'] == 'ZYXWV98765'" -- $A "$tmp/thin.kext"
[ -n "$size1" ] && [ "$size1" = "$size2" ] && echo "ok   resign-same-dataoff" || { echo "FAIL resign-same-dataoff '$size1' '$size2'"; fail=1; }
n=$(llvm-objdump-14 --macho --private-headers "$tmp/thin.kext/Contents/MacOS/Socket" | grep -c 'cmd LC_CODE_SIGNATURE')
[ "$n" = 1 ] && echo "ok   resign-one-lc" || { echo "FAIL resign-one-lc: $n"; fail=1; }

# Password-protected identity: --password-file, and a wrong password (exit 77).
kext Socket pw
sign --identity "$pki/leaf_pw.p12" --password-file "$pki/p12pass.txt" "$tmp/pw.kext"
check password-identity 0 "$DEVID" -- $A "$tmp/pw.kext"
echo wrong >"$tmp/wrong.txt"
expect wrong-password 77 'wrong password' -- "$MACEXT" codesign sign --identity "$pki/leaf_pw.p12" --password-file "$tmp/wrong.txt" "$tmp/pw.kext"
expect not-pkcs12 65 'not a PKCS#12 file' -- "$MACEXT" codesign sign --identity "$pki/leaf.pem" "$tmp/pw.kext"
expect no-identity 64 'identity or --adhoc' -- "$MACEXT" codesign sign "$tmp/pw.kext"

# Ad-hoc.
kext Control adhoc
sign --adhoc "$tmp/adhoc.kext"
check adhoc 0 "d['valid'] and d['kind'] == 'adhoc' and d['signer'] is None and all(s['flags'] == 2 and s['cd_team_id'] is None and not s['kext_requirement'] for s in S)" -- "$tmp/adhoc.kext"

# A lone Mach-O file: identifier = its file name, no special slots in use.
cp "$FIXTURES/kexts/Socket.kext/Contents/MacOS/Socket" "$tmp/lone"
sign --identity "$pki/leaf.p12" "$tmp/lone"
check lone-file 0 "d['valid'] and S[0]['identifier'] == 'lone' and S[0]['kext_requirement']" -- $A "$tmp/lone"

# No room after the load commands: refused, the file untouched.
python3 - "$FIXTURES/kexts/Socket.kext/Contents/MacOS/Socket" "$tmp/full" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
end = 32 + struct.unpack_from('<I', d, 20)[0]
d[end:end + 8] = b'\xff' * 8          # the padding after the load commands is taken
open(sys.argv[2], 'wb').write(d)
PY
cp "$tmp/full" "$tmp/full.orig"
expect no-header-room 73 'no room for LC_CODE_SIGNATURE' -- "$MACEXT" codesign sign --adhoc "$tmp/full"
cmp -s "$tmp/full" "$tmp/full.orig" && echo "ok   no-header-room-untouched" || { echo "FAIL untouched"; fail=1; }

# --- tampered twins, each failing for its own reason --------------------------------------
kext Control t1
sign --identity "$pki/leaf.p12" "$tmp/t1.kext"
off=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); print(struct.unpack_from(">I", d, 16)[0] + 0x800)' "$tmp/t1.kext/Contents/MacOS/Control")
python3 -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); d=bytearray(open(p,"rb").read()); d[o]^=1; open(p,"wb").write(d)' "$tmp/t1.kext/Contents/MacOS/Control" "$off"
check tamper-page 1 "not d['valid'] and E == ['page-hash-mismatch'] and d['errors'][0]['slice'] == 'x86_64' and S[1]['valid']" -- $A "$tmp/t1.kext"
kext Control t2
sign --identity "$pki/leaf.p12" "$tmp/t2.kext"
sed -i 's/<string>1.0.0<\/string>/<string>1.0.1<\/string>/' "$tmp/t2.kext/Contents/Info.plist"
check tamper-info-plist 1 "not d['valid'] and E == ['info-plist-mismatch', 'info-plist-mismatch']" -- $A "$tmp/t2.kext"
kext Control t3
sign --identity "$pki/leaf.p12" "$tmp/t3.kext"
echo changed >>"$tmp/t3.kext/Contents/Resources/en.lproj/InfoPlist.strings"
check tamper-resource 1 "not d['valid'] and E == ['resource-modified'] and all(s['valid'] for s in S)" -- $A "$tmp/t3.kext"
kext Control t4
sign --identity "$pki/leaf.p12" "$tmp/t4.kext"
echo 'echo hi' >"$tmp/t4.kext/Contents/Resources/extra.sh"
check resource-added 1 "not d['valid'] and E == ['resource-added']" -- $A "$tmp/t4.kext"
kext Control t5
sign --identity "$pki/leaf.p12" "$tmp/t5.kext"
rm "$tmp/t5.kext/Contents/_CodeSignature/CodeResources"
check resources-removed 1 "not d['valid'] and 'resources-mismatch' in E" -- $A "$tmp/t5.kext"

# --- fat files mixing signers (codesign.md §6 #1, #2) -------------------------------------
ctl=$FIXTURES/kexts/Control.kext/Contents/MacOS/Control
llvm-lipo-14 "$ctl" -thin x86_64 -output "$tmp/x86"
llvm-lipo-14 "$ctl" -thin arm64e -output "$tmp/arm"
cp "$tmp/x86" "$tmp/x86u"
sign --identity "$pki/leaf.p12" "$tmp/x86"
cp "$tmp/arm" "$tmp/arm2"
sign --identity "$pki/leaf_team2.p12" "$tmp/arm2"
sign --identity "$pki/leaf.p12" "$tmp/arm"
llvm-lipo-14 -create "$tmp/x86" "$tmp/arm2" -output "$tmp/twoteams"
check fat-two-teams 1 "not d['valid'] and E == ['slice-team-mismatch'] and all(s['valid'] for s in S) and 'ABCDE12345' in d['errors'][0]['message'] and 'ZYXWV98765' in d['errors'][0]['message']" -- $A "$tmp/twoteams"
llvm-lipo-14 -create "$tmp/x86u" "$tmp/arm" -output "$tmp/oneunsigned"
check fat-one-slice-unsigned 1 "not d['valid'] and E == ['unsigned'] and d['errors'][0]['slice'] == 'x86_64' and S[1]['valid'] and S[1]['kind'] == 'developer-id' and d['kind'] == 'unsigned'" -- $A "$tmp/oneunsigned"
llvm-lipo-14 -create "$tmp/x86" "$tmp/arm" -output "$tmp/oneteam"
check fat-lipo-same-team 0 "d['valid'] and d['kind'] == 'developer-id'" -- $A "$tmp/oneteam"
cp "$tmp/arm" "$tmp/armadhoc"
sign --adhoc "$tmp/armadhoc"
llvm-lipo-14 -create "$tmp/x86" "$tmp/armadhoc" -output "$tmp/mixed"
check fat-devid-plus-adhoc 1 "not d['valid'] and E == ['slice-team-mismatch'] and d['kind'] == 'adhoc' and not S[1]['kext_requirement']" -- $A "$tmp/mixed"

# --- hand-built CMS (codesign.md §6 #13, #14; tests/fixtures/cs_sign.py) ------------------
cs="python3 $MACEXT_SOURCE_DIR/tests/fixtures/cs_sign.py"
$cs "$tmp/dup" --signer "$pki/leaf.pem" --key "$pki/leaf.key" --chain "$pki/chain.pem" --team ABCDE12345 --cms-dup-attr
check cms-duplicate-attribute 1 "not d['valid'] and E == ['cms-duplicate-attribute']" -- $A "$tmp/dup"
$cs "$tmp/two" --signer "$pki/leaf.pem" --key "$pki/leaf.key" --chain "$pki/chain.pem" --team ABCDE12345 --cms-two-signers "$pki/leaf_team2.pem" "$pki/leaf_team2.key"
check cms-two-signers 1 "not d['valid'] and E == ['cms-multiple-signers']" -- $A "$tmp/two"
$cs "$tmp/one" --signer "$pki/leaf.pem" --key "$pki/leaf.key" --chain "$pki/chain.pem" --team ABCDE12345 --cms-resign
check cms-rebuilt-control 0 "d['valid'] and d['kind'] == 'developer-id'" -- $A "$tmp/one"

# --- audit: signature.* per release and SIP state (kexts.md §8.3-8.5) ----------------------
audit() { # NAME RC EXPR -- AUDIT-ARGS   (EXPR sees F = [(rule, severity, arch)])
	name=$1 rc_want=$2 expr=$3
	shift 4
	"$MACEXT" --now "$now" audit --json "$@" >"$tmp/a.json" 2>"$tmp/a.err"
	rc=$?
	if [ "$rc" != "$rc_want" ]; then
		echo "FAIL $name: exit $rc, expected $rc_want"; cat "$tmp/a.err"; fail=1; return
	fi
	if ! python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
F = sorted((f["rule"], f["severity"], f.get("arch")) for f in d["findings"] if f["rule"].startswith("signature."))
ok = eval(sys.argv[2])
if not ok: print(F, [f.get("message") for f in d["findings"]])
sys.exit(0 if ok else 1)' "$tmp/a.json" "$expr"; then
		echo "FAIL $name: $expr"; fail=1; return
	fi
	echo "ok   $name"
}
audit audit-devid-kext 0 "F == []" -- --macos 14 $A "$tmp/fat.kext"
audit audit-devid-untrusted 1 "F == [('signature.untrusted', 'error', None)]" -- --macos 14 "$tmp/fat.kext"
audit audit-untrusted-sip-off 0 "F == [('signature.untrusted', 'note', None)]" -- --macos 11 --sip-disabled "$tmp/fat.kext"
audit audit-no-kext-marker 1 "F == [('signature.no-kext-marker', 'error', None)]" -- --macos 10.15.7 $A "$tmp/nokext.kext"
audit audit-no-kext-marker-sip-off 0 "F == [('signature.no-kext-marker', 'note', None)]" -- --macos 10.15.7 --sip-disabled $A "$tmp/nokext.kext"
audit audit-tampered 1 "F == [('signature.invalid', 'error', None)] and 'page-hash-mismatch' in json.dumps(d)" -- --macos 14 $A "$tmp/t1.kext"
audit audit-resource-tampered 1 "F == [('signature.invalid', 'error', None)] and 'resource-modified' in json.dumps(d)" -- --macos 12 $A "$tmp/t3.kext"
audit audit-adhoc 1 "F == [('signature.adhoc', 'error', None)]" -- --macos 14 "$tmp/adhoc.kext"
audit audit-adhoc-mdm 0 "F == [('signature.adhoc', 'warning', None)]" -- --macos 14 --mdm-approved "$tmp/adhoc.kext"
audit audit-unsigned 1 "F == [('signature.unsigned', 'error', None)]" -- --macos 14 "$FIXTURES/kexts/Control.kext"
audit audit-unsigned-mdm 0 "F == [('signature.unsigned', 'warning', None)]" -- --macos 14 --mdm-approved "$FIXTURES/kexts/Control.kext"
audit audit-unsigned-sip-off 0 "F == [('signature.unsigned', 'note', None)]" -- --macos 14 --sip-disabled "$FIXTURES/kexts/Control.kext"
mkdir -p "$tmp/app/Contents/Library/Extensions"
cp -a "$tmp/adhoc.kext" "$tmp/app/Contents/Library/Extensions/A.kext"
cp -a "$tmp/fat.kext" "$tmp/app/Contents/Library/Extensions/B.kext"
audit audit-two-kexts 1 "F == [('signature.adhoc', 'error', None)]" -- --macos 13 $A "$tmp/app"
mkdir -p "$tmp/mixed.kext/Contents/MacOS"
cp "$tmp/fat.kext/Contents/Info.plist" "$tmp/mixed.kext/Contents/"
cp "$tmp/oneunsigned" "$tmp/mixed.kext/Contents/MacOS/Control"
audit audit-one-slice-unsigned 1 "F == [('signature.unsigned', 'error', 'x86_64')]" -- --macos 14 $A "$tmp/mixed.kext"
exit $fail
