// SPDX-License-Identifier: GPL-2.0-only
/*
 * slabglue.c - compiled once per variant: with -DSLABSCALE_WITH_SLAB the
 * runner is linked with libslab.a and reports its statistics; the "none"
 * runner does not need the allocator at all.
 */
#include <stddef.h>

#include "harness.h"

#ifdef SLABSCALE_WITH_SLAB
#include "slab.h"

int (*const harness_slab_stats)(char *buf, size_t len) = slab_stats_json;

/* the allocator's declared counters (slab.h, SLAB_STAT_ITEMS) */
static bool slab_counter(unsigned int i, struct harness_counter *out)
{
	unsigned int nr;
	const struct slab_counter_info *c = slab_counter_info(&nr);

	if (i >= nr)
		return false;
	*out = (struct harness_counter){ c[i].group, c[i].name, c[i].unit,
					 c[i].better, c[i].what };
	return true;
}
bool (*const harness_slab_counter)(unsigned int i,
				   struct harness_counter *out) = slab_counter;
#else
int (*const harness_slab_stats)(char *buf, size_t len);
bool (*const harness_slab_counter)(unsigned int i,
				   struct harness_counter *out);
#endif
