#!/bin/sh
# test_audit_fixtures.sh: `macext audit --json --macos V` on the generated kexts
# (tests/fixtures/generate.sh) against kexts.md §7 (deprecated KPIs, data/deprecated_kpis.json)
# and §6.4/§6.7/§5 (Info.plist validation, dependencies, exclude list):
#   - each deprecated-family kext, at 10.15.7, 11 and 14, has exactly its category's finding
#     deprecated-kpi.<id> with the right severity (warning while deprecated, error once
#     unsupported, none before the policy applies) and the replacement in the message, and
#     no finding of any other deprecated-kpi category;
#   - the clean Control kext (fat x86_64 + arm64e), the codeless, nested-PlugIns and flat
#     kexts have no errors on any of the three releases, and no deprecated-kpi finding;
#   - the kext without _kmod_info gets executable.no-kmod-info (error);
#   - each bad/ bundle gets the rule id bad/EXPECTED.tsv names (at 11, --arch x86_64);
#   - the exit status is 1 exactly when there is an error finding.
# Exit 0 pass, 1 fail.
set -eu

: "${MACEXT:?set MACEXT to the built macext}"
: "${FIXTURES:?set FIXTURES to the generated fixtures (tests/fixtures/generate.sh)}"
if [ ! -f "$FIXTURES/bad/EXPECTED.tsv" ]; then
	echo "test_audit_fixtures: $FIXTURES/bad/EXPECTED.tsv missing (run generate.sh)" >&2
	exit 1
fi

PYTHONPATH="${MACEXT_SOURCE_DIR:-$(dirname "$0")/..}/tests/lib" # findings.py
export PYTHONPATH
exec python3 - "$MACEXT" "$FIXTURES" <<'PY'
import json
import os
import subprocess
import sys

from findings import findings

macext, fx = sys.argv[1:3]
kexts = os.path.join(fx, "kexts")
VERSIONS = ("10.15.7", "11", "14")
W, E = "warning", "error"

# kext -> (category id, {release: severity or None}, text the message must contain)
FAMILIES = {
    "Kauth": ("kauth", {"10.15.7": W, "11": E, "14": E}, "EndpointSecurity"),
    "Socket": ("socket", {"10.15.7": W, "11": W, "14": W}, "NetworkExtension"),
    "NetworkFilter": ("network-filter", {"10.15.7": W, "11": E, "14": E}, "NetworkExtension"),
    "HIDFamily": ("hid", {"10.15.7": W, "11": E, "14": E}, "HIDDriverKit"),
    "USBFamily": ("iousb", {"10.15.7": W, "11": E, "14": E}, "USBDriverKit"),
    "USBNetworking": ("usb-networking", {"10.15.7": W, "11": E, "14": E}, "NetworkingDriverKit"),
    "USBSerial": ("usb-serial", {"10.15.7": W, "11": E, "14": E}, "SerialDriverKit"),
    "USBVendorIPC": ("usb-vendor-ipc", {"10.15.7": W, "11": E, "14": E}, "USBDriverKit"),
    "PCINetworking": ("pci-networking", {"10.15.7": W, "11": E, "14": E}, "PCIDriverKit"),
    # the 12.3 migrations (kexts.md §7.4): nothing before 12.3, then a warning only, under
    # its own rule, since no Apple source says the load is refused (kexts.md §9 P13)
    "Audio": ("audio", {"10.15.7": None, "11": None, "14": W}, "AudioDriverKit",
              "kext.replacement-obligatory"),
    "Bluetooth": ("bluetooth", {"10.15.7": None, "11": None, "14": W}, "CoreBluetooth",
                  "kext.replacement-obligatory"),
    "SCSI": ("scsi-controller", {"10.15.7": None, "11": None, "14": W},
             "SCSIControllerDriverKit", "kext.replacement-obligatory"),
}
CLEAN = ("Control", "Codeless", "WithPlugin", "Flat")

passed = failed = 0


