#!/bin/sh
# Source checks run as a ctest (STYLE.md §10.3): banned functions everywhere; output, exit
# and the environment inside lib/; includes against the layer order.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
fail=0

files=$(find lib tools fuzz tests/unit -name '*.[ch]' 2>/dev/null)
libfiles=$(find lib -name '*.[ch]' 2>/dev/null)

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|gmtime|localtime|alloca)[[:space:]]*\('
if out=$(grep -nE "$banned" $files 2>/dev/null | grep -vE '(snprintf|vsnprintf|_r)[[:space:]]*\('); then
	[ -n "$out" ] && { echo "banned function:"; echo "$out"; fail=1; }
fi

liboutput='(^|[^_a-z])(printf|fprintf|puts|exit|abort|getenv)[[:space:]]*\('
if out=$(grep -nE "$liboutput" $libfiles 2>/dev/null | grep -vE '(snprintf|vsnprintf|vfprintf)\('); then
	[ -n "$out" ] && { echo "output, exit or environment in lib/:"; echo "$out"; fail=1; }
fi

# Layer order: util -> format -> (trust, model) -> store -> policy -> machine.
allowed() {
	case "$1" in
	util) echo "util" ;;
	format) echo "util format" ;;
	trust) echo "util format trust" ;;
	model) echo "util format model" ;;
	store) echo "util format trust model store" ;;
	policy) echo "util format trust model store policy" ;;
	machine) echo "util format trust model store policy machine" ;;
	esac
}
for layer in util format trust model store policy machine; do
	[ -d "lib/$layer" ] || continue
	ok=$(allowed "$layer")
	for f in lib/$layer/*.[ch]; do
		[ -f "$f" ] || continue
		grep -oE '#include "[a-z]+/' "$f" | sed 's/#include "//; s|/||' | sort -u |
			while read -r inc; do
				[ "$inc" = macext ] && continue
				case " $ok " in
				*" $inc "*) ;;
				*) echo "$f: includes $inc/, which is not left of $layer"; exit 1 ;;
				esac
			done || fail=1
	done
done

# tools/ sees the public headers and lib/util only.
if out=$(grep -nE '#include "(format|trust|model|store|policy|machine)/' tools/macext/*.c tools/macext/*.h 2>/dev/null); then
	[ -n "$out" ] && { echo "tools/ includes library internals:"; echo "$out"; fail=1; }
fi

if [ $fail -eq 0 ]; then
	echo "source checks: 1 passed, 0 failed"
else
	echo "source checks: 0 passed, 1 failed"
fi
exit $fail
