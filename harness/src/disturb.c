// SPDX-License-Identifier: GPL-2.0-only
/*
 * disturb.c - how much of each interval the tasks had a CPU, and whether
 * the run was disturbed.
 *
 * Every interval the coordinator reads each task's schedstat right after
 * its counters (schedstat.c): time on CPU and time runnable but waiting
 * on a runqueue.  Per task and interval:
 *
 *   cpu_share  = on-CPU ns / interval ns      (clamped to 1: the reads of
 *   wait_share = waiting ns / interval ns      a task's schedstat and its
 *                                              counter are microseconds
 *                                              apart, not simultaneous)
 *
 * and over the intervals of the statistics (the measured ones not left out
 * as off-nominal) per task and for the run (all tasks' time over nr x the
 * intervals' seconds); ops_per_cpu_sec is those intervals' iterations over
 * their on-CPU seconds: the rate a task had while it had a CPU.
 *
 * A run is disturbed when a task's wait, less the CPU time the other
 * threads of its own process had in that interval (helpers, the
 * allocator's RCU workers: the case's own work, which the kernel's
 * equivalent would also take from the task's CPU), exceeds
 * DISTURB_WAIT_RATIO of any interval of the statistics: something
 * outside the run held its CPU (another benchmark, a build, a CPU hog
 * pinned beside it).  wait_share is reported as measured; only the test
 * takes the process's own threads off.  The excuse is generous (a helper
 * that ran on another CPU excuses too), so a run with busy helpers is
 * marked later than one without.  Sleeping (a grace
 * period, a futex) is not waiting: a task that blocks has a low cpu_share
 * and no wait, and is not disturbed.  The run is marked, never dropped
 * (rundoc.c's marks); the analysis leaves marked runs out of verdicts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static void sched_read_all(const struct run *r, struct sched_use *u)
{
	for (unsigned long i = 0; i < r->nr; i++) {
		schedstat_read(sh.info[i].pid, sh.info[i].tid, &u[i]);
		/* threads mode: one process, read its other threads once */
		if (i && sh.info[i].pid == sh.info[i - 1].pid) {
			u[i].others_ns = u[i - 1].others_ns;
			continue;
		}
		if (schedstat_others(sh.info[i].pid, sh.info, r->nr,
				     &u[i].others_ns))
			u[i].others_ns = 0;
	}
}

/* The tasks were released: the base of the first interval. */
void sched_start(struct run *r)
{
	if (r->sched_on)
		sched_read_all(r, r->sched_prev);
}

/* After the interval's counters: its scheduler time per task. */
void sched_sample(struct run *r, struct sample *s)
{
	struct sched_use cur[r->nr];

	s->sched = false;
	if (!r->sched_on)
		return;
	s->run_ns = calloc(r->nr, sizeof(*s->run_ns));
	s->wait_ns = calloc(r->nr, sizeof(*s->wait_ns));
	s->others_ns = calloc(r->nr, sizeof(*s->others_ns));
	if (!s->run_ns || !s->wait_ns || !s->others_ns)
		return;
	sched_read_all(r, cur);
	s->sched = true;
	for (unsigned long i = 0; i < r->nr; i++) {
		if (!cur[i].ok || !r->sched_prev[i].ok ||
		    cur[i].run_ns < r->sched_prev[i].run_ns ||
		    cur[i].wait_ns < r->sched_prev[i].wait_ns) {
			s->sched = false;
		} else {
			s->run_ns[i] = cur[i].run_ns - r->sched_prev[i].run_ns;
			s->wait_ns[i] = cur[i].wait_ns -
					r->sched_prev[i].wait_ns;
			/* threads exit: their time leaves the sum */
			s->others_ns[i] = cur[i].others_ns >
					  r->sched_prev[i].others_ns ?
					  cur[i].others_ns -
					  r->sched_prev[i].others_ns : 0;
		}
		r->sched_prev[i] = cur[i];
	}
}

/* Window open (cnt0) or close (cnt1): migrations, involuntary switches. */
void sched_window(struct run *r, struct sched_counts *c)
{
	for (unsigned long i = 0; r->sched_on && i < r->nr; i++)
		sched_counts_read(sh.info[i].pid, sh.info[i].tid, &c[i]);
}

