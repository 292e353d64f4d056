# SPDX-License-Identifier: GPL-2.0-only
#
# harness/wis.mk - foreign will-it-scale test files, built as will-it-scale
# builds them (included by harness/harness.mk).
#
#   cases/wis/*.c          ->  build/wis/X_threads, X_processes, slabscale-run
#   harness/tests/wis/*.c  ->  build/wistest/...   (make check's own files)
#
# A foreign file is compiled unchanged with will-it-scale's flags
# (-Wall -O2 -g: no -Werror, no -D_GNU_SOURCE on the command line; the
# force-included harness/include/wis-prelude.h defines _GNU_SOURCE only if
# the file does not), then its testcase symbols are renamed as for our own
# cases.  Each build directory holds only its foreign cases, under their
# own names: upstream's page_fault3.c becomes build/wis/page_fault3_threads
# next to nothing of slabscale's, so it never meets cases/page_fault3.c
# (build/<v>/page_fault3_threads), and will-it-scale's runalltests, run in
# build/wis, runs exactly the foreign cases.  X_threads / X_processes are
# standalone executables holding case X alone (as upstream's); slabscale-run
# there holds every foreign case that built.
#
# A file that does not compile or link is reported by name (its log in
# <dir>/log/X.log) and left out; the others still build and make goes on.
# The directories are variables so that a test can build a scratch one:
#   make WIS_CASES_DIR=/tmp/src WIS_BUILD=/tmp/out /tmp/out/slabscale-run

WIS_CASES_DIR	?= cases/wis
WIS_BUILD	?= $(BUILD)/wis
WIS_CFLAGS	:= -Wall -O2 -g
WIS_PRELUDE	:= harness/include/wis-prelude.h
WIS_TOOL	:= harness/tools/try-build.sh
# what every will-it-scale executable links besides its case and registry
WIS_EXE_DEPS	= $(BUILD)/none/slabglue.o $(HARNESS_LIB)

# $(1) source, $(2) build dir, $(3) case name
define foreign_case
$(2)/obj/$(3).stamp: $(1) $(WIS_PRELUDE) $(WIS_TOOL)
	@$(WIS_TOOL) compile $(3) $(2) $$(CC) $(WIS_CFLAGS) -include $(WIS_PRELUDE) \
		$$(call CASE_RENAMES,$(3)) $$(CASE_CFLAGS_$(3)) \
		-c -o $(2)/obj/$(3).tmp.o $(1)
	@touch $$@

$(2)/reg/$(3).c: harness/tools/gen-registry.sh
	@mkdir -p $$(@D)
	@harness/tools/gen-registry.sh wis $$@ $(1)

$(2)/reg/$(3).o: $(2)/reg/$(3).c
	$$(CC) $$(HARNESS_CFLAGS) -c -o $$@ $$<

$(foreach m,threads processes,$(call foreign_exe,$(2),$(3),$(m)))
endef

# $(1) build dir, $(2) case name, $(3) threads|processes
define foreign_exe
$(1)/$(2)_$(3): $(1)/obj/$(2).stamp $(1)/reg/$(2).o $(BUILD)/harness/wis_$(3).o \
		$(WIS_EXE_DEPS)
	@$(WIS_TOOL) link $(2) $(1) $$@ $$(CC) -pthread -o $$@ \
		$(1)/reg/$(2).o $(1)/obj/$(2).o $(BUILD)/harness/wis_$(3).o \
		$(WIS_EXE_DEPS) $$(HARNESS_LDLIBS) $$(CASE_LDLIBS_$(2))

endef

# $(1) source dir, $(2) build dir.  slabscale-run takes the cases whose
# both executables linked, and says which did not build.
define foreign_dir
$(foreach c,$(sort $(wildcard $(1)/*.c)),$(eval $(call foreign_case,$(c),$(2),$(call case_name,$(c)))))

$(2)/slabscale-run: $(foreach c,$(sort $(wildcard $(1)/*.c)),$(2)/$(call case_name,$(c))_threads $(2)/$(call case_name,$(c))_processes) \
		$(BUILD)/harness/buildinfo.o $(WIS_EXE_DEPS)
	@ok=""; bad=""; for c in $(foreach c,$(sort $(wildcard $(1)/*.c)),$(call case_name,$(c))); do \
		if [ -x $(2)/$$$${c}_threads ] && [ -x $(2)/$$$${c}_processes ]; then \
			ok="$$$$ok $$$$c"; else bad="$$$$bad $$$$c"; fi; done; \
	harness/tools/gen-registry.sh wis $(2)/registry.c \
		$$$$(for c in $$$$ok; do echo $(1)/$$$$c.c; done) && \
	$$(CC) $$(HARNESS_CFLAGS) -c -o $(2)/registry.o $(2)/registry.c && \
	$$(CC) $$(CFLAGS_COMMON) -o $$@ $(2)/registry.o $(BUILD)/harness/buildinfo.o \
		$$$$(for c in $$$$ok; do echo $(2)/obj/$$$$c.o; done) \
		$(WIS_EXE_DEPS) $$(HARNESS_LDLIBS) && \
	n=$$$$(echo $$$$ok | wc -w); m=$$$$(echo $$$$ok $$$$bad | wc -w); \
	echo "$(2): $$$$n of $$$$m will-it-scale cases built from $(1)/" \
	     "($$$$n x 2 executables and slabscale-run)" | tee $(2)/BUILD-SUMMARY; \
	if [ -n "$$$$bad" ]; then \
		echo "$(2): NOT BUILT:$$$$bad (logs: $(2)/log/)" | tee -a $(2)/BUILD-SUMMARY >&2; fi

ALL_TARGETS += $(if $(wildcard $(1)/*.c),$(2)/slabscale-run)
endef

$(BUILD)/harness/wis_threads.o: harness/src/wisfixed.c
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -DWIS_MODE=1 -c -o $@ $<

$(BUILD)/harness/wis_processes.o: harness/src/wisfixed.c
	@mkdir -p $(@D)
	$(CC) $(HARNESS_CFLAGS) -DWIS_MODE=2 -c -o $@ $<

$(eval $(call foreign_dir,$(WIS_CASES_DIR),$(WIS_BUILD)))
$(eval $(call foreign_dir,harness/tests/wis,$(BUILD)/wistest))
