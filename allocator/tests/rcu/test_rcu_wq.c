// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu_wq.c - the per-CPU workqueue: items run on the CPU they were
 * queued for, on a worker thread (never the caller), flush waits for
 * completion, a pending item is not queued twice, bad CPUs are refused,
 * and concurrent queuers from two threads all get their round trips.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcu_test.h"
#include "rcu_internal.h"
#include "workqueue.h"

struct probe {
	struct slab_work work;
	pid_t tid;
	int cpu;
	int runs;
};

static void probe_fn(struct slab_work *w)
{
	struct probe *p = container_of(w, struct probe, work);

	p->tid = gettid();
	p->cpu = sched_getcpu();
	p->runs++;
}

/* CPUs we may run on (a taskset may exclude some: no pinning there) */
static bool cpu_allowed(int cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return true;
	return CPU_ISSET(cpu, &set);
}

static void test_every_cpu(void)
{
	int n = slab_wq_nr_cpus(), cpu, round, allowed = 0;
	struct probe *p = calloc(n, sizeof(*p));

	CHECK(n > 0);
	for (cpu = 0; cpu < n; cpu++)
		allowed += cpu_allowed(cpu);
	for (round = 0; round < 100; round++) {
		for (cpu = 0; cpu < n; cpu++) {
			slab_init_work(&p[cpu].work, probe_fn);
			p[cpu].runs = 0;
			CHECK(slab_queue_work_on(cpu, &p[cpu].work));
		}
		for (cpu = 0; cpu < n; cpu++) {
			slab_flush_work(&p[cpu].work);
			CHECK_EQ(p[cpu].runs, 1);
			CHECK(p[cpu].tid != gettid());
			/* our own mask's CPUs can always be pinned to */
			if (cpu_allowed(cpu))
				CHECK(slab_wq_cpu_pinned(cpu));
			if (!slab_wq_cpu_pinned(cpu))
				continue;
			CHECK_EQ(p[cpu].work.ran_on, cpu);
			CHECK_EQ(p[cpu].cpu, cpu);
		}
	}
	CHECK_EQ(slab_wq_nr_started(), n);
	CHECK(slab_wq_nr_pinned() >= allowed);
	free(p);
}

/* An item that blocks until released, to see it pending. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_entered;

static void gated_fn(struct slab_work *w)
{
	(void)w;
	pthread_mutex_lock(&gate_lock);
	gate_entered = 1;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void test_pending_and_order(void)
{
	struct slab_work gated;
	struct probe after;

	slab_init_work(&gated, gated_fn);
	slab_init_work(&after.work, probe_fn);
	after.runs = 0;
	CHECK(slab_queue_work_on(0, &gated));
	pthread_mutex_lock(&gate_lock);
	while (!gate_entered)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	/* running counts as pending: no second queueing */
	CHECK(!slab_queue_work_on(0, &gated));
	/* FIFO: the next item on that CPU waits behind the gated one */
	CHECK(slab_queue_work_on(0, &after.work));
	usleep(20000);
	CHECK_EQ(__atomic_load_n(&after.runs, __ATOMIC_ACQUIRE), 0);
	CHECK(after.work.pending);
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	slab_flush_work(&gated);
	slab_flush_work(&after.work);
	CHECK_EQ(after.runs, 1);
	CHECK(!gated.pending);
	/* idle item: flush returns at once, requeue works */
	slab_flush_work(&gated);
	gate_open = 1;
	CHECK(slab_queue_work_on(0, &gated));
	slab_flush_work(&gated);
}

static void test_bad_cpu(void)
{
	struct probe p;

	slab_init_work(&p.work, probe_fn);
	rcu_test_capture_reports();
	CHECK(!slab_queue_work_on(-1, &p.work));
	CHECK(!slab_queue_work_on(slab_wq_nr_cpus(), &p.work));
	CHECK(rcu_test_reports_matching("out of range") == 2);
	rcu_test_release_reports();
	slab_flush_work(&p.work);	/* never queued: returns */
}

#define QUEUERS		2
#define QUEUER_ROUNDS	2000

static void *queuer(void *arg)
{
	int n = slab_wq_nr_cpus(), cpu, round;
	struct probe *p = calloc(n, sizeof(*p));
	long *bad = arg;

	for (round = 0; round < QUEUER_ROUNDS; round++) {
		for (cpu = 0; cpu < n; cpu++) {
			slab_init_work(&p[cpu].work, probe_fn);
			slab_queue_work_on(cpu, &p[cpu].work);
		}
		for (cpu = 0; cpu < n; cpu++) {
			slab_flush_work(&p[cpu].work);
			if ((slab_wq_cpu_pinned(cpu) && p[cpu].cpu != cpu) ||
			    p[cpu].runs != round + 1)
				(*bad)++;
		}
	}
	free(p);
	return NULL;
}

static void test_concurrent_queuers(void)
{
	pthread_t t[QUEUERS];
	long bad[QUEUERS] = { 0 };
	int i;

	for (i = 0; i < QUEUERS; i++)
		pthread_create(&t[i], NULL, queuer, &bad[i]);
	for (i = 0; i < QUEUERS; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(bad[i], 0);
	}
}

int main(void)
{
	rcu_test_watchdog(300);
	test_every_cpu();
	test_pending_and_order();
	test_bad_cpu();
	test_concurrent_queuers();
	CHECK(rcu_test_other_threads_block_signals());
	printf("test_rcu_wq: ok (%d CPUs)\n", slab_wq_nr_cpus());
	return 0;
}
