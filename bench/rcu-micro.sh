#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# rcu-micro.sh [REPS [VARIANT...]] - run build/bench/rcu_roundtrip-<v>
# (bench/rcu_roundtrip.c, built by make): the per-CPU workqueue round trip,
# the all-CPU rcu sheaf flush, rcu_barrier(), kvfree_rcu_barrier() idle and
# pending, and kmem_cache_alloc + kfree_rcu cost.  A measurement, not a
# test: it prints "rcu-micro ..." lines and asserts nothing.  Run from the
# top of the tree.  Default: 200 reps, every variant (make list-variants).
set -eu
reps=${1:-200}
[ $# -gt 0 ] && shift
variants=${*:-$(make -s --no-print-directory list-variants)}
for v in $variants; do
	make -s --no-print-directory "build/bench/rcu_roundtrip-$v"
	"build/bench/rcu_roundtrip-$v" "$reps"
done
