# SPDX-License-Identifier: GPL-2.0-only
#
# cases/cases.mk - build knobs and tests of the allocator cases (cases/slab/),
# owned by the cases.  harness/harness.mk compiles every cases/slab/*.c into
# each variant's runner (see cases/README.md for the cases themselves).
#
#   make check-cases     integration tests (cases/tests, pytest), in make check
#
# Functions a variant may not have yet.  The allocator lands in phases
# (core, then kfree_rcu and barriers, then prefilled sheaves and
# kmalloc_nolock), so a case that calls later functions lists them in
# CASES_NEEDS_<case>.  Its object then depends on the variant's libslab.a
# and is compiled with -DSLAB_CASE_MISSING="<symbols>" when nm does not
# find them there; such a case reports itself unsupported on that variant
# ("needs kmalloc_nolock kfree_nolock, not in this variant's libslab.a yet")
# instead of breaking the link, and turns into the real case by itself
# once the library defines them.

CASES_NEEDS_kmalloc_nolock := kmalloc_nolock kfree_nolock
CASES_NEEDS_prefill_sheaf := kmem_cache_prefill_sheaf \
			     kmem_cache_alloc_from_sheaf \
			     kmem_cache_return_sheaf kmem_cache_sheaf_size
CASES_GATED := kmalloc_nolock prefill_sheaf

# Recipe-time (the object is $(BUILD)/<v>/cases/<case>.o): symbols the
# variant's libslab.a defines, and those case $(1) needs but lacks.
cases_defined = $(shell nm -g --defined-only $(dir $(@D))libslab.a \
		2>/dev/null | awk 'NF == 3 { print $$3 }')
cases_missing = $(strip $(filter-out $(cases_defined),$(CASES_NEEDS_$(1))))
cases_gate = $(if $(call cases_missing,$(1)),\
	     -DSLAB_CASE_MISSING='"$(call cases_missing,$(1))"')

CASE_CFLAGS_kmalloc_nolock = $(call cases_gate,kmalloc_nolock)
CASE_CFLAGS_prefill_sheaf = $(call cases_gate,prefill_sheaf)

CASES_SLAB_VARIANTS := $(filter-out none,$(HARNESS_VARIANTS))
$(foreach v,$(CASES_SLAB_VARIANTS),$(foreach c,$(CASES_GATED),\
  $(eval $(BUILD)/$(v)/cases/$(c).o: $(BUILD)/$(v)/libslab.a)))

# ---- tests ------------------------------------------------------------------
# Every case briefly in both modes on the newest variant, --list and the
# unsupported path on all of them.  Until the allocator's fragment declares
# its libraries there is no runner with these cases to test.
.PHONY: check-cases
check-cases: $(CASES_SLAB_VARIANTS:%=$(BUILD)/%/slabscale-run)
	BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider \
		cases/tests

ifneq ($(CASES_SLAB_VARIANTS),)
CHECK_TARGETS	+= check-cases
endif
