// SPDX-License-Identifier: GPL-2.0-only
/*
 * run.c - the coordinator's side of one measurement (one nr_task).
 *
 *  1. shared area, fork the host (prepare, tasks), wait until every task
 *     is ready at the start barrier;
 *  2. open the PMU counters on the tasks' tids (disabled);
 *  3. release the tasks; sample every interval on absolute CLOCK_MONOTONIC
 *     deadlines, dividing each delta by the interval's measured length
 *     (interval.c: no catch-up after a late wakeup; an interval far from
 *     the nominal length is flagged, left out of the statistics and
 *     measured again);
 *  4. after the warmup intervals open the window (PMU on, metrics on,
 *     /proc usage), after the last measured one close it;
 *  5. allocator snapshots, stop the tasks, wait for testcase_cleanup().
 *
 * The coordinator blocks SIGCHLD, SIGINT, SIGTERM, SIGHUP and SIGUSR2
 * (main.c) and takes them with sigtimedwait() while it waits, so a dying
 * host or task (SIGCHLD, or SIGUSR2 from fail_record()) and Ctrl-C are seen
 * at once.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define SNAPSHOT_TIMEOUT_NS	5000000000ULL
#define RETURN_GRACE_NS		5000000000ULL

enum ev { EV_TIMEOUT, EV_INTERRUPT, EV_FAIL, EV_HOST_EXIT };

static pid_t host_pid;
static int host_status;
static bool host_reaped;
static int interrupts;
static int interrupt_sig;	/* the first SIGINT/SIGTERM/SIGHUP */

static bool fail_published(void)
{
	return __atomic_load_n(&sh.ctl->fail.claimed, __ATOMIC_ACQUIRE) == 2;
}

static void reap_host(bool block)
{
	int st;

	if (host_reaped || !host_pid)
		return;
	if (waitpid(host_pid, &st, block ? 0 : WNOHANG) == host_pid) {
		host_status = st;
		host_reaped = true;
	}
}

/* Wait until deadline (CLOCK_MONOTONIC ns) or something happens. */
static enum ev wait_event(unsigned long long deadline)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	for (;;) {
		unsigned long long now = now_ns();
		struct timespec ts;
		int sig;

		if (fail_published())
			return EV_FAIL;
		reap_host(false);
		if (host_reaped)
			return EV_HOST_EXIT;
		if (now >= deadline)
			return EV_TIMEOUT;
		ts.tv_sec = (deadline - now) / 1000000000ULL;
		ts.tv_nsec = (deadline - now) % 1000000000ULL;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			if (!interrupts++)
				interrupt_sig = sig;
			return EV_INTERRUPT;
		}
	}
}

static void kill_everything(void)
{
	for (unsigned long i = 0; i < sh.ctl->nr_tasks; i++)
		if (sh.info[i].pid > 0 && sh.ctl->processes)
			kill(sh.info[i].pid, SIGKILL);
	if (host_pid && !host_reaped)
		kill(host_pid, SIGKILL);
	reap_host(true);
}

static void set_failed(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* First failure wins; a published one from the shared area beats ours. */
static void set_failed(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->status == RUN_FAILED)
		return;
	r->status = RUN_FAILED;
	r->has_fail = true;
	if (fail_published()) {
		r->fail = sh.ctl->fail;
		return;
	}
	memset(&r->fail, 0, sizeof(r->fail));
	r->fail.task = -1;
	r->fail.exit_code = -1;
	va_start(ap, fmt);
	vsnprintf(r->fail.msg, sizeof(r->fail.msg), fmt, ap);
	va_end(ap);
}

