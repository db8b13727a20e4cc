#!/bin/sh
# Forensic mode (ARCHITECTURE §1-2; issue 5: "reads a real KextPolicy file read-only (--root
# on a mounted image)", "a real KextPolicy dump's rows show correctly"; docs/approvals.md).
#
# Builds a root like a mounted image: no .macext/, a KextPolicy made by the sqlite3 CLI with
# Apple's exact schema text (lib/store/schema.sql = kexts.md §3.2) and the real sample rows
# of kexts.md §3.4 (plus two blocked rows to show the pane's pending/blocked split). Makes
# the root read-only (chmod -R a-w; the tests may run as root, so the real guard is the
# check below), then:
#   - `approvals list --json` and `approvals history --json` give exactly the rows stored;
#   - the text forms show them too;
#   - commands that would change state, or need .macext/, exit 69 naming the root;
#   - nothing under the root changed (sha256 of every file + a listing with modes and
#     sizes), and no -wal, -shm or -journal file appeared;
#   - the same on a Data-volume layout (private/var/db/...) and with the macOS 11+ history
#     shape (the cdhash column added by ALTER TABLE);
#   - a non-empty -wal file is refused with a clear error, and is left as it was.
set -u
: "${MACEXT:?}" "${MACEXT_SOURCE_DIR:?}"
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 CLI missing; skipping"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 missing; skipping"; exit 77; }
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export LC_ALL=C TZ=UTC
unset MACEXT_ROOT MACEXT_PASSWORD 2>/dev/null || true
# 10 minutes after the recent blocked row was last seen: it is pending until 11:50:00Z
NOW=2026-11-01T11:30:00Z
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# make_image ROOT REL [cdhash]: a KextPolicy at ROOT/REL
make_image() {
	mkdir -p "$1/$(dirname "$2")" "$1/Library/Extensions" "$1/System/Library/Extensions"
	{
		grep '^CREATE TABLE' "$MACEXT_SOURCE_DIR/lib/store/schema.sql"
		[ "${3:-}" = cdhash ] && echo 'ALTER TABLE kext_load_history_v3 ADD COLUMN cdhash TEXT;'
		cat <<'SQL'
INSERT INTO kext_policy VALUES ('54GTJ2AU36', 'com.joshuawise.kexts.HoRNDIS', 1, 'Joshua Wise', 1);
INSERT INTO kext_policy VALUES ('EG7KH642X6', 'com.vmware.kext.vmnet', 1, 'VMware, Inc.', 8);
INSERT INTO kext_policy VALUES ('', 'com.vgpu.probe', 1, 'Unidentified - vgpuProbe', 0);
INSERT INTO kext_policy VALUES ('EG7KH642X6', 'com.vmware.kext.VMwareGfx', 0, 'VMware, Inc.', 0);
INSERT INTO kext_policy VALUES ('ABCDE12345', 'com.example.old', 0, 'Example Corp', 0);
INSERT INTO kext_load_history_v3 (path, team_id, bundle_id, boot_uuid, created_at, last_seen, flags) VALUES ('/Library/Extensions/VMwareGfx.kext', 'EG7KH642X6', 'com.vmware.kext.VMwareGfx', 'F5E8FB21-7A3C-4D2B-9E10-2B7C3A1D0E55', '2020-04-13 16:29:03', '2026-11-01 11:20:00', 55);
INSERT INTO kext_load_history_v3 (path, team_id, bundle_id, boot_uuid, created_at, last_seen, flags) VALUES ('/Library/Extensions/HoRNDIS.kext', '54GTJ2AU36', 'com.joshuawise.kexts.HoRNDIS', 'F5E8FB21-7A3C-4D2B-9E10-2B7C3A1D0E55', '2020-04-13 16:29:03', '2020-04-13 16:30:58', 16);
INSERT INTO kext_load_history_v3 (path, team_id, bundle_id, boot_uuid, created_at, last_seen, flags) VALUES ('/Library/Extensions/Old.kext', 'ABCDE12345', 'com.example.old', '0A0B0C0D-1111-2222-3333-444455556666', '2026-10-01 08:00:00', '2026-10-01 08:00:00', 51);
INSERT INTO settings VALUES ('migrationPerformed', 'YES');
SQL
	} | sqlite3 "$1/$2" || { echo "FAIL: sqlite3 could not build $1/$2"; exit 1; }
	# a WAL-mode database whose log is fully merged, as a cleanly shut down Mac leaves it
	[ "${3:-}" = cdhash ] && sqlite3 "$1/$2" 'PRAGMA journal_mode=WAL;' >/dev/null
	return 0
}

