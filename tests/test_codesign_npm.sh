#!/bin/sh
# Verifies every embedded-signed Mach-O file of the six pinned npm packages against the
# expected verdicts of reference/fixtures.md §3.4, then tampered twins of the real osxfuse
# kexts built by byte patching (codesign.md §6), each of which must fail for its own reason.
# Needs $MACEXT and $NPM_FIXTURES (tests/fixtures/fetch_npm.sh); exit 77 when they are absent.
set -u
: "${MACEXT:?}" "${MACEXT_SOURCE_DIR:?}"
npm=${NPM_FIXTURES:-}
if [ -z "$npm" ] || [ ! -d "$npm/fuse-shared-library-darwin-1.1.3" ]; then
	echo "test_codesign_npm: npm fixtures absent; skipping"
	exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 missing; skipping"; exit 77; }
patch="python3 $MACEXT_SOURCE_DIR/tests/fixtures/cs_patch.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
now=2026-11-01T00:00:00Z
fuse=$npm/fuse-shared-library-darwin-1.1.3/package/osxfuse
fs=$fuse/osxfuse.fs/Contents

# check PATH RC JSON-ASSERTIONS: runs verify --json and evaluates python assertions on `d`
# (the document) with helper `S(i)` (slice i) and `E` (all error codes).
check() {
	path=$1 rc_want=$2 expr=$3
	"$MACEXT" --now "$now" codesign verify --json "$path" >"$tmp/out.json" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$rc_want" ]; then
		echo "FAIL $path: exit $rc, expected $rc_want"; cat "$tmp/err"; fail=1; return
	fi
	if ! python3 - "$tmp/out.json" "$expr" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
S = lambda i: d['slices'][i]
E = [e['code'] for e in d['errors']]
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps({k: d[k] for k in ('valid', 'kind', 'cdhashes', 'errors', 'signer')},
                     indent=1)[:3000])
sys.exit(0 if ok else 1)
PY
	then
		echo "FAIL $path: $expr"; fail=1; return
	fi
	echo "ok   $(basename "$path"): $expr"
}

devid='d["valid"] and d["kind"] == "developer-id"'
osx="$devid and d['signer']['team_id'] == '3T5GSNBU6W' and d['signer']['developer_name'] == 'Benjamin Fleischer'"
k11=$fs/Extensions/10.11/osxfuse.kext/Contents/MacOS/osxfuse
k9=$fs/Extensions/10.9/osxfuse.kext/Contents/MacOS/osxfuse

check "$k11" 0 "$osx and S(0)['cdhashes'] == ['e39341ed83380beb0c69183767589943ea45cea2', 'b6100466695d0d1714196153b364fc6ba2bc2da4'] and S(0)['kext_requirement'] and S(0)['time_source'] == 'timestamp' and S(0)['timestamp'] == '2019-12-05T12:31:45Z' and [c['common_name'] for c in d['signer']['chain']] == ['Developer ID Application: Benjamin Fleischer (3T5GSNBU6W)', 'Developer ID Certification Authority', 'Apple Root CA']"
check "$k9" 0 "$osx and S(0)['cdhashes'] == ['986780f38ed33d49ff1ccf376b71319cbec2ce6a', '290adcc891dd5f61caa21214c33bffcff858c21a'] and S(0)['kext_requirement'] and S(0)['requirements'].startswith('designated => anchor apple generic and identifier \"com.github.osxfuse.filesystems.osxfuse\" and (certificate leaf[field.1.2.840.113635.100.6.1.9] /* exists */ or ')"
# The same kext reached through its version symlink and as a bundle directory.
check "$fs/Extensions/10.12/osxfuse.kext" 0 "$osx and S(0)['cdhashes'][0] == 'e39341ed83380beb0c69183767589943ea45cea2'"
check "$fuse/libosxfuse.dylib" 1 "not d['valid'] and len(d['slices']) == 4 and all(s['errors'][0]['code'] == 'page-hash-mismatch' and 'first page 0' in s['errors'][0]['message'] and s['kind'] == 'developer-id' for s in d['slices']) and E.count('page-hash-mismatch') == 8"
for f in Resources/load_osxfuse Resources/mount_osxfuse Resources/uninstall_osxfuse.app/Contents/MacOS/applet; do
	check "$fs/$f" 0 "$osx and len(d['slices']) == 3 and all(s['valid'] and s['kext_requirement'] and s['flags'] == 0x10000 for s in d['slices'])"