def audit(path, version, arch=None):
    argv = [macext, "audit", "--json", "--macos", version]
    if arch:
        argv += ["--arch", arch]
    argv.append(path)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    if r.returncode not in (0, 1):
        return None, "exit %d: %s" % (r.returncode, err.strip()[:400])
    try:
        doc = json.loads(out)
    except ValueError as e:
        return None, "invalid JSON (%s): %s" % (e, out[:400])
    fs = list(findings(doc))
    has_err = any(f["severity"] == E for f in fs)
    if (r.returncode == 1) != has_err:
        return None, "exit %d but %d error findings: %s" % (
            r.returncode, sum(f["severity"] == E for f in fs), show(fs))
    return fs, None


def show(fs):
    return "; ".join("%s %s: %s" % (f["severity"], f["rule"], f.get("message", ""))
                     for f in fs) or "(no findings)"


def result(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL %s\n     %s" % (what, detail))


for name, spec in sorted(FAMILIES.items()):
    cat, sevs, text = spec[:3]
    rule = spec[3] if len(spec) > 3 else "deprecated-kpi." + cat
    path = os.path.join(kexts, name + ".kext")
    for v in VERSIONS:
        sev = sevs[v]
        what = "%s at %s: %s %s" % (name, v, rule, sev or "absent")
        fs, err = audit(path, v)
        if err:
            result(False, what, err)
            continue
        dep = [f for f in fs if f["rule"].startswith("deprecated-kpi.")
               or f["rule"] == "kext.replacement-obligatory"]
        mine = [f for f in dep if f["rule"] == rule]
        others = sorted({f["rule"] for f in dep if f["rule"] != rule})
        if others:
            result(False, what, "other categories matched too: %s; all: %s" % (others, show(fs)))
        elif sev is None:
            result(not mine, what, "unexpected: " + show(mine))
        elif not mine:
            result(False, what, "missing; got: " + show(fs))
        elif any(f["severity"] != sev for f in mine):
            result(False, what, "severity: " + show(mine))
        elif not all(text in (f.get("message", "") + " " + str(f.get("replacement", "")))
                     for f in mine):
            result(False, what, "%r not in the message: %s" % (text, show(mine)))
        else:
            result(True, what)

for name in CLEAN:
    path = os.path.join(kexts, name + ".kext")
    for v in VERSIONS:
        what = "%s at %s: no errors but signature.*, no deprecated-kpi findings" % (name, v)
        fs, err = audit(path, v)
        if err:
            result(False, what, err)
            continue
        # the generated kexts are unsigned on purpose: signature.* is tested with signed
        # fixtures in test_codesign_sign.sh
        badf = [f for f in fs if (f["severity"] == E and not f["rule"].startswith("signature."))
                or f["rule"].startswith("deprecated-kpi.")]
        result(not badf, what, show(badf))

for v in VERSIONS:
    what = "NoKmodInfo at %s: executable.no-kmod-info error" % v
    fs, err = audit(os.path.join(kexts, "NoKmodInfo.kext"), v)
    if err:
        result(False, what, err)
    else:
        hit = [f for f in fs if f["rule"] == "executable.no-kmod-info" and f["severity"] == E]
        result(bool(hit), what, show(fs))

# the nested kext is audited too: its findings name its own path
fs, err = audit(os.path.join(kexts, "WithPlugin.kext"), "11")
what = "WithPlugin at 11: findings reach the PlugIns kext"
if err:
    result(False, what, err)
else:
    paths = {f.get("path") or "" for f in fs}
    result(any("WithPluginChild.kext" in p for p in paths), what,
           "no finding names WithPluginChild.kext: %s" % sorted(paths))

# a slice for the requested architecture is required (kexts.md §6.4 V16)
fs, err = audit(os.path.join(kexts, "Socket.kext"), "11", "arm64e")
what = "Socket (x86_64 only) at 11 --arch arm64e: an executable.* finding for the arch"
if err:
    result(False, what, err)
else:
    hit = [f for f in fs if f["rule"].startswith("executable.")]
    result(bool(hit), what, show(fs))

for line in open(os.path.join(fx, "bad", "EXPECTED.tsv")):
    if line.startswith("#") or not line.strip():
        continue
    bundle, rule = line.rstrip("\n").split("\t")[:2]
    what = "bad/%s at 11: %s" % (bundle, rule)
    fs, err = audit(os.path.join(fx, "bad", bundle), "11", "x86_64")
    if err:
        result(False, what, err)
    else:
        result(any(f["rule"] == rule for f in fs), what, "got: " + show(fs))

print("%d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 else 1)
PY
