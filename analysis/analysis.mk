# analysis/analysis.mk - the Python analysis (./slabscale): its tests and the
# nightly job that `make run` calls once everything is built.

CHECK_TARGETS	+= check-analysis
.PHONY: check-analysis run-job

check-analysis:
	$(PYTHON) -m pytest -q -p no:cacheprovider analysis/tests

# A short sweep over the mission's cases on the oldest and the newest
# allocator variant (3 repeats, interleaved), the compare table and the
# report path.  Exit status as `slabscale sweep`: 1 = significant regression.
RUN_VARIANTS	?= $(firstword $(VARIANTS)),$(lastword $(VARIANTS))
RUN_CASES	?= page_fault3_slab,cache_destroy,kvfree_rcu_barrier,page_fault3
RUN_ARGS	?= -t 1,2 -s 2 --warmup 1 --repeats 3 --param cache_destroy:bg_caches=16

run-job:
	SLABSCALE_PYTHON=$(PYTHON) ./slabscale sweep --variants $(RUN_VARIANTS) \
		--cases $(RUN_CASES) $(RUN_ARGS)
