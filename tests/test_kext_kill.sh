#!/bin/sh
# Kill tests for kext load, approvals approve and reboot (issue 5; STYLE.md §7.3): each
# command is killed (SIGKILL, $MACEXT_TEST_KILL_AT) at every named point of its state
# change, and what it leaves is compared with the state before:
#   - before the store's commit: KextPolicy (kext_policy, kext_load_history_v3,
#     macext_pending) and loaded.plist are exactly as before; an AuxKC written before the
#     commit loads nothing at the next boot (its kext is not approved);
#   - after the commit: the new rows are there.
# Points: docs/macext.md. Uses the signed kexts of tests/fixtures/make_signed_kexts.sh.
set -u
: "${MACEXT:?}" "${MACEXT_SOURCE_DIR:?}"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing; skipping"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
S=${MACEXT_BUILD_DIR:-$tmp}/signed
"$MACEXT_SOURCE_DIR/tests/fixtures/make_signed_kexts.sh" "$S" || exit $?
export MACEXT_NOW=2026-11-01T00:00:00Z MACEXT_PASSWORD=pw LC_ALL=C
fail=0
R=$tmp/mac
export MACEXT_ROOT=$R

snapshot() { # OUT: the store's rows and loaded.plist
	python3 - "$R/var/db/SystemPolicyConfiguration/KextPolicy" >"$1" <<'PY'
import os, sqlite3, sys
p = sys.argv[1]
# A store not created yet reads as empty tables (the first command creates it empty).
db = sqlite3.connect("file:%s?mode=ro" % p, uri=True) if os.path.exists(p) else None
for t in ("kext_policy", "kext_load_history_v3", "macext_pending"):
    print(t, sorted(db.execute("select * from %s" % t).fetchall()) if db else [])
PY
	if [ -f "$R/.macext/loaded.plist" ]; then cat "$R/.macext/loaded.plist" >>"$1"; else echo "no loaded.plist" >>"$1"; fi
}
machine() { # MACOS
	rm -rf "$R"
	"$MACEXT" machine init --arch x86_64 --macos "$1" --trust-anchor "$S/pki/root.pem" >/dev/null &&
		"$MACEXT" kext install "$S/kexts/AlphaA.kext" >/dev/null ||
		{ echo "FAIL setup $1"; exit 1; }
}
killed() { # POINT CMD...: runs CMD killed at POINT; 0 if it was killed
	point=$1
	shift
	MACEXT_TEST_KILL_AT=$point "$@" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 137 ] || { echo "FAIL $point: not killed (exit $rc)"; fail=1; return 1; }
}
same() { # NAME: the state equals before
	snapshot "$tmp/after"
	if cmp -s "$tmp/before" "$tmp/after"; then
		echo "ok   $1: previous state intact"
	else
		echo "FAIL $1: state changed"; diff "$tmp/before" "$tmp/after" | head -20; fail=1
	fi
}
changed() { # NAME GREP: the state differs and holds GREP
	snapshot "$tmp/after"
	if ! cmp -s "$tmp/before" "$tmp/after" && grep -q "$2" "$tmp/after"; then
		echo "ok   $1: new state committed"
	else
		echo "FAIL $1: expected the new state ($2)"; cat "$tmp/after" | head -20; fail=1
	fi
}

# 1. A blocked load (10.15.7): staging, then history + kext_policy(allowed 0) + pending.
for p in kext.load.staged store.load_history_add store.kext_policy_put store.pending_add kext.load.store; do
	machine 10.15.7
	snapshot "$tmp/before"
	killed "$p" "$MACEXT" kext load com.example.alpha.A && same "blocked load @$p"
	# and the machine still works: the load is refused again with 27 and the alert
	"$MACEXT" kext load com.example.alpha.A >/dev/null 2>&1
	[ $? = 27 ] || { echo "FAIL blocked load @$p: reload did not exit 27"; fail=1; }
done
machine 10.15.7
snapshot "$tmp/before"
killed kext.load.committed "$MACEXT" kext load com.example.alpha.A && changed "blocked load @kext.load.committed" "ABCDE12345', 'com.example.alpha.A', 0"

