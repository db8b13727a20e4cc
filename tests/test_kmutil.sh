#!/bin/sh
# test_kmutil.sh: `macext kmutil create|inspect` on the generated fixture kexts
# (boot-chain.md §5-§6, docs/kmutil.md). Builds an AuxKC (x86_64 slices) from
# $FIXTURES/kexts plus a copy of a fixture renamed to an exclude-listed bundle id, then:
#   - llvm-objdump-19 --macho --private-headers reads it: filetype FILESET, and one
#     `cmd ?(0x80000035)` per fileset entry whose cmdsizes equal align8(32 + strlen(id) + 1)
#     for our entry ids, in order (fixtures.md §4: LLVM 19 shows entries only by cmd value);
#   - `macext inspect --json` on the KC lists the same fileset entries;
#   - `kmutil inspect` (text and JSON) lists them with versions and UUIDs, the codeless kext,
#     and the receipt; the excluded kext is left out and named in the receipt;
#   - the default output path on a modeled Mac, -B (boot KC UUID), usage errors.
# Exit 0 passed, 1 failed, 77 llvm-objdump-19 or python3 missing.
set -eu

: "${MACEXT:?set MACEXT to the built macext}"
: "${FIXTURES:?set FIXTURES to the generated fixtures (tests/fixtures/generate.sh)}"

for tool in llvm-objdump-19 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "test_kmutil: $tool not installed (scripts/deps.sh installs llvm-19); skipping" >&2
		exit 77
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export MACEXT_NOW=2024-06-01T12:00:00Z LC_ALL=C TZ=UTC MACEXT_PASSWORD=secret
fail() {
	echo "test_kmutil: FAIL: $*" >&2
	exit 1
}

# A repository: every fixture kext plus VBoxDrv (exclude list: LT 5.2.14) at 5.2.0.
repo=$tmp/repo
mkdir -p "$repo"
cp -R "$FIXTURES/kexts/." "$repo/"
cp -R "$FIXTURES/kexts/Audio.kext" "$repo/VBoxDrv.kext"
sed -i -e 's|com.example.fixture.Audio|org.virtualbox.kext.VBoxDrv|g' \
	-e 's|<string>1.0.0</string>|<string>5.2.0</string>|' "$repo/VBoxDrv.kext/Contents/Info.plist"

kc=$tmp/out/aux.kc
"$MACEXT" --root "$tmp/nomac" kmutil create -n aux -a x86_64 -r "$repo" -A "$kc" --macos 11 \
	--json >"$tmp/create.json" || fail "kmutil create exited $?"
[ -s "$kc" ] || fail "no collection written"

# llvm-objdump-19 against our own list of entries.
llvm-objdump-19 --macho --private-headers "$kc" >"$tmp/objdump.txt" 2>"$tmp/objdump.err" ||
	fail "llvm-objdump-19 cannot read the collection: $(cat "$tmp/objdump.err")"
"$MACEXT" inspect --json "$kc" >"$tmp/inspect.json" || fail "macext inspect exited $?"
"$MACEXT" kmutil inspect "$kc" --json >"$tmp/kinspect.json" || fail "kmutil inspect --json"
"$MACEXT" kmutil inspect "$kc" >"$tmp/kinspect.txt" || fail "kmutil inspect"

