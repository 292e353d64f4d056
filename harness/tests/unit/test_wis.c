// SPDX-License-Identifier: GPL-2.0-only
/*
 * The will-it-scale side of the harness: whole-core binding from a fake
 * sysfs with SMT siblings, and will-it-scale's option rules.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "unit.h"

static void put(const char *root, int cpu, const char *file, int v)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpu%d", root, cpu);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cpu%d/topology", root, cpu);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cpu%d/%s", root, cpu, file);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%d\n", v);
	fclose(f);
}

/*
 * Two packages of two SMT2 cores, numbered as Intel numbers them: the
 * siblings of CPU c are c and c + 4.  CPU 7 offline, CPU 6 not allowed.
 */
static void fake_smt2(const char *root)
{
	for (int c = 0; c < 8; c++) {
		put(root, c, "topology/physical_package_id", (c % 4) / 2);
		put(root, c, "topology/die_id", 0);
		put(root, c, "topology/core_id", c % 2);
		put(root, c, "online", c != 7);
	}
}

static void rm_tree(const char *root)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
}

static int parse_wis(struct options *o, char **argv)
{
	char err[256];
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(o, 0, sizeof(*o));
	o->wis = true;
	o->case_name = "empty";
	return options_parse(o, argc, argv, err, sizeof(err));
}

#define WARGS(...) ((char *[]){ "page_fault3_threads", __VA_ARGS__, NULL })

void test_wis(void)
{
	char root[] = "/tmp/slabscale-unit-sysfs.XXXXXX";
	static struct options o;
	struct topology t;
	cpu_set_t allowed, set;

	CHECK(mkdtemp(root) != NULL);
	fake_smt2(root);
	CPU_ZERO(&allowed);
	for (int c = 0; c < 8; c++)
		if (c != 6)
			CPU_SET(c, &allowed);
	CHECK(!topology_load_from(&t, root, &allowed));
	CHECK(t.nr_pus == 6 && t.nr_cores == 4 && t.smt == 2);
	/* core by core, siblings together: 0 4 | 1 5 | 2 | 3 */
	CHECK(t.pu_order[0] == 0 && t.pu_order[1] == 4 &&
	      t.pu_order[2] == 1 && t.pu_order[3] == 5 &&
	      t.pu_order[4] == 2 && t.pu_order[5] == 3);
	CHECK(t.core_first[0] == 0 && t.core_first[1] == 1 &&
	      t.core_first[2] == 2 && t.core_first[3] == 3);
	/* default: task i on core i mod 4, bound to the whole core */
	CHECK(topology_cpu_for(&t, AFF_CORES, 5) == 1);
	CHECK(!topology_pin_set(&t, AFF_CORES, 1, &set));
	CHECK(CPU_COUNT(&set) == 2 && CPU_ISSET(1, &set) && CPU_ISSET(5, &set));
	/* a core whose sibling is not allowed: what is left of it */
	CHECK(!topology_pin_set(&t, AFF_CORES, 2, &set));
	CHECK(CPU_COUNT(&set) == 1 && CPU_ISSET(2, &set));
	/* -m: one PU, in PU order */
	CHECK(topology_cpu_for(&t, AFF_SMT, 1) == 4);
	CHECK(!topology_pin_set(&t, AFF_SMT, 4, &set));
	CHECK(CPU_COUNT(&set) == 1 && CPU_ISSET(4, &set));
	/* -n: nothing */
	CHECK(topology_cpu_for(&t, AFF_NONE, 0) == -1);
	CHECK(topology_pin_set(&t, AFF_CORES, -1, &set) == -1);
	rm_tree(root);

	/* will-it-scale's executables: no counters; -m and -n exclusive */
	CHECK(!parse_wis(&o, WARGS("-t", "2")));
	CHECK(o.nr_events == 0 && !o.events_default);
	CHECK(parse_wis(&o, WARGS("-m", "-n")) == -1);
	CHECK(parse_wis(&o, WARGS("-n", "-t", "1", "-m")) == -1);
	CHECK(!parse_wis(&o, WARGS("-m", "-m")) && o.affinity == AFF_SMT);
}