state() { # ROOT OUT: every path with type, mode and size, and every file's sha256
	(cd "$1" && find . -printf '%p %y %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort) >"$2"
}

expect_json() { # FILE KIND CDHASH(0/1) REL: compares the document with the rows above
	python3 - "$@" <<'PY' || return 1
import json, sys
path, kind, cd, rel = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
doc = json.load(open(path))
def check(got, want, what):
    if got != want:
        print("FAIL: %s:\n got  %s\n want %s" % (what, json.dumps(got, sort_keys=True),
                                                 json.dumps(want, sort_keys=True)))
        sys.exit(1)
check(doc.get("forensic"), True, "forensic")
check(doc.get("database"), rel, "database")
if kind == "approvals":
    check(doc["schema"], "macext/approvals/1", "schema")
    # sorted by (team_id, bundle_id) bytewise, like the store's foreach
    check(doc["kext_policy"], [
        {"team_id": "", "bundle_id": "com.vgpu.probe", "allowed": 1,
         "developer_name": "Unidentified - vgpuProbe", "flags": 0},
        {"team_id": "54GTJ2AU36", "bundle_id": "com.joshuawise.kexts.HoRNDIS", "allowed": 1,
         "developer_name": "Joshua Wise", "flags": 1},
        {"team_id": "ABCDE12345", "bundle_id": "com.example.old", "allowed": 0,
         "developer_name": "Example Corp", "flags": 0},
        {"team_id": "EG7KH642X6", "bundle_id": "com.vmware.kext.VMwareGfx", "allowed": 0,
         "developer_name": "VMware, Inc.", "flags": 0},
        {"team_id": "EG7KH642X6", "bundle_id": "com.vmware.kext.vmnet", "allowed": 1,
         "developer_name": "VMware, Inc.", "flags": 8},
    ], "kext_policy rows")
    check(doc["pending"], [
        {"team_id": "EG7KH642X6", "bundle_id": "com.vmware.kext.VMwareGfx",
         "developer_name": "VMware, Inc.", "path": "/Library/Extensions/VMwareGfx.kext",
         "expires": "2026-11-01T11:50:00Z"}], "pending")
    check(doc["approved"], [
        {"team_id": "", "bundle_id": "com.vgpu.probe",
         "developer_name": "Unidentified - vgpuProbe", "path": ""},
        {"team_id": "54GTJ2AU36", "bundle_id": "com.joshuawise.kexts.HoRNDIS",
         "developer_name": "Joshua Wise", "path": "/Library/Extensions/HoRNDIS.kext"},
        {"team_id": "EG7KH642X6", "bundle_id": "com.vmware.kext.vmnet",
         "developer_name": "VMware, Inc.", "path": ""}], "approved")
    check(doc["blocked"], [
        {"team_id": "ABCDE12345", "bundle_id": "com.example.old",
         "developer_name": "Example Corp", "path": "/Library/Extensions/Old.kext"}], "blocked")
else:
    check(doc["schema"], "macext/approvals-history/1", "schema")
    rows = [
        {"path": "/Library/Extensions/HoRNDIS.kext", "team_id": "54GTJ2AU36",
         "bundle_id": "com.joshuawise.kexts.HoRNDIS",
         "boot_uuid": "F5E8FB21-7A3C-4D2B-9E10-2B7C3A1D0E55",
         "created_at": "2020-04-13 16:29:03", "last_seen": "2020-04-13 16:30:58", "flags": 16},
        {"path": "/Library/Extensions/Old.kext", "team_id": "ABCDE12345",
         "bundle_id": "com.example.old", "boot_uuid": "0A0B0C0D-1111-2222-3333-444455556666",
         "created_at": "2026-10-01 08:00:00", "last_seen": "2026-10-01 08:00:00", "flags": 51},
        {"path": "/Library/Extensions/VMwareGfx.kext", "team_id": "EG7KH642X6",
         "bundle_id": "com.vmware.kext.VMwareGfx",
         "boot_uuid": "F5E8FB21-7A3C-4D2B-9E10-2B7C3A1D0E55",
         "created_at": "2020-04-13 16:29:03", "last_seen": "2026-11-01 11:20:00", "flags": 55},
    ]
    if cd:
        for r in rows:
            r["cdhash"] = None
    check(doc["kext_load_history_v3"], rows, "kext_load_history_v3 rows")
PY
}

# run_image NAME REL [cdhash]
run_image() {
	R=$tmp/$1
	rel=$2
	cd_flag=0
	[ "${3:-}" = cdhash ] && cd_flag=1
	make_image "$R" "$rel" "${3:-}"
	chmod -R a-w "$R"
	state "$R" "$tmp/$1.before"

	"$MACEXT" --root "$R" --now "$NOW" approvals list --json >"$tmp/$1.list.json" 2>"$tmp/$1.err" ||
		bad "$1: approvals list --json exited $? ($(cat "$tmp/$1.err"))"
	expect_json "$tmp/$1.list.json" approvals "$cd_flag" "$rel" || bad "$1: approvals list rows"
	"$MACEXT" --root "$R" --now "$NOW" --json approvals history >"$tmp/$1.hist.json" 2>"$tmp/$1.err" ||
		bad "$1: approvals history --json exited $? ($(cat "$tmp/$1.err"))"
	expect_json "$tmp/$1.hist.json" history "$cd_flag" "$rel" || bad "$1: approvals history rows"

	"$MACEXT" --root "$R" --now "$NOW" approvals list >"$tmp/$1.list.txt" 2>&1 ||
		bad "$1: approvals list exited $?"
	for want in "forensic root: $rel (read-only)" \
		"    com.vmware.kext.VMwareGfx  team EG7KH642X6  developer “VMware, Inc.”  /Library/Extensions/VMwareGfx.kext  Allow until 2026-11-01T11:50:00Z" \
		"    com.vgpu.probe  team (none)  developer “Unidentified - vgpuProbe”  (no load recorded)" \
		"kext_policy (team_id|bundle_id|allowed|developer_name|flags): 5 rows" \
		"  54GTJ2AU36|com.joshuawise.kexts.HoRNDIS|1|Joshua Wise|1" \
		"  EG7KH642X6|com.vmware.kext.vmnet|1|VMware, Inc.|8" \
		"  |com.vgpu.probe|1|Unidentified - vgpuProbe|0"; do
		grep -qxF "$want" "$tmp/$1.list.txt" || bad "$1: approvals list lacks the line '$want'"
	done
	"$MACEXT" --root "$R" approvals history >"$tmp/$1.hist.txt" 2>&1 || bad "$1: history exited $?"
	want="  /Library/Extensions/VMwareGfx.kext|EG7KH642X6|com.vmware.kext.VMwareGfx|F5E8FB21-7A3C-4D2B-9E10-2B7C3A1D0E55|2020-04-13 16:29:03|2026-11-01 11:20:00|55"
	[ $cd_flag = 1 ] && want="$want|"
	grep -qxF "$want" "$tmp/$1.hist.txt" || bad "$1: approvals history lacks '$want'"

	# state changes and modeled-Mac commands: 69, one line naming the root
	for c in "approvals approve com.vmware.kext.VMwareGfx" "kext load com.vmware.kext.vmnet" \
		"kext install $R/Library/Extensions" "machine init --arch x86_64 --macos 13" \
		"reboot" "csrutil disable" "spctl kext-consent add ABCDE12345" \
		"profiles install /dev/null" "machine show" "kext list" "why com.vgpu.probe"; do
		# shellcheck disable=SC2086
		MACEXT_PASSWORD=pw "$MACEXT" --root "$R" --now "$NOW" $c >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ $rc = 69 ] || bad "$1: '$c' exited $rc, want 69 ($(cat "$tmp/err"))"
		grep -q "^macext: $R: a forensic root (no .macext/, KextPolicy at $rel, read-only): " "$tmp/err" ||
			bad "$1: '$c': message: $(cat "$tmp/err")"
		[ -s "$tmp/out" ] && bad "$1: '$c' printed on stdout"
	done
	MACEXT_PASSWORD=pw "$MACEXT" --root "$R" approvals approve X 2>&1 |
		grep -q "'approvals approve' would change it and is not available; only 'approvals list' and 'approvals history' read it" ||
		bad "$1: approve message"
	"$MACEXT" --root "$R" kext list 2>&1 | grep -q "'kext list' needs a modeled Mac (machine init)" ||
		bad "$1: kext list message"

	state "$R" "$tmp/$1.after"
	diff -u "$tmp/$1.before" "$tmp/$1.after" >"$tmp/$1.diff" || { bad "$1: the root changed:"; cat "$tmp/$1.diff"; }
	d=$(dirname "$R/$rel")
	for x in -wal -shm -journal; do
		[ -e "$R/$rel$x" ] && bad "$1: $rel$x appeared"
	done
	[ "$(ls -A "$d")" = KextPolicy ] || bad "$1: $(dirname "$rel") holds $(ls -A "$d")"
	[ -e "$R/.macext" ] && bad "$1: .macext/ appeared"
	return 0
}

