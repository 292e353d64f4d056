# SPDX-License-Identifier: GPL-2.0-only
#
# slabscale top-level Makefile.
#
#   make          build every variant's runner and library into build/
#   make check    install what is missing (make deps), build, run every test
#                 step (CHECK_STEP_JOBS of them side by side, default: the
#                 CPUs + 1, since the steps wait a third of their time)
#   make run      the nightly job: a short sweep, compare table and report
#   make bench    benchmarks that report side-by-side ratios
#   make deps     install the Debian packages slabscale needs (as root)
#
# Each component owns a fragment: harness/harness.mk (with harness/wis.mk),
# allocator/allocator.mk, cases/cases.mk, analysis/analysis.mk and
# bench/bench.mk.  A fragment adds its outputs to ALL_TARGETS, its test
# steps to CHECK_TARGETS (with each one's usual seconds, step:seconds, to
# CHECK_SECONDS: the longest start first) and its benchmarks to
# BENCH_TARGETS; nothing else
# here needs to change when one grows.  A fragment also adds to
# CHECK_BUILD what its test steps need beyond ALL_TARGETS: make check
# builds all of it first, in one make -j, then runs the steps side by side
# (scripts/check-steps.sh), none of which builds anything then.

PYTHON	?= /usr/bin/python3
BUILD	?= build
CC	?= gcc
AR	?= ar
OPT	?= -O2 -g
CFLAGS_COMMON := -std=gnu11 -Wall -Wextra -Werror $(OPT) -pthread \
		 -fno-omit-frame-pointer -D_GNU_SOURCE
URCU_LIBS := -lurcu-memb -lurcu-common
PFM_LIBS  := -lpfm

# Allocator variants, oldest first; "none" is the runner without the
# allocator (kernel cases only) and is not part of the history.  The one
# reader of allocator/variants.list in make; scripts ask `make list-variants`
# and Python reads it with analysis's plan.read_variants_list().
VARIANTS	:= $(shell sed -e 's/\#.*//' allocator/variants.list)
ALL_VARIANTS	:= none $(VARIANTS)

ALL_TARGETS	:=
CHECK_TARGETS	:=
CHECK_BUILD	:=
CHECK_SECONDS	:=
BENCH_TARGETS	:=
CHECK_JOBS	?= $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
# the test steps side by side: one more than the CPUs, because the steps
# wait (services starting, runs of fixed seconds, the sanitizer builds'
# threads): 723 s of CPU in 838 s of steps' wall time on the 2-CPU VM
# (docs/measurements/ci.md)
CHECK_STEP_JOBS	?= $(shell echo $$(( $(CHECK_JOBS) + 1 )))

.DEFAULT_GOAL := all
.PHONY: all check check-all check-build run bench deps deps-check clean \
	list-variants

include harness/harness.mk
include allocator/allocator.mk
include cases/cases.mk
include analysis/analysis.mk
include bench/bench.mk

all: deps-check $(ALL_TARGETS)

deps:
	@scripts/deps.sh install

deps-check:
	@scripts/deps.sh check

check: deps
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) all check-build
	@$(MAKE) --no-print-directory check-all

check-build: $(ALL_TARGETS) $(CHECK_BUILD)

# the test steps, side by side; make <step> runs one
check-all: check-build
	@CHECK_SECONDS="$(CHECK_SECONDS)" scripts/check-steps.sh $(CHECK_STEP_JOBS) \
		$(BUILD)/check $(CHECK_TARGETS)

bench: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(BENCH_TARGETS)

run: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory run-job

list-variants:
	@printf '%s\n' $(VARIANTS)

clean:
	rm -rf $(BUILD)