python3 - "$tmp" <<'EOF' || exit 1
import json, re, sys
t = sys.argv[1]
def fail(msg):
    print("test_kmutil: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

create = json.load(open(t + "/create.json"))
ins = json.load(open(t + "/inspect.json"))
kin = json.load(open(t + "/kinspect.json"))
obj = open(t + "/objdump.txt").read()
txt = open(t + "/kinspect.txt").read()

if create["schema"] != "macext/kmutil-create/1" or kin["schema"] != "macext/kmutil-inspect/1":
    fail("schemas: %s %s" % (create["schema"], kin["schema"]))
with_code = [k for k in create["kexts"] if not k["codeless"]]
ids = [k["bundle_id"] for k in with_code]
if ids != sorted(ids) or len(ids) < 15:
    fail("entries not sorted or too few: %s" % ids)
for want in ("com.example.fixture.Flat", "com.example.fixture.Kauth",
             "com.example.fixture.WithPlugin.Child"):
    if want not in ids:
        fail("%s missing from the collection" % want)
codeless = [k["bundle_id"] for k in create["kexts"] if k["codeless"]]
if codeless != ["com.example.fixture.Codeless"]:
    fail("codeless: %s" % codeless)
left = [(k["bundle_id"], k["reason"], k["version"]) for k in create["left_out"]]
if left != [("org.virtualbox.kext.VBoxDrv", "exclude-list", "5.2.0")]:
    fail("left out: %s" % left)

# llvm-objdump-19: header and one LC_FILESET_ENTRY per entry, cmdsizes as Apple's builder.
m = re.search(r"MH_MAGIC_64\s+X86_64\s+ALL\s+0x00\s+FILESET\s+(\d+)\s+(\d+)", obj)
if not m:
    fail("llvm-objdump-19 header line not found:\n" + obj[:400])
sizes = [int(s) for s in re.findall(r"cmd \?\(0x80000035\)\n\s*cmdsize (\d+)", obj)]
want = [(32 + len(i) + 1 + 7) // 8 * 8 for i in ids]
if sizes != want:
    fail("LC_FILESET_ENTRY cmdsizes: llvm-objdump-19 %s, ours %s" % (sizes, want))
ncmds = int(m.group(1))
if ncmds != len(re.findall(r"^Load command \d+$", obj, re.M)):
    fail("ncmds %d disagrees with the load commands llvm printed" % ncmds)
uuid = re.search(r"cmd LC_UUID\n cmdsize 24\n\s+uuid (\S+)", obj).group(1)
if uuid != create["uuid"] or uuid != kin["uuid"] or kin["prelink_kc_uuid"] != uuid:
    fail("UUID: llvm %s, create %s, inspect %s" % (uuid, create["uuid"], kin["uuid"]))
for seg in ("__TEXT", "__PRELINK_TEXT", "__RECEIPT_INFO", "__PRELINK_INFO"):
    if "segname " + seg + "\n" not in obj:
        fail("segment %s not shown by llvm-objdump-19" % seg)

# macext inspect: the Mach-O reader's fileset entries.
s = ins["files"][0]["slices"][0]
if s["filetype"] != "fileset":
    fail("inspect filetype %s" % s["filetype"])
fs = [(e["id"], e["fileoff"], e["vmaddr"]) for e in s["fileset"]]
mine = [(k["bundle_id"], k["fileoff"], k["vmaddr"]) for k in with_code]
if fs != mine:
    fail("inspect fileset %s != create %s" % (fs, mine))
if any(off % 16384 for _, off, _ in fs):
    fail("an entry is not 16 KiB aligned")

# kmutil inspect: same entries, with versions and the entries' own UUIDs.
ke = [(e["bundle_id"], e["fileoff"], e["vmaddr"], e["version"]) for e in kin["entries"]]
if ke != [(i, o, v, "1.0.0") for i, o, v in mine]:
    fail("kmutil inspect entries %s" % ke)
if any(e["uuid"] is None for e in kin["entries"]):
    fail("an entry without its UUID")
if [c["bundle_id"] for c in kin["codeless"]] != codeless:
    fail("kmutil inspect codeless %s" % kin["codeless"])
if kin["receipt"] is None or kin["boot_kc_uuid"] is not None:
    fail("receipt %s, boot KC %s" % (kin["receipt"], kin["boot_kc_uuid"]))
if ("fileset entries (%d):" % len(ids)) not in txt or "com.example.fixture.Codeless" not in txt:
    fail("kmutil inspect text:\n" + txt)
for e in kin["entries"]:
    line = "0x%08x  0x%016x  %s  %-10s  %s" % (e["fileoff"], e["vmaddr"], e["uuid"],
                                               e["version"], e["bundle_id"])
    if line not in txt:
        fail("text line missing: " + line)
EOF

# The receipt names the excluded kext; it is not in the prelink info.
python3 - "$kc" "$tmp/kinspect.json" <<'EOF' || exit 1
import json, sys
data = open(sys.argv[1], "rb").read()
r = json.load(open(sys.argv[2]))["receipt"]
rec = data[r["offset"]:r["offset"] + r["size"]].decode()
if "<string>org.virtualbox.kext.VBoxDrv</string>" not in rec or "exclude-list" not in rec:
    sys.exit("test_kmutil: FAIL: receipt lacks the excluded kext:\n" + rec)
if data.count(b"org.virtualbox.kext.VBoxDrv") != 1:
    sys.exit("test_kmutil: FAIL: the excluded kext appears outside the receipt")
EOF

# At 5.2.14 the rule "LT 5.2.14" no longer matches: the kext goes in.
sed -i 's|<string>5.2.0</string>|<string>5.2.14</string>|' "$repo/VBoxDrv.kext/Contents/Info.plist"
"$MACEXT" --root "$tmp/nomac" kmutil create -r "$repo" -A "$tmp/aux2.kc" --macos 11 --json \
	>"$tmp/create2.json" || fail "second create exited $?"
grep -q '"org.virtualbox.kext.VBoxDrv"' "$tmp/create2.json" || fail "VBoxDrv 5.2.14 missing"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(len(d["left_out"]))' \
	"$tmp/create2.json" || fail "something left out at 5.2.14"

# -B: the boot KC's UUID becomes _BootKCID.
"$MACEXT" --root "$tmp/nomac" -q kmutil create -p "$repo/Audio.kext" -A "$tmp/aux3.kc" \
	-B "$kc" --macos 11 || fail "create -B exited $?"
boot=$("$MACEXT" kmutil inspect --json "$tmp/aux3.kc" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["boot_kc_uuid"])')
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uuid"])' "$tmp/create.json")
[ "$boot" = "$want" ] || fail "_BootKCID $boot, want $want"

# Default output on a modeled Mac: <root>/Library/KernelCollections/…, arch from the Mac.
root=$tmp/mac
"$MACEXT" --root "$root" machine init --arch x86_64 --macos 14 >/dev/null ||
	fail "machine init exited $?"
"$MACEXT" --root "$root" -q kmutil create -p "$repo/Socket.kext" || fail "create on the Mac"
auxkc=$root/Library/KernelCollections/AuxiliaryKernelExtensions.kc
[ -f "$auxkc" ] || fail "no $auxkc"
"$MACEXT" --root "$root" kmutil inspect >"$tmp/def.txt" || fail "inspect default path"
grep -q 'com.example.fixture.Socket' "$tmp/def.txt" || fail "default inspect: $(cat "$tmp/def.txt")"
grep -q 'minos 14.0' <<EOF2 || fail "LC_BUILD_VERSION not the Mac's release"
$(llvm-objdump-19 --macho --private-headers "$auxkc")
EOF2

# Errors: usage (64), a missing bundle (66), no slice for the arch (65), not a KC (65).
rc=0
"$MACEXT" --root "$tmp/nomac" kmutil create -n boot -A "$tmp/x.kc" 2>/dev/null || rc=$?
[ "$rc" -eq 64 ] || fail "-n boot exited $rc, want 64"
rc=0
"$MACEXT" --root "$tmp/nomac" kmutil create -p "$repo/Audio.kext" 2>/dev/null || rc=$?
[ "$rc" -eq 64 ] || fail "no -A without a modeled Mac exited $rc, want 64"
rc=0
"$MACEXT" --root "$tmp/nomac" kmutil create -p "$tmp/none.kext" -A "$tmp/x.kc" 2>/dev/null ||
	rc=$?
[ "$rc" -eq 66 ] || fail "missing bundle exited $rc, want 66"
rc=0
"$MACEXT" --root "$tmp/nomac" kmutil create -a arm64e -p "$repo/Audio.kext" -A "$tmp/x.kc" \
	2>"$tmp/err" || rc=$?
[ "$rc" -eq 65 ] || fail "no arm64e slice exited $rc, want 65"
grep -q 'no arm64e slice' "$tmp/err" || fail "message: $(cat "$tmp/err")"
[ ! -e "$tmp/x.kc" ] || fail "a failed create wrote output"
rc=0
"$MACEXT" kmutil inspect "$repo/Audio.kext/Contents/MacOS/Audio" 2>/dev/null || rc=$?
[ "$rc" -eq 65 ] || fail "inspect of a kext binary exited $rc, want 65"

echo "test_kmutil: passed ($(grep -c '0x80000035' "$tmp/objdump.txt") fileset entries)"