static double share(unsigned long long ns, double secs)
{
	double v = ns / (secs * 1e9);

	return v > 1 ? 1 : v;
}

double sample_cpu_share(const struct sample *s, unsigned long i)
{
	return share(s->run_ns[i], s->secs);
}

double sample_wait_share(const struct sample *s, unsigned long i)
{
	return share(s->wait_ns[i], s->secs);
}

/* the wait the run's own threads do not explain (the disturbed test) */
double sample_others_share(const struct sample *s, unsigned long i)
{
	return share(s->others_ns[i], s->secs);
}

static double sample_foreign_wait_share(const struct sample *s,
					unsigned long i)
{
	unsigned long long w = s->wait_ns[i], o = s->others_ns[i];

	return share(w > o ? w - o : 0, s->secs);
}

void sched_stats(struct run *r)
{
	struct run_stats *st = &r->st;
	double secs = 0, run_all = 0, wait_all = 0;
	unsigned long long ops = 0;
	double *tr = calloc(r->nr, sizeof(*tr)), *tw = calloc(r->nr, sizeof(*tw));
	unsigned long long *to = calloc(r->nr, sizeof(*to));
	int n = 0;

	st->sched = false;
	st->max_wait_task = st->max_wait_interval = -1;
	st->task_cpu_share = calloc(r->nr, sizeof(double));
	st->task_wait_share = calloc(r->nr, sizeof(double));
	st->task_ops_per_cpu_sec = calloc(r->nr, sizeof(double));
	if (!r->sched_on || !tr || !tw || !to || !st->task_cpu_share ||
	    !st->task_wait_share || !st->task_ops_per_cpu_sec)
		goto out;
	for (int k = 0; k < r->nr_samples; k++) {
		const struct sample *s = &r->samples[k];
		bool bad = false;

		if (s->warmup || s->excluded)
			continue;
		if (!s->sched)
			goto out;	/* a task's schedstat could not be read */
		n++;
		secs += s->secs;
		for (unsigned long i = 0; i < r->nr; i++) {
			double w = sample_foreign_wait_share(s, i);

			tr[i] += s->run_ns[i] / 1e9;
			tw[i] += s->wait_ns[i] / 1e9;
			to[i] += s->deltas[i];
			if (w > st->max_wait_share || st->max_wait_task < 0) {
				st->max_wait_share = w;
				st->max_wait_task = i;
				st->max_wait_interval = k;
			}
			if (w > DISTURB_WAIT_RATIO)
				bad = true;
		}
		if (bad)
			st->disturbed_intervals++;
	}
	if (!n)
		goto out;
	for (unsigned long i = 0; i < r->nr; i++) {
		st->task_cpu_share[i] = fmin(1, tr[i] / secs);
		st->task_wait_share[i] = fmin(1, tw[i] / secs);
		st->task_ops_per_cpu_sec[i] = tr[i] > 0 ? to[i] / tr[i] : NAN;
		run_all += tr[i];
		wait_all += tw[i];
		ops += to[i];
	}
	st->cpu_share = fmin(1, run_all / (secs * r->nr));
	st->wait_share = fmin(1, wait_all / (secs * r->nr));
	st->ops_per_cpu_sec = run_all > 0 ? ops / run_all : NAN;
	st->sched = true;
out:
	free(tr);
	free(tw);
	free(to);
}

bool run_disturbed(const struct run *r)
{
	return r->st.sched && r->st.disturbed_intervals > 0;
}

bool disturbed_note(const struct run *r, char *buf, size_t len)
{
	const struct run_stats *st = &r->st;

	if (!run_disturbed(r))
		return false;
	snprintf(buf, len, "disturbed: in %d of %d interval(s) a task waited "
		 "for a CPU more than %g%% of the interval beyond what its "
		 "process's own other threads ran (worst: task %d, "
		 "%.1f%%; the tasks had %.1f%% of their CPUs)",
		 st->disturbed_intervals, st->intervals,
		 DISTURB_WAIT_RATIO * 100, st->max_wait_task,
		 st->max_wait_share * 100, st->cpu_share * 100);
	return true;
}
