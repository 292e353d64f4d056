// SPDX-License-Identifier: GPL-2.0-only
/*
 * neighbours.c - the rest of the machine while a run measures: what the
 * CPU share (disturb.c) cannot see.
 *
 * A task that waits for its CPU is disturbed; a neighbour on *another*
 * CPU takes nothing from the task's CPU, yet slows it through the shared
 * caches, memory bandwidth and kernel locks.  Every interval the
 * coordinator reads /proc/stat (all CPUs, USER_HZ ticks) right after the
 * schedstat of the tasks and computes, in CPUs (busy seconds over the
 * interval's seconds):
 *
 *   other_cpus  busy time of the CPUs the run does not use
 *   run_cpus    busy time of the CPUs the tasks are pinned to, less the
 *               tasks' own on-CPU time (schedstat); never below 0
 *   outside     other_cpus + run_cpus less the on-CPU time of the run's
 *               own other threads (helpers, RCU workers; they may run on
 *               any CPU); never below 0
 *   steal       steal ticks over all ticks of all CPUs (a share: the time
 *               the hypervisor gave the virtual CPUs to someone else)
 *
 * busy = user + nice + system + irq + softirq (guest time is already in
 * user); all = busy + idle + iowait + steal.  With --affinity none the
 * tasks have no CPU of their own: every CPU counts as the run's.
 *
 * and per CPU, over the intervals of the statistics, its busy share (the
 * run's own CPUs with the tasks in it).
 *
 * A run is shared when, over the intervals of the statistics, outside
 * averages more than SHARED_BUSY_CPUS, or steal more than
 * SHARED_STEAL_RATIO (run.h).  The mark is softer than disturbed: the run
 * kept its CPU, but not the machine; the analysis keeps such runs and
 * counts them (interleaved rounds see the same neighbours, and are
 * compared as pairs).  The load average when the run started is recorded
 * beside it.  A tick is 10 ms, so one interval's figure is good to about
 * 0.02 CPU per CPU at the default 1 s interval.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define PROC_STAT_MAX	(1 << 20)

/*
 * Parse the "cpuN ..." lines of /proc/stat text into cpu[0..nr): CPUs
 * absent (offline) or beyond nr stay !ok.  Returns how many lines were
 * read, -1 when there was none.
 */