static void host_exit_failure(struct run *r)
{
	int st = host_status;

	if (sh.ctl->usage_error)
		return;
	if (WIFSIGNALED(st)) {
		set_failed(r, "host process (pid %d) killed by %s", host_pid,
			   signal_name(WTERMSIG(st)));
		if (!r->fail.sig && r->fail.task < 0) {
			r->fail.sig = WTERMSIG(st);
			r->fail.pid = host_pid;
		}
	} else if (WEXITSTATUS(st)) {
		set_failed(r, "host process exited with code %d",
			   WEXITSTATUS(st));
		if (r->fail.exit_code < 0)
			r->fail.exit_code = WEXITSTATUS(st);
	} else {
		set_failed(r, "host process exited before the end of the run");
	}
}

/* React to an event during the run; false = stop measuring. */
static bool handle_event(struct run *r, enum ev e)
{
	switch (e) {
	case EV_TIMEOUT:
		return true;
	case EV_INTERRUPT:
		if (r->status == RUN_OK)
			r->status = RUN_INTERRUPTED;
		return false;
	case EV_FAIL:
		set_failed(r, "failure");
		return false;
	case EV_HOST_EXIT:
		host_exit_failure(r);
		return false;
	}
	return false;
}

static bool wait_ready(struct run *r)
{
	while (__atomic_load_n(&sh.ctl->ready, __ATOMIC_ACQUIRE) <
	       (int)r->nr) {
		if (!handle_event(r, wait_event(now_ns() + 20000000ULL)))
			return false;
	}
	return true;
}

static void read_counters(const struct run *r, unsigned long long *out)
{
	for (unsigned long i = 0; i < r->nr; i++)
		out[i] = __atomic_load_n(task_counter(i), __ATOMIC_RELAXED);
}

static struct sample *sample_add(struct run *r, bool warmup, double secs,
				 const unsigned long long *cur,
				 const unsigned long long *prev)
{
	struct sample *s;

	if (r->nr_samples == r->cap_samples) {
		int cap = r->cap_samples ? 2 * r->cap_samples : 64;
		struct sample *n = realloc(r->samples, cap * sizeof(*n));

		if (!n)
			return NULL;
		r->samples = n;
		r->cap_samples = cap;
	}
	s = &r->samples[r->nr_samples];
	s->deltas = calloc(r->nr, sizeof(*s->deltas));
	s->rates = calloc(r->nr, sizeof(*s->rates));
	s->run_ns = s->wait_ns = s->others_ns = NULL;
	if (!s->deltas || !s->rates)
		return NULL;
	r->nr_samples++;
	/* interval_next_deadline() never lets an interval shrink to zero */
	assert(secs > 0);
	s->warmup = warmup;
	s->secs = secs;
	s->flags = interval_flags(secs, r->o->interval);
	s->excluded = !warmup && (s->flags & SAMPLE_EXCLUDE);
	s->min = INFINITY;
	s->max = 0;
	s->total = 0;
	for (unsigned long i = 0; i < r->nr; i++) {
		s->deltas[i] = cur[i] - prev[i];
		s->rates[i] = s->deltas[i] / secs;
		if (s->rates[i] < s->min)
			s->min = s->rates[i];
		if (s->rates[i] > s->max)
			s->max = s->rates[i];
		s->total += s->rates[i];
	}
	sched_sample(r, s);
	nb_sample(r, s);
	return s;
}

static void usage_snapshot(const struct run *r, struct proc_usage *u)
{
	for (unsigned long i = 0; i < r->nr; i++)
		procstat_read(sh.info[i].pid, sh.info[i].tid, &u[i]);
}

static void window_open(struct run *r, const unsigned long long *cnt,
			unsigned long long t)
{
	memcpy(r->win_start, cnt, r->nr * sizeof(*cnt));
	r->win_t0 = t;
	r->window_open = true;
	__atomic_store_n(&sh.ctl->measuring, 1, __ATOMIC_RELEASE);
	if (r->pmu_opened)
		pmu_enable(&r->pmu);
	usage_snapshot(r, r->use0);
	sched_window(r, r->cnt0);
}

