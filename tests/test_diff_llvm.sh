#!/bin/sh
# test_diff_llvm.sh: differential test of the Mach-O reader against LLVM 14 (STYLE.md §8.6,
# fixtures.md §4). For every Mach-O file under $FIXTURES/kexts, $FIXTURES/chained and
# $NPM_FIXTURES (when fetched), and for every slice:
#   - imports[] of `macext inspect --json FILE` == `llvm-nm-14 --arch=all -u FILE`;
#   - arch (and cputype/cpusubtype with the capability byte, when the JSON has them),
#     filetype and uuid agree with `llvm-objdump-14 --macho --private-headers --arch=all`.
# Slices are matched by position (fat order), so naming differences cannot hide a swap.
#
# $FIXTURES/chained is the one place where LLVM disagrees by design: llvm-nm-14 lists only
# the symbol table, and LLVM 14 does not read the LC_DYLD_CHAINED_FIXUPS import table
# (codesign.md §1.8), so for those files the expected imports are llvm-nm's plus the names
# craft.py wrote into the import table (chained/EXPECTED.tsv).
# hostile/ and bad/ are not compared (they are meant to be rejected).
#
# A difference prints both sides. Last line: "N passed, M failed" (slices).
# Exit 0 all passed, 1 any failed, 77 a peer tool is missing.
set -eu

: "${MACEXT:?set MACEXT to the built macext}"
: "${FIXTURES:?set FIXTURES to the generated fixtures (tests/fixtures/generate.sh)}"
NPM_FIXTURES=${NPM_FIXTURES:-}

for tool in llvm-nm-14 llvm-objdump-14 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "test_diff_llvm: $tool not installed; skipping" >&2
		exit 77
	fi
done
if [ ! -x "$MACEXT" ]; then
	echo "test_diff_llvm: $MACEXT is not an executable" >&2
	exit 1
fi
if [ ! -d "$FIXTURES/kexts" ]; then
	echo "test_diff_llvm: $FIXTURES/kexts missing (run tests/fixtures/generate.sh)" >&2
	exit 1
fi
if [ -z "$NPM_FIXTURES" ] || [ ! -d "$NPM_FIXTURES/cache" ]; then
	echo "test_diff_llvm: no npm fixtures ($NPM_FIXTURES); comparing generated files only"
	NPM_FIXTURES=""
fi

exec python3 - "$MACEXT" "$FIXTURES" "$NPM_FIXTURES" <<'PY'
import json
import os
import re
import subprocess
import sys

macext, fixtures, npm = sys.argv[1:4]
MAGICS = {b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
          b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"}
# llvm-objdump's filetype column -> macext_filetype_name() (include/macext/macho.h)
FILETYPES = {"OBJECT": ("object", 1), "EXECUTE": ("execute", 2), "DYLIB": ("dylib", 6),
             "BUNDLE": ("bundle", 8), "KEXTBUNDLE": ("kext-bundle", 0xB),
             "PRELOAD": ("preload", 5), "DYLINKER": ("dylinker", 7), "DSYM": ("dsym", 0xA)}
# (llvm-objdump cputype, cpusubtype) -> architecture name
ARCHS = {("X86_64", "ALL"): "x86_64", ("X86_64", "H"): "x86_64h", ("I386", "ALL"): "i386",
         ("ARM64", "ALL"): "arm64", ("ARM64", "E"): "arm64e", ("ARM64", "V8"): "arm64",
         ("PPC", "ALL"): "ppc", ("PPC64", "ALL"): "ppc64",
         # LLVM 14 has no name for POWERPC_7400/970 (llvm-lipo-14 prints "unknown(18,10)"
         # and llvm-nm-14 an empty name); macext names such slices by their family.
         ("PPC", "10"): "ppc", ("PPC", "100"): "ppc"}
# llvm-objdump's cputype column -> value; its cpusubtype column: a name or a number
CPUTYPES = {"X86_64": 0x01000007, "I386": 7, "ARM64": 0x0100000C, "ARM": 12, "PPC": 18,
            "PPC64": 0x01000012, "ARM64_32": 0x0200000C}
SUBTYPES = {("X86_64", "ALL"): 3, ("X86_64", "H"): 8, ("I386", "ALL"): 3, ("ARM64", "ALL"): 0,
            ("ARM64", "V8"): 1, ("ARM64", "E"): 2, ("PPC", "ALL"): 0, ("PPC64", "ALL"): 0}


def is_macho(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) in MAGICS
    except OSError:
        return False


def walk(root, skip=()):
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in skip)
        for f in sorted(files):
            p = os.path.join(d, f)
            if not os.path.islink(p) and is_macho(p):
                out.append(p)
    return out


