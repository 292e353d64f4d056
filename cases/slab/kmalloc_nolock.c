// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmalloc_nolock - kmalloc_nolock()/kfree_nolock() from a "NMI".
 *
 * The kernel's stress for the nolock API is a high-frequency perf NMI
 * whose handler allocates and frees while the interrupted code is itself
 * inside the allocator.  Here each task arms a per-thread timer
 * (SIGEV_THREAD_ID) firing every period_us; its handler calls
 * kmalloc_nolock(), keeps the object for a few ticks and kfree_nolock()s
 * the oldest one it holds.  Meanwhile the task loops over kmalloc/kfree
 * pairs of the same size.  One iteration = one kmalloc+kfree pair in the
 * task (the handler's work shows as its cost).
 *
 * Parameters: size (64), period_us (100), hold (4 objects kept by the
 * handler between ticks).
 * Metrics: nolock_calls, nolock_failures (kmalloc_nolock() returned NULL),
 * signals (handler runs).
 */
#include "slab_case.h"

#include <sys/syscall.h>

char *testcase_description = "kmalloc/kfree loop interrupted by kmalloc_nolock/kfree_nolock in a timer signal";

#define MAX_HOLD	64

/*
 * Written by the handler only, read by the task it interrupts (same
 * thread): the signal fences make the task's reads see whole updates.
 */
struct nolock_state {
	unsigned long calls, failures, signals;
	unsigned long held, next;
	void *obj[MAX_HOLD];
};

static __thread struct nolock_state nl;

static struct slab_case_acct baseline;
static unsigned long obj_size, period_us, hold;
static int calls_metric, fail_metric, sig_metric;
static int timer_signo;

static void nolock_handler(int signo)
{
	void *p;

	(void)signo;
	nl.signals++;
	nl.calls++;
	p = kmalloc_nolock(obj_size, 0, NUMA_NO_NODE);
	if (!p) {
		nl.failures++;
		return;
	}
	*(volatile char *)p = 1;
	if (nl.held == hold) {
		kfree_nolock(nl.obj[nl.next]);
		nl.held--;
	}
	nl.obj[nl.next] = p;
	nl.next = (nl.next + 1) % hold;
	nl.held++;
}

void testcase_prepare(unsigned long nr_tasks)
{
	struct sigaction sa;

	(void)nr_tasks;
	obj_size = slab_case_param_range("size", 64, 1, SLAB_MAX_OBJECT_SIZE);
	period_us = slab_case_param_range("period_us", 100, 1, 10000000);
	hold = slab_case_param_range("hold", 4, 1, MAX_HOLD);
	calls_metric = harness_metric("nolock_calls", HARNESS_COUNTER, "calls");
	fail_metric = harness_metric("nolock_failures", HARNESS_COUNTER, "calls");
	sig_metric = harness_metric("signals", HARNESS_COUNTER, "signals");

	timer_signo = SIGRTMIN + 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nolock_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(timer_signo, &sa, NULL))
		harness_fail("sigaction: %s", strerror(errno));
	slab_case_acct_begin(&baseline);
}

static timer_t arm_timer(void)
{
	struct sigevent sev;
	struct itimerspec its;
	sigset_t set;
	timer_t t;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = timer_signo;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t))
		harness_fail("timer_create: %s", strerror(errno));
	its.it_interval.tv_sec = (time_t)(period_us / 1000000);
	its.it_interval.tv_nsec = (long)(period_us % 1000000) * 1000;
	its.it_value = its.it_interval;
	if (timer_settime(t, 0, &its, NULL))
		harness_fail("timer_settime: %s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, timer_signo);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return t;
}

static void disarm_timer(timer_t t)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, timer_signo);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	timer_delete(t);
}

/* Record what the handler did since the last call (signals blocked or not). */
static void record_deltas(struct nolock_state *last)
{
	struct nolock_state now;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	now.calls = nl.calls;
	now.failures = nl.failures;
	now.signals = nl.signals;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	harness_record(calls_metric, now.calls - last->calls);
	harness_record(fail_metric, now.failures - last->failures);
	harness_record(sig_metric, now.signals - last->signals);
	last->calls = now.calls;
	last->failures = now.failures;
	last->signals = now.signals;
}

static void teardown(const char *where)
{
	slab_case_acct_check(&baseline, where);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct nolock_state last = { 0 };
	unsigned long i;
	timer_t t;
	void *p;

	(void)nr;
	t = arm_timer();
	while (!harness_should_stop()) {
		for (i = 0; i < 4096; i++) {
			p = kmalloc(obj_size, GFP_KERNEL);
			if (!p)
				harness_fail("kmalloc(%lu) failed", obj_size);
			*(volatile char *)p = 1;
			kfree(p);
		}
		*iterations += i;
		record_deltas(&last);
	}
	disarm_timer(t);
	record_deltas(&last);
	for (i = 0; i < nl.held; i++)
		kfree(nl.obj[(nl.next + hold - nl.held + i) % hold]);
	nl.held = 0;
	if (harness_processes_mode())
		teardown("task teardown");
}

void testcase_cleanup(void)
{
	teardown("cleanup");
}
