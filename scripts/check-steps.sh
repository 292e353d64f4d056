#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-steps.sh JOBS LOGDIR STEP... - run make check's test steps, JOBS
# side by side (the steps are independent, and `make check-build` has built
# everything they need, so no two of them build anything).
#
# Each step's output goes to LOGDIR/<step>.log; one line per step as it
# ends (PASS or FAIL with its wall time), then a summary, then the last 40
# lines of each failed step's log.  The steps start longest first, by the
# times the previous run left in LOGDIR, or where there are none (a fresh
# clone) by the estimates in CHECK_SECONDS ("step:seconds ...", which the
# fragments declare beside their steps), then in listed order.
# Exits 1 if any step failed, 2 on bad usage.
set -u
if [ $# -lt 3 ]; then
	echo "usage: check-steps.sh JOBS LOGDIR STEP..." >&2
	exit 2
fi
jobs=$1
logdir=$2
shift 2
case $jobs in
''|*[!0-9]*|0) echo "check-steps.sh: JOBS=$jobs: expected a count" >&2
	exit 2;;
esac
mkdir -p "$logdir" || exit 2
start=$(date +%s)

# longest first: "<seconds last time> <listed position> <step>", sorted
order=$(i=0; for s in "$@"; do
	t=0
	for e in ${CHECK_SECONDS:-}; do
		[ "${e%%:*}" = "$s" ] && t=${e#*:}
	done
	[ -r "$logdir/$s.time" ] && read -r t < "$logdir/$s.time"
	case $t in ''|*[!0-9]*) t=0;; esac
	echo "$t $i $s"
	i=$((i + 1))
done | sort -k1,1nr -k2,2n | cut -d' ' -f3)

# shellcheck disable=SC2016 # expanded by the inner sh
printf '%s\n' $order | xargs -P "$jobs" -I STEP sh -c '
	step=$1 logdir=$2
	t0=$(date +%s)
	make --no-print-directory "$step" > "$logdir/$step.log" 2>&1
	rc=$?
	t=$(( $(date +%s) - t0 ))
	# CPU seconds (user + sys) of everything the step ran: the second
	# line of `times` (not in a $(...), whose subshell starts at zero); a
	# step with far less CPU than wall mostly waits
	times > "$logdir/$step.cpu"
	cpu=$(awk "NR == 2 { split(\$1, u, \"m\"); split(\$2, s, \"m\");
		printf \"%d\", u[1] * 60 + u[2] + s[1] * 60 + s[2] }" "$logdir/$step.cpu")
	echo "$t" > "$logdir/$step.time"
	if [ $rc -eq 0 ]; then
		rm -f "$logdir/$step.failed"
		echo "  PASS $step (${t}s, ${cpu}s CPU)"
	else
		echo "$rc" > "$logdir/$step.failed"
		echo "  FAIL $step (exit $rc, ${t}s, ${cpu}s CPU; log: $logdir/$step.log)"
	fi
	exit 0' sh STEP "$logdir"

fail=0
for s in "$@"; do
	[ -e "$logdir/$s.failed" ] || continue
	fail=$((fail + 1))
done
echo "make check: $# test steps, $fail failed, $(( $(date +%s) - start ))s" \
	"($jobs side by side; logs in $logdir)"
# the closing line CI reads
echo "steps: $(( $# - fail )) passed, $fail failed"
for s in "$@"; do
	[ -e "$logdir/$s.failed" ] || continue
	echo "---- $s (last 40 lines of $logdir/$s.log)"
	tail -n 40 "$logdir/$s.log"
done
[ $fail -eq 0 ]