run_image image var/db/SystemPolicyConfiguration/KextPolicy
run_image data private/var/db/SystemPolicyConfiguration/KextPolicy cdhash

# A non-empty -wal: unmerged changes a read-only open cannot see; refused, never touched.
R=$tmp/wal
make_image "$R" var/db/SystemPolicyConfiguration/KextPolicy
printf 'not merged' >"$R/var/db/SystemPolicyConfiguration/KextPolicy-wal"
chmod -R a-w "$R"
state "$R" "$tmp/wal.before"
"$MACEXT" --root "$R" approvals list >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 71 ] || bad "wal: exit $rc, want 71"
grep -q "^macext: approvals list: $R/var/db/SystemPolicyConfiguration/KextPolicy: 10 bytes of changes wait in the write-ahead log; a read-only open cannot merge them" "$tmp/err" ||
	bad "wal: message: $(cat "$tmp/err")"
state "$R" "$tmp/wal.after"
cmp -s "$tmp/wal.before" "$tmp/wal.after" || bad "wal: the root changed"

# Not a database: a clear error, the file untouched.
R=$tmp/corrupt
mkdir -p "$R/var/db/SystemPolicyConfiguration"
printf 'this is not SQLite' >"$R/var/db/SystemPolicyConfiguration/KextPolicy"
chmod -R a-w "$R"
state "$R" "$tmp/corrupt.before"
"$MACEXT" --root "$R" approvals history >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 65 ] || bad "corrupt: exit $rc, want 65 ($(cat "$tmp/err"))"
state "$R" "$tmp/corrupt.after"
cmp -s "$tmp/corrupt.before" "$tmp/corrupt.after" || bad "corrupt: the root changed"

# An absolute symlink on the image must not lead into the host: var -> /elsewhere.
R=$tmp/escape
mkdir -p "$R" "$tmp/host"
make_image "$tmp/host" var/db/SystemPolicyConfiguration/KextPolicy
ln -s "$tmp/host/var" "$R/var"
"$MACEXT" --root "$R" approvals list >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 69 ] && bad "escape: a KextPolicy outside the root was taken for a forensic root"
grep -q 'forensic' "$tmp/out" && bad "escape: read the host's KextPolicy"

[ $fail = 0 ] && echo "forensic: ok"
exit $fail
