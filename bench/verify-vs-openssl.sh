#!/bin/sh
# bench/verify-vs-openssl.sh MACEXT: hashes the same >= 500 MB of signed code with
# `macext codesign verify` and with `openssl dgst -sha256`, side by side in one run
# (STYLE.md §8.6: ratios, no assertions on time), and prints the ratio.
#
# The corpus is copies of the real sentry-cli binary (28.7 MB, two slices, one SHA-256
# CodeDirectory each: verification hashes every byte before the signature once) from the
# pinned npm packages (<build>/npm, fetched by tests/fixtures/fetch_npm.sh when missing),
# enough copies to reach BENCH_MB (default 500) megabytes, in a scratch directory under
# $TMPDIR removed at exit. Both tools get all files in one process over a warm page cache;
# each timing is the best of BENCH_RUNS (default 3). The ratio printed is
# openssl time / macext time: 1.00 means macext verifies at openssl's hashing speed.
# Exit 0 done, 1 failure, 77 a tool or the npm files are missing.
set -eu

macext=${1:?usage: bench/verify-vs-openssl.sh MACEXT}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$(dirname "$macext")" && pwd)
macext="$build/$(basename "$macext")"
mb=${BENCH_MB:-500}
runs=${BENCH_RUNS:-3}

for tool in openssl python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench: $tool not installed (scripts/deps.sh)" >&2
		exit 77
	fi
done
npm=$build/npm
if [ ! -d "$npm/sentry-cli-darwin-3.8.0" ]; then
	"$src/tests/fixtures/fetch_npm.sh" "$npm" >/dev/null || exit 77
fi
sentry=$npm/sentry-cli-darwin-3.8.0/package/bin/sentry-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

size=$(stat -c %s "$sentry")
n=$(( (mb * 1000000 + size - 1) / size ))
i=0
while [ "$i" -lt "$n" ]; do
	cp "$sentry" "$tmp/sentry-$i"
	i=$((i + 1))
done
total=$((n * size))

# best_of CMD...: prints the best wall time in seconds of $runs runs.
best_of() {
	python3 - "$runs" "$@" <<'PY'
import subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
best = None
for _ in range(runs):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit('bench: %s exited %d' % (cmd[0], r.returncode))
    best = dt if best is None or dt < best else best
print('%.3f' % best)
PY
}

cat "$tmp"/sentry-* >/dev/null # warm the page cache
t_macext=$(best_of "$macext" -q --now 2026-11-01T00:00:00Z codesign verify "$tmp"/sentry-*)
t_openssl=$(best_of openssl dgst -sha256 "$tmp"/sentry-*)
python3 - "$total" "$n" "$t_macext" "$t_openssl" <<'PY'
import sys
total, n, tm, to = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
mb = total / 1e6
print('corpus: %d copies of sentry-cli, %.1f MB' % (n, mb))
print('macext codesign verify : %.3f s  %.0f MB/s' % (tm, mb / tm))
print('openssl dgst -sha256   : %.3f s  %.0f MB/s' % (to, mb / to))
print('ratio (openssl time / macext time): %.2f' % (to / tm))
PY
