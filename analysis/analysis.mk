# analysis/analysis.mk - the Python analysis (./slabscale): its tests and the
# nightly job that `make run` calls once everything is built.

# The tests in three steps that make check runs side by side: what the
# tools refuse (the hostile-input suite and the exit statuses, which count
# their inputs together), the services (PostgreSQL, Slurm, Chromium, the
# results database), and the rest.  make check-analysis-all runs them as one.
ANALYSIS_T	:= analysis/tests
ANALYSIS_HOSTILE := $(addprefix $(ANALYSIS_T)/,test_hostile.py \
			test_exit_statuses.py test_untrusted_tree.py)
ANALYSIS_SERVICES := $(addprefix $(ANALYSIS_T)/,test_slurm.py test_db.py \
			test_db_concurrency.py test_report.py)
ANALYSIS_REST	:= $(filter-out $(ANALYSIS_HOSTILE) $(ANALYSIS_SERVICES),\
			$(wildcard $(ANALYSIS_T)/test_*.py))
PYTEST		:= $(PYTHON) -m pytest -q -p no:cacheprovider --durations=15

CHECK_TARGETS	+= check-analysis check-analysis-hostile check-analysis-services
CHECK_SECONDS	+= check-analysis:162 check-analysis-hostile:106 \
		   check-analysis-services:100
.PHONY: check-analysis check-analysis-hostile check-analysis-services \
	check-analysis-all run-job trust docs-figures

check-analysis:
	$(PYTEST) $(ANALYSIS_REST)

check-analysis-hostile:
	$(PYTEST) $(ANALYSIS_HOSTILE)

check-analysis-services:
	$(PYTEST) $(ANALYSIS_SERVICES)

check-analysis-all:
	$(PYTEST) $(ANALYSIS_T)

# A short sweep over the mission's cases on the oldest and the newest
# allocator variant (5 repeats, interleaved: with 3 a side the exact
# Mann-Whitney p cannot go below 0.10, so nothing could ever be called a
# regression), the compare table, the summary and the report path.
# `make run` is a demonstration: it exits 0 when the sweep ran, whatever
# it found, and says the verdict in its last line.  The alerting exit
# statuses (1 = significant regression, 4 = rows stayed disturbed) belong
# to `./slabscale sweep` and the nightly job that calls it; runs that
# failed (3), a usage error (2) or an interrupt (130) still fail make.
RUN_VARIANTS	?= $(firstword $(VARIANTS)),$(lastword $(VARIANTS))
RUN_CASES	?= page_fault3_slab,cache_destroy,kvfree_rcu_barrier,page_fault3
# --budget: up to 16 more runs for rows left inconclusive or disturbed
RUN_ARGS	?= -t 1,2 -s 2 --warmup 1 --repeats 5 --budget 16 \
		   --param cache_destroy:bg_caches=16

run-job:
	@SLABSCALE_PYTHON=$(PYTHON) ./slabscale sweep --variants $(RUN_VARIANTS) \
		--cases $(RUN_CASES) $(RUN_ARGS); rc=$$?; \
		case $$rc in \
		0) echo "make run: done: nothing regressed (slabscale sweep exit 0)" ;; \
		1) echo "make run: done: the sweep found a significant regression (slabscale sweep exit 1; the summary above names it)" ;; \
		4) echo "make run: done: rows stayed disturbed, no verdict on this busy machine (slabscale sweep exit 4)" ;; \
		3) echo "make run: some runs failed (exit 3): see the messages above; they were not averaged in" >&2; exit 3 ;; \
		*) echo "make run: the sweep exited $$rc" >&2; exit $$rc ;; \
		esac

# How far the verdicts can be trusted on this machine (analysis/tools/
# trust.py): A/A and +5 %/+10 % trials of cases/spin_work.c, quiet,
# beside a pinned CPU hog and beside a benchmark on the other CPU that
# comes and goes; false-alarm and detection rates with their
# trial counts.  It measures: run it on a quiet machine.  TRUST_ARGS are
# passed on (e.g. TRUST_ARGS="--trials 20 --trials-5 10 --budget 4").
TRUST_ARGS	?=
trust: $(BUILD)/none/slabscale-run
	$(PYTHON) analysis/tools/trust.py --build $(BUILD) $(TRUST_ARGS)

# The published kernel results as a validation suite (plans/validation/,
# analysis/slabscale_analysis/validate.py): one row per published figure,
# its variants' runners built first.  Exit 0, or 5 when a row that fits
# this machine disagrees (rows taken on more CPUs run clamped and say so).
# VALIDATE_ARGS are passed on (e.g. VALIDATE_ARGS="--repeats 5").
VALIDATE_VARIANTS := cpuslab rcu-sheaf barrier-on-cache no-cpu-slab \
		     refill-all-nodes sheaves-all memoryless-barns
VALIDATE_ARGS	?=
.PHONY: validate
validate: deps-check $(foreach v,$(filter $(VALIDATE_VARIANTS),$(VARIANTS)),$(BUILD)/$(v)/slabscale-run)
	@SLABSCALE_PYTHON=$(PYTHON) ./slabscale validate $(VALIDATE_ARGS)

# The screenshots and plots of docs/figures/ (the report's first screen,
# a case section, the scaling plot with its USL fit, the history) from
# four short real sweeps on this machine, kept under build/docs-figures
# (analysis/tools/docs_figures.py).
docs-figures: $(BUILD)/cpuslab/slabscale-run $(BUILD)/sheaves-all/slabscale-run
	SLABSCALE_PYTHON=$(PYTHON) $(PYTHON) analysis/tools/docs_figures.py
