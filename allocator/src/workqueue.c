// SPDX-License-Identifier: GPL-2.0-only
/*
 * workqueue.c - one pinned worker thread per CPU, fed by a queue.
 *
 * See workqueue.h for the rules.  Each worker sleeps on its condition
 * variable while its queue is empty; slab_queue_work_on() appends and
 * signals, the worker pops, runs fn with no lock held, then clears
 * w->pending and broadcasts "done" to flushers.  Workers are started all at
 * once, lazily, under wq_start_lock.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "rcu_internal.h"
#include "slab_internal.h"
#include "workqueue.h"

struct slab_worker {
	pthread_mutex_t lock;		/* protects everything below */
	pthread_cond_t more;		/* the worker waits for work here */
	pthread_cond_t done;		/* flushers wait for completion here */
	struct slab_work *head, *tail;
	unsigned long nr_done;
	pthread_t thread;
	int cpu;
	bool pinned;
} __cacheline_aligned;

static pthread_mutex_t wq_start_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slab_worker *workers;	/* nr_cpus entries, never freed */
static int nr_cpus;
static int nr_started;			/* under wq_start_lock */
static int nr_pinned;
static bool started;			/* read without the lock: acquire */

int slab_wq_nr_cpus(void)
{
	if (!nr_cpus)
		nr_cpus = slab_rcu_nr_cpus();
	return nr_cpus;
}

int slab_wq_nr_started(void)
{
	return __atomic_load_n(&nr_started, __ATOMIC_ACQUIRE);
}

int slab_wq_nr_pinned(void)
{
	return __atomic_load_n(&nr_pinned, __ATOMIC_ACQUIRE);
}

bool slab_wq_cpu_pinned(int cpu)
{
	if (!__atomic_load_n(&started, __ATOMIC_ACQUIRE) || cpu < 0 ||
	    cpu >= nr_cpus)
		return false;
	return workers[cpu].pinned;
}

static void worker_init(struct slab_worker *wk, int cpu)
{
	pthread_mutex_init(&wk->lock, NULL);
	pthread_cond_init(&wk->more, NULL);
	pthread_cond_init(&wk->done, NULL);
	wk->head = wk->tail = NULL;
	wk->nr_done = 0;
	wk->cpu = cpu;
	wk->pinned = false;
}

static struct slab_work *worker_pop(struct slab_worker *wk)
{
	struct slab_work *w;

	pthread_mutex_lock(&wk->lock);
	while (!wk->head)
		pthread_cond_wait(&wk->more, &wk->lock);
	w = wk->head;
	wk->head = w->next;
	if (!wk->head)
		wk->tail = NULL;
	pthread_mutex_unlock(&wk->lock);
	return w;
}

static void *worker_main(void *arg)
{
	struct slab_worker *wk = arg;
	struct slab_work *w;
	char name[16];

	snprintf(name, sizeof(name), "slab-wq/%d", wk->cpu);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		w = worker_pop(wk);
		w->ran_on = sched_getcpu();
		w->fn(w);
		pthread_mutex_lock(&wk->lock);
		w->pending = 0;
		wk->nr_done++;
		pthread_cond_broadcast(&wk->done);
		pthread_mutex_unlock(&wk->lock);
	}
	return NULL;
}

/*
 * Pin to cpu through the creation attributes, so the thread never runs
 * anywhere else.  A CPU outside our affinity mask (taskset) cannot be
 * pinned to: the worker then runs unpinned and says so in its flag.
 */
static void worker_start(struct slab_worker *wk)
{
	wk->pinned = slab_spawn_pinned(&wk->thread, wk->cpu, worker_main, wk,
				       "worker");
	__atomic_add_fetch(&nr_started, 1, __ATOMIC_RELEASE);
	if (wk->pinned)
		__atomic_add_fetch(&nr_pinned, 1, __ATOMIC_RELEASE);
}

static void wq_start(void)
{
	int cpu, n;

	pthread_mutex_lock(&wq_start_lock);
	if (!started) {
		n = slab_wq_nr_cpus();
		if (!workers) {
			workers = aligned_alloc(CACHELINE, n * sizeof(*workers));
			if (!workers) {
				fprintf(stderr, "slabscale: out of memory for workers\n");
				abort();
			}
			for (cpu = 0; cpu < n; cpu++)
				worker_init(&workers[cpu], cpu);
		}
		for (cpu = 0; cpu < n; cpu++)
			worker_start(&workers[cpu]);
		__atomic_store_n(&started, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&wq_start_lock);
}

bool slab_queue_work_on(int cpu, struct slab_work *w)
{
	struct slab_worker *wk;
	bool queued = false;

	if (cpu < 0 || cpu >= slab_wq_nr_cpus()) {
		slab_bug("slab_queue_work_on: CPU %d out of range (0..%d)",
				cpu, slab_wq_nr_cpus() - 1);
		return false;
	}
	if (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		wq_start();
	wk = &workers[cpu];
	pthread_mutex_lock(&wk->lock);
	if (!w->pending) {
		w->pending = 1;
		w->cpu = cpu;
		w->next = NULL;
		if (wk->tail)
			wk->tail->next = w;
		else
			wk->head = w;
		wk->tail = w;
		pthread_cond_signal(&wk->more);
		queued = true;
	}
	pthread_mutex_unlock(&wk->lock);
	return queued;
}

void slab_flush_work(struct slab_work *w)
{
	struct slab_worker *wk;

	if (w->cpu < 0 || !__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		return;
	wk = &workers[w->cpu];
	pthread_mutex_lock(&wk->lock);
	while (w->pending)
		pthread_cond_wait(&wk->done, &wk->lock);
	pthread_mutex_unlock(&wk->lock);
}

/*
 * fork(): nothing is held across it (the start lock is taken under
 * slab_mutex, which the core's fork handler takes after ours).  The child
 * has no workers: forget them, so the next use starts new ones.  Items
 * pending in the parent belong to threads the child does not have.
 */
void slab_wq_fork_child(void)
{
	int cpu;

	if (workers) {
		for (cpu = 0; cpu < nr_cpus; cpu++)
			worker_init(&workers[cpu], cpu);
	}
	nr_started = 0;
	nr_pinned = 0;
	started = false;
	pthread_mutex_init(&wq_start_lock, NULL);
}
