// SPDX-License-Identifier: GPL-2.0-only
/*
 * slabglue.c - compiled once per variant: with -DSLABSCALE_WITH_SLAB the
 * runner is linked with libslab.a and reports its statistics; the "none"
 * runner does not need the allocator at all.
 */
#include <stddef.h>

#include "harness.h"

#ifdef SLABSCALE_WITH_SLAB
int slab_stats_json(char *buf, size_t len);
int (*const harness_slab_stats)(char *buf, size_t len) = slab_stats_json;
#else
int (*const harness_slab_stats)(char *buf, size_t len);
#endif
