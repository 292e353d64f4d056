# analysis/analysis.mk - the Python analysis (./slabscale): its tests and the
# nightly job that `make run` calls once everything is built.

CHECK_TARGETS	+= check-analysis
.PHONY: check-analysis run-job

check-analysis:
	$(PYTHON) -m pytest -q -p no:cacheprovider analysis/tests

# A short sweep over the mission's cases on the oldest and the newest
# allocator variant (5 repeats, interleaved: with 3 a side the exact
# Mann-Whitney p cannot go below 0.10, so nothing could ever be called a
# regression), the compare table and the report path.  Exit status as
# `slabscale sweep`: 1 = significant regression, 3 = some runs failed.
RUN_VARIANTS	?= $(firstword $(VARIANTS)),$(lastword $(VARIANTS))
RUN_CASES	?= page_fault3_slab,cache_destroy,kvfree_rcu_barrier,page_fault3
RUN_ARGS	?= -t 1,2 -s 2 --warmup 1 --repeats 5 --param cache_destroy:bg_caches=16

run-job:
	@SLABSCALE_PYTHON=$(PYTHON) ./slabscale sweep --variants $(RUN_VARIANTS) \
		--cases $(RUN_CASES) $(RUN_ARGS) || { rc=$$?; \
		case $$rc in \
		1) echo "make run: the sweep found a significant regression (exit 1): see the table and report above" ;; \
		3) echo "make run: some runs failed (exit 3): see the messages above; they were not averaged in" ;; \
		*) echo "make run: the sweep exited $$rc" ;; \
		esac >&2; exit $$rc; }
