#!/bin/sh
# Runs every libFuzzer target of a fuzz build for a fixed time on a scratch copy of its
# committed corpus and dictionary, plus the generated seeds of SEEDS_DIR/<target>/ when given
# (run_fuzz.sh BUILD [SECONDS [SEEDS_DIR]]; tests/fixtures/generate.sh writes them to
# <fixtures>/seeds). A finding fails the run and leaves the crasher in
# $build/fuzz/artifacts/<target>/ to be minimised and committed under fuzz/crashes/.
set -eu
build=$1
seconds=${2:-30}
seeds=${3:-}
src=$(cd "$(dirname "$0")/.." && pwd)
status=0
for exe in "$build"/fuzz/fuzz_*-libfuzzer; do
	[ -x "$exe" ] || continue
	name=$(basename "$exe" -libfuzzer)
	work="$build/fuzz/work/$name"
	art="$build/fuzz/artifacts/$name"
	rm -rf "$work"
	mkdir -p "$work" "$art"
	[ -d "$src/fuzz/corpus/$name" ] && cp -r "$src/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
	if [ -n "$seeds" ] && [ -d "$seeds/$name" ]; then
		cp -r "$seeds/$name/." "$work/"
	fi
	dict=""
	[ -f "$src/fuzz/$name.dict" ] && dict="-dict=$src/fuzz/$name.dict"
	echo "fuzz: $name for ${seconds}s"
	# shellcheck disable=SC2086
	if ! "$exe" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" $dict "$work" \
		>"$build/fuzz/$name.log" 2>&1; then
		echo "fuzz: $name FOUND A PROBLEM; see $build/fuzz/$name.log and $art" >&2
		tail -n 40 "$build/fuzz/$name.log" >&2
		status=1
	fi
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/fuzz/$name.log" |
		sed "s/^/fuzz: $name /" || true
done
exit $status
