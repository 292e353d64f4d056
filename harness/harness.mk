# SPDX-License-Identifier: GPL-2.0-only
#
# harness/harness.mk - the runner, owned by the harness.
#
# For every variant v in ALL_VARIANTS (none and allocator/variants.list):
#   build/<v>/slabscale-run         all cases linked into one runner
#   build/<v>/<case>_threads        will-it-scale's executables: the harness
#   build/<v>/<case>_processes      with that case alone, its mode fixed
#                                   (wisfixed.c), so a renamed copy runs;
#                                   variants link ../none/'s for cases/*.c
# Foreign will-it-scale files (cases/wis/) build into build/wis/: wis.mk.
# Cases are cases/*.c for every variant plus cases/slab/*.c for v != none.
# Each case file is compiled with its testcase symbols renamed
# (testcase -> __case_<name>_testcase, ...) and every other global symbol
# made local, so independent will-it-scale style files link together;
# harness/tools/gen-registry.sh writes the table of cases.
#
# Per-case knobs a fragment (cases/cases.mk) may set:
#   CASE_LDLIBS_<name>   extra link flags for runners containing the case
#   CASE_CFLAGS_<name>   extra compile flags for the case
#
# Variants other than none link $(BUILD)/<v>/libslab.a, which
# allocator/allocator.mk builds.
#
# build/test/slabscale-run is the none runner plus the test-only cases of
# harness/tests/cases/ (a crashing case and the like); it is not part of
# any variant.

HARNESS_SRC_NAMES := main cases options run interval host task shared api params metrics \
		     topology summary histogram pmu pmu_math procstat schedstat disturb neighbours hostinfo \
		     output json rundoc runid
HARNESS_OBJDIR	:= $(BUILD)/harness/obj
HARNESS_OBJS	:= $(HARNESS_SRC_NAMES:%=$(HARNESS_OBJDIR)/%.o)
HARNESS_LIB	:= $(BUILD)/harness/libharness.a
# allocator/include for node_list.h, the header-only node-list parser the
# harness shares with the allocator (the runner without it has it too)
HARNESS_CFLAGS	:= $(CFLAGS_COMMON) -Iharness/include -Iharness/src \
		   -Iallocator/include -MMD -MP
HARNESS_LDLIBS	:= $(PFM_LIBS) -lm
CASE_RENAMES	= $(foreach s,testcase testcase_description testcase_prepare \
		  testcase_cleanup testcase_unsupported,-D$(s)=__case_$(1)_$(s))
CASE_KEEP	= $(foreach s,testcase testcase_description testcase_prepare \
		  testcase_cleanup testcase_unsupported,-G __case_$(1)_$(s))


