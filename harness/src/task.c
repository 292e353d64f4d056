// SPDX-License-Identifier: GPL-2.0-only
/*
 * task.c - what runs in a task: the start barrier, the call into
 * testcase(), helper tasks from new_task(), and the allocator snapshot
 * thread.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "harness.h"
#include "host.h"

static pthread_mutex_t helpers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t *helpers;
static int nr_helpers, helpers_cap;

/* The CPUs of a task reported on cpu: its core, or the PU with -m. */
int pin_set(int cpu, cpu_set_t *set)
{
	return topology_pin_set(sh.topo, sh.opt ? sh.opt->affinity : AFF_SMT,
				cpu, set);
}

void pin_self(int cpu)
{
	cpu_set_t set;

	if (pin_set(cpu, &set))
		return;
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * The allocator snapshot of this process, taken by a thread of its own
 * when the coordinator asks at the end of measurement.  A thread, not a
 * signal handler: a task may be inside the allocator holding slab_mutex,
 * and slab_stats_json() takes it.  All signals are blocked here.
 */
static void *snapshot_thread(void *arg)
{
	unsigned int i = (unsigned long)arg;
	struct blob_hdr *b = blob_at(i);
	int len;

	prctl(PR_SET_NAME, "slabscale-snap");
	while (!__atomic_load_n(&sh.ctl->snap_req, __ATOMIC_ACQUIRE))
		futex_wait(&sh.ctl->snap_req, 0, -1);
	len = harness_slab_stats((char *)(b + 1), BLOB_SIZE - sizeof(*b) - 1);
	b->len = len < 0 ? -1 : len;
	__atomic_add_fetch(&sh.ctl->snap_done, 1, __ATOMIC_RELEASE);
	futex_wake_all(&sh.ctl->snap_done);
	return NULL;
}

void snapshot_start(unsigned int blob)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;

	if (!harness_slab_stats)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, snapshot_thread, (void *)(unsigned long)blob))
		harness_warn("cannot start the allocator snapshot thread");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Task nr: announce, wait for the start, run the case. */
void task_run(unsigned long nr)
{
	struct task_info *ti = &sh.info[nr];
	struct shared_ctl *c = sh.ctl;

	cur_task = nr;
	cur_helper = 0;
	ti->pid = getpid();
	ti->tid = gettid();
	pin_self(ti->cpu);
	if (c->processes)
		snapshot_start(nr);
	__atomic_store_n(&ti->state, TASK_READY, __ATOMIC_RELEASE);
	__atomic_add_fetch(&c->ready, 1, __ATOMIC_RELEASE);
	futex_wake_all(&c->ready);
	while (!__atomic_load_n(&c->start, __ATOMIC_ACQUIRE))
		futex_wait(&c->start, 0, -1);
	__atomic_store_n(&ti->state, TASK_RUNNING, __ATOMIC_RELEASE);
	sh.cs->testcase(task_counter(nr), nr);
	__atomic_store_n(&ti->state, TASK_RETURNED, __ATOMIC_RELEASE);
	if (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE))
		fail_record(nr, 0, 0, -1, "task %lu returned from testcase() "
			    "before the end of the run", nr);
}

struct helper_args {
	void *(*func)(void *);
	void *arg;
	long owner;
	int cpu;
};

static void *helper_trampoline(void *p)
{
	struct helper_args h = *(struct helper_args *)p;

	free(p);
	cur_task = h.owner;
	cur_helper = 1;
	pin_self(h.cpu);
	return h.func(h.arg);
}

static void helper_remember(pthread_t t)
{
	pthread_mutex_lock(&helpers_lock);
	if (nr_helpers == helpers_cap) {
		int cap = helpers_cap ? 2 * helpers_cap : 64;
		pthread_t *n = realloc(helpers, cap * sizeof(*n));

		if (n) {
			helpers = n;
			helpers_cap = cap;
		}
	}
	if (nr_helpers < helpers_cap)
		helpers[nr_helpers++] = t;
	pthread_mutex_unlock(&helpers_lock);
}

/*
 * Threads mode, end of a run: cancel every helper thread (deferred, as
 * will-it-scale cancels its threads).  helpers_join_or_park() then joins
 * those that ended by the deadline and sends sig to the others, which
 * parks them (host.c); it returns how many were sent sig.  Called once
 * every task has returned, been cancelled or been parked; new_task()
 * holds helpers_lock only around the list update, and a task parked in
 * that window would leave the host waiting here until the coordinator's
 * --cleanup-timeout fails the run.
 */
void helpers_cancel(void)
{
	pthread_mutex_lock(&helpers_lock);
	for (int i = 0; i < nr_helpers; i++)
		pthread_cancel(helpers[i]);
	pthread_mutex_unlock(&helpers_lock);
}

int helpers_join_or_park(const struct timespec *deadline, int sig)
{
	int sent = 0;

	pthread_mutex_lock(&helpers_lock);
	for (int i = 0; i < nr_helpers; i++)
		if (pthread_timedjoin_np(helpers[i], NULL, deadline) &&
		    !pthread_kill(helpers[i], sig))
			sent++;
	nr_helpers = 0;
	pthread_mutex_unlock(&helpers_lock);
	return sent;
}

/*
 * Processes mode: helper processes started by testcase_prepare() are
 * children of the host; it kills them before testcase_cleanup(), as
 * will-it-scale's main kills every task it started.
 */
static pid_t prepare_helpers[MAX_TASKS];
static int nr_prepare_helpers;

void prepare_helpers_kill(void)
{
	for (int i = 0; i < nr_prepare_helpers; i++)
		kill(prepare_helpers[i], SIGKILL);
}

static void new_task_process(struct helper_args *h)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		harness_fail("new_task: fork: %s", strerror(errno));
	if (pid) {
		if (h->owner < 0 && nr_prepare_helpers < MAX_TASKS)
			prepare_helpers[nr_prepare_helpers++] = pid;
		free(h);
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	helper_trampoline(h);
	_exit(0);
}

/*
 * will-it-scale's new_task(): a helper thread (threads mode) or process
 * (processes mode), pinned to the CPU of the task that asked for it.
 */
void new_task(void *(func)(void *), void *arg)
{
	struct helper_args *h = malloc(sizeof(*h));
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (!h)
		harness_fail("new_task: out of memory");
	h->func = func;
	h->arg = arg;
	h->owner = cur_task;
	h->cpu = cur_task >= 0 ? sh.info[cur_task].cpu : -1;
	if (sh.ctl && sh.ctl->processes) {
		new_task_process(h);
		return;
	}
	pthread_attr_init(&attr);
	err = pthread_create(&t, &attr, helper_trampoline, h);
	pthread_attr_destroy(&attr);
	if (err)
		harness_fail("new_task: pthread_create: %s", strerror(err));
	helper_remember(t);
}
