#!/bin/sh
# run-tests.sh MODE BINARY... - run the allocator's test programs.
#
# MODE normal: every binary with the rseq per-CPU path and again with the
# atomic fallback (SLABSCALE_NO_RSEQ=1); test_stress also with two fake
# NUMA nodes (remote-node frees); test_api and test_debug also with
# SLABSCALE_DEBUG=FPZ (every cache a debug cache) and under valgrind
# (memcheck; glibc cannot register rseq there, so the allocator must pick
# the atomic fallback by itself).  MODE san: each binary once (sanitizer
# builds; the TSan build has no rseq asm and uses the fallback).
# Prints one line per run and a summary; exits non-zero on any failure.
mode=$1
shift
if [ "$mode" = normal ] && ! command -v valgrind >/dev/null; then
	echo "run-tests.sh: valgrind is missing (Debian package valgrind;" \
		"make deps installs it)" >&2
	exit 1
fi
fail=0
runs=0
start=$(date +%s)

run() {
	label=$1
	shift
	runs=$((runs + 1))
	t0=$(date +%s)
	if out=$("$@" 2>&1); then
		echo "  PASS $label ($(( $(date +%s) - t0 ))s)"
	else
		rc=$?
		echo "  FAIL $label (exit $rc)"
		echo "$out" | tail -n 30 | sed 's/^/    | /'
		fail=$((fail + 1))
	fi
}

for bin in "$@"; do
	name=$(basename "$bin")
	variant=$(echo "$bin" | sed -e 's|^.*build/||' -e 's|/.*||')
	case $mode in
	normal)
		run "$variant/$name rseq" env SLABSCALE_NO_RSEQ=0 "$bin"
		run "$variant/$name atomic" env SLABSCALE_NO_RSEQ=1 "$bin"
		case $name in
		test_stress)
			run "$variant/$name nodes=2" env SLABSCALE_NODES=2 "$bin";;
		test_api|test_debug)
			run "$variant/$name debug=FPZ" env SLABSCALE_DEBUG=FPZ "$bin"
			# no rseq under valgrind: the automatic fallback
			run "$variant/$name valgrind" valgrind -q \
				--error-exitcode=99 "$bin";;
		esac
		;;
	san)
		san=$(echo "$bin" | sed -e 's|^.*/san-||' -e 's|/.*||')
		run "$variant/$san/$name" env ASAN_OPTIONS=detect_leaks=0 \
			TSAN_OPTIONS="halt_on_error=1 suppressions=$(dirname "$0")/tsan.supp" \
			"$bin"
		;;
	esac
done
echo "allocator tests ($mode): $runs runs, $fail failed, $(( $(date +%s) - start ))s"
[ $fail -eq 0 ]
