# bench/bench.mk - make bench (owned by the benchmarks).
#
#   make bench                  bench-pair and bench-rcu, full length
#   make bench BENCH_QUICK=1    the same, short (a few minutes)
#   make bench-pair / bench-rcu one of them (run `make` first)
#   make bench-rcu-micro        the RCU component's internal costs per variant
#                               (BENCH_MICRO_REPS=200 repetitions)
#   make check-bench            smoke test of the bench programs (in check)
#
# The bench programs link build/<variant>/libslab.a (allocator/allocator.mk)
# and are built with the project's flags.  rcu_roundtrip-<v> measures the
# RCU component's internals (make bench-rcu-micro runs it), so it is built
# like the allocator's own files, with the variant's configuration.

BENCH_DIR	:= $(BUILD)/bench
BENCH_CFLAGS	= $(CFLAGS_COMMON) -Ibench -Iallocator/include
BENCH_MODE	:= $(if $(BENCH_QUICK),quick,full)
BENCH_PAIR_BINS	:= $(BENCH_DIR)/pair-malloc $(VARIANTS:%=$(BENCH_DIR)/pair-%)
BENCH_RCU_BINS	:= $(VARIANTS:%=$(BENCH_DIR)/rcu-%)
BENCH_MICRO_BINS := $(VARIANTS:%=$(BENCH_DIR)/rcu_roundtrip-%)

BENCH_TARGETS	+= bench-pair bench-rcu
CHECK_TARGETS	+= check-bench
CHECK_SECONDS	+= check-bench:13
CHECK_BUILD	+= $(BENCH_PAIR_BINS) $(BENCH_RCU_BINS) $(BENCH_MICRO_BINS)
.PHONY: bench-pair bench-rcu bench-rcu-micro check-bench bench-bins

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
	$(CC) $(BENCH_CFLAGS) $^ $(ALLOC_LDLIBS) -o $@

$(BENCH_DIR)/rcu-%: $(BENCH_DIR)/rcu.o $(BENCH_DIR)/benchlib.o \
		    $(BUILD)/%/libslab.a
	$(CC) $(BENCH_CFLAGS) $^ $(ALLOC_LDLIBS) -o $@

# $(1) variant
define BENCH_MICRO_template
$(BENCH_DIR)/rcu_roundtrip-$(1): bench/rcu_roundtrip.c $(ALLOC_HDRS) \
		$(ALLOC_GEN)/rseq_offset.h $(BUILD)/$(1)/libslab.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALLOC_CFLAGS) $$(VARIANT_CONFIG_$(1)) $$< \
		$(BUILD)/$(1)/libslab.a $$(ALLOC_LDLIBS) -o $$@
endef
$(foreach v,$(VARIANTS),$(eval $(call BENCH_MICRO_template,$(v))))

.SECONDARY: $(BENCH_DIR)/rcu.o

bench-bins: $(BENCH_PAIR_BINS) $(BENCH_RCU_BINS) $(BENCH_MICRO_BINS)

bench-pair: $(BENCH_PAIR_BINS)
	$(PYTHON) bench/pair.py --build $(BUILD) --variants "$(strip $(VARIANTS))" \
		--mode $(BENCH_MODE) --json $(BENCH_DIR)/pair.json

bench-rcu: $(BENCH_RCU_BINS)
	$(PYTHON) bench/rcu.py --build $(BUILD) --variants "$(strip $(VARIANTS))" \
		--mode $(BENCH_MODE) --json $(BENCH_DIR)/rcu.json

# A measurement, not a test: each variant's rcu_roundtrip prints its
# "rcu-micro ..." lines and nothing is asserted.
BENCH_MICRO_REPS ?= 200
bench-rcu-micro: $(BENCH_MICRO_BINS)
	@set -e; for b in $(BENCH_MICRO_BINS); do $$b $(BENCH_MICRO_REPS); done

# Smoke test: every bench program runs with tiny counts and its output
# parses; no speed is judged here.
check-bench: bench-bins
	@$(PYTHON) -c 'import pytest' 2>/dev/null || \
		{ echo "check-bench: $(PYTHON) lacks pytest (apt-get install python3-pytest)"; exit 1; }
	BENCH_BUILD=$(BUILD) BENCH_VARIANTS="$(strip $(VARIANTS))" \
		$(PYTHON) -m pytest -q -p no:cacheprovider bench/test_bench.py
