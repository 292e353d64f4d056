// SPDX-License-Identifier: GPL-2.0-only
/*
 * rcu.c - the allocator's RCU: liburcu (memb flavor) decides when a grace
 * period is over; the callback machinery around it is the kernel's shape.
 *
 * - Registration: the first RCU entry point a thread uses registers it and
 *   sets a pthread key whose destructor unregisters it when the thread
 *   exits, so callers never deal with liburcu themselves.  Threads that
 *   registered on their own (a caller that did it itself, or liburcu's own
 *   call_rcu workers if somebody uses them) are left alone.
 * - Callbacks: slab_call_rcu() queues on the current CPU's list; one
 *   worker thread per CPU (pinned to it, like the kernel's per-CPU
 *   callback processing) sleeps on a condition variable while its list is
 *   empty, takes the whole list as one batch, waits for one grace period
 *   and invokes the batch.  Callbacks queued while a batch waits go to the
 *   next one (the kernel's: a callback waits for a grace period that
 *   starts after it was queued).  liburcu's own call_rcu workers are not
 *   used: they sleep 10 ms between batches (poll(), also with
 *   URCU_CALL_RCU_RT), so every callback would cost >= 10 ms.
 * - Grace period (rcu_gp()): urcu_memb_synchronize_rcu(), which waits for
 *   every reader, and then, if it returned sooner, a sleep until
 *   SLABSCALE_RCU_GP_US (default 3000) have passed since the grace period
 *   started: liburcu's grace period takes about a microsecond, the
 *   kernel's a few milliseconds (a grace period with an idle CPU ends at
 *   the first force-quiescent-state scan, jiffies_till_first_fqs =
 *   RCU_JIFFIES_TILL_FORCE_QS = 3 jiffies at HZ=1000; README-rcu.md).  No
 *   thread spins: the wait is clock_nanosleep().  slab_synchronize_rcu()
 *   costs the same.
 * - rcu_barrier(): waits until every callback queued before it has been
 *   invoked, per-CPU counters against a snapshot; it returns at once when
 *   nothing is queued (the kernel's rcu_barrier() starts no grace period
 *   for CPUs without callbacks).
 * - fork(): the atfork handlers pause the workers between batches (as
 *   liburcu's call_rcu_before_fork() does for its own), hold the locks
 *   listed at rcu_fork_prepare(); the child forgets its helper threads
 *   (callbacks queued in the parent stay queued and run in the child),
 *   starts new workers on next use, and unlinks from liburcu's registry
 *   the parent threads we had registered (see rcu_prune_registry()).
 *   Threads that registered with liburcu on their own are not pruned: if
 *   one is alive at fork(), the child's grace periods may hang (liburcu's
 *   memb flavor has no fork support for its registry).
 *
 * Lock order: every lock of rcu_internal.h's list that call_rcu() is made
 * under (kfree_rcu batch locks, per-CPU sheaves locks, ...) -> rcu_cpu
 * lock.  The rcu_cpu lock is a leaf: never held while invoking a callback
 * or waiting for a grace period.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-memb.h>
#include <urcu/list.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcu_internal.h"
#include "slab_internal.h"
#include "workqueue.h"

#define RCU_GP_US_DEFAULT	3000

static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_key;
static pthread_mutex_t rcu_init_lock = PTHREAD_MUTEX_INITIALIZER;
static bool rcu_workers_ready;		/* acquire/release */
static long nr_registered;
static __thread bool rcu_we_registered;
static __thread bool rcu_in_worker;	/* a callback worker of ours */

static void rcu_fork_prepare(void);
static void rcu_fork_parent(void);
static void rcu_fork_child(void);

int slab_rcu_nr_cpus(void)
{
	if (!READ_ONCE(nr_cpu_ids))
		slab_init_once();
	return nr_cpu_ids;
}

int slab_rcu_cpu(void)
{
	int cpu = slab_cpu_id();

	return cpu < 0 || cpu >= slab_rcu_nr_cpus() ? 0 : cpu;
}

