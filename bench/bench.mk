# bench/bench.mk - make bench (owned by the benchmarks).  Placeholder.
