// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmu_math.c - the pure part of the PMU code: multiplex scaling, the
 * fallback table and refusal reasons.
 */
#include <errno.h>
#include <string.h>

#include "pmu.h"

/*
 * A counter that shared the PMU with others ran for running ns of the
 * enabled ns it was asked to count: extrapolate linearly, as perf does.
 * Never scheduled at all means no estimate: 0.
 */
double pmu_scale(unsigned long long raw, unsigned long long enabled,
		 unsigned long long running, bool *scaled)
{
	*scaled = false;
	if (!running)
		return 0.0;
	if (running >= enabled)
		return (double)raw;
	*scaled = true;
	return (double)((long double)raw * enabled / running);
}

static const char *const fallback_table[][2] = {
	{ "cycles", "task-clock" },
	{ "instructions", "context-switches" },
	{ "cache-misses", "cpu-migrations" },
	{ "branch-misses", "page-faults" },
};

const char *pmu_fallback_for(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(fallback_table) / sizeof(fallback_table[0]); i++)
		if (!strcmp(name, fallback_table[i][0]))
			return fallback_table[i][1];
	return NULL;
}

const char *pmu_refusal_reason(int err)
{
	switch (err) {
	case ENOENT:
		return "the kernel has no such event here (no hardware PMU?)";
	case EACCES:
	case EPERM:
		return "not permitted (kernel.perf_event_paranoid)";
	case EOPNOTSUPP:
		return "event not supported by the PMU";
	case EINVAL:
		return "event encoding refused by the kernel";
	case EMFILE:
	case ENFILE:
		return "out of file descriptors";
	case ESRCH:
		return "task gone";
	case ENODEV:
		return "no PMU device for this event";
	default:
		return "perf_event_open failed";
	}
}

void pmu_event_totals(const struct pmu_event *e, int nr_tasks,
		      double *value, unsigned long long *raw,
		      unsigned long long *enabled,
		      unsigned long long *running, bool *scaled)
{
	int i;

	*value = 0;
	*raw = *enabled = *running = 0;
	*scaled = false;
	for (i = 0; i < nr_tasks; i++) {
		bool s;

		*value += pmu_scale(e->raw[i], e->enabled[i], e->running[i], &s);
		*raw += e->raw[i];
		*enabled += e->enabled[i];
		*running += e->running[i];
		*scaled |= s;
	}
}