# 2. Approval on 10.15.7 (rows, then the immediate load).
for p in store.kext_policy_put store.pending_remove approvals.store; do
	machine 10.15.7
	"$MACEXT" kext load com.example.alpha.A >/dev/null 2>&1
	snapshot "$tmp/before"
	killed "$p" "$MACEXT" approvals approve com.example.alpha.A && same "approve 10.15 @$p"
done
machine 10.15.7
"$MACEXT" kext load com.example.alpha.A >/dev/null 2>&1
snapshot "$tmp/before"
killed approvals.committed "$MACEXT" approvals approve com.example.alpha.A &&
	changed "approve 10.15 @approvals.committed" "com.example.alpha.A', 1"
grep -q com.example.alpha.A "$R/.macext/loaded.plist" 2>/dev/null &&
	{ echo "FAIL approve 10.15 @approvals.committed: loaded before the load ran"; fail=1; }
# killed inside the load that follows the approval: approved, loaded.plist not yet changed
machine 10.15.7
"$MACEXT" kext load com.example.alpha.A >/dev/null 2>&1
"$MACEXT" --now 2026-11-01T00:01:00Z approvals approve com.example.alpha.A >/dev/null
"$MACEXT" kext unload com.example.alpha.A
snapshot "$tmp/before"
killed kext.load.store "$MACEXT" kext load com.example.alpha.A && same "approved load @kext.load.store"
killed kext.load.loaded "$MACEXT" kext load com.example.alpha.A
"$MACEXT" kext list | grep -q com.example.alpha.A && echo "ok   approved load @kext.load.loaded: loaded.plist replaced whole" ||
	{ echo "FAIL approved load @kext.load.loaded"; fail=1; }

# 3. Approval on 13 (rows, AuxKC, commit) and the AuxKC written before the commit.
for p in approvals.store approvals.auxkc; do
	machine 13
	"$MACEXT" kext load com.example.alpha.A >/dev/null 2>&1
	kc=$R/Library/KernelCollections/AuxiliaryKernelExtensions.kc
	snapshot "$tmp/before"
	killed "$p" "$MACEXT" approvals approve com.example.alpha.A && same "approve 13 @$p"
	if [ "$p" = approvals.store ] && [ -e "$kc" ]; then
		echo "FAIL approve 13 @$p: AuxKC written"; fail=1
	fi
	"$MACEXT" reboot >/dev/null
	if "$MACEXT" kext list | grep -q com.example.alpha.A; then
		echo "FAIL approve 13 @$p: an unapproved kext loaded at boot"; fail=1
	else
		echo "ok   approve 13 @$p: nothing unapproved loads at the next boot"
	fi
done
machine 13
"$MACEXT" kext load com.example.alpha.A >/dev/null 2>&1
snapshot "$tmp/before"
killed approvals.committed "$MACEXT" approvals approve com.example.alpha.A &&
	changed "approve 13 @approvals.committed" "com.example.alpha.A', 1"
"$MACEXT" reboot >/dev/null
"$MACEXT" kext list | grep -q com.example.alpha.A && echo "ok   approve 13: loads after the restart" ||
	{ echo "FAIL approve 13: not loaded after the restart"; fail=1; }

# 4. reboot: loaded.plist first, then NVRAM.
machine 10.15.7
"$MACEXT" reboot --recovery >/dev/null
cp "$R/.macext/nvram.plist" "$tmp/nvram.before"
killed reboot.loaded "$MACEXT" reboot
if cmp -s "$tmp/nvram.before" "$R/.macext/nvram.plist"; then
	echo "ok   reboot @reboot.loaded: NVRAM (boot state) intact"
else
	echo "FAIL reboot @reboot.loaded: NVRAM changed"; fail=1
fi
"$MACEXT" machine show | grep -q "boot state: *recovery" || { echo "FAIL reboot: not in recovery"; fail=1; }
"$MACEXT" reboot >/dev/null
"$MACEXT" machine show | grep -q "boot state: *normal" && echo "ok   reboot: normal after a full restart" ||
	{ echo "FAIL reboot: boot state"; fail=1; }
exit $fail
