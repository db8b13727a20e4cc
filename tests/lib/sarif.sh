# tests/lib/sarif.sh: shared by the SARIF tests (sourced, not run). Microsoft's SARIF
# validator (npm @microsoft/sarif-multitool-linux, pinned) is installed once into
# $MACEXT_BUILD_DIR/sarif-multitool with `npm install --prefix`.

SARIF_PKG=@microsoft/sarif-multitool-linux@5.7.0
SARIF_TOOL=$MACEXT_BUILD_DIR/sarif-multitool/node_modules/.bin/sarif-multitool-linux

# sarif_install WORKDIR: installs the validator if needed; exits 77 (skipped) when npm or
# the registry is unavailable.
sarif_install() {
	[ -x "$SARIF_TOOL" ] && return 0
	if ! command -v npm >/dev/null 2>&1; then
		echo "npm not installed; skipped" >&2
		exit 77
	fi
	mkdir -p "$MACEXT_BUILD_DIR/sarif-multitool"
	if ! timeout 300 npm install --silent --no-audit --no-fund \
		--prefix "$MACEXT_BUILD_DIR/sarif-multitool" "$SARIF_PKG" >"$1/npm.log" 2>&1; then
		echo "cannot install $SARIF_PKG (registry unreachable?); skipped:" \
			"$(tail -n 1 "$1/npm.log")" >&2
		exit 77
	fi
}

# sarif_validate_all WORKDIR: validates every WORKDIR/*.sarif; prints "ok NAME" or the
# error-level results; returns 1 if any file fails. Warnings are allowed (no
# informationUri, no region: findings are about whole files).
sarif_validate_all() {
	_fail=0
	for _f in "$1"/*.sarif; do
		_name=$(basename "$_f" .sarif)
		_out="$1/$_name.validation"
		_rc=0
		(cd "$1" && timeout 300 "$SARIF_TOOL" validate "$_f" -o "$_out" --log ForceOverwrite \
			>"$1/$_name.log" 2>&1) || _rc=$?
		if [ "$_rc" -ne 0 ] || [ ! -s "$_out" ]; then
			echo "FAIL $_name: validator exited $_rc"
			cat "$1/$_name.log"
			_fail=1
			continue
		fi
		if python3 - "$_out" "$_name" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
errs = [r for run in d.get("runs", []) for r in run.get("results", [])
        if r.get("level") == "error"]
for r in errs:
    print("FAIL %s: %s %s" % (sys.argv[2], r.get("ruleId"), r.get("message", {})))
sys.exit(1 if errs else 0)
PY
			echo "ok $_name"
		else
			_fail=1
		fi
	done
	return $_fail
}
