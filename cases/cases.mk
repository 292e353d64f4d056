# SPDX-License-Identifier: GPL-2.0-only
#
# cases/cases.mk - the tests of the allocator cases (cases/slab/), owned by
# the cases.  harness/harness.mk compiles every cases/slab/*.c into each
# variant's runner: a case is picked up by the wildcard alone (see
# cases/README.md for the cases themselves).
#
#   make check-cases     integration tests (cases/tests, pytest), in make check

# Every case briefly in both modes on the newest variant, --list and the
# unsupported path on all of them.
.PHONY: check-cases
check-cases: $(VARIANTS:%=$(BUILD)/%/slabscale-run)
	BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider --durations=15 \
		cases/tests

CHECK_TARGETS	+= check-cases
CHECK_SECONDS	+= check-cases:93
