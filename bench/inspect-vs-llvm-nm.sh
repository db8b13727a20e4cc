#!/bin/sh
# bench/inspect-vs-llvm-nm.sh MACEXT: times listing the imports of a corpus of >= 500 MB of
# Mach-O files with `macext inspect --json` and with `llvm-nm-14 --arch=all -u`, side by
# side in one run (STYLE.md §8.6: ratios, no assertions on time):
#   1. one llvm-nm process per file,
#   2. one macext process per file,
#   3. one macext process for all files,
# and prints the ratios and macext's peak RSS (GNU time -v) for 2 and 3.
#
# The corpus is built in a scratch directory (under $TMPDIR, removed at exit) from the
# generated fixtures (<build>/fixtures, made by tests/fixtures/generate.sh when missing) and
# the pinned npm files (<build>/npm, fetched by tests/fixtures/fetch_npm.sh when missing):
# every Mach-O file once, then copies of the largest ones (sentry-cli, ngrok) until the
# corpus holds BENCH_MB (default 500) megabytes. Each timing is the best of BENCH_RUNS
# (default 3) runs over a warm page cache. Exit 0 done, 1 failure, 77 a tool is missing.
set -eu

macext=${1:?usage: bench/inspect-vs-llvm-nm.sh MACEXT}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$(dirname "$macext")" && pwd)
macext="$build/$(basename "$macext")"
mb=${BENCH_MB:-500}
runs=${BENCH_RUNS:-3}

for tool in llvm-nm-14 python3 /usr/bin/time; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench: $tool not installed (scripts/deps.sh)" >&2
		exit 77
	fi
done
[ -x "$macext" ] || {
	echo "bench: $macext is not an executable" >&2
	exit 1
}

fixtures="$build/fixtures"
npm="$build/npm"
sh "$src/tests/fixtures/generate.sh" "$fixtures" >/dev/null
npm_rc=0
sh "$src/tests/fixtures/fetch_npm.sh" "$npm" >/dev/null || npm_rc=$?
if [ "$npm_rc" -ne 0 ]; then
	echo "bench: npm fixtures unavailable (exit $npm_rc); corpus from generated kexts only"
	npm=""
fi

corpus=$(mktemp -d "${TMPDIR:-/tmp}/macext-bench.XXXXXX")
trap 'rm -rf "$corpus"' EXIT INT TERM

exec python3 - "$macext" "$fixtures" "$npm" "$corpus" "$mb" "$runs" <<'PY'
import os
import shutil
import subprocess
import sys
import time

macext, fixtures, npm, corpus, mb, runs = sys.argv[1:7]
mb, runs = int(mb), int(runs)
MAGICS = {b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
          b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"}


def machos(root, skip=()):
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in skip)
        for f in sorted(files):
            p = os.path.join(d, f)
            if os.path.islink(p):
                continue
            with open(p, "rb") as fh:
                if fh.read(4) in MAGICS:
                    out.append(p)
    return out


sources = machos(os.path.join(fixtures, "kexts")) + machos(os.path.join(fixtures, "chained"))
if npm:
    sources += machos(npm, skip=("cache", ".npm-cache", ".download"))
big = sorted(sources, key=os.path.getsize, reverse=True)[:2]

files = []
total = 0


def add(path):
    global total
    dest = os.path.join(corpus, "%04d-%s" % (len(files), os.path.basename(path)))
    shutil.copyfile(path, dest)
    files.append(dest)
    total += os.path.getsize(dest)


for p in sources:
    add(p)
i = 0
while total < mb * 1000 * 1000:
    add(big[i % len(big)])
    i += 1
print("bench: corpus %d files, %.1f MB (largest: %s)" % (
    len(files), total / 1e6, ", ".join(os.path.basename(b) for b in big)))

for f in files:  # warm the page cache
    with open(f, "rb") as fh:
        while fh.read(1 << 20):
            pass


def per_file(argv_of):
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        for f in files:
            r = subprocess.run(argv_of(f), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.exit("bench: %s failed (%d): %s" % (" ".join(argv_of(f)), r.returncode,
                                                       r.stderr.decode(errors="replace")[:300]))
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def peak_rss(argv):
    """Runs ARGV under GNU time -v; returns (seconds, peak RSS in KiB)."""
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v"] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (argv[:3], r.returncode, err[-400:]))
    for line in err.splitlines():
        if "Maximum resident set size" in line:
            return dt, int(line.split(":")[1])
    return dt, -1


nm = per_file(lambda f: ["llvm-nm-14", "--arch=all", "-u", f])
mx = per_file(lambda f: [macext, "inspect", "--json", f])
one = None
for _ in range(runs):
    t0 = time.perf_counter()
    r = subprocess.run([macext, "inspect", "--json"] + files, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("bench: macext inspect --json (all files) failed (%d): %s"
                 % (r.returncode, r.stderr.decode(errors="replace")[:300]))
    dt = time.perf_counter() - t0
    one = dt if one is None else min(one, dt)
_, rss_all = peak_rss([macext, "inspect", "--json"] + files)
rss_each = max(peak_rss([macext, "inspect", "--json", f])[1] for f in big)

n = len(files)
print("bench: best of %d runs, %d files, %.1f MB" % (runs, n, total / 1e6))
print("  llvm-nm-14 -u, one process per file:     %8.3f s  (%.1f ms/file, %.0f MB/s)"
      % (nm, 1e3 * nm / n, total / 1e6 / nm))
print("  macext inspect --json, one per file:     %8.3f s  (%.1f ms/file, %.0f MB/s)"
      % (mx, 1e3 * mx / n, total / 1e6 / mx))
print("  macext inspect --json, one for all:      %8.3f s  (%.0f MB/s)" % (one, total / 1e6 / one))
print("  ratio llvm-nm / macext (per file):       %8.2fx" % (nm / mx))
print("  ratio llvm-nm / macext (one process):    %8.2fx" % (nm / one))
print("  macext peak RSS: one process for all %d files %d KiB; largest single file %d KiB"
      % (n, rss_all, rss_each))
PY