int slab_spawn_thread(pthread_t *thread, const pthread_attr_t *attr,
		      void *(*fn)(void *arg), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(thread, attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

bool slab_spawn_pinned(pthread_t *thread, int cpu, void *(*fn)(void *arg),
		       void *arg, const char *what)
{
	pthread_attr_t attr;
	bool pinned = true;
	cpu_set_t set;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	err = slab_spawn_thread(thread, &attr, fn, arg);
	if (err) {
		pinned = false;
		pthread_attr_destroy(&attr);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = slab_spawn_thread(thread, &attr, fn, arg);
	}
	pthread_attr_destroy(&attr);
	if (err) {
		fprintf(stderr, "slabscale: cannot start the %s of CPU %d: %s\n",
			what, cpu, strerror(err));
		abort();
	}
	return pinned;
}

unsigned long long slab_rcu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Threads we registered, so that a forked child can drop the ones that do
 * not exist in it (see rcu_prune_registry()).  rcu_reg_lock serializes our
 * registrations and unregistrations with each other and with fork().
 */
struct rcu_reg_node {
	struct cds_list_head link;
	struct urcu_reader *reader;	/* the thread's liburcu registry entry */
};

static pthread_mutex_t rcu_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static CDS_LIST_HEAD(rcu_reg_list);
static __thread struct rcu_reg_node rcu_reg_self;

/* Key destructor: runs at exit of every thread we registered. */
static void rcu_thread_exit(void *arg)
{
	(void)arg;
	if (!rcu_we_registered)
		return;
	if (urcu_memb_read_ongoing())
		slab_bug("thread exits inside slab_rcu_read_lock()");
	pthread_mutex_lock(&rcu_reg_lock);
	urcu_memb_unregister_thread();
	cds_list_del(&rcu_reg_self.link);
	nr_registered--;
	pthread_mutex_unlock(&rcu_reg_lock);
	rcu_we_registered = false;
}

static void rcu_key_init(void)
{
	int err = pthread_key_create(&rcu_key, rcu_thread_exit);

	if (err) {
		fprintf(stderr, "slabscale: pthread_key_create: %s\n",
			strerror(err));
		abort();
	}
	pthread_atfork(rcu_fork_prepare, rcu_fork_parent, rcu_fork_child);
}

void slab_rcu_thread_enter(void)
{
	if (__builtin_expect(rcu_we_registered, 1))
		return;
	pthread_once(&rcu_key_once, rcu_key_init);
	if (URCU_TLS(urcu_memb_reader).registered)
		return;		/* the caller's own registration */
	pthread_mutex_lock(&rcu_reg_lock);
	urcu_memb_register_thread();
	rcu_reg_self.reader = &URCU_TLS(urcu_memb_reader);
	cds_list_add(&rcu_reg_self.link, &rcu_reg_list);
	nr_registered++;
	pthread_mutex_unlock(&rcu_reg_lock);
	rcu_we_registered = true;
	pthread_setspecific(rcu_key, &rcu_we_registered);
}

long slab_rcu_registered_threads(void)
{
	long n;

	pthread_mutex_lock(&rcu_reg_lock);
	n = nr_registered;
	pthread_mutex_unlock(&rcu_reg_lock);
	return n;
}

bool slab_rcu_in_callback(void)
{
	return rcu_in_worker || urcu_memb_get_thread_call_rcu_data() != NULL;
}

/* ---- grace periods ---------------------------------------------------------- */

static unsigned long long rcu_gp_ns;	/* modelled length, set at init */
static bool rcu_gp_ns_set;
static unsigned long gp_seq_started;	/* grace periods begun (atomic) */
static unsigned long gp_seq_done;	/* highest begun one that ended */
static unsigned long long stat_barriers, stat_callbacks;

static void rcu_gp_len_init(void)
{
	const char *e = getenv("SLABSCALE_RCU_GP_US");
	unsigned long long us = RCU_GP_US_DEFAULT;
	char *end;

	if (__atomic_load_n(&rcu_gp_ns_set, __ATOMIC_ACQUIRE))
		return;
	if (e && *e) {
		errno = 0;
		us = strtoull(e, &end, 10);
		if (errno || *end || us > 10000000) {
			slab_bug("SLABSCALE_RCU_GP_US=%s: not a number of "
					"microseconds up to 10000000, using %d",
					e, RCU_GP_US_DEFAULT);
			us = RCU_GP_US_DEFAULT;
		}
	}
	__atomic_store_n(&rcu_gp_ns, us * 1000, __ATOMIC_RELAXED);
	__atomic_store_n(&rcu_gp_ns_set, true, __ATOMIC_RELEASE);
}

void slab_rcu_set_gp_len_us(unsigned long long us)
{
	rcu_gp_len_init();
	__atomic_store_n(&rcu_gp_ns, us * 1000, __ATOMIC_RELAXED);
}

unsigned long long slab_rcu_gp_len_ns(void)
{
	rcu_gp_len_init();
	return __atomic_load_n(&rcu_gp_ns, __ATOMIC_RELAXED);
}

/*
 * TSan cannot see liburcu's grace periods (liburcu is not instrumented),
 * so it would report every reader's access against the free that the
 * grace period orders after it.  The model tells it the order RCU gives:
 * leaving a read-side section releases, the end of a grace period
 * acquires (every reader that was inside has left by then).  Without TSan
 * these are nothing.
 */
#ifdef __SANITIZE_THREAD__
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char rcu_tsan_order;
#define rcu_tsan_reader_left()	__tsan_release(&rcu_tsan_order)
#define rcu_tsan_gp_ended()	__tsan_acquire(&rcu_tsan_order)
#else
#define rcu_tsan_reader_left()	do { } while (0)
#define rcu_tsan_gp_ended()	do { } while (0)
#endif

/*
 * One grace period: every reader that was inside a read-side section when
 * it began has left it (liburcu), and at least the modelled length has
 * passed.  The caller is not inside a read-side section.
 */
static void rcu_gp(void)
{
	unsigned long long start = slab_rcu_now_ns(), end;
	unsigned long seq, done;
	struct timespec ts;

	seq = __atomic_add_fetch(&gp_seq_started, 1, __ATOMIC_SEQ_CST);
	urcu_memb_synchronize_rcu();
	rcu_tsan_gp_ended();
	end = start + slab_rcu_gp_len_ns();
	if (slab_rcu_now_ns() < end) {
		ts.tv_sec = end / 1000000000ull;
		ts.tv_nsec = end % 1000000000ull;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
	}
	done = __atomic_load_n(&gp_seq_done, __ATOMIC_RELAXED);
	while (done < seq &&
	       !__atomic_compare_exchange_n(&gp_seq_done, &done, seq, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

unsigned long slab_rcu_get_state(void)
{
	return __atomic_load_n(&gp_seq_started, __ATOMIC_SEQ_CST) + 1;
}

bool slab_rcu_poll_state(unsigned long cookie)
{
	return __atomic_load_n(&gp_seq_done, __ATOMIC_ACQUIRE) >= cookie;
}

/* ---- per-CPU callback workers ----------------------------------------------- */

/*
 * One per CPU.  queued/invoked count callbacks ever queued on this CPU
 * and invoked from it; a barrier waits for invoked to reach the queued
 * count it saw.  The list is FIFO and batches are taken whole, so when
 * invoked reaches n, the first n callbacks queued here have run.
 */
struct rcu_cpu {
	pthread_mutex_t lock;		/* protects everything below */
	pthread_cond_t more;		/* the worker waits for callbacks */
	pthread_cond_t done;		/* barriers and fork wait for batches */
	struct cds_wfcq_node *head, **tail;	/* queued, not taken yet */
	unsigned long queued, invoked;
	bool busy;			/* the worker holds a batch */
	bool waiting;			/* the worker sleeps on more */
	bool paused;			/* fork(): take no new batch */
	int cpu;
	pthread_t thread;
} __cacheline_aligned;

static struct rcu_cpu *rcus;		/* nr_cpu_ids entries, never freed */
static int nr_rcus;

static void rcu_cpu_init(struct rcu_cpu *rc, int cpu)
{
	pthread_mutex_init(&rc->lock, NULL);
	pthread_cond_init(&rc->more, NULL);
	pthread_cond_init(&rc->done, NULL);
	rc->busy = false;
	rc->waiting = false;
	rc->paused = false;
	rc->cpu = cpu;
}

static void *rcu_worker_main(void *arg)
{
	struct rcu_cpu *rc = arg;
	struct cds_wfcq_node *batch, *next;
	unsigned long n;
	char name[16];

	snprintf(name, sizeof(name), "slab-rcu/%d", rc->cpu);
	pthread_setname_np(pthread_self(), name);
	rcu_in_worker = true;
	pthread_mutex_lock(&rc->lock);
	for (;;) {
		while (!rc->head || rc->paused) {
			rc->waiting = true;
			pthread_cond_wait(&rc->more, &rc->lock);
			rc->waiting = false;
		}
		batch = rc->head;
		n = 0;
		for (next = batch; next; next = next->next)
			n++;
		rc->head = NULL;
		rc->tail = &rc->head;
		rc->busy = true;
		pthread_mutex_unlock(&rc->lock);

		rcu_gp();
		for (; batch; batch = next) {
			struct rcu_head *h = caa_container_of(batch,
							      struct rcu_head,
							      next);

			next = batch->next;
			h->func(h);
		}
		__atomic_add_fetch(&stat_callbacks, n, __ATOMIC_RELAXED);

		pthread_mutex_lock(&rc->lock);
		rc->invoked += n;
		rc->busy = false;
		pthread_cond_broadcast(&rc->done);
	}
	return NULL;
}

/* Pinned to its CPU when our affinity mask allows, else unpinned. */
static void rcu_worker_start(struct rcu_cpu *rc)
{
	slab_spawn_pinned(&rc->thread, rc->cpu, rcu_worker_main, rc,
			  "RCU worker");
}

static void rcu_workers_init(void)
{
	int cpu;

	pthread_mutex_lock(&rcu_init_lock);
	if (!rcu_workers_ready) {
		rcu_gp_len_init();
		if (!rcus) {
			nr_rcus = slab_rcu_nr_cpus();
			rcus = aligned_alloc(CACHELINE, nr_rcus * sizeof(*rcus));
			if (!rcus) {
				fprintf(stderr, "slabscale: out of memory for RCU workers\n");
				abort();
			}
			memset(rcus, 0, nr_rcus * sizeof(*rcus));
			for (cpu = 0; cpu < nr_rcus; cpu++) {
				rcu_cpu_init(&rcus[cpu], cpu);
				rcus[cpu].tail = &rcus[cpu].head;
			}
		}
		for (cpu = 0; cpu < nr_rcus; cpu++)
			rcu_worker_start(&rcus[cpu]);
		__atomic_store_n(&rcu_workers_ready, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&rcu_init_lock);
}

void slab_rcu_init(void)
{
	slab_rcu_thread_enter();
	if (!__atomic_load_n(&rcu_workers_ready, __ATOMIC_ACQUIRE))
		rcu_workers_init();
}

void slab_call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *head))
{
	struct rcu_cpu *rc;

	slab_rcu_init();
	head->func = fn;
	head->next.next = NULL;
	rc = &rcus[slab_rcu_cpu()];
	pthread_mutex_lock(&rc->lock);
	*rc->tail = &head->next;
	rc->tail = &head->next.next;
	rc->queued++;
	if (rc->waiting)
		pthread_cond_signal(&rc->more);
	pthread_mutex_unlock(&rc->lock);
}

static bool rcu_wait_allowed(const char *what)
{
	if (slab_rcu_in_callback()) {
		slab_bug("%s from an RCU callback refused (deadlock)", what);
		return false;
	}
	if (urcu_memb_read_ongoing()) {
		slab_bug("%s inside slab_rcu_read_lock() refused (deadlock)",
				what);
		return false;
	}
	return true;
}

bool slab_rcu_barrier(void)
{
	unsigned long *target;
	int cpu;

	slab_rcu_init();
	if (!rcu_wait_allowed("RCU barrier"))
		return false;
	__atomic_add_fetch(&stat_barriers, 1, __ATOMIC_RELAXED);
	/* without memory for the snapshot: wait for what is queued meanwhile */
	target = malloc(nr_rcus * sizeof(*target));
	if (target) {
		for (cpu = 0; cpu < nr_rcus; cpu++) {
			pthread_mutex_lock(&rcus[cpu].lock);
			target[cpu] = rcus[cpu].queued;
			pthread_mutex_unlock(&rcus[cpu].lock);
		}
	}
	for (cpu = 0; cpu < nr_rcus; cpu++) {
		struct rcu_cpu *rc = &rcus[cpu];

		pthread_mutex_lock(&rc->lock);
		while (rc->invoked < (target ? target[cpu] : rc->queued))
			pthread_cond_wait(&rc->done, &rc->lock);
		pthread_mutex_unlock(&rc->lock);
	}
	free(target);
	return true;
}

void slab_rcu_get_stats(struct slab_rcu_stats *st)
{
	st->grace_periods = __atomic_load_n(&gp_seq_done, __ATOMIC_ACQUIRE);
	st->barriers = __atomic_load_n(&stat_barriers, __ATOMIC_RELAXED);
	st->callbacks = __atomic_load_n(&stat_callbacks, __ATOMIC_RELAXED);
	st->gp_len_ns = slab_rcu_gp_len_ns();
}

/* ---- public read side ---------------------------------------------------- */

void slab_rcu_read_lock(void)
{
	slab_rcu_thread_enter();
	urcu_memb_read_lock();
}

void slab_rcu_read_unlock(void)
{
	rcu_tsan_reader_left();
	urcu_memb_read_unlock();
}

void slab_synchronize_rcu(void)
{
	slab_rcu_thread_enter();
	if (!rcu_wait_allowed("slab_synchronize_rcu()"))
		return;
	rcu_gp();
}

/* ---- fork ---------------------------------------------------------------- */

/*
 * Wait until no worker holds a batch and keep them from taking one: a
 * batch taken in the parent would be lost in the child.  No lock but the
 * rcu_cpu one is held here, so the workers' callbacks can take theirs.
 * Like liburcu's call_rcu_before_fork(), this waits for a grace period in
 * progress: forking from inside a read-side section while a batch waits
 * for it deadlocks (as it would with liburcu).
 */
static void rcu_workers_pause(void)
{
	int cpu;

	if (!rcus)
		return;
	for (cpu = 0; cpu < nr_rcus; cpu++) {
		struct rcu_cpu *rc = &rcus[cpu];

		pthread_mutex_lock(&rc->lock);
		rc->paused = true;
		while (rc->busy)
			pthread_cond_wait(&rc->done, &rc->lock);
		pthread_mutex_unlock(&rc->lock);
	}
}

static void rcu_workers_resume(void)
{
	int cpu;

	if (!rcus)
		return;
	for (cpu = 0; cpu < nr_rcus; cpu++) {
		struct rcu_cpu *rc = &rcus[cpu];

		pthread_mutex_lock(&rc->lock);
		rc->paused = false;
		if (rc->head && rc->waiting)
			pthread_cond_signal(&rc->more);
		pthread_mutex_unlock(&rc->lock);
	}
}

/*
 * The core's handlers (fork.c) were registered before ours, so its prepare
 * (slab_mutex and every allocator lock) runs after ours and its release
 * before ours.  Hence we only take locks that are never held while waiting
 * for slab_mutex or an allocator lock: rcu_reg_lock, the kfree_rcu batch
 * and monitor locks, and the rcu_cpu locks (after the batch locks: a batch
 * is handed to call_rcu() under its lock).  The flush lock and the
 * workqueue's start lock are taken under slab_mutex, so they are not held
 * across fork(); the child resets them instead.  Our workers are paused
 * first (not inside a callback that frees into the allocator), liburcu's
 * own, if anybody started them, too.
 */
static void rcu_fork_prepare(void)
{
	int cpu;

	urcu_memb_call_rcu_before_fork();
	rcu_workers_pause();
	pthread_mutex_lock(&rcu_reg_lock);
	slab_kfree_rcu_fork_prepare();
	for (cpu = 0; rcus && cpu < nr_rcus; cpu++)
		pthread_mutex_lock(&rcus[cpu].lock);
}

static void rcu_fork_parent(void)
{
	int cpu;

	for (cpu = nr_rcus - 1; rcus && cpu >= 0; cpu--)
		pthread_mutex_unlock(&rcus[cpu].lock);
	slab_kfree_rcu_fork_parent();
	pthread_mutex_unlock(&rcu_reg_lock);
	rcu_workers_resume();
	urcu_memb_call_rcu_after_fork_parent();
}

/*
 * In the child, only the forking thread exists, but liburcu's registry
 * still lists every thread of the parent, and glibc hands their stacks
 * (where their registry entries live, in TLS) to the child's next new
 * threads: a new thread registering there corrupts the registry and the
 * next grace period spins forever.  liburcu's memb flavor has no fork
 * support for its registry, so unlink the entries of the threads we
 * registered ourselves (the child is single-threaded here; the prepare
 * handler held rcu_reg_lock, so no registration was half done).  This also
 * forgets parent readers that were inside a read-side section.
 */
static void rcu_prune_registry(void)
{
	struct rcu_reg_node *n, *tmp;

	cds_list_for_each_entry_safe(n, tmp, &rcu_reg_list, link) {
		if (n == &rcu_reg_self)
			continue;
		cds_list_del(&n->reader->node);
		cds_list_del(&n->link);
		nr_registered--;
	}
	pthread_mutex_init(&rcu_reg_lock, NULL);
}

/* The child has no workers: queued callbacks wait for the next ones. */
static void rcu_fork_child(void)
{
	int cpu;

	for (cpu = 0; rcus && cpu < nr_rcus; cpu++)
		rcu_cpu_init(&rcus[cpu], cpu);
	rcu_workers_ready = false;
	pthread_mutex_init(&rcu_init_lock, NULL);
	slab_wq_fork_child();
	slab_kfree_rcu_fork_child();
	rcu_prune_registry();
	urcu_memb_call_rcu_after_fork_child();
}
