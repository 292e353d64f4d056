// SPDX-License-Identifier: GPL-2.0-only
/*
 * topology.c - CPUs from sysfs, for pinning.
 *
 * Cores are ordered by (package, die, core id); the PU order walks core by
 * core (all SMT siblings of a core, then the next core), as hwloc numbers
 * PUs.  Only CPUs that are online and in our affinity mask are used.  By
 * default a task is bound to its whole core (every allowed SMT sibling),
 * as will-it-scale binds to hwloc's core cpuset; with -m to one PU.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct pu {
	int cpu, pkg, die, core;
};

static int read_int(const char *root, const char *file, int cpu, int *out)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/cpu%d/%s", root, cpu, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%d", out) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* Number of CPUs in a sysfs list such as "0-3,8,10-11"; -1 if malformed. */
int count_cpus_in_list(const char *list)
{
	int n = 0;
	const char *p = list;

	while (*p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return -1;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				return -1;
		}
		n += b - a + 1;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

static int cmp_pu(const void *a, const void *b)
{
	const struct pu *x = a, *y = b;

	if (x->pkg != y->pkg)
		return x->pkg - y->pkg;
	if (x->die != y->die)
		return x->die - y->die;
	if (x->core != y->core)
		return x->core - y->core;
	return x->cpu - y->cpu;
}

static bool same_core(const struct pu *a, const struct pu *b)
{
	return a->pkg == b->pkg && a->die == b->die && a->core == b->core;
}

/* sysfs_cpu: a tree laid out as /sys/devices/system/cpu (tests fake it). */
int topology_load_from(struct topology *t, const char *sysfs_cpu,
		       const cpu_set_t *allowed)
{
	struct pu *pus;
	int n = 0, ncpu = CPU_SETSIZE, i, per;

	memset(t, 0, sizeof(*t));
	pus = calloc(ncpu, sizeof(*pus));
	t->pu_order = calloc(ncpu, sizeof(int));
	t->core_first = calloc(ncpu, sizeof(int));
	t->core_of = malloc(ncpu * sizeof(int));
	t->core_set = calloc(ncpu, sizeof(cpu_set_t));
	if (!pus || !t->pu_order || !t->core_first || !t->core_of ||
	    !t->core_set) {
		free(pus);
		return -1;
	}
	for (i = 0; i < ncpu; i++) {
		int online = 1;

		t->core_of[i] = -1;
		if (!CPU_ISSET(i, allowed))
			continue;
		read_int(sysfs_cpu, "online", i, &online);
		if (!online)
			continue;
		pus[n].cpu = i;
		if (read_int(sysfs_cpu, "topology/physical_package_id", i,
			     &pus[n].pkg))
			pus[n].pkg = 0;
		if (read_int(sysfs_cpu, "topology/die_id", i, &pus[n].die))
			pus[n].die = 0;
		if (read_int(sysfs_cpu, "topology/core_id", i, &pus[n].core))
			pus[n].core = i;
		n++;
	}
	qsort(pus, n, sizeof(*pus), cmp_pu);
	per = 0;
	for (i = 0; i < n; i++) {
		t->pu_order[i] = pus[i].cpu;
		if (!i || !same_core(&pus[i], &pus[i - 1])) {
			t->core_first[t->nr_cores++] = pus[i].cpu;
			per = 0;
		}
		t->core_of[pus[i].cpu] = t->nr_cores - 1;
		CPU_SET(pus[i].cpu, &t->core_set[t->nr_cores - 1]);
		if (++per > t->smt)
			t->smt = per;
	}
	t->nr_pus = n;
	free(pus);
	return n ? 0 : -1;
}

int topology_load(struct topology *t)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	return topology_load_from(t, "/sys/devices/system/cpu", &allowed);
}

/* The CPU task nr is pinned to, or -1 for no affinity. */
int topology_cpu_for(const struct topology *t, enum affinity a,
		     unsigned long nr)
{
	if (a == AFF_NONE || !t->nr_pus)
		return -1;
	if (a == AFF_SMT)
		return t->pu_order[nr % t->nr_pus];
	return t->core_first[nr % t->nr_cores];
}

/*
 * The CPUs a task reported on cpu (topology_cpu_for()) is bound to: its
 * whole core by default, the one PU with -m.  Returns -1 for no binding.
 */
int topology_pin_set(const struct topology *t, enum affinity a, int cpu,
		     cpu_set_t *set)
{
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -1;
	CPU_ZERO(set);
	if (a == AFF_CORES && t && t->core_of && t->core_of[cpu] >= 0)
		*set = t->core_set[t->core_of[cpu]];
	else
		CPU_SET(cpu, set);
	return 0;
}