done
check "$npm/sentry-cli-darwin-3.8.0/package/bin/sentry-cli" 0 "$devid and d['signer']['team_id'] == '97JCY7859U' and d['signer']['developer_name'] == 'GetSentry LLC' and d['cdhashes'] == ['fcd45ae42c5190bdde8c0709168c2286074aadeb', '0b061c70be64938c3cefa26bb236f2ef5d6c9425'] and not S(0)['kext_requirement'] and not S(1)['kext_requirement'] and S(0)['identifier'] == 'sentry-cli-Darwin-universal' and S(1)['identifier'] == 'sentry_cli-ed605fe0983d3ac0' and S(0)['code_directories'][0]['runtime'] == 0x1a0500 and S(0)['entitlements'] is not None"
check "$npm/expo-ngrok-bin-darwin-arm64-2.3.41/package/ngrok" 0 "$devid and d['signer']['team_id'] == 'TEX8MHRDQ9' and d['signer']['developer_name'] == 'ngrok LLC' and S(0)['cdhashes'] == ['08ca5529b9ef02c0c91199261d6b83ad2cef5fed', 'c06d0b06676e52f6797f978db32ed2867b033c87'] and not S(0)['kext_requirement'] and S(0)['validated_at'] == '2023-02-10T17:03:37Z'"
check "$npm/fsevents-2.3.3/package/fsevents.node" 1 "not d['valid'] and d['kind'] == 'unsigned' and E == ['unsigned'] and S(1)['valid'] and S(1)['kind'] == 'linker-signed' and S(1)['cdhashes'] == ['8c4bc119d234ef99eb186d1f92dc1882732fda60']"
check "$npm/mariozechner-clipboard-darwin-universal-0.3.9/package/clipboard.darwin-universal.node" 1 "not d['valid'] and d['kind'] == 'unsigned' and S(0)['kind'] == 'unsigned' and S(1)['valid'] and S(1)['cdhashes'] == ['934f1706f5f6b1e447e3beff9772c0591c69f20c']"
check "$npm/img-sharp-darwin-arm64-0.35.5/package/lib/sharp-darwin-arm64-0.35.5.node" 0 "d['valid'] and d['kind'] == 'linker-signed' and d['cdhashes'] == ['8ac091897f690a672d0e835f530bc65dc99e0fbc'] and d['signer'] is None"

# Detached signatures (codesign.md §2.9): the 10.6 / 10.5 kexts (MH_OBJECT slices, a SHA-1
# CD plus the SHA-256 CD in CodeRequirements-1, pageSize 0 over the whole fat file) and the
# codeless osxfuse.fs bundle (signed over its Info.plist), with the resource seal and the
# nested code (four kexts and the uninstall applet) verified recursively.
det="d['location'] == 'detached' and len(d['slices']) == 1 and S(0)['arch'] == 'detached' and S(0)['code_directories'][0]['page_size'] == 0 and S(0)['code_directories'][0]['code_slots'] == 1 and [c['hash_type'] for c in S(0)['code_directories']] == ['sha1', 'sha256']"
check "$fs/Extensions/10.6/osxfuse.kext" 0 "$osx and $det and S(0)['cdhashes'] == ['770e925d7712e97db72dd680502123dd086e758c', '849a883f6890910c6b53b396d8b0b2e399f312ea'] and S(0)['code_directories'][0]['code_limit'] == 261496 and S(0)['kext_requirement'] and S(0)['designated_requirement'] == 'satisfied' and S(0)['time_source'] == 'timestamp' and d['resources'] == {'checked': 0}"
check "$fs/Extensions/10.5/osxfuse.kext" 0 "$osx and $det and S(0)['cdhashes'] == ['049d491c8c446eae6c192c94481263fcdeb95caf', '86b2c3dcc245063007c06aada530188614f98352'] and S(0)['code_directories'][0]['code_limit'] == 442408 and S(0)['kext_requirement']"
check "$fs/Extensions/10.7/osxfuse.kext/Contents/MacOS/osxfuse" 0 "$osx and $det and S(0)['cdhashes'][0] == '770e925d7712e97db72dd680502123dd086e758c'"
check "$fuse/osxfuse.fs" 0 "$osx and $det and d['main_executable'] is None and S(0)['cdhashes'] == ['6cfba48b9805876719878839b4cab8839cf52913', '08eaeb087d1f0c6a0334a3d170c8c93c70b19a57'] and S(0)['code_directories'][0]['code_limit'] == 3184 and S(0)['identifier'] == 'com.github.osxfuse.filesystems.osxfuse' and d['resources']['checked'] == 46 and sorted(n['path'] for n in d['nested']) == ['Extensions/10.11/osxfuse.kext', 'Extensions/10.5/osxfuse.kext', 'Extensions/10.6/osxfuse.kext', 'Extensions/10.9/osxfuse.kext', 'Resources/uninstall_osxfuse.app'] and all(n['valid'] and n['kind'] == 'developer-id' and n['team_id'] == '3T5GSNBU6W' for n in d['nested'])"
check "$fs/Resources/uninstall_osxfuse.app" 0 "$osx and d['location'] == 'embedded' and len(d['slices']) == 3 and d['resources']['checked'] == 10 and S(0)['identifier'] == 'uninstall_osxfuse'"

