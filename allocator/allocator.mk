# allocator/allocator.mk - libslab.a for every variant, the allocator tests.
#
# Each variant in allocator/variants.list is a configuration of the same
# sources: allocator/variants/<v>.mk sets VARIANT_CONFIG_<v> (-D flags,
# like Kconfig).  Outputs:
#   $(BUILD)/<v>/libslab.a                 the library
#   $(BUILD)/<v>/allocator/tests/<t>       test programs (allocator/tests/*.c)
#   $(BUILD)/<v>/san-{asan,tsan}/          the same under ASan + UBSan, TSan
#   $(BUILD)/<v>/assert/                   the same with the invariants
#                                          asserted (-DSLAB_DEBUG_ASSERT)
# Every allocator/src/*.c is compiled (files other components add there
# are picked up).  check-allocator runs all tests on every variant,
# check-allocator-san and check-allocator-assert the other columns.

ALLOC_DIR	:= allocator
ALLOC_SRCS	:= $(sort $(wildcard $(ALLOC_DIR)/src/*.c))
ALLOC_HDRS	:= $(wildcard $(ALLOC_DIR)/src/*.h $(ALLOC_DIR)/include/*.h)
# tests/assert/: tests that break an invariant on purpose and expect the
# assertion; they run in the assert column only
ALLOC_ASSERT_ONLY := $(sort $(wildcard $(ALLOC_DIR)/tests/assert/test_*.c))
ALLOC_TESTS	:= $(filter-out $(ALLOC_ASSERT_ONLY),$(sort $(wildcard \
			$(ALLOC_DIR)/tests/test_*.c $(ALLOC_DIR)/tests/*/test_*.c)))
ALLOC_TEST_NAMES := $(notdir $(basename $(ALLOC_TESTS)))
ALLOC_TEST_HDRS	:= $(wildcard $(ALLOC_DIR)/tests/*.h $(ALLOC_DIR)/tests/*/*.h)
ALLOC_GEN	:= $(BUILD)/allocator-gen
ALLOC_CPPFLAGS	:= -I$(ALLOC_DIR)/include -I$(ALLOC_DIR)/src -I$(ALLOC_GEN)
ALLOC_CFLAGS	:= $(CFLAGS_COMMON) -mcx16 $(ALLOC_CPPFLAGS)
ALLOC_LDLIBS	:= $(URCU_LIBS) -latomic

# sanitizer builds: flags, and which tests run there.  ASan and UBSan are
# one build (san-asan: -fsanitize=address,undefined, as the harness's
# runner; a separate UBSan build compiled and ran everything a third time
# for no check the combined one lacks).  The core's tests
# (allocator/tests/test_*.c) run under both builds; TSan builds have no rseq
# asm (-DSLAB_NO_RSEQ_ASM: TSan cannot see the restartable sequence's
# store as a lock) and use the atomic per-CPU fallback.  Tests in
# subdirectories (the RCU component's, liburcu-based) only run unsanitized.
ALLOC_CORE_TESTS := $(notdir $(basename $(wildcard $(ALLOC_DIR)/tests/test_*.c)))
SAN_asan_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_tsan_FLAGS	:= -fsanitize=thread -DSLAB_NO_RSEQ_ASM
SANITIZERS	:= asan tsan
# test_nolock (signal-handler stress) runs unsanitized only, see README.
SAN_asan_TESTS	:= $(filter-out test_nolock,$(ALLOC_CORE_TESTS))
SAN_tsan_TESTS	:= $(filter-out test_rcu% test_nolock,$(ALLOC_CORE_TESTS))
# the assert column: every test, and those of tests/assert/
ASSERT_FLAGS	:= -DSLAB_DEBUG_ASSERT
ALLOC_ASSERT_TESTS := $(ALLOC_TESTS) $(ALLOC_ASSERT_ONLY)

$(foreach v,$(VARIANTS),$(if $(wildcard $(ALLOC_DIR)/variants/$(v).mk),,\
  $(error allocator/variants/$(v).mk is missing for variant $(v))))
include $(foreach v,$(VARIANTS),$(ALLOC_DIR)/variants/$(v).mk)

