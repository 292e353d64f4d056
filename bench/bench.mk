# bench/bench.mk - make bench (owned by the benchmarks).
#
#   make bench                  bench-pair and bench-rcu, full length
#   make bench BENCH_QUICK=1    the same, short (a few minutes)
#   make bench-pair / bench-rcu one of them (run `make` first)
#   make check-bench            smoke test of the bench programs (in check)
#
# The bench programs link build/<variant>/libslab.a, built by the
# allocator's rules (SLAB_LIB_RULES); without those rules a variant whose
# library does not exist is skipped with a message; the RCU
# program is linked only against libraries that define the kfree_rcu and
# barrier symbols, so a variant without them never breaks the build.

BENCH_DIR	:= $(BUILD)/bench
BENCH_CFLAGS	= $(CFLAGS_COMMON) -Ibench -Iallocator/include
# Libraries libslab.a needs (allocator/allocator.mk's ALLOC_LDLIBS).
BENCH_SLAB_LIBS	= $(or $(ALLOC_LDLIBS),$(URCU_LIBS) -latomic)
BENCH_MODE	:= $(if $(BENCH_QUICK),quick,full)
# Every variant once allocator.mk has rules for the libraries, else only
# those whose library happens to exist.
BENCH_VARIANTS	= $(if $(SLAB_LIB_RULES),$(VARIANTS),$(foreach v,$(VARIANTS),\
		    $(if $(wildcard $(BUILD)/$(v)/libslab.a),$(v))))
BENCH_PAIR_BINS	= $(BENCH_DIR)/pair-malloc \
		  $(foreach v,$(BENCH_VARIANTS),$(BENCH_DIR)/pair-$(v))
BENCH_RCU_BINS	= $(foreach v,$(BENCH_VARIANTS),$(BENCH_DIR)/rcu-$(v))
# Symbols bench/rcu.c needs from libslab.a.
BENCH_RCU_SYMS	:= kvfree_call_rcu kvfree_rcu_barrier \
		   kvfree_rcu_barrier_on_cache kmem_cache_stats kmem_cache_info \
		   slab_stat_name slab_features

BENCH_TARGETS	+= bench-pair bench-rcu
CHECK_TARGETS	+= check-bench
.PHONY: bench-pair bench-rcu check-bench bench-bins

$(BENCH_DIR)/%.o: bench/%.c bench/benchlib.h bench/shapes.h $(wildcard allocator/include/*.h)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(BENCH_DIR)/pair-slab.o: bench/pair.c bench/benchlib.h bench/shapes.h $(wildcard allocator/include/*.h)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -DBENCH_SLAB -c $< -o $@

$(BENCH_DIR)/pair-malloc: $(BENCH_DIR)/pair.o $(BENCH_DIR)/benchlib.o \
			  $(BENCH_DIR)/shapes.o
	$(CC) $(BENCH_CFLAGS) $^ -o $@

$(BENCH_DIR)/pair-%: $(BENCH_DIR)/pair-slab.o $(BENCH_DIR)/benchlib.o \
		     $(BENCH_DIR)/shapes.o $(BUILD)/%/libslab.a
	$(CC) $(BENCH_CFLAGS) $^ $(BENCH_SLAB_LIBS) -o $@

# Linked only if the library defines every symbol rcu.c calls; otherwise
# say so and leave no binary (bench/rcu.py then reports the variant as
# not ready).
$(BENCH_DIR)/rcu-%: $(BENCH_DIR)/rcu.o $(BENCH_DIR)/benchlib.o \
		    $(BUILD)/%/libslab.a
	@defs=$$(nm -g --defined-only $(BUILD)/$*/libslab.a 2>/dev/null); \
	miss=; for s in $(BENCH_RCU_SYMS); do \
		echo "$$defs" | grep -q " $$s\$$" || miss="$$miss $$s"; \
	done; \
	if [ -n "$$miss" ]; then \
		echo "bench: $* lacks$$miss: rcu bench not built for it"; \
		rm -f $@; \
	else \
		echo "$(CC) $(BENCH_CFLAGS) $^ $(BENCH_SLAB_LIBS) -o $@"; \
		$(CC) $(BENCH_CFLAGS) $^ $(BENCH_SLAB_LIBS) -o $@; \
	fi

.SECONDARY: $(BENCH_DIR)/rcu.o

bench-bins: $(BENCH_PAIR_BINS) $(BENCH_RCU_BINS)

bench-pair: $(BENCH_PAIR_BINS)
	$(PYTHON) bench/pair.py --build $(BUILD) --variants "$(strip $(VARIANTS))" \
		--mode $(BENCH_MODE) --json $(BENCH_DIR)/pair.json

bench-rcu: $(BENCH_RCU_BINS)
	$(PYTHON) bench/rcu.py --build $(BUILD) --variants "$(strip $(VARIANTS))" \
		--mode $(BENCH_MODE) --json $(BENCH_DIR)/rcu.json

# Smoke test: every bench program runs with tiny counts and its output
# parses; no speed is judged here.
check-bench: bench-bins
	@$(PYTHON) -c 'import pytest' 2>/dev/null || \
		{ echo "check-bench: $(PYTHON) lacks pytest (apt-get install python3-pytest)"; exit 1; }
	BENCH_BUILD=$(BUILD) BENCH_VARIANTS="$(strip $(VARIANTS))" \
		$(PYTHON) -m pytest -q -p no:cacheprovider bench/test_bench.py
