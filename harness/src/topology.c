// SPDX-License-Identifier: GPL-2.0-only
/*
 * topology.c - CPUs from sysfs, for pinning.
 *
 * Cores are ordered by (package, core id); the PU order walks core by core
 * (all SMT siblings of a core, then the next core), as hwloc numbers PUs.
 * Only CPUs that are online and in our affinity mask are used.  A task on
 * a core is pinned to that core's first PU only, not to the whole core:
 * a task free to move between hyperthreads is a known source of noise.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct pu {
	int cpu, pkg, core;
};

static int read_int(const char *fmt, int cpu, int *out)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), fmt, cpu);
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
	if (x->core != y->core)
		return x->core - y->core;
	return x->cpu - y->cpu;
}

int topology_load(struct topology *t)
{
	cpu_set_t allowed;
	struct pu *pus;
	int n = 0, ncpu = CPU_SETSIZE, i, per;

	memset(t, 0, sizeof(*t));
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	pus = calloc(ncpu, sizeof(*pus));
	t->pu_order = calloc(ncpu, sizeof(int));
	t->core_first = calloc(ncpu, sizeof(int));
	if (!pus || !t->pu_order || !t->core_first)
		return -1;
	for (i = 0; i < ncpu; i++) {
		int online = 1;

		if (!CPU_ISSET(i, &allowed))
			continue;
		read_int("/sys/devices/system/cpu/cpu%d/online", i, &online);
		if (!online)
			continue;
		pus[n].cpu = i;
		if (read_int("/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
			     i, &pus[n].pkg))
			pus[n].pkg = 0;
		if (read_int("/sys/devices/system/cpu/cpu%d/topology/core_id",
			     i, &pus[n].core))
			pus[n].core = i;
		n++;
	}
	qsort(pus, n, sizeof(*pus), cmp_pu);
	per = 0;
	for (i = 0; i < n; i++) {
		t->pu_order[i] = pus[i].cpu;
		if (!i || cmp_pu(&(struct pu){ 0, pus[i].pkg, pus[i].core },
				 &(struct pu){ 0, pus[i - 1].pkg,
					       pus[i - 1].core })) {
			t->core_first[t->nr_cores++] = pus[i].cpu;
			per = 0;
		}
		if (++per > t->smt)
			t->smt = per;
	}
	t->nr_pus = n;
	free(pus);
	return n ? 0 : -1;
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
