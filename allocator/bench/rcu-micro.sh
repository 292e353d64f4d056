#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# rcu-micro.sh [REPS [VARIANT...]] - build and run rcu_roundtrip.c against
# build/<variant>/libslab.a: the per-CPU workqueue round trip, the all-CPU
# rcu sheaf flush, rcu_barrier(), kvfree_rcu_barrier() idle and pending,
# and kmem_cache_alloc + kfree_rcu cost.  A measurement, not a test: it
# prints "rcu-micro ..." lines and asserts nothing.  Run from the top of
# the tree; builds the libraries with make first.  Default: 200 reps, all
# variants of allocator/variants.list.
set -eu
reps=${1:-200}
[ $# -gt 0 ] && shift
variants=${*:-$(sed -e 's/#.*//' allocator/variants.list)}
CC=${CC:-cc}
for v in $variants; do
	make -s --no-print-directory "build/$v/libslab.a"
	out=build/$v/allocator/bench/rcu_roundtrip
	mkdir -p "$(dirname "$out")"
	$CC -std=gnu11 -Wall -Wextra -Werror -O2 -g -pthread -D_GNU_SOURCE \
		-mcx16 -Iallocator/include -Iallocator/src \
		allocator/bench/rcu_roundtrip.c "build/$v/libslab.a" \
		-lurcu-memb -lurcu-common -latomic -o "$out"
	"$out" "$reps"
done
