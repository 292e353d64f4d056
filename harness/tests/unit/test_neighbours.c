// SPDX-License-Identifier: GPL-2.0-only
/* neighbours.c: /proc/stat parsing, one interval's figures, the rule. */
#include <string.h>

#include "run.h"
#include "unit.h"

/* user nice system idle iowait irq softirq steal guest guest_nice */
static const char stat_a[] =
	"cpu  300 10 100 1000 20 5 5 4 50 0\n"
	"cpu0 100 0 50 500 10 0 0 2 0 0\n"
	"cpu1 200 10 50 500 10 5 5 2 50 0\n"
	"intr 12345 1 2 3\n"
	"ctxt 999\n"
	"btime 1700000000\n"
	"processes 42\n"
	"procs_running 3\n"
	"softirq 1 2 3\n";
/* 1 s later at 100 Hz: cpu0 ran the task 90 ticks and 4 of something
 * else, cpu1 a neighbour for 80 ticks (irq 2, softirq 3 included) */
static const char stat_b[] =
	"cpu  ...the sum line is not read\n"
	"cpu0 190 0 54 504 10 0 0 2 0 0\n"
	"cpu1 270 10 55 515 10 7 8 2 120 0\n";

void test_neighbours(void)
{
	struct cpu_ticks a[4], b[4];
	struct neighbour_use u;
	bool run_cpu[4] = { true, false, false, false };
	double load[3];

	CHECK(procstat_cpus_parse(stat_a, a, 4) == 2);
	CHECK(a[0].ok && a[1].ok && !a[2].ok && !a[3].ok);
	CHECK(a[0].busy == 150 && a[0].steal == 2);
	CHECK(a[0].total == 150 + 500 + 10 + 2);
	/* guest is inside user already: not counted twice */
	CHECK(a[1].busy == 200 + 10 + 50 + 5 + 5);
	CHECK(procstat_cpus_parse(stat_b, b, 4) == 2);
	/* a CPU beyond the slots is ignored, not written */
	CHECK(procstat_cpus_parse(stat_a, a, 1) == 1 && a[0].ok);
	CHECK(procstat_cpus_parse("intr 1\nctxt 2\n", a, 4) == -1);
	CHECK(procstat_cpus_parse("", a, 4) == -1);
	CHECK(procstat_cpus_parse("cpu0 1 2\n", a, 4) == -1);	/* truncated */
	/* an old kernel without steal (4 fields after the id): steal 0 */
	CHECK(procstat_cpus_parse("cpu0 1 2 3 4\n", a, 4) == 1);
	CHECK(a[0].busy == 6 && a[0].steal == 0 && a[0].total == 10);

	procstat_cpus_parse(stat_a, a, 4);
	/* the task ran 0.9 s on cpu0: 0.04 CPU of others there, 0.8 on cpu1 */
	CHECK(!neighbour_interval(a, b, 4, run_cpu, 0.90, 0, 1.0, 100, &u));
	CHECK_NEAR(u.run_cpus, 0.04, 1e-9);
	CHECK_NEAR(u.other_cpus, 0.80, 1e-9);
	CHECK_NEAR(u.outside, 0.84, 1e-9);
	CHECK_NEAR(u.steal, 0.0, 1e-9);
	CHECK(neighbour_shared(&u));
	/* the run's own helpers ran 0.7 s: they are not neighbours */
	CHECK(!neighbour_interval(a, b, 4, run_cpu, 0.90, 0.70, 1.0, 100, &u));
	CHECK_NEAR(u.outside, 0.14, 1e-9);
	CHECK(!neighbour_shared(&u));
	/* the task's schedstat a tick ahead of /proc/stat: never below 0 */
	CHECK(!neighbour_interval(a, b, 4, run_cpu, 0.97, 0.9, 1.0, 100, &u));
	CHECK(u.run_cpus == 0 && u.outside == 0);
	/* a quiet machine: nothing moved but the task */
	memcpy(b, a, sizeof(a));
	b[0].busy += 50;
	b[0].total += 50;
	b[1].total += 50;
	CHECK(!neighbour_interval(a, b, 4, run_cpu, 0.5, 0, 0.5, 100, &u));
	CHECK(u.outside == 0 && u.other_cpus == 0 && !neighbour_shared(&u));
	/* steal: 10 of 100 ticks of the machine */
	b[1].steal += 10;
	b[1].total += 10;
	b[0].total -= 10;
	CHECK(!neighbour_interval(a, b, 4, run_cpu, 0.5, 0, 0.5, 100, &u));
	CHECK_NEAR(u.steal, 0.10, 1e-9);
	CHECK(neighbour_shared(&u));
	/* a CPU that went offline and back (counters restarted) is skipped */
	b[1].busy = 0;
	CHECK(!neighbour_interval(a, b, 4, run_cpu, 0.5, 0, 0.5, 100, &u));
	CHECK(u.other_cpus == 0 && u.steal == 0);
	b[0].ok = false;
	CHECK(neighbour_interval(a, b, 4, run_cpu, 0.5, 0, 0.5, 100, &u) < 0);
	/* the rule at its limits */
	u = (struct neighbour_use){ .outside = SHARED_BUSY_CPUS };
	CHECK(!neighbour_shared(&u));
	u.outside += 0.01;
	CHECK(neighbour_shared(&u));

	CHECK(!loadavg_parse("0.68 1.94 2.07 3/412 12345\n", load));
	CHECK_NEAR(load[0], 0.68, 1e-9);
	CHECK_NEAR(load[2], 2.07, 1e-9);
	CHECK(loadavg_parse("", load) < 0);
}