# Twins of the osxfuse.fs bundle: each resource tamper fails with its own reason.
fstwin() { rm -rf "$tmp/fs"; cp -a "$fuse/osxfuse.fs" "$tmp/fs"; c=$tmp/fs/Contents; }
fstwin; check "$tmp/fs" 0 "$osx"
fstwin; echo 'echo pwned' >"$c/Resources/extra.sh"; check "$tmp/fs" 1 "not d['valid'] and E == ['resource-added'] and 'Resources/extra.sh' in d['errors'][0]['message']"
fstwin; printf 'x' >>"$c/Resources/Volume.icns"; check "$tmp/fs" 1 "not d['valid'] and E == ['resource-modified'] and d['errors'][0]['message'].startswith('Resources/Volume.icns: SHA-256')"
fstwin; rm "$c/Resources/License.rtf"; check "$tmp/fs" 1 "not d['valid'] and E == ['resource-missing'] and 'Resources/License.rtf' in d['errors'][0]['message']"
fstwin; ln -sfn 10.9 "$c/Extensions/10.12"; check "$tmp/fs" 1 "not d['valid'] and E == ['resource-symlink'] and 'Extensions/10.12' in d['errors'][0]['message']"
fstwin; rm -f "$c/Extensions/10.13"; ln -s ../../../../etc "$c/Extensions/10.13"; check "$tmp/fs" 1 "not d['valid'] and E == ['resource-symlink']"
fstwin; printf 'x' >>"$c/Info.plist"; check "$tmp/fs" 1 "not d['valid'] and set(E) == {'code-limit-mismatch', 'info-plist-mismatch'}"
fstwin; $patch flip "$c/Extensions/10.6/osxfuse.kext/Contents/MacOS/osxfuse" 0x3000; check "$tmp/fs" 1 "not d['valid'] and sorted(E) == ['nested-code-invalid', 'resource-modified'] and [n['valid'] for n in d['nested'] if n['path'] == 'Extensions/10.6/osxfuse.kext'] == [False]"
fstwin; $patch flip "$c/Extensions/10.6/osxfuse.kext/Contents/MacOS/osxfuse" 0x3000; check "$c/Extensions/10.6/osxfuse.kext" 1 "not d['valid'] and E == ['page-hash-mismatch', 'page-hash-mismatch'] and d['location'] == 'detached'"
fstwin; rm "$c/Extensions/10.6/osxfuse.kext/Contents/_CodeSignature/CodeRequirements-1"; check "$c/Extensions/10.6/osxfuse.kext" 1 "not d['valid'] and E == ['cdhashes-mismatch', 'cdhashes2-mismatch']"
fstwin; cp "$c/Extensions/10.5/osxfuse.kext/Contents/_CodeSignature/CodeSignature" "$c/Extensions/10.6/osxfuse.kext/Contents/_CodeSignature/"; check "$c/Extensions/10.6/osxfuse.kext" 1 "not d['valid'] and E == ['message-digest-mismatch']"
fstwin; rm "$c/Extensions/10.6/osxfuse.kext/Contents/_CodeSignature/CodeSignature"; check "$c/Extensions/10.6/osxfuse.kext" 1 "not d['valid'] and E == ['cms-missing']"
fstwin; echo 'x' >>"$c/Resources/uninstall_osxfuse.app/Contents/Resources/Scripts/lib/math.sh"; check "$tmp/fs" 1 "not d['valid'] and sorted(E) == ['nested-code-invalid', 'resource-modified'] and 'Resources/uninstall_osxfuse.app: nested code is not valid (resource-modified' in [e['message'] for e in d['errors'] if e['code'] == 'nested-code-invalid'][0]"

