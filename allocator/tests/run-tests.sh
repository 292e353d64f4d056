#!/bin/sh
# run-tests.sh MODE BINARY... - run the allocator's test programs.
#
# MODE normal: every binary with the rseq per-CPU path and again with the
# atomic fallback (SLABSCALE_NO_RSEQ=1); test_stress also with two fake
# NUMA nodes (remote-node frees), and with the second one memoryless
# (test_topology runs itself in both shapes); test_api and test_debug also with
# SLABSCALE_DEBUG=FPZ (every cache a debug cache) and under valgrind
# (memcheck; glibc cannot register rseq there, so the allocator must pick
# the atomic fallback by itself).  MODE san: each binary once (sanitizer
# builds; the TSan build has no rseq asm and uses the fallback).  MODE
# assert: the debug-assert builds (-DSLAB_DEBUG_ASSERT), as normal but
# without valgrind.
# Prints one line per run and a summary; exits non-zero on any failure.
#
# The binaries are dealt round-robin (the valgrind-heavy ones first) to
# ALLOC_TEST_JOBS shards (default: the online CPUs) that run side by side; no test depends on running alone
# (none has a time limit).  PASS lines appear as runs end; each failure's
# output is printed again after the summary, whole.
mode=$1
shift
if [ "$mode" = normal ] && ! command -v valgrind >/dev/null; then
	echo "run-tests.sh: valgrind is missing (Debian package valgrind;" \
		"make deps installs it)" >&2
	exit 1
fi
jobs=${ALLOC_TEST_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
case $jobs in
''|*[!0-9]*|0) echo "run-tests.sh: ALLOC_TEST_JOBS=$jobs: expected a count" >&2
	exit 2;;
esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/slabscale-alloc-tests.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# The shards run in the background, where sh ignores SIGINT (so do the
# tests they start): on Ctrl-C or SIGTERM stop the whole process group,
# shards and tests included, rather than leave them running.
trap 'trap - INT TERM; kill 0 2>/dev/null; exit 130' INT TERM
start=$(date +%s)

# run LABEL CMD...: one run; counts into $runs/$fail of this shard, a
# failure's last 30 lines into $log
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
		{ echo "  FAIL $label (exit $rc)"
		  echo "$out" | tail -n 30 | sed 's/^/    | /'; } >> "$log"
		fail=$((fail + 1))
	fi
}

# shard K BIN...: every run of each binary, one after the other
shard() {
	k=$1
	shift
	runs=0
	fail=0
	log=$tmp/fail.$k
	: > "$log"
	for bin in "$@"; do
		one "$bin"
	done
	echo "$runs $fail" > "$tmp/count.$k"
}

one() {
	bin=$1
	name=$(basename "$bin")
	variant=$(echo "$bin" | sed -e 's|^.*build/||' -e 's|/.*||')
	case $mode in
	normal)
		run "$variant/$name rseq" env SLABSCALE_NO_RSEQ=0 "$bin"
		run "$variant/$name atomic" env SLABSCALE_NO_RSEQ=1 "$bin"
		case $name in
		test_stress)
			run "$variant/$name nodes=2" env SLABSCALE_NODES=2 "$bin"
			run "$variant/$name nodes=2 memoryless=1" env \
				SLABSCALE_NODES=2 SLABSCALE_MEMORYLESS=1 "$bin";;
		test_api|test_debug)
			run "$variant/$name debug=FPZ" env SLABSCALE_DEBUG=FPZ "$bin"
			# no rseq under valgrind: the automatic fallback.  A
			# 256 MiB arena: memcheck's leak check scans every
			# mapped byte at exit, 8 s of a run with the default
			# 4 GiB, 1 s with this (the tests use far less)
			run "$variant/$name valgrind" env SLABSCALE_ARENA_MB=256 \
				valgrind -q --error-exitcode=99 "$bin";;
		esac
		;;
	assert)
		run "$variant/assert/$name rseq" env SLABSCALE_NO_RSEQ=0 "$bin"
		run "$variant/assert/$name atomic" env SLABSCALE_NO_RSEQ=1 "$bin"
		case $name in
		test_stress)
			run "$variant/assert/$name nodes=2" \
				env SLABSCALE_NODES=2 "$bin";;
		test_api|test_debug)
			run "$variant/assert/$name debug=FPZ" \
				env SLABSCALE_DEBUG=FPZ "$bin";;
		esac
		;;
	san)
		san=$(echo "$bin" | sed -e 's|^.*/san-||' -e 's|/.*||')
		run "$variant/$san/$name" env ASAN_OPTIONS=detect_leaks=0 \
			TSAN_OPTIONS="halt_on_error=1 suppressions=$(dirname "$0")/tsan.supp" \
			"$bin"
		;;
	esac
}

# heavy: the binaries that also run under valgrind (about 1-2 s more each
# in normal mode); dealt first so every shard gets its share
heavy() {
	[ "$mode" = normal ] || return 1
	case $(basename "$1") in test_api|test_debug) return 0;; esac
	return 1
}

k=0
while [ $k -lt "$jobs" ]; do
	# the binaries of shard k: positions k, k + jobs, ... of the list
	# with the heavy ones first
	set_k=""
	i=0
	for pass in heavy light; do
		for bin in "$@"; do
			if heavy "$bin"; then
				[ $pass = heavy ] || continue
			else
				[ $pass = light ] || continue
			fi
			[ $((i % jobs)) -eq $k ] && set_k="$set_k $bin"
			i=$((i + 1))
		done
	done
	# shellcheck disable=SC2086 # build paths have no spaces
	shard $k $set_k &
	k=$((k + 1))
done
wait
runs=0
fail=0
k=0
while [ $k -lt "$jobs" ]; do
	if [ -r "$tmp/count.$k" ]; then
		read -r r f < "$tmp/count.$k"
	else
		echo "run-tests.sh: shard $k did not finish" >&2
		r=0 f=1
	fi
	runs=$((runs + r))
	fail=$((fail + f))
	k=$((k + 1))
done
echo "allocator tests ($mode): $runs runs, $fail failed, $(( $(date +%s) - start ))s ($jobs side by side)"
cat "$tmp"/fail.* 2>/dev/null
[ $fail -eq 0 ]
