// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics.c - case metrics recorded per task into the shared area.
 *
 * Definitions (name, kind, unit) are added under ctl->lock; records go
 * to the caller's task row with relaxed atomics, because a task and its
 * helper threads share a row.  Calls outside any task (prepare, cleanup)
 * use the extra row nr_tasks and are always kept.
 */
#include <string.h>

#include "harness.h"

int harness_metric(const char *name, int kind, const char *unit)
{
	struct shared_ctl *c = sh.ctl;
	int i, base = kind & 0xff;

	if (!c || !name || (base != HARNESS_LATENCY && base != HARNESS_COUNTER &&
			    base != HARNESS_MAX))
		return -1;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->nr_metrics; i++)
		if (!strcmp(c->metrics[i].name, name))
			break;
	if (i == c->nr_metrics) {
		if (i == HARNESS_MAX_METRICS) {
			i = -1;
			goto out;
		}
		strncpy(c->metrics[i].name, name, sizeof(c->metrics[i].name) - 1);
		strncpy(c->metrics[i].unit, unit ? unit : "",
			sizeof(c->metrics[i].unit) - 1);
		c->metrics[i].kind = kind;
		__atomic_store_n(&c->nr_metrics, i + 1, __ATOMIC_RELEASE);
	}
out:
	pthread_mutex_unlock(&c->lock);
	return i;
}

static void atomic_max(unsigned long long *p, unsigned long long v)
{
	unsigned long long old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > old &&
	       !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static void atomic_min(unsigned long long *p, unsigned long long v)
{
	unsigned long long old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while ((v < old || !old) &&
	       !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

void harness_record(int id, unsigned long long value)
{
	struct shared_ctl *c = sh.ctl;
	struct metric_slot *m;
	int kind;

	if (!c || id < 0 || id >= __atomic_load_n(&c->nr_metrics,
						  __ATOMIC_ACQUIRE))
		return;
	kind = c->metrics[id].kind;
	if (cur_task >= 0 && !(kind & HARNESS_ALWAYS) &&
	    !__atomic_load_n(&c->measuring, __ATOMIC_RELAXED))
		return;
	m = metric_slot(cur_task, id);
	switch (kind & 0xff) {
	case HARNESS_LATENCY:
		__atomic_fetch_add(&m->buckets[hist_index(value)], 1,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&m->sum, value, __ATOMIC_RELAXED);
		/* min is stored + 1 so that 0 means "none yet" */
		atomic_min(&m->min, value + 1);
		atomic_max(&m->max, value);
		__atomic_fetch_add(&m->count, 1, __ATOMIC_RELAXED);
		break;
	case HARNESS_COUNTER:
		__atomic_fetch_add(&m->sum, value, __ATOMIC_RELAXED);
		__atomic_fetch_add(&m->count, 1, __ATOMIC_RELAXED);
		break;
	case HARNESS_MAX:
		atomic_max(&m->max, value);
		__atomic_fetch_add(&m->count, 1, __ATOMIC_RELAXED);
		break;
	}
}