PLAIN_CASES	:= $(sort $(wildcard cases/*.c))
SLAB_CASES	:= $(sort $(wildcard cases/slab/*.c))
TEST_CASES	:= $(sort $(wildcard harness/tests/cases/*.c))
case_name	= $(basename $(notdir $(1)))

.PHONY: FORCE-BUILDINFO
$(BUILD)/harness/buildinfo.c: FORCE-BUILDINFO
	@mkdir -p $(@D)
	@harness/tools/gen-buildinfo.sh $@ "$(CC)" "$(CFLAGS_COMMON)"

$(BUILD)/harness/buildinfo.o: $(BUILD)/harness/buildinfo.c
	$(CC) $(HARNESS_CFLAGS) -c -o $@ $<

$(HARNESS_OBJDIR)/%.o: harness/src/%.c
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -c -o $@ $<

$(HARNESS_LIB): $(HARNESS_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# Every case object depends on the case headers explicitly too: the
# compiler's dependency file names the object given with -MT (older trees
# have files naming the temporary object, which never rebuilt anything).
CASE_HDRS	:= harness/include/slabscale.h $(wildcard cases/*.h cases/slab/*.h)

# $(1) source, $(2) object, $(3) extra cflags
define case_object
$(2): $(1) $(CASE_HDRS)
	@mkdir -p $$(@D)
	$$(CC) $$(HARNESS_CFLAGS) -Icases -Iallocator/include $(3) \
		$$(call CASE_RENAMES,$(call case_name,$(1))) \
		$$(CASE_CFLAGS_$(call case_name,$(1))) -MT $$@ -c -o $$@.tmp.o $$<
	objcopy $$(call CASE_KEEP,$(call case_name,$(1))) $$@.tmp.o $$@
	@rm -f $$@.tmp.o
endef

# Case objects do not depend on the variant (a case asks slab_features()
# at run time), so each is compiled once and linked into every runner.
$(foreach c,$(PLAIN_CASES) $(SLAB_CASES) $(TEST_CASES),$(eval $(call case_object,$(c),$(BUILD)/cases/$(call case_name,$(c)).o,)))

# A runner's case object: shared ($(BUILD)/cases/), or the sanitized
# runner's own.  $(1) runner dir, $(2) case source, $(3) sanitizer flags
runner_case_obj	= $(if $(3),$(1)/cases,$(BUILD)/cases)/$(call case_name,$(2)).o
runner_harness_lib = $(if $(1),$(HARNESS_SAN_LIB),$(HARNESS_LIB))

# $(1) runner dir, $(2) variant name, $(3) case sources, $(4) libslab or
# empty, $(5) sanitizer flags or empty
define runner
$(1)/registry.c: FORCE-BUILDINFO
	@mkdir -p $$(@D)
	@harness/tools/gen-registry.sh $(2) $$@ $(3)

$(1)/registry.o: $(1)/registry.c
	$$(CC) $$(HARNESS_CFLAGS) $(5) -c -o $$@ $$<

$(1)/slabglue.o: harness/src/slabglue.c
	@mkdir -p $$(@D)
	$$(CC) $$(HARNESS_CFLAGS) $(5) $(if $(4),-DSLABSCALE_WITH_SLAB -Iallocator/include) -c -o $$@ $$<

$(1)/slabscale-run: $(1)/registry.o $(1)/slabglue.o $(BUILD)/harness/buildinfo.o \
		$(foreach c,$(3),$(call runner_case_obj,$(1),$(c),$(5))) \
		$(call runner_harness_lib,$(5)) $(4)
	$$(CC) $$(CFLAGS_COMMON) $(5) -o $$@ $$(filter %.o,$$^) \
		$(call runner_harness_lib,$(5)) $(4) \
		$(HARNESS_LDLIBS) $(if $(4),$$(URCU_LIBS)) \
		$$(foreach c,$(3),$$(CASE_LDLIBS_$$(call case_name,$$(c))))
endef

# $(1) runner dir, $(2) variant, $(3) case source, $(4) case object,
# $(5) libslab or empty.  No buildinfo, no allocator statistics: these
# executables write no JSON (wisfixed.c stands in for buildinfo).
define wis_exes
$(1)/reg/$(call case_name,$(3)).c: harness/tools/gen-registry.sh
	@mkdir -p $$(@D)
	@harness/tools/gen-registry.sh $(2) $$@ $(3)

$(1)/reg/$(call case_name,$(3)).o: $(1)/reg/$(call case_name,$(3)).c
	$$(CC) $$(HARNESS_CFLAGS) -c -o $$@ $$<

$(foreach m,threads processes,$(call wis_exe,$(1),$(call case_name,$(3)),$(4),$(5),$(m)))
HARNESS_WIS_EXES += $(1)/$(call case_name,$(3))_threads $(1)/$(call case_name,$(3))_processes
endef

# $(1) dir, $(2) case name, $(3) case object, $(4) libslab, $(5) mode
define wis_exe
$(1)/$(2)_$(5): $(1)/reg/$(2).o $(3) $(BUILD)/harness/wis_$(5).o \
		$(BUILD)/none/slabglue.o $(HARNESS_LIB) $(4)
	@rm -f $$@
	$$(CC) $$(CFLAGS_COMMON) -o $$@ $$(filter %.o,$$^) $(HARNESS_LIB) $(4) \
		$(HARNESS_LDLIBS) $(if $(4),$$(URCU_LIBS)) $$(CASE_LDLIBS_$(2))

endef

# A variant's executables of an allocator-free case are none's.
define wis_link
$(1)/$(2)_$(3): $(BUILD)/none/$(2)_$(3)
	@mkdir -p $$(@D)
	ln -sf ../none/$(2)_$(3) $$@
HARNESS_WIS_EXES += $(1)/$(2)_$(3)
endef

HARNESS_WIS_EXES :=
$(eval $(call runner,$(BUILD)/none,none,$(PLAIN_CASES),))
$(eval $(call runner,$(BUILD)/test,none,$(PLAIN_CASES) $(TEST_CASES),))
$(foreach v,$(VARIANTS),\
  $(eval $(call runner,$(BUILD)/$(v),$(v),$(PLAIN_CASES) $(SLAB_CASES),$(BUILD)/$(v)/libslab.a)))

$(foreach c,$(PLAIN_CASES) $(TEST_CASES),$(eval $(call wis_exes,$(if $(filter $(c),$(TEST_CASES)),$(BUILD)/test,$(BUILD)/none),none,$(c),$(BUILD)/cases/$(call case_name,$(c)).o,)))
$(foreach v,$(VARIANTS),\
  $(foreach c,$(PLAIN_CASES),$(foreach m,threads processes,$(eval $(call wis_link,$(BUILD)/$(v),$(call case_name,$(c)),$(m)))))\
  $(foreach c,$(SLAB_CASES),$(eval $(call wis_exes,$(BUILD)/$(v),$(v),$(c),$(BUILD)/cases/$(call case_name,$(c)).o,$(BUILD)/$(v)/libslab.a))))

include harness/wis.mk

HARNESS_RUNNERS := $(ALL_VARIANTS:%=$(BUILD)/%/slabscale-run)
ALL_TARGETS	+= $(HARNESS_RUNNERS) $(HARNESS_WIS_EXES)

# ---- the runner under ASan + UBSan --------------------------------------------
# $(BUILD)/<v>/san-asan/slabscale-run for the newest variant v: harness and
# cases built with -fsanitize=address,undefined, linked with the variant's
# libslab.a of the same build (allocator/allocator.mk's san-asan).  Not part of `make`; harness/tests/test_sanitized.py
# runs it (make check-harness-py).
HARNESS_SAN_VARIANT := $(lastword $(VARIANTS))
HARNESS_SAN_DIR	:= $(BUILD)/$(HARNESS_SAN_VARIANT)/san-asan
HARNESS_SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
HARNESS_SAN_OBJDIR := $(BUILD)/harness/san-asan/obj
HARNESS_SAN_LIB	:= $(BUILD)/harness/san-asan/libharness.a
HARNESS_SAN_CASES := $(PLAIN_CASES) $(SLAB_CASES)
HARNESS_SAN_RUNNER := $(HARNESS_SAN_DIR)/slabscale-run

$(HARNESS_SAN_OBJDIR)/%.o: harness/src/%.c
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) $(HARNESS_SAN_FLAGS) -c -o $@ $<

$(HARNESS_SAN_LIB): $(HARNESS_SRC_NAMES:%=$(HARNESS_SAN_OBJDIR)/%.o)
	@rm -f $@
	$(AR) rcs $@ $^

$(foreach c,$(HARNESS_SAN_CASES),$(eval $(call case_object,$(c),$(HARNESS_SAN_DIR)/cases/$(call case_name,$(c)).o,$(HARNESS_SAN_FLAGS))))
$(eval $(call runner,$(HARNESS_SAN_DIR),$(HARNESS_SAN_VARIANT),$(HARNESS_SAN_CASES),$(HARNESS_SAN_DIR)/libslab.a,$(HARNESS_SAN_FLAGS)))

# ---- tests ------------------------------------------------------------------
HARNESS_UNIT	:= $(BUILD)/harness/unit-tests
HARNESS_UNIT_SRCS := $(sort $(wildcard harness/tests/unit/*.c))

$(HARNESS_UNIT): $(HARNESS_UNIT_SRCS) $(HARNESS_LIB) $(BUILD)/none/registry.o \
		$(BUILD)/none/slabglue.o $(BUILD)/harness/buildinfo.o \
		$(PLAIN_CASES:cases/%.c=$(BUILD)/cases/%.o)
	$(CC) $(HARNESS_CFLAGS) -o $@ $(HARNESS_UNIT_SRCS) \
		$(filter %.o,$^) $(HARNESS_LIB) $(HARNESS_LDLIBS)

.PHONY: check-harness-unit check-harness-py
check-harness-unit: $(HARNESS_UNIT)
	$(HARNESS_UNIT)

check-harness-py: $(BUILD)/none/slabscale-run $(BUILD)/test/slabscale-run \
		$(BUILD)/wistest/slabscale-run
	cd harness/tests && SLABSCALE_BUILD=$(abspath $(BUILD)) \
		SLABSCALE_SAN_RUNNER=$(abspath $(HARNESS_SAN_RUNNER)) \
		$(PYTHON) -m pytest -q -p no:cacheprovider --durations=15 .

ALL_TARGETS	+= $(BUILD)/test/slabscale-run $(HARNESS_UNIT)
CHECK_TARGETS	+= check-harness-unit check-harness-py
CHECK_SECONDS	+= check-harness-unit:1 check-harness-py:160
CHECK_BUILD	+= $(BUILD)/wistest/slabscale-run $(HARNESS_SAN_RUNNER)
# harness/tests/test_sanitized.py runs it
check-harness-py: $(HARNESS_SAN_RUNNER)
# test_disturb.py runs an allocator case on the newest variant's runner
check-harness-py: $(dir $(patsubst %/,%,$(dir $(HARNESS_SAN_RUNNER))))slabscale-run

-include $(HARNESS_OBJS:.o=.d) $(BUILD)/harness/buildinfo.d \
	$(wildcard $(HARNESS_SAN_OBJDIR)/*.d $(HARNESS_SAN_DIR)/cases/*.d)
-include $(wildcard $(BUILD)/*/cases/*.d $(BUILD)/cases/*.d $(BUILD)/*/registry.d $(BUILD)/*/slabglue.d)