int procstat_cpus_parse(const char *text, struct cpu_ticks *cpu, int nr)
{
	const char *p = text;
	int got = 0;

	for (int i = 0; i < nr; i++)
		memset(&cpu[i], 0, sizeof(cpu[i]));
	while (p && *p) {
		unsigned long long v[8] = { 0 };
		int n, id;

		if (!strncmp(p, "cpu", 3) && p[3] >= '0' && p[3] <= '9') {
			n = sscanf(p + 3, "%d %llu %llu %llu %llu %llu %llu %llu "
				   "%llu", &id, &v[0], &v[1], &v[2], &v[3],
				   &v[4], &v[5], &v[6], &v[7]);
			/* user nice system idle, then iowait irq softirq steal */
			if (n >= 5 && id >= 0 && id < nr) {
				struct cpu_ticks *c = &cpu[id];

				c->busy = v[0] + v[1] + v[2] + v[5] + v[6];
				c->steal = v[7];
				c->total = c->busy + v[3] + v[4] + c->steal;
				c->ok = true;
				got++;
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return got ? got : -1;
}

int procstat_cpus_read(struct cpu_ticks *cpu, int nr)
{
	char *buf = malloc(PROC_STAT_MAX);
	FILE *f = fopen("/proc/stat", "r");
	size_t n = 0;
	int got = -1;

	if (buf && f) {
		n = fread(buf, 1, PROC_STAT_MAX - 1, f);
		buf[n] = '\0';
		got = procstat_cpus_parse(buf, cpu, nr);
	}
	if (f)
		fclose(f);
	free(buf);
	return got;
}

int loadavg_parse(const char *text, double load[3])
{
	return sscanf(text, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3 ?
	       0 : -1;
}

int loadavg_read(double load[3])
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return loadavg_parse(buf, load);
}

/*
 * One interval's figures from two readings a, b of nr CPUs; run_cpu[c]:
 * the tasks use CPU c; task_secs: the tasks' on-CPU seconds, own_secs:
 * the run's other threads' (both from schedstat); secs: the interval.
 * -1 when no CPU was read both times.
 */
int neighbour_interval(const struct cpu_ticks *a, const struct cpu_ticks *b,
		       int nr, const bool *run_cpu, double task_secs,
		       double own_secs, double secs, long hz,
		       struct neighbour_use *u)
{
	unsigned long long other = 0, run = 0, steal = 0, all = 0;
	bool any = false;
	double on_run;

	memset(u, 0, sizeof(*u));
	if (secs <= 0 || hz <= 0)
		return -1;
	for (int c = 0; c < nr; c++) {
		if (!a[c].ok || !b[c].ok || b[c].total < a[c].total ||
		    b[c].busy < a[c].busy || b[c].steal < a[c].steal)
			continue;	/* offline, or went offline and back */
		any = true;
		if (run_cpu[c])
			run += b[c].busy - a[c].busy;
		else
			other += b[c].busy - a[c].busy;
		steal += b[c].steal - a[c].steal;
		all += b[c].total - a[c].total;
	}
	if (!any)
		return -1;
	u->other_cpus = (double)other / hz / secs;
	on_run = (double)run / hz - task_secs;
	u->run_cpus = on_run > 0 ? on_run / secs : 0;
	u->outside = fmax(0, u->other_cpus + u->run_cpus - own_secs / secs);
	u->steal = all ? (double)steal / all : 0;
	return 0;
}

bool neighbour_shared(const struct neighbour_use *mean)
{
	return mean->outside > SHARED_BUSY_CPUS ||
	       mean->steal > SHARED_STEAL_RATIO;
}

/* The tasks were released: the base of the first interval. */
void nb_start(struct run *r)
{
	int nr = sysconf(_SC_NPROCESSORS_CONF);
	bool pinned = true;

	r->nb_on = false;
	if (!r->sched_on || nr <= 0)
		return;
	r->nb_prev = calloc(nr, sizeof(*r->nb_prev));
	r->nb_run_cpu = calloc(nr, sizeof(*r->nb_run_cpu));
	r->nb_busy = calloc(nr, sizeof(*r->nb_busy));
	r->nb_cpu_ok = calloc(nr, sizeof(*r->nb_cpu_ok));
	if (!r->nb_prev || !r->nb_run_cpu || !r->nb_busy || !r->nb_cpu_ok)
		return;
	for (int c = 0; c < nr; c++)
		r->nb_cpu_ok[c] = true;
	r->nb_nr = nr;
	for (unsigned long i = 0; i < r->nr; i++) {
		if (r->cpus[i] < 0 || r->cpus[i] >= nr)
			pinned = false;
		else
			r->nb_run_cpu[r->cpus[i]] = true;
	}
	for (int c = 0; !pinned && c < nr; c++)
		r->nb_run_cpu[c] = true;
	r->nb_on = procstat_cpus_read(r->nb_prev, nr) > 0;
}

/* An interval of the statistics: each CPU's busy seconds. */
static void nb_per_cpu(struct run *r, const struct cpu_ticks *cur, double secs)
{
	long hz = sysconf(_SC_CLK_TCK);
	const struct cpu_ticks *a = r->nb_prev;

	for (int c = 0; c < r->nb_nr; c++) {
		if (!a[c].ok || !cur[c].ok || cur[c].busy < a[c].busy)
			r->nb_cpu_ok[c] = false;
		else
			r->nb_busy[c] += (double)(cur[c].busy - a[c].busy) / hz;
	}
	r->nb_secs += secs;
}

/* After sched_sample(): the rest of the machine in this interval. */
void nb_sample(struct run *r, struct sample *s)
{
	struct cpu_ticks *cur;
	double tasks = 0, own = 0;

	s->nb = false;
	if (!r->nb_on)
		return;
	cur = calloc(r->nb_nr, sizeof(*cur));
	if (!cur)
		return;
	if (procstat_cpus_read(cur, r->nb_nr) > 0) {
		if (s->sched) {
			for (unsigned long i = 0; i < r->nr; i++) {
				tasks += s->run_ns[i] / 1e9;
				/* a process's other threads: once per process */
				if (!i || sh.info[i].pid != sh.info[i - 1].pid)
					own += s->others_ns[i] / 1e9;
			}
			s->nb = !neighbour_interval(r->nb_prev, cur, r->nb_nr,
						    r->nb_run_cpu, tasks, own,
						    s->secs,
						    sysconf(_SC_CLK_TCK),
						    &s->nbu);
		}
		if (s->nb && !s->warmup && !s->excluded)
			nb_per_cpu(r, cur, s->secs);
		memcpy(r->nb_prev, cur, r->nb_nr * sizeof(*cur));
	} else {
		/* no base for the next interval either */
		for (int c = 0; c < r->nb_nr; c++)
			r->nb_prev[c].ok = false;
	}
	free(cur);
}

/* Over the intervals of the statistics (after sched_stats()). */
void nb_stats(struct run *r)
{
	struct run_stats *st = &r->st;
	struct neighbour_use sum = { 0 };
	int n = 0;

	st->nb = false;
	st->shared_intervals = 0;
	st->nb_max_outside = 0;
	st->nb_other_cpus = 0;
	for (int c = 0; r->nb_on && c < r->nb_nr; c++)
		st->nb_other_cpus += !r->nb_run_cpu[c] && r->nb_prev[c].ok;
	for (int k = 0; r->nb_on && k < r->nr_samples; k++) {
		const struct sample *s = &r->samples[k];

		if (s->warmup || s->excluded)
			continue;
		if (!s->nb)
			return;		/* an interval not measured */
		n++;
		sum.other_cpus += s->nbu.other_cpus;
		sum.run_cpus += s->nbu.run_cpus;
		sum.outside += s->nbu.outside;
		sum.steal += s->nbu.steal;
		st->nb_max_outside = fmax(st->nb_max_outside, s->nbu.outside);
		if (neighbour_shared(&s->nbu))
			st->shared_intervals++;
	}
	if (!n)
		return;
	st->nb_mean.other_cpus = sum.other_cpus / n;
	st->nb_mean.run_cpus = sum.run_cpus / n;
	st->nb_mean.outside = sum.outside / n;
	st->nb_mean.steal = sum.steal / n;
	st->nb = true;
}

bool run_shared(const struct run *r)
{
	return r->st.nb && neighbour_shared(&r->st.nb_mean);
}

bool shared_note(const struct run *r, char *buf, size_t len)
{
	const struct run_stats *st = &r->st;

	if (!run_shared(r))
		return false;
	snprintf(buf, len, "shared: %.2f CPU busy outside the run on average "
		 "(more than %g; %.2f on the other CPUs, %.2f on the run's "
		 "own), steal %.1f%% (limit %g%%), in %d of %d interval(s) "
		 "above a limit; load average %.2f at the start",
		 st->nb_mean.outside, SHARED_BUSY_CPUS,
		 st->nb_mean.other_cpus, st->nb_mean.run_cpus,
		 st->nb_mean.steal * 100, SHARED_STEAL_RATIO * 100,
		 st->shared_intervals, st->intervals,
		 r->load_ok ? r->load[0] : NAN);
	return true;
}