static void window_close(struct run *r, const unsigned long long *cnt,
			 unsigned long long t)
{
	if (!r->window_open || r->window_done)
		return;
	if (r->pmu_opened) {
		pmu_disable(&r->pmu);
		pmu_read(&r->pmu);
	}
	__atomic_store_n(&sh.ctl->measuring, 0, __ATOMIC_RELEASE);
	usage_snapshot(r, r->use1);
	sched_window(r, r->cnt1);
	memcpy(r->win_end, cnt, r->nr * sizeof(*cnt));
	r->win_t1 = t;
	r->window_done = true;
}

static bool ci_reached(const struct run *r)
{
	double *v;
	bool done;
	int n = 0;

	if (r->o->until_ci <= 0)
		return false;
	v = calloc(r->nr_samples + 1, sizeof(*v));
	if (!v)
		return false;
	for (int i = 0; i < r->nr_samples; i++)
		if (!r->samples[i].warmup && !r->samples[i].excluded)
			v[n++] = r->samples[i].total / r->nr;
	done = n >= 3 && summary_ci95_rel(v, n) * 100 < r->o->until_ci;
	free(v);
	return done;
}

/*
 * The sampling loop; returns with the window closed (or never opened).
 * -s asks for measure_n intervals in the statistics: an excluded one is
 * measured again, up to measure_n + MAX_EXTRA_INTERVALS in all, so a
 * machine that is too loaded cannot keep a run going for ever.
 */
#define MAX_EXTRA_INTERVALS(n)	((n) + 2)

static void measure(struct run *r)
{
	unsigned long long interval = r->o->interval * 1e9;
	unsigned long long *prev = calloc(r->nr, sizeof(*prev));
	unsigned long long *cur = calloc(r->nr, sizeof(*cur));
	unsigned long long t_prev, t, deadline;
	int measured = 0, counted = 0;

	output_header(r);
	if (!r->warmup_n)
		output_measurement();
	__atomic_store_n(&sh.ctl->start, 1, __ATOMIC_RELEASE);
	futex_wake_all(&sh.ctl->start);
	t_prev = now_ns();
	sched_start(r);
	nb_start(r);
	if (!r->warmup_n)
		window_open(r, prev, t_prev);
	deadline = t_prev;
	for (int k = 0;; k++) {
		struct sample *s;

		deadline = interval_next_deadline(deadline, t_prev, interval);
		if (!handle_event(r, wait_event(deadline)))
			break;
		read_counters(r, cur);
		t = now_ns();
		s = sample_add(r, k < r->warmup_n, (t - t_prev) / 1e9, cur,
			       prev);
		if (!s) {
			set_failed(r, "out of memory for samples");
			break;
		}
		output_sample(r, s);
		memcpy(prev, cur, r->nr * sizeof(*cur));
		t_prev = t;
		if (k + 1 == r->warmup_n) {
			output_measurement();
			window_open(r, cur, t);
			continue;
		}
		if (s->warmup)
			continue;
		measured++;
		if (!s->excluded)
			counted++;
		if ((r->measure_n && (counted >= r->measure_n ||
				      measured >= r->measure_n +
				      MAX_EXTRA_INTERVALS(r->measure_n))) ||
		    ci_reached(r))
			break;
	}
	if (r->status == RUN_OK && measured && !counted)
		set_failed(r, "all %d measured intervals lasted outside "
			   "[%g, %g] x the nominal %g s: the machine is too "
			   "loaded to measure", measured, INTERVAL_MIN_RATIO,
			   INTERVAL_MAX_RATIO, r->o->interval);
	/* An interrupted or failed run keeps the intervals it completed. */
	window_close(r, prev, t_prev);
	free(prev);
	free(cur);
}

