// SPDX-License-Identifier: GPL-2.0-only
/*
 * rcu.c - liburcu (memb flavor) as the allocator's RCU.
 *
 * - Registration: the first RCU entry point a thread uses registers it and
 *   sets a pthread key whose destructor unregisters it when the thread
 *   exits, so callers never deal with liburcu themselves.  Threads that
 *   registered on their own (liburcu's call_rcu workers, or a caller that
 *   did it itself) are left alone.
 * - Workers: one call_rcu worker per CPU (create_all_cpu_call_rcu_data),
 *   created on the first call_rcu/barrier, with every signal blocked so a
 *   benchmark's timer signals are never delivered to them (workers inherit
 *   the creator's mask).  Creating them is not async-signal-safe, hence not
 *   done on any path a signal handler may take.
 * - fork(): liburcu's call_rcu machinery must be paused around fork() or the
 *   child's call_rcu/rcu_barrier hang; our own helper threads do not exist
 *   in the child.  The atfork handlers pause liburcu and hold the locks
 *   listed at rcu_fork_prepare(); the child forgets its helper threads,
 *   recreates the per-CPU call_rcu workers on next use, and unlinks from liburcu's registry the
 *   parent threads we had registered (see rcu_prune_registry()).  Threads
 *   that registered with liburcu on their own are not pruned: if one is
 *   alive at fork(), the child's grace periods may hang (liburcu's memb
 *   flavor has no fork support for its registry).
 */
#define _LGPL_SOURCE
#include <urcu/urcu-memb.h>
#include <urcu/list.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcu_internal.h"
#include "slab_internal.h"
#include "workqueue.h"

static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_key;
static pthread_mutex_t rcu_init_lock = PTHREAD_MUTEX_INITIALIZER;
static bool rcu_workers_ready;		/* acquire/release */
static long nr_registered;
static __thread bool rcu_we_registered;

static void rcu_fork_prepare(void);
static void rcu_fork_parent(void);
static void rcu_fork_child(void);

void slab_rcu_report(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	slab_report("%s", buf);
}

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
		slab_rcu_report("thread exits inside slab_rcu_read_lock()");
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
		return;		/* a liburcu worker, or the caller's own */
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
	return urcu_memb_get_thread_call_rcu_data() != NULL;
}

static void rcu_workers_init(void)
{
	sigset_t all, old;

	pthread_mutex_lock(&rcu_init_lock);
	if (!rcu_workers_ready) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		if (urcu_memb_create_all_cpu_call_rcu_data(0))
			slab_rcu_report("no per-CPU call_rcu workers (%s), using one",
					strerror(errno));
		(void)urcu_memb_get_default_call_rcu_data();
		pthread_sigmask(SIG_SETMASK, &old, NULL);
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
	slab_rcu_init();
	urcu_memb_call_rcu(head, fn);
}

bool slab_rcu_barrier(void)
{
	slab_rcu_init();
	if (slab_rcu_in_callback()) {
		slab_rcu_report("RCU barrier from an RCU callback refused (deadlock)");
		return false;
	}
	if (urcu_memb_read_ongoing()) {
		slab_rcu_report("RCU barrier inside slab_rcu_read_lock() refused (deadlock)");
		return false;
	}
	urcu_memb_barrier();
	return true;
}

/* ---- public read side ---------------------------------------------------- */

void slab_rcu_read_lock(void)
{
	slab_rcu_thread_enter();
	urcu_memb_read_lock();
}

void slab_rcu_read_unlock(void)
{
	urcu_memb_read_unlock();
}

void slab_synchronize_rcu(void)
{
	slab_rcu_thread_enter();
	if (urcu_memb_read_ongoing()) {
		slab_rcu_report("slab_synchronize_rcu() inside slab_rcu_read_lock() refused (deadlock)");
		return;
	}
	urcu_memb_synchronize_rcu();
}

/* ---- fork ---------------------------------------------------------------- */

/*
 * The core's handlers (fork.c) were registered before ours, so its prepare
 * (slab_mutex and every allocator lock) runs after ours and its release
 * before ours.  Hence we only take locks that are never held while waiting
 * for slab_mutex or an allocator lock: rcu_reg_lock and the kfree_rcu batch
 * and monitor locks.  The flush lock and the workqueue's start lock are
 * taken under slab_mutex, so they are not held across fork(); the child
 * resets them instead.  liburcu's workers are paused first: a paused worker
 * is not inside a callback that frees into the allocator.
 */
static void rcu_fork_prepare(void)
{
	urcu_memb_call_rcu_before_fork();
	pthread_mutex_lock(&rcu_reg_lock);
	slab_kfree_rcu_fork_prepare();
}

static void rcu_fork_parent(void)
{
	slab_kfree_rcu_fork_parent();
	pthread_mutex_unlock(&rcu_reg_lock);
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

static void rcu_fork_child(void)
{
	slab_wq_fork_child();
	slab_kfree_rcu_fork_child();
	rcu_prune_registry();
	urcu_memb_call_rcu_after_fork_child();
	/* only the default call_rcu worker survives: recreate the rest later */
	rcu_workers_ready = false;
	pthread_mutex_init(&rcu_init_lock, NULL);
}
