# analysis/analysis.mk - the Python analysis (./slabscale): its tests and the
# nightly job that `make run` calls once everything is built.

CHECK_TARGETS	+= check-analysis
.PHONY: check-analysis run-job trust

check-analysis:
	$(PYTHON) -m pytest -q -p no:cacheprovider analysis/tests

# A short sweep over the mission's cases on the oldest and the newest
# allocator variant (5 repeats, interleaved: with 3 a side the exact
# Mann-Whitney p cannot go below 0.10, so nothing could ever be called a
# regression), the compare table and the report path.  Exit status as
# `slabscale sweep`: 1 = significant regression, 3 = some runs failed,
# 4 = rows stayed disturbed (no verdict on a loaded machine).
RUN_VARIANTS	?= $(firstword $(VARIANTS)),$(lastword $(VARIANTS))
RUN_CASES	?= page_fault3_slab,cache_destroy,kvfree_rcu_barrier,page_fault3
# --budget: up to 16 more runs for rows left inconclusive or disturbed
RUN_ARGS	?= -t 1,2 -s 2 --warmup 1 --repeats 5 --budget 16 \
		   --param cache_destroy:bg_caches=16

run-job:
	@SLABSCALE_PYTHON=$(PYTHON) ./slabscale sweep --variants $(RUN_VARIANTS) \
		--cases $(RUN_CASES) $(RUN_ARGS) || { rc=$$?; \
		case $$rc in \
		1) echo "make run: the sweep found a significant regression (exit 1): see the table and report above" ;; \
		3) echo "make run: some runs failed (exit 3): see the messages above; they were not averaged in" ;; \
		4) echo "make run: rows stayed disturbed (exit 4): the machine was not quiet enough to decide them; see the summary above" ;; \
		*) echo "make run: the sweep exited $$rc" ;; \
		esac >&2; exit $$rc; }

# How far the verdicts can be trusted on this machine (analysis/tools/
# trust.py): A/A and +5 %/+10 % trials of cases/spin_work.c, quiet,
# beside a pinned CPU hog and beside a benchmark on the other CPU that
# comes and goes; false-alarm and detection rates with their
# trial counts.  It measures: run it on a quiet machine.  TRUST_ARGS are
# passed on (e.g. TRUST_ARGS="--trials 20 --trials-5 10 --budget 4").
TRUST_ARGS	?=
trust: $(BUILD)/none/slabscale-run
	$(PYTHON) analysis/tools/trust.py --build $(BUILD) $(TRUST_ARGS)
