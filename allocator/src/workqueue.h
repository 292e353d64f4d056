/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * workqueue.h - per-CPU worker threads: the queue_work_on() + flush_work()
 * analogue the slab barriers use to run a function on every CPU.
 *
 * One worker thread per CPU, pinned to that CPU, started lazily on the first
 * slab_queue_work_on() (with every signal blocked, so timer signals of a
 * benchmark never land in a worker).  A queued item is handed over through
 * the worker's queue and a condition variable (a futex wait/wake), and
 * slab_flush_work() sleeps until the worker reports completion.  Nothing is
 * ever run directly in the caller: the cross-thread round trip is the cost
 * this file exists to model.
 *
 * Concurrency rules:
 *  - A work item may be queued again once it is idle (never queued, or
 *    flushed, or its fn has returned).  Queueing a pending item is refused
 *    (returns false), as queue_work_on() does.
 *  - fn runs on the worker of the CPU it was queued for, with no lock of this
 *    file held; it may sleep and take any lock that its queuer does not hold
 *    while flushing.  It must not flush itself.
 *  - Lock order: callers' locks (slab_mutex -> flush lock) -> worker lock.
 *    The worker lock is a leaf: never held while running fn or calling out.
 */
#ifndef SLABSCALE_WORKQUEUE_H
#define SLABSCALE_WORKQUEUE_H

#include <stdbool.h>

struct slab_work {
	void (*fn)(struct slab_work *w);
	struct slab_work *next;		/* queue link, owned by the worker */
	int cpu;			/* queued for this CPU */
	int ran_on;			/* sched_getcpu() seen by the worker */
	unsigned int pending;		/* queued or running; under worker lock */
};

static inline void slab_init_work(struct slab_work *w,
				  void (*fn)(struct slab_work *w))
{
	w->fn = fn;
	w->next = 0;
	w->cpu = -1;
	w->ran_on = -1;
	w->pending = 0;
}

/*
 * Queue w on the worker of cpu (0 <= cpu < slab_wq_nr_cpus()).  Starts the
 * workers on first use.  Returns false if w is still pending or cpu is out
 * of range (reported).
 */
bool slab_queue_work_on(int cpu, struct slab_work *w);
/* Sleep until w is idle; returns at once for an idle item. */
void slab_flush_work(struct slab_work *w);

/* CPUs the workqueue serves (one worker each). */
int slab_wq_nr_cpus(void);
/* Workers running now, and how many of them are pinned to their CPU. */
int slab_wq_nr_started(void);
int slab_wq_nr_pinned(void);
/* Whether the worker of cpu runs pinned to it (false: not started). */
bool slab_wq_cpu_pinned(int cpu);

/* fork() support: the child handler that rcu.c registers calls this. */
void slab_wq_fork_child(void);

#endif /* SLABSCALE_WORKQUEUE_H */
