// SPDX-License-Identifier: GPL-2.0-only
/*
 * interval.c - the sampling grid and how far an interval may stray from it.
 *
 * The coordinator samples on absolute CLOCK_MONOTONIC deadlines, so the
 * usual wakeup latency does not accumulate into drift.  When it wakes more
 * than half an interval late (it was stopped, or not scheduled: a loaded
 * machine), the missed deadlines are not caught up, which would produce
 * intervals of (nearly) zero length: the grid restarts one interval after
 * the late wakeup.  So every interval lasts at least half the nominal
 * length, and its rate is its iterations over its measured length.
 *
 * An interval outside [INTERVAL_MIN_RATIO, INTERVAL_MAX_RATIO] x nominal
 * is flagged.  Beyond 1.5 x the coordinator was not running for half an
 * interval or more, so the tasks were most likely disturbed as well: such
 * an interval is excluded from the run's statistics (run.c measures one
 * more in its place) and the run carries a mark (rundoc.c).
 */
#include <stdio.h>

#include "run.h"

unsigned long long interval_next_deadline(unsigned long long deadline,
					  unsigned long long now,
					  unsigned long long interval)
{
	deadline += interval;
	if (deadline < now + interval / 2)
		deadline = now + interval;	/* late: restart the grid */
	return deadline;
}

unsigned int interval_flags(double secs, double nominal)
{
	unsigned int f = 0;

	if (secs < INTERVAL_MIN_RATIO * nominal)
		f |= SAMPLE_SHORT;
	if (secs > INTERVAL_MAX_RATIO * nominal)
		f |= SAMPLE_LONG;
	return f;
}

static const char *const flag_names[] = {
	[SAMPLE_SHORT_BIT] = "short",
	[SAMPLE_LONG_BIT] = "long",
};

const char *sample_flag_name(unsigned int bit)
{
	return bit < sizeof(flag_names) / sizeof(flag_names[0]) ?
	       flag_names[bit] : NULL;
}

/* The run's off-nominal note (text and JSON mark); false if none. */
bool interval_note(const struct run *r, char *buf, size_t len)
{
	const struct run_stats *st = &r->st;

	if (!st->excluded)
		return false;
	snprintf(buf, len, "%d of %d measured interval(s) lasted outside "
		 "[%g, %g] x the nominal %g s (longest %.3f s) and were not "
		 "averaged in", st->excluded, st->excluded + st->intervals,
		 INTERVAL_MIN_RATIO, INTERVAL_MAX_RATIO, r->o->interval,
		 st->excluded_max_secs);
	return true;
}