def run(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def nm_slices(path):
    """[sorted undefined names] per slice, in file order."""
    rc, out, err = run(["llvm-nm-14", "--arch=all", "-u", path])
    if rc != 0:
        raise RuntimeError("llvm-nm-14 failed: " + err.strip())
    slices = []
    cur = None
    for line in out.splitlines():
        if not line.strip():
            continue
        if line.endswith("):") and " (for architecture " in line:
            cur = []
            slices.append(cur)
            continue
        if cur is None:
            cur = []
            slices.append(cur)
        cur.append(line.strip())
    if not slices:
        slices = [[]]
    return [sorted(set(s)) for s in slices]


def objdump_slices(path):
    """[{arch, filetype, uuid}] per slice, in file order."""
    rc, out, err = run(["llvm-objdump-14", "--macho", "--private-headers", "--arch=all", path])
    if rc != 0:
        raise RuntimeError("llvm-objdump-14 failed: " + err.strip())
    blocks = out.split("Mach header\n")[1:]
    res = []
    for b in blocks:
        lines = b.splitlines()
        cols = lines[1].split()
        # magic cputype cpusubtype caps filetype ncmds sizeofcmds flags...
        cputype, subtype, caps, filetype = cols[1], cols[2], cols[3], cols[4]
        capbits = 0x80 if caps == "LIB64" else int(caps, 16)  # CPU_SUBTYPE_LIB64
        sub = SUBTYPES.get((cputype, subtype))
        if sub is None and subtype.isdigit():
            sub = int(subtype)
        m = re.search(r"^\s*uuid ([0-9A-Fa-f-]{36})\s*$", b, re.M)
        res.append({"arch": ARCHS.get((cputype, subtype), "%s/%s" % (cputype, subtype)),
                    "cputype": CPUTYPES.get(cputype),
                    "cpusubtype": None if sub is None else sub | (capbits << 24),
                    "filetype": filetype, "uuid": m.group(1).replace("-", "").lower()
                    if m else None})
    return res


def find_file_object(doc):
    if isinstance(doc, dict):
        if "slices" in doc:
            return doc
        for k in ("files", "results", "items"):
            if isinstance(doc.get(k), list) and doc[k]:
                return find_file_object(doc[k][0])
    if isinstance(doc, list) and doc:
        return find_file_object(doc[0])
    return None


def import_names(sl):
    out = []
    for i in sl.get("imports") or []:
        out.append(i["name"] if isinstance(i, dict) else i)
    return out


def norm_uuid(u):
    return u.replace("-", "").lower() if isinstance(u, str) else None


def filetype_ok(mine, llvm):
    name, num = FILETYPES.get(llvm, (llvm.lower(), None))
    if isinstance(mine, int):
        return mine == num
    if isinstance(mine, dict):
        return mine.get("name") == name or mine.get("value") == num
    return mine == name


chained_extra = {}
exp = os.path.join(fixtures, "chained", "EXPECTED.tsv")
if os.path.exists(exp):
    for line in open(exp):
        if line.startswith("#") or not line.strip():
            continue
        f, names = line.rstrip("\n").split("\t")
        chained_extra[os.path.join(fixtures, "chained", f)] = names.split(",")

files = walk(os.path.join(fixtures, "kexts")) + walk(os.path.join(fixtures, "chained"))
if npm:
    files += walk(npm, skip=("cache", ".npm-cache", ".download"))

passed = failed = 0
for path in files:
    rel = os.path.relpath(path, os.path.dirname(fixtures) if path.startswith(fixtures) else npm)
    try:
        want_imports = nm_slices(path)
        want_hdr = objdump_slices(path)
    except RuntimeError as e:
        print("FAIL %s: peer tool: %s" % (rel, e))
        failed += 1
        continue
    n = max(len(want_imports), len(want_hdr))
    rc, out, err = run([macext, "inspect", "--json", path])
    if rc != 0:
        print("FAIL %s: macext inspect --json exit %d: %s" % (rel, rc, err.strip()))
        failed += n
        continue
    try:
        obj = find_file_object(json.loads(out))
    except ValueError as e:
        print("FAIL %s: macext printed invalid JSON (%s): %s" % (rel, e, out[:400]))
        failed += n
        continue
    if obj is None:
        print("FAIL %s: no slices[] in macext's JSON: %s" % (rel, out[:400]))
        failed += n
        continue
    got = obj["slices"]
    if len(got) != len(want_hdr) or len(want_hdr) != len(want_imports):
        print("FAIL %s: slice count: macext %d, llvm-objdump %d, llvm-nm %d"
              % (rel, len(got), len(want_hdr), len(want_imports)))
        failed += n
        continue
    for i, (sl, hdr, imps) in enumerate(zip(got, want_hdr, want_imports)):
        extra = chained_extra.get(path, [])
        want = sorted(set(imps) | set(extra))
        mine = import_names(sl)
        problems = []
        if sorted(mine) != mine or len(set(mine)) != len(mine):
            problems.append("imports are not unique and sorted")
        if sorted(set(mine)) != want:
            only_m = sorted(set(mine) - set(want))
            only_l = sorted(set(want) - set(mine))
            problems.append("imports differ:\n    macext (%d): %s\n    llvm-nm (%d)%s: %s\n"
                            "    only macext: %s\n    only llvm-nm: %s"
                            % (len(mine), " ".join(sorted(set(mine))), len(want),
                               " + chained table" if extra else "", " ".join(want),
                               only_m, only_l))
        if sl.get("arch") != hdr["arch"]:
            problems.append("arch: macext %r, llvm-objdump %r" % (sl.get("arch"), hdr["arch"]))
        for k in ("cputype", "cpusubtype"):
            if k in sl and (sl[k] & 0xFFFFFFFF) != hdr[k]:
                problems.append("%s: macext %r, llvm-objdump %r" % (k, sl[k], hdr[k]))
        if not filetype_ok(sl.get("filetype"), hdr["filetype"]):
            problems.append("filetype: macext %r, llvm-objdump %r"
                            % (sl.get("filetype"), hdr["filetype"]))
        if norm_uuid(sl.get("uuid")) != hdr["uuid"]:
            problems.append("uuid: macext %r, llvm-objdump %r" % (sl.get("uuid"), hdr["uuid"]))
        if problems:
            failed += 1
            print("FAIL %s slice %d (%s):\n  %s" % (rel, i, hdr["arch"], "\n  ".join(problems)))
        else:
            passed += 1
            print("ok   %s slice %d (%s): %d imports" % (rel, i, hdr["arch"], len(want)))

print("%d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 and passed > 0 else 1)
PY