# Tampered twins of the real 10.11 kext (copied into a bundle-shaped tree so that special
# slots 1 and 3 are checked too).
twin() {
	rm -rf "$tmp/t.kext"
	mkdir -p "$tmp/t.kext/Contents/MacOS" "$tmp/t.kext/Contents/_CodeSignature"
	kd=$fs/Extensions/10.11/osxfuse.kext/Contents
	cp "$kd/Info.plist" "$tmp/t.kext/Contents/"
	cp "$kd/_CodeSignature/CodeResources" "$tmp/t.kext/Contents/_CodeSignature/"
	cp "$kd/MacOS/osxfuse" "$tmp/t.kext/Contents/MacOS/osxfuse"
	t=$tmp/t.kext/Contents/MacOS/osxfuse
}
# every error (one per code directory) has code $1
one_error() { echo "not d['valid'] and len(E) > 0 and set(E) == {'$1'}"; }

twin; check "$t" 0 "$osx"
twin; $patch flip "$t" 0x2345; check "$t" 1 "not d['valid'] and E == ['page-hash-mismatch', 'page-hash-mismatch'] and 'first page 2' in d['errors'][0]['message']"
twin; $patch flip "$t" 12; check "$t" 1 "not d['valid'] and E == ['page-hash-mismatch', 'page-hash-mismatch'] and 'first page 0' in d['errors'][0]['message']"
twin; printf 'x' >>"$tmp/t.kext/Contents/Info.plist"; check "$t" 1 "$(one_error info-plist-mismatch)"
twin; rm "$tmp/t.kext/Contents/_CodeSignature/CodeResources"; check "$t" 1 "$(one_error resources-mismatch)"
twin; $patch retype "$t" 0x1000 0x7f; check "$t" 1 "not d['valid'] and E == ['cdhashes-mismatch', 'cdhashes2-mismatch'] and len(S(0)['code_directories']) == 1"
twin; $patch retype "$t" 0x1000 0x1001; check "$t" 1 "$(one_error malformed-signature) and 'after a gap' in d['errors'][0]['message']"
twin; $patch retype "$t" 0x1000 0x0; check "$t" 1 "$(one_error malformed-signature) and 'listed twice' in d['errors'][0]['message']"
twin; $patch swapcms "$k9" "$t"; check "$t" 1 "$(one_error message-digest-mismatch)"
twin; $patch sigtime "$t"; check "$t" 1 "$(one_error signature-invalid)"
twin; $patch shrinkcms "$t" 2; check "$t" 1 "$(one_error cms-malformed) and 'end-of-contents' in d['errors'][0]['message']"
twin; $patch sblen "$t" 40; check "$t" 1 "$(one_error malformed-signature)"
twin; $patch sblen "$t" 0x7fffffff; check "$t" 1 "$(one_error malformed-signature) and 'past the end' in d['errors'][0]['message']"
twin; $patch append "$t" 4096; check "$t" 1 "$(one_error unsigned-tail)"
# Ad-hoc flag on a Developer ID signature: Apple ignores the CMS, so no identity (§6 #21).
twin; $patch cdflags "$t" 0x2; check "$t" 0 "d['valid'] and d['kind'] == 'adhoc' and not S(0)['kext_requirement'] and d['signer'] is None"

# Text mode: one reason per failure on stderr, exit 1.
twin; $patch flip "$t" 0x2345
"$MACEXT" --now "$now" codesign verify "$t" >"$tmp/out" 2>"$tmp/err"
rc=$?
n=$(grep -c 'page-hash-mismatch' "$tmp/err")
if [ "$rc" != 1 ] || [ "$n" != 2 ] || ! grep -q ': invalid (developer-id)$' "$tmp/out"; then
	echo "FAIL text verify: rc=$rc lines=$n"; fail=1
else
	echo "ok   text verify reports 2 reasons"
fi
exit $fail
