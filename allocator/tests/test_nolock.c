// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_nolock.c - kmalloc_nolock()/kfree_nolock() from a signal handler
 * that interrupts the allocator anywhere, the userspace analogue of the
 * kernel's NMI stress: each worker thread loops over kmalloc/kfree (and a
 * cache's alloc/free) while a per-thread timer signal's handler allocates
 * with kmalloc_nolock and frees what the previous signal allocated with
 * kfree_nolock.  Nothing may deadlock or crash, objects must not be handed
 * out twice (canary), and at the end everything is accounted for.
 */
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "testutil.h"
#include "slab_internal.h"

#define NTHREADS	2
#define HELD		8

struct worker {
	pthread_t th;
	timer_t timer;
	void *held[HELD];
	unsigned int next;
	unsigned long handler_allocs, handler_fails, handler_frees;
	unsigned long loops;
};

static struct worker workers[NTHREADS];
static __thread struct worker *me;
static struct kmem_cache *cache;
static int stop;
static int errors;

static void handler(int sig)
{
	struct worker *w = me;
	void *p;

	(void)sig;
	if (!w)
		return;
	p = w->held[w->next];
	if (p) {
		if (*(uint64_t *)p != (uintptr_t)p)
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		kfree_nolock(p);
		w->handler_frees++;
	}
	p = kmalloc_nolock(64, 0, NUMA_NO_NODE);
	if (p) {
		*(uint64_t *)p = (uintptr_t)p;
		w->handler_allocs++;
	} else {
		w->handler_fails++;
	}
	w->held[w->next] = p;
	w->next = (w->next + 1) % HELD;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sigevent sev = { 0 };
	struct itimerspec its = { { 0, 100000 }, { 0, 100000 } };
	unsigned int i;

	me = w;
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = syscall(SYS_gettid);
	CHECK(!timer_create(CLOCK_MONOTONIC, &sev, &w->timer));
	CHECK(!timer_settime(w->timer, 0, &its, NULL));
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		uint64_t *a = kmalloc(64, GFP_KERNEL);
		uint64_t *b = kmem_cache_alloc(cache, GFP_KERNEL);
		void *c = kmalloc(200, GFP_KERNEL);

		CHECK(a && b && c);
		a[0] = (uintptr_t)a;
		b[0] = (uintptr_t)b;
		if (a[0] != (uintptr_t)a || b[0] != (uintptr_t)b)
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		kfree(c);
		kmem_cache_free(cache, b);
		kfree(a);
		w->loops++;
	}
	timer_delete(w->timer);
	for (i = 0; i < HELD; i++)
		if (w->held[i])
			kfree_nolock(w->held[i]);
	return NULL;
}

int main(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 16 };
	struct sigaction sa = { 0 };
	unsigned long allocs = 0, fails = 0, loops = 0;
	long live0;
	int i;

	tu_capture();
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	CHECK(!sigaction(SIGRTMIN, &sa, NULL));
	live0 = slab_live_objects();
	cache = kmem_cache_create("nolock-stress", 64, &args, 0);
	CHECK(cache);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	usleep(700000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(workers[i].th, NULL);
		allocs += workers[i].handler_allocs;
		fails += workers[i].handler_fails;
		loops += workers[i].loops;
	}
	CHECK_EQ(errors, 0);
	CHECK(allocs > 0);
	CHECK_EQ(slab_cache_active(cache), 0);
	kmem_cache_destroy(cache);
	CHECK_EQ(slab_live_objects(), live0);	/* drains deferred frees */
	CHECK_NO_REPORT();
	printf("test_nolock: ok (%s, %s): %lu loops, %lu handler allocations, "
	       "%lu refused\n", slab_variant(),
	       slab_use_rseq ? "rseq" : "atomic", loops, allocs, fails);
	return 0;
}