# every CONFIG_SLUB_* a variant sets is a row of the step table
ALLOC_STEPS	:= $(sort $(shell grep -o 'CONFIG_SLUB_[A-Z0-9_]*' \
			$(ALLOC_DIR)/include/slab_features.h))
$(foreach v,$(VARIANTS),$(foreach f,$(patsubst -D%,%,$(filter -DCONFIG_SLUB_%,\
  $(VARIANT_CONFIG_$(v)))),$(if $(filter $(f),$(ALLOC_STEPS)),,\
  $(error variant $(v): $(f) is not a row of allocator/include/slab_features.h))))

# where glibc keeps struct rseq (see the tool): probed once per build
$(ALLOC_GEN)/rseq_offset.h: $(ALLOC_DIR)/tools/rseq_offset.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $< -o $(ALLOC_GEN)/rseq_offset
	$(ALLOC_GEN)/rseq_offset > $@.tmp
	mv $@.tmp $@

# Sources whose code cannot depend on the variant (they name no CONFIG_
# symbol, IS_ENABLED, SLAB_VARIANT_NAME or the step table, and no header
# has a CONFIG_ conditional) are compiled once per kind of build (normal,
# each sanitizer, assert) and shared by every variant's library; the
# others once per variant (docs/measurements/ci.md: the shared files'
# objects were the same in every variant).
ALLOC_CONFIG_HDRS := $(shell grep -l '^[[:space:]]*\#[[:space:]]*if.*CONFIG_' \
			$(ALLOC_DIR)/src/*.h $(ALLOC_DIR)/include/*.h)
ALLOC_VARIANT_SRCS := $(if $(ALLOC_CONFIG_HDRS),$(ALLOC_SRCS),$(shell grep -l \
			-e CONFIG_ -e IS_ENABLED -e SLAB_VARIANT_NAME \
			-e SLAB_FEATURES $(ALLOC_SRCS)))
ALLOC_COMMON_SRCS := $(filter-out $(ALLOC_VARIANT_SRCS),$(ALLOC_SRCS))
ALLOC_COMMON	:= $(BUILD)/allocator/common

# $(1) object dir of the shared sources, $(2) extra cflags
define ALLOC_COMMON_template
$(1)/%.o: $(ALLOC_DIR)/src/%.c $(ALLOC_HDRS) $(ALLOC_GEN)/rseq_offset.h
	@mkdir -p $$(@D)
	$$(CC) $$(ALLOC_CFLAGS) $(2) -c $$< -o $$@
endef

# $(1) variant, $(2) output dir, $(3) extra cflags, $(4) object dir of
# the shared sources
define ALLOC_LIB_template
$(2)/allocator/obj/%.o: $(ALLOC_DIR)/src/%.c $(ALLOC_HDRS) $(ALLOC_GEN)/rseq_offset.h $(ALLOC_DIR)/variants/$(1).mk
	@mkdir -p $$(@D)
	$$(CC) $$(ALLOC_CFLAGS) $$(VARIANT_CONFIG_$(1)) \
		-DSLAB_VARIANT_NAME='"$(1)"' $(3) -c $$< -o $$@

$(2)/libslab.a: $(patsubst $(ALLOC_DIR)/src/%.c,$(2)/allocator/obj/%.o,$(ALLOC_VARIANT_SRCS)) \
		$(patsubst $(ALLOC_DIR)/src/%.c,$(4)/%.o,$(ALLOC_COMMON_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^

endef

# $(1) variant, $(2) output dir, $(3) extra cflags, $(4) test source
define ALLOC_TEST_template
$(2)/allocator/tests/$(notdir $(basename $(4))): $(4) $(ALLOC_TEST_HDRS) $(2)/libslab.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALLOC_CFLAGS) $$(VARIANT_CONFIG_$(1)) $(3) $$< \
		$(2)/libslab.a $$(ALLOC_LDLIBS) -o $$@
endef

$(eval $(call ALLOC_COMMON_template,$(ALLOC_COMMON)/obj,))
$(foreach s,$(SANITIZERS),\
  $(eval $(call ALLOC_COMMON_template,$(ALLOC_COMMON)/san-$(s)/obj,$(SAN_$(s)_FLAGS))))
$(eval $(call ALLOC_COMMON_template,$(ALLOC_COMMON)/assert/obj,$(ASSERT_FLAGS)))
$(foreach v,$(VARIANTS),\
  $(eval $(call ALLOC_LIB_template,$(v),$(BUILD)/$(v),,$(ALLOC_COMMON)/obj)))
$(foreach v,$(VARIANTS),$(foreach s,$(SANITIZERS),\
  $(eval $(call ALLOC_LIB_template,$(v),$(BUILD)/$(v)/san-$(s),$(SAN_$(s)_FLAGS),$(ALLOC_COMMON)/san-$(s)/obj))))
$(foreach v,$(VARIANTS),$(foreach t,$(ALLOC_TESTS),\
  $(eval $(call ALLOC_TEST_template,$(v),$(BUILD)/$(v),,$(t)))))
$(foreach v,$(VARIANTS),$(foreach s,$(SANITIZERS),$(foreach t,$(ALLOC_TESTS),\
  $(if $(filter $(notdir $(basename $(t))),$(SAN_$(s)_TESTS)),\
  $(eval $(call ALLOC_TEST_template,$(v),$(BUILD)/$(v)/san-$(s),$(SAN_$(s)_FLAGS),$(t)))))))
$(foreach v,$(VARIANTS),\
  $(eval $(call ALLOC_LIB_template,$(v),$(BUILD)/$(v)/assert,$(ASSERT_FLAGS),$(ALLOC_COMMON)/assert/obj))\
  $(foreach t,$(ALLOC_ASSERT_TESTS),\
  $(eval $(call ALLOC_TEST_template,$(v),$(BUILD)/$(v)/assert,$(ASSERT_FLAGS),$(t)))))

ALLOC_LIBS	:= $(foreach v,$(VARIANTS),$(BUILD)/$(v)/libslab.a)
ALLOC_TEST_BINS	:= $(foreach v,$(VARIANTS),$(foreach t,$(ALLOC_TEST_NAMES),\
			$(BUILD)/$(v)/allocator/tests/$(t)))
ALLOC_SAN_BINS	:= $(foreach v,$(VARIANTS),$(foreach s,$(SANITIZERS),\
			$(foreach t,$(SAN_$(s)_TESTS),$(BUILD)/$(v)/san-$(s)/allocator/tests/$(t))))
ALLOC_ASSERT_BINS := $(foreach v,$(VARIANTS),$(foreach t,$(ALLOC_ASSERT_TESTS),\
			$(BUILD)/$(v)/assert/allocator/tests/$(notdir $(basename $(t)))))

ALL_TARGETS	+= $(ALLOC_LIBS)
CHECK_TARGETS	+= check-allocator check-allocator-san check-allocator-assert
CHECK_SECONDS	+= check-allocator:111 check-allocator-san:74 \
		   check-allocator-assert:121
CHECK_BUILD	+= $(ALLOC_TEST_BINS) $(ALLOC_SAN_BINS) $(ALLOC_ASSERT_BINS)

.PHONY: allocator-tests check-allocator check-allocator-san \
	check-allocator-assert
.SECONDARY: $(ALLOC_TEST_BINS) $(ALLOC_SAN_BINS) $(ALLOC_ASSERT_BINS)

allocator-tests: $(ALLOC_TEST_BINS)

# every test on every variant, with rseq and with the atomic fallback
check-allocator: $(ALLOC_TEST_BINS)
	@$(ALLOC_DIR)/tests/run-tests.sh normal $(ALLOC_TEST_BINS)

check-allocator-san: $(ALLOC_SAN_BINS)
	@$(ALLOC_DIR)/tests/run-tests.sh san $(ALLOC_SAN_BINS)

# every test with the invariants asserted, and the deliberate breaks
check-allocator-assert: $(ALLOC_ASSERT_BINS)
	@$(ALLOC_DIR)/tests/run-tests.sh assert $(ALLOC_ASSERT_BINS)