/* Allocator snapshots from every process that has tasks. */
static void take_snapshots(struct run *r)
{
	unsigned long long dl = now_ns() + SNAPSHOT_TIMEOUT_NS;

	/* no snapshot when the tasks never started (interrupted in prepare) */
	if (!harness_slab_stats || r->status == RUN_FAILED ||
	    !__atomic_load_n(&sh.ctl->start, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&sh.ctl->snap_req, 1, __ATOMIC_RELEASE);
	futex_wake_all(&sh.ctl->snap_req);
	while (__atomic_load_n(&sh.ctl->snap_done, __ATOMIC_ACQUIRE) <
	       (int)sh.nr_blobs) {
		enum ev e = wait_event(now_ns() + 10000000ULL);

		if (e == EV_INTERRUPT && interrupts > 1)
			return;
		if (e == EV_FAIL || e == EV_HOST_EXIT) {
			handle_event(r, e);
			return;
		}
		if (now_ns() > dl) {
			fprintf(stderr, "slabscale-run: allocator snapshot "
				"timed out\n");
			return;
		}
	}
}

/* Processes mode: tasks that never look at harness_should_stop() die. */
static void stop_task_processes(struct run *r)
{
	unsigned long long dl = now_ns() + RETURN_GRACE_NS;
	unsigned long i;

	for (i = 0; i < r->nr; i++)
		if (!sh.info[i].polls_stop && sh.info[i].pid > 0)
			kill(sh.info[i].pid, SIGKILL);
	for (i = 0; i < r->nr; i++) {
		while (sh.info[i].polls_stop &&
		       __atomic_load_n(&sh.info[i].state, __ATOMIC_ACQUIRE) <
		       TASK_RETURNED && now_ns() < dl && !host_reaped) {
			wait_event(now_ns() + 5000000ULL);
			if (interrupts > 1)
				break;
		}
		if (sh.info[i].pid > 0 &&
		    __atomic_load_n(&sh.info[i].state, __ATOMIC_ACQUIRE) <
		    TASK_RETURNED)
			kill(sh.info[i].pid, SIGKILL);
	}
}

/*
 * Processes mode, a task failed: the host (still alive) kills the other
 * tasks, reaps their helpers and runs testcase_cleanup(), so that what
 * testcase_prepare() made is removed; it gets --cleanup-timeout for that.
 * (In threads mode a failing task takes the host with it.)
 */
static void let_host_clean_up(struct run *r)
{
	unsigned long long dl = now_ns() +
		(unsigned long long)(r->o->cleanup_timeout * 1e9);
	sigset_t set;

	reap_host(false);
	if (!sh.ctl->processes || host_reaped ||
	    !__atomic_load_n(&sh.ctl->host_done_prepare, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&sh.ctl->stop, 1, __ATOMIC_RELEASE);
	futex_wake_all(&sh.ctl->stop);
	for (unsigned long i = 0; i < sh.ctl->nr_tasks; i++)
		if (sh.info[i].pid > 0)
			kill(sh.info[i].pid, SIGKILL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	while (!host_reaped && now_ns() < dl) {
		struct timespec ts = { 0, 10000000L };

		sigtimedwait(&set, NULL, &ts);
		reap_host(false);
	}
}

static void finish(struct run *r)
{
	unsigned long long dl;

	if (r->status == RUN_FAILED) {
		let_host_clean_up(r);
		kill_everything();
		return;
	}
	take_snapshots(r);
	__atomic_store_n(&sh.ctl->stop, 1, __ATOMIC_RELEASE);
	futex_wake_all(&sh.ctl->stop);
	if (sh.ctl->processes)
		stop_task_processes(r);
	dl = now_ns() + (unsigned long long)(r->o->cleanup_timeout * 1e9);
	while (!host_reaped) {
		enum ev e = wait_event(dl);

		if (e == EV_TIMEOUT) {
			set_failed(r, "testcase_cleanup() did not finish in "
				   "%g s (--cleanup-timeout)",
				   r->o->cleanup_timeout);
			break;
		}
		if (e == EV_INTERRUPT && interrupts > 1)
			break;
		if (e == EV_FAIL) {
			set_failed(r, "failure");
			break;
		}
	}
	if (host_reaped && (WIFSIGNALED(host_status) ||
			    WEXITSTATUS(host_status)))
		host_exit_failure(r);
	kill_everything();
}

static int alloc_run(struct run *r)
{
	r->cpus = calloc(r->nr, sizeof(int));
	r->win_start = calloc(r->nr, sizeof(unsigned long long));
	r->win_end = calloc(r->nr, sizeof(unsigned long long));
	r->use0 = calloc(r->nr, sizeof(struct proc_usage));
	r->use1 = calloc(r->nr, sizeof(struct proc_usage));
	r->sched_prev = calloc(r->nr, sizeof(struct sched_use));
	r->cnt0 = calloc(r->nr, sizeof(struct sched_counts));
	r->cnt1 = calloc(r->nr, sizeof(struct sched_counts));
	return r->cpus && r->win_start && r->win_end && r->use0 && r->use1 &&
	       r->sched_prev && r->cnt0 && r->cnt1 ? 0 : -1;
}

static void open_pmu(struct run *r)
{
	int tids[r->nr];

	if (!r->o->nr_events)
		return;
	for (unsigned long i = 0; i < r->nr; i++)
		tids[i] = sh.info[i].tid;
	if (pmu_open(&r->pmu, &pmu_sys_ops, r->o->events, r->o->nr_events,
		     r->o->events_default, tids, r->nr, r->pmu_error,
		     sizeof(r->pmu_error))) {
		fprintf(stderr, "slabscale-run: PMU: %s\n", r->pmu_error);
		pmu_close(&r->pmu);
		return;
	}
	r->pmu_opened = true;
}

static int exit_code(const struct run *r)
{
	if (sh.ctl->usage_error)
		return EXIT_USAGE;
	switch (r->status) {
	case RUN_OK:
		return EXIT_OK;
	case RUN_INTERRUPTED:
		return interrupt_sig ? 128 + interrupt_sig : EXIT_INTERRUPTED;
	case RUN_SKIPPED:
		return EXIT_SKIPPED;
	default:
		return EXIT_FAILED;
	}
}

static void report_failure(const struct run *r)
{
	if (sh.ctl->usage_error) {
		fprintf(stderr, "slabscale-run: %s\n", sh.ctl->usage_msg);
		return;
	}
	if (r->status == RUN_FAILED)
		fprintf(stderr, "slabscale-run: %s: run failed: %s\n",
			r->cs->name, r->fail.msg);
	else if (r->status == RUN_INTERRUPTED)
		fprintf(stderr, "slabscale-run: %s: interrupted after %d "
			"measured interval(s)\n", r->cs->name, r->st.intervals);
}

/*
 * Under a real-time policy (chrt -f), spinning tasks of the same priority
 * would never let the coordinator run: put it one level above them.  It
 * sleeps nearly all the time, so this costs the tasks nothing.
 */
int task_rt_policy = -1, task_rt_prio;

static void coordinator_above_tasks(void)
{
	int pol = sched_getscheduler(0);
	struct sched_param sp;

	if (task_rt_policy >= 0 || (pol != SCHED_FIFO && pol != SCHED_RR) ||
	    sched_getparam(0, &sp))
		return;
	task_rt_policy = pol;
	task_rt_prio = sp.sched_priority;	/* hosts forked later restore it */
	if (sp.sched_priority < sched_get_priority_max(pol)) {
		sp.sched_priority++;
		sched_setscheduler(0, pol, &sp);
	}
}

int run_one(struct run *r)
{
	const struct options *o = r->o;
	int rc;

	host_pid = 0;
	host_reaped = false;
	run_id_new(r->run_id, sizeof(r->run_id));
	if (alloc_run(r) || shared_create(r->nr, o->processes)) {
		fprintf(stderr, "slabscale-run: out of memory\n");
		return EXIT_FAILED;
	}
	sh.cs = r->cs;
	sh.opt = o;
	sh.topo = r->topo;
	sh.ctl->coord_pid = getpid();
	sh.ctl->verbose = o->verbose;
	r->sched_on = !o->wis;	/* nothing would report it */
	params_init(o);
	for (unsigned long i = 0; i < r->nr; i++)
		r->cpus[i] = sh.info[i].cpu =
			topology_cpu_for(r->topo, o->affinity, i);
	r->warmup_n = lround(o->warmup / o->interval);
	r->measure_n = lround(o->seconds / o->interval);
	if (o->seconds > 0 && !r->measure_n)
		r->measure_n = 1;
	iso_time_now(r->start_time, sizeof(r->start_time));
	r->load_ok = !loadavg_read(r->load);
	fflush(NULL);
	host_pid = fork();
	if (host_pid < 0) {
		fprintf(stderr, "slabscale-run: fork: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	if (!host_pid)
		host_main(o, r->cs, r->nr, r->cpus);
	coordinator_above_tasks();
	if (wait_ready(r)) {
		open_pmu(r);
		measure(r);
	}
	finish(r);
	iso_time_now(r->end_time, sizeof(r->end_time));
	run_compute_stats(r);
	output_footer(r);
	output_notes(r);
	report_failure(r);
	rc = exit_code(r);
	if (r->json_path && rc != EXIT_USAGE &&
	    rundoc_write(r, r->json_path) && rc == EXIT_OK)
		rc = EXIT_FAILED;
	return rc;
}

void run_free(struct run *r)
{
	if (r->pmu_opened)
		pmu_close(&r->pmu);
	for (int i = 0; i < r->nr_samples; i++) {
		free(r->samples[i].deltas);
		free(r->samples[i].rates);
		free(r->samples[i].run_ns);
		free(r->samples[i].wait_ns);
		free(r->samples[i].others_ns);
	}
	free(r->samples);
	free(r->cpus);
	free(r->win_start);
	free(r->win_end);
	free(r->use0);
	free(r->use1);
	free(r->sched_prev);
	free(r->cnt0);
	free(r->cnt1);
	free(r->nb_prev);
	free(r->nb_run_cpu);
	free(r->nb_busy);
	free(r->nb_cpu_ok);
	free(r->st.task_cpu_share);
	free(r->st.task_wait_share);
	free(r->st.task_ops_per_cpu_sec);
	shared_destroy();
}

void run_compute_stats(struct run *r)
{
	struct run_stats *st = &r->st;
	double *v = calloc(r->nr_samples + 1, sizeof(*v)), secs;
	int n = 0;

	memset(st, 0, sizeof(*st));
	if (!v)
		return;
	for (int i = 0; i < r->nr_samples; i++) {
		const struct sample *s = &r->samples[i];

		if (s->warmup)
			continue;
		if (s->excluded) {
			st->excluded++;
			if (s->secs > st->excluded_max_secs)
				st->excluded_max_secs = s->secs;
			continue;
		}
		v[n++] = s->total;
	}
	st->intervals = n;
	st->ops_per_sec = summary_mean(v, n);
	for (int i = 0; i < n; i++)
		v[i] /= r->nr;
	st->per_task_ops = st->ops_per_sec / r->nr;
	st->mean = summary_mean(v, n);
	st->median = summary_median(v, n);
	st->stddev = summary_stddev(v, n);
	st->cv = st->stddev / st->mean;
	free(v);
	sched_stats(r);
	nb_stats(r);
	st->task_min = st->task_max = NAN;
	if (!r->window_done || r->win_t1 <= r->win_t0)
		return;
	secs = (r->win_t1 - r->win_t0) / 1e9;
	st->measured_seconds = secs;
	for (unsigned long i = 0; i < r->nr; i++) {
		unsigned long long d = r->win_end[i] - r->win_start[i];
		double rate = d / secs;

		st->iterations += d;
		if (!i || rate < st->task_min)
			st->task_min = rate;
		if (!i || rate > st->task_max)
			st->task_max = rate;
	}
}
