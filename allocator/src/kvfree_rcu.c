// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvfree_rcu.c - kfree_rcu()'s classic batching path and the barriers, in
 * the kernel's shape (mm/slab_common.c, CONFIG_KVFREE_RCU_BATCHED).
 *
 * Batching: every CPU (krc) collects pointers in pages (one page: a small
 * header and ~500 pointers, the kernel's kvfree_rcu_bulk_data); the
 * object's rcu_head is not used.  Each insertion records a grace-period
 * cookie in its page and schedules the CPU's monitor: after
 * KFREE_DRAIN_MS (5 s, the kernel's KFREE_DRAIN_JIFFIES = 5 * HZ), or
 * after one jiffy (1 ms) once a page's worth of objects waits.  The
 * monitor (kfree_rcu_monitor) frees the pages whose grace period has
 * passed already (kvfree_rcu_drain_ready), then detaches everything else
 * into one of the CPU's two batch slots (KFREE_N_BATCHES) and hands it to
 * call_rcu() (the kernel's queue_rcu_work()); if both slots are in flight
 * it rearms.  After the grace period the slot's callback frees every
 * object with kvfree() (the kernel does it in a work item queued by the
 * RCU callback; here the callback does it) and frees the slot.  Objects
 * stay allocated, and counted live, until then.
 *
 * Monitor thread: one for all CPUs (the kernel's per-CPU delayed works on
 * an unbound workqueue), started on the first kfree_rcu, sleeping until
 * the earliest CPU deadline, or without timeout while none is set.
 *
 * Barriers:
 *   __kvfree_rcu_barrier() (kfree_rcu_barrier_classic here): for every
 *   CPU with objects not detached yet, detach them into a free slot and
 *   call_rcu() it; if both slots are in flight, wait for them and retry;
 *   then cancel every CPU's monitor (waiting for a running one) and wait
 *   for every slot in flight.  About one grace period when a CPU had
 *   objects pending, up to two when its slots were busy; nothing when no
 *   CPU had any.
 *   kvfree_rcu_barrier(): with rcu_free sheaves (CONFIG_SLUB_RCU_SHEAF,
 *   6.18) flush_all_rcu_sheaves() first: the rcu sheaves of every cache
 *   with sheaves on every CPU, then rcu_barrier(); then the classic part.
 *   kvfree_rcu_barrier_on_cache(s) (6.19): the rcu sheaves of s only, no
 *   rcu_barrier() (Harry Yoo's V1 as merged, 0f35040de593) unless
 *   CONFIG_SLUB_SHEAVES_MOST (7.0, whose series starts with "mm/slab: add
 *   rcu_barrier() to kvfree_rcu_barrier_on_cache()"), then the classic
 *   part.  README-rcu.md has the sources and what each variant's
 *   kmem_cache_destroy() waits for.
 *
 * Locking (see also rcu_internal.h):
 *   slab_mutex -> rcu_flush_lock -> worker lock (workqueue.c)
 *   krc->lock (a spinlock, as the kernel's) -> rcu_cpu lock (call_rcu()):
 *   a slot is handed to call_rcu() under krc->lock.  The monitor lock and
 *   the slot-wait lock are never held together with a krc lock.  Nothing
 *   here runs in an RCU callback except kfree_rcu_work(), which only takes
 *   its krc lock and the slot-wait lock (the barriers refuse to run there).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "rcu_internal.h"
#include "slab_internal.h"
#include "workqueue.h"

#define KFREE_DRAIN_MS_DEFAULT	5000	/* KFREE_DRAIN_JIFFIES = 5 * HZ */
#define KFREE_FULL_DELAY_NS	1000000ull	/* 1 jiffy at HZ=1000 */
#define KFREE_N_BATCHES		2
#define KFREE_MAX_SPARES	5	/* rcu_min_cached_objs */

struct kfree_rcu_cpu;

/* One page of pointers: the kernel's kvfree_rcu_bulk_data. */
struct kfree_page {
	struct kfree_page *next;	/* newer -> older; spare list */
	unsigned long gp_state;		/* cookie of the last object put in */
	unsigned int nr;
	void *objs[];
};

#define KFREE_PAGE_MAX	\
	((PAGE_SIZE - offsetof(struct kfree_page, objs)) / sizeof(void *))

/* A batch in flight: the kernel's kfree_rcu_cpu_work. */
struct kfree_rcu_work {
	struct rcu_head rcu;
	struct kfree_rcu_cpu *krc;
	struct kfree_page *pages;	/* NULL: the slot is free */
	unsigned long seq_queued;	/* under krc->lock */
	unsigned long seq_done;		/* under krw_wait.lock */
};

struct kfree_rcu_cpu {
	spinlock_t lock;		/* the kernel's krcp->lock: a spinlock */
	struct kfree_page *pending;	/* not detached yet, newest first */
	unsigned long count;		/* objects in pending */
	struct kfree_rcu_work krw[KFREE_N_BATCHES];
	unsigned long long monitor_at;	/* deadline (ns), 0: not scheduled */
	bool monitor_soon;		/* deadline moved to one jiffy */
	bool monitor_running;		/* the monitor works on this CPU */
	struct kfree_page *spares;
	unsigned int nr_spares;
	unsigned long long queued;	/* counters, under lock */
	unsigned long long batches;
	unsigned long long full_pages;
	unsigned long long monitor_flushes;
	unsigned long long barrier_flushes;
	unsigned long long barrier_waits;
} __cacheline_aligned;

static struct kfree_rcu_cpu *krcs;	/* nr_cpu_ids entries */
static int nr_krcs;
static pthread_once_t krc_once = PTHREAD_ONCE_INIT;
static unsigned long long drain_ns;	/* KFREE_DRAIN_MS in ns */

static unsigned long long objs_freed, objs_ready_freed;
static unsigned long long sync_fallbacks;
static unsigned long long flush_works_run;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* the monitor sleeps here */
	pthread_cond_t idle;		/* barriers and fork wait for a pass */
	bool started;
	bool busy;			/* a pass over the CPUs is running */
	bool paused;			/* fork(): start no pass */
	unsigned long kicks;		/* a deadline moved earlier */
} monitor = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

/* barriers wait here for slots in flight (seq_done) */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
} krw_wait = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* rcu_free sheaves flush, one item per CPU, serialized by rcu_flush_lock */
struct rcu_flush_work {
	struct slab_work work;
	struct kmem_cache *s;
} __cacheline_aligned;

static pthread_mutex_t rcu_flush_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_flush_work *flush_works;	/* nr_cpu_ids entries */

/* ---- set-up ------------------------------------------------------------- */

static void drain_init(void)
{
	const char *e = getenv("SLABSCALE_KFREE_DRAIN_MS");
	unsigned long long ms = KFREE_DRAIN_MS_DEFAULT;
	char *end;

	if (e && *e) {
		errno = 0;
		ms = strtoull(e, &end, 10);
		if (errno || *end || !ms || ms > 3600000) {
			slab_bug("SLABSCALE_KFREE_DRAIN_MS=%s: not a number "
					"of milliseconds in 1..3600000, using %d",
					e, KFREE_DRAIN_MS_DEFAULT);
			ms = KFREE_DRAIN_MS_DEFAULT;
		}
	}
	__atomic_store_n(&drain_ns, ms * 1000000ull, __ATOMIC_RELAXED);
}

static void krc_init(void)
{
	int cpu, i;

	nr_krcs = slab_rcu_nr_cpus();
	drain_init();
	/* per-CPU structures are cache-line aligned: calloc is not enough */
	krcs = aligned_alloc(CACHELINE, nr_krcs * sizeof(*krcs));
	flush_works = aligned_alloc(CACHELINE, nr_krcs * sizeof(*flush_works));
	if (!krcs || !flush_works) {
		fprintf(stderr, "slabscale: out of memory for kfree_rcu\n");
		abort();
	}
	memset(krcs, 0, nr_krcs * sizeof(*krcs));
	memset(flush_works, 0, nr_krcs * sizeof(*flush_works));
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		spin_lock_init(&krcs[cpu].lock);
		for (i = 0; i < KFREE_N_BATCHES; i++)
			krcs[cpu].krw[i].krc = &krcs[cpu];
	}
}

static void kfree_rcu_init(void)
{
	pthread_once(&krc_once, krc_init);
	slab_rcu_init();
}

void slab_kfree_rcu_set_drain_ms(unsigned long ms)
{
	pthread_once(&krc_once, krc_init);
	__atomic_store_n(&drain_ns, (ms ? ms : KFREE_DRAIN_MS_DEFAULT) *
			 1000000ull, __ATOMIC_RELAXED);
}

/* ---- pages --------------------------------------------------------------- */

/* Under krc->lock: a cached page, or NULL. */
static struct kfree_page *page_get(struct kfree_rcu_cpu *krc)
{
	struct kfree_page *p = krc->spares;

	if (p) {
		krc->spares = p->next;
		krc->nr_spares--;
	}
	return p;
}

/* Without any lock: a new page (a system call). */
static struct kfree_page *page_new(void)
{
	void *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Free every object of a detached list of pages; keep or unmap them. */
static void pages_free(struct kfree_rcu_cpu *krc, struct kfree_page *p,
		       bool ready)
{
	struct kfree_page *next, *drop = NULL;
	unsigned long long n = 0;
	unsigned int i;

	for (; p; p = next) {
		next = p->next;
		for (i = 0; i < p->nr; i++)
			kvfree(p->objs[i]);
		n += p->nr;
		spin_lock(&krc->lock);
		if (krc->nr_spares < KFREE_MAX_SPARES) {
			p->next = krc->spares;
			krc->spares = p;
			krc->nr_spares++;
			p = NULL;
		}
		spin_unlock(&krc->lock);
		if (p) {
			p->next = drop;
			drop = p;
		}
	}
	for (; drop; drop = next) {
		next = drop->next;
		munmap(drop, PAGE_SIZE);
	}
	__atomic_add_fetch(&objs_freed, n, __ATOMIC_RELAXED);
	if (ready)
		__atomic_add_fetch(&objs_ready_freed, n, __ATOMIC_RELAXED);
}

/* ---- batches in flight ------------------------------------------------------ */

/* RCU callback: the grace period is over, free the batch's objects. */
static void kfree_rcu_work(struct rcu_head *head)
{
	struct kfree_rcu_work *krw = container_of(head, struct kfree_rcu_work,
						  rcu);
	struct kfree_rcu_cpu *krc = krw->krc;
	struct kfree_page *pages;
	unsigned long seq;

	spin_lock(&krc->lock);
	pages = krw->pages;
	seq = krw->seq_queued;
	spin_unlock(&krc->lock);
	pages_free(krc, pages, false);

	spin_lock(&krc->lock);
	krw->pages = NULL;		/* the slot is free again */
	spin_unlock(&krc->lock);
	pthread_mutex_lock(&krw_wait.lock);
	krw->seq_done = seq;
	pthread_cond_broadcast(&krw_wait.cond);
	pthread_mutex_unlock(&krw_wait.lock);
}

/*
 * The kernel's kvfree_rcu_queue_batch(): detach every pending object of
 * this CPU into a free slot and hand it to RCU.  False when nothing was
 * pending or both slots are in flight.
 */
static bool kfree_rcu_queue_batch(struct kfree_rcu_cpu *krc, bool barrier)
{
	struct kfree_rcu_work *krw;
	bool queued = false;
	int i;

	spin_lock(&krc->lock);
	for (i = 0; i < KFREE_N_BATCHES && krc->pending; i++) {
		krw = &krc->krw[i];
		if (krw->pages)
			continue;	/* in flight */
		krw->pages = krc->pending;
		krw->seq_queued++;
		krc->pending = NULL;
		krc->count = 0;
		krc->batches++;
		if (barrier)
			krc->barrier_flushes++;
		else
			krc->monitor_flushes++;
		slab_call_rcu(&krw->rcu, kfree_rcu_work);
		queued = true;
		break;
	}
	spin_unlock(&krc->lock);
	return queued;
}

/* The kernel's flush_rcu_work(): wait until the slot's last batch ran. */
static void krw_flush(struct kfree_rcu_work *krw)
{
	struct kfree_rcu_cpu *krc = krw->krc;
	unsigned long seq;
	bool busy;

	spin_lock(&krc->lock);
	seq = krw->seq_queued;
	busy = krw->pages != NULL;
	spin_unlock(&krc->lock);
	if (!busy)
		return;
	pthread_mutex_lock(&krw_wait.lock);
	while (krw->seq_done < seq)
		pthread_cond_wait(&krw_wait.cond, &krw_wait.lock);
	pthread_mutex_unlock(&krw_wait.lock);
}

/* ---- the monitor ----------------------------------------------------------- */

/*
 * Under krc->lock: the kernel's __schedule_delayed_monitor_work(): due
 * after the drain delay, or after one jiffy once a page's worth of objects
 * waits; an earlier deadline replaces a later one.  True if the monitor
 * thread must look at its deadlines again.
 */
static bool monitor_schedule(struct kfree_rcu_cpu *krc)
{
	bool full = krc->count >= KFREE_PAGE_MAX;
	unsigned long long at;

	if (krc->monitor_at && (!full || krc->monitor_soon))
		return false;
	at = slab_rcu_now_ns() + (full ? KFREE_FULL_DELAY_NS :
				  __atomic_load_n(&drain_ns, __ATOMIC_RELAXED));
	if (full)
		krc->monitor_soon = true;
	if (krc->monitor_at && krc->monitor_at <= at)
		return false;
	krc->monitor_at = at;
	return true;
}

/*
 * The kernel's kvfree_rcu_drain_ready(): free the oldest pages whose
 * grace period has ended already.  Cookies grow from the oldest page to
 * the newest, so the ready ones are a tail of the list.
 */
static void kfree_rcu_drain_ready(struct kfree_rcu_cpu *krc)
{
	struct kfree_page *p, **link, *ready = NULL;

	spin_lock(&krc->lock);
	for (link = &krc->pending; (p = *link); link = &p->next) {
		if (slab_rcu_poll_state(p->gp_state)) {
			ready = p;
			*link = NULL;
			break;
		}
	}
	for (p = ready; p; p = p->next)
		krc->count -= p->nr;
	spin_unlock(&krc->lock);
	if (ready)
		pages_free(krc, ready, true);
}

/*
 * The kernel's kfree_rcu_monitor(), for one CPU that was due.  The pass
 * that called it reads the deadlines again afterwards, so a rearm needs
 * no kick.
 */
static void kfree_rcu_monitor(struct kfree_rcu_cpu *krc)
{
	kfree_rcu_drain_ready(krc);
	kfree_rcu_queue_batch(krc, false);
	spin_lock(&krc->lock);
	if (krc->pending)		/* both slots in flight: try again */
		monitor_schedule(krc);
	spin_unlock(&krc->lock);
}

static void *monitor_main(void *arg)
{
	unsigned long long now, next;
	unsigned long kicks;
	struct timespec ts;
	int cpu;

	(void)arg;
	pthread_setname_np(pthread_self(), "slab-kfree-rcu");
	slab_rcu_thread_enter();
	for (;;) {
		pthread_mutex_lock(&monitor.lock);
		while (monitor.paused)
			pthread_cond_wait(&monitor.cond, &monitor.lock);
		monitor.busy = true;
		kicks = monitor.kicks;
		pthread_mutex_unlock(&monitor.lock);
		next = 0;
		for (cpu = 0; cpu < nr_krcs; cpu++) {
			struct kfree_rcu_cpu *krc = &krcs[cpu];
			bool due;

			now = slab_rcu_now_ns();
			spin_lock(&krc->lock);
			due = krc->monitor_at && krc->monitor_at <= now;
			if (due) {
				krc->monitor_at = 0;
				krc->monitor_soon = false;
				krc->monitor_running = true;
			}
			spin_unlock(&krc->lock);
			if (due) {
				kfree_rcu_monitor(krc);
				spin_lock(&krc->lock);
				krc->monitor_running = false;
				spin_unlock(&krc->lock);
				pthread_mutex_lock(&monitor.lock);
				pthread_cond_broadcast(&monitor.idle);
				pthread_mutex_unlock(&monitor.lock);
			}
			spin_lock(&krc->lock);
			if (krc->monitor_at && (!next || krc->monitor_at < next))
				next = krc->monitor_at;
			spin_unlock(&krc->lock);
		}
		pthread_mutex_lock(&monitor.lock);
		monitor.busy = false;
		pthread_cond_broadcast(&monitor.idle);
		if (monitor.kicks == kicks && !monitor.paused) {
			if (next) {
				ts.tv_sec = next / 1000000000ull;
				ts.tv_nsec = next % 1000000000ull;
				pthread_cond_timedwait(&monitor.cond,
						       &monitor.lock, &ts);
			} else {
				pthread_cond_wait(&monitor.cond, &monitor.lock);
			}
		}
		pthread_mutex_unlock(&monitor.lock);
	}
	return NULL;
}

static void monitor_kick(void)
{
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	pthread_mutex_lock(&monitor.lock);
	if (!monitor.started) {
		/* timed waits on CLOCK_MONOTONIC, the deadlines' clock */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&monitor.cond, &ca);
		pthread_condattr_destroy(&ca);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = slab_spawn_thread(&thread, &attr, monitor_main, NULL);
		pthread_attr_destroy(&attr);
		if (err) {
			fprintf(stderr, "slabscale: cannot start the kfree_rcu monitor: %s\n",
				strerror(err));
			abort();
		}
		monitor.started = true;
	}
	monitor.kicks++;
	pthread_cond_signal(&monitor.cond);
	pthread_mutex_unlock(&monitor.lock);
}

/* The kernel's cancel_delayed_work_sync() of a CPU's monitor work. */
static void monitor_cancel_sync(struct kfree_rcu_cpu *krc)
{
	bool running;

	spin_lock(&krc->lock);
	krc->monitor_at = 0;
	krc->monitor_soon = false;
	running = krc->monitor_running;
	spin_unlock(&krc->lock);
	if (!running)
		return;
	pthread_mutex_lock(&monitor.lock);
	while (__atomic_load_n(&krc->monitor_running, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&monitor.idle, &monitor.lock);
	pthread_mutex_unlock(&monitor.lock);
}

/* ---- kvfree_call_rcu ---------------------------------------------------- */

/*
 * No page for a batch: wait for a grace period here when that is safe,
 * else leak the object and say so (the kernel queues such objects through
 * their rcu_head instead; a page fails to map only without memory).
 */
static void kfree_rcu_no_page(void *ptr)
{
	if (slab_rcu_in_callback() || urcu_memb_read_ongoing()) {
		slab_bug("kfree_rcu: no memory for a batch, %p leaked", ptr);
		return;
	}
	__atomic_add_fetch(&sync_fallbacks, 1, __ATOMIC_RELAXED);
	slab_synchronize_rcu();
	kvfree(ptr);
}

void kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	struct kfree_page *p, *fresh = NULL;
	struct kfree_rcu_cpu *krc;
	bool kick;

	(void)head;
	if (!ptr)
		return;
	kfree_rcu_init();
	if (slab_kfree_rcu_sheaf(ptr))
		return;
again:
	krc = &krcs[slab_rcu_cpu()];
	spin_lock(&krc->lock);
	p = krc->pending;
	if (unlikely(!p || p->nr == KFREE_PAGE_MAX)) {
		p = page_get(krc);
		if (!p) {
			p = fresh;
			fresh = NULL;
		}
		if (!p) {
			spin_unlock(&krc->lock);
			fresh = page_new();
			if (!fresh) {
				kfree_rcu_no_page(ptr);
				return;
			}
			goto again;	/* we may be on another CPU now */
		}
		p->nr = 0;
		p->next = krc->pending;
		krc->pending = p;
	}
	p->objs[p->nr++] = ptr;
	p->gp_state = slab_rcu_get_state();
	krc->count++;
	krc->queued++;
	if (p->nr == KFREE_PAGE_MAX)
		krc->full_pages++;
	kick = monitor_schedule(krc);
	spin_unlock(&krc->lock);
	if (unlikely(fresh))
		munmap(fresh, PAGE_SIZE);	/* raced: a page appeared */
	if (kick)
		monitor_kick();
}

/* ---- barriers ----------------------------------------------------------- */

static void rcu_flush_work_fn(struct slab_work *w)
{
	struct rcu_flush_work *fw = container_of(w, struct rcu_flush_work, work);

	slab_rcu_sheaf_flush_cpu(fw->s, w->cpu);
	__atomic_add_fetch(&flush_works_run, 1, __ATOMIC_RELAXED);
}

void slab_flush_rcu_sheaves_on_cache(struct kmem_cache *s)
{
	int cpu;

	/* no RCU init here: callers may hold slab_mutex */
	pthread_once(&krc_once, krc_init);
	pthread_mutex_lock(&rcu_flush_lock);
	/*
	 * Every CPU, even when its rcu_free sheaf looks empty: running on the
	 * CPU is what guarantees that a kfree_rcu() racing with us there has
	 * finished its call_rcu() before we return.
	 */
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		slab_init_work(&flush_works[cpu].work, rcu_flush_work_fn);
		flush_works[cpu].s = s;
		slab_queue_work_on(cpu, &flush_works[cpu].work);
	}
	for (cpu = 0; cpu < nr_krcs; cpu++)
		slab_flush_work(&flush_works[cpu].work);
	pthread_mutex_unlock(&rcu_flush_lock);
}

/* The kernel's __kvfree_rcu_barrier(): the classic batches of every CPU. */
static void kfree_rcu_barrier_classic(void)
{
	int cpu, i;

	for (cpu = 0; cpu < nr_krcs; cpu++) {
		struct kfree_rcu_cpu *krc = &krcs[cpu];

		while (READ_ONCE(krc->pending)) {
			if (kfree_rcu_queue_batch(krc, true))
				break;
			/* both slots in flight: wait for them, then detach */
			spin_lock(&krc->lock);
			krc->barrier_waits++;
			spin_unlock(&krc->lock);
			for (i = 0; i < KFREE_N_BATCHES; i++)
				krw_flush(&krc->krw[i]);
		}
	}
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		struct kfree_rcu_cpu *krc = &krcs[cpu];

		monitor_cancel_sync(krc);
		for (i = 0; i < KFREE_N_BATCHES; i++)
			krw_flush(&krc->krw[i]);
	}
}

static bool barrier_allowed(const char *what)
{
	if (slab_rcu_in_callback() || urcu_memb_read_ongoing()) {
		slab_bug("%s from an RCU callback or read-side section refused (deadlock)",
				what);
		return false;
	}
	return true;
}

#ifdef CONFIG_SLUB_RCU_SHEAF
/*
 * The kernel's flush_all_rcu_sheaves(): every cache with sheaves, every
 * CPU, under slab_mutex, then one rcu_barrier() for the sheaves handed to
 * call_rcu() by the flush (and everything else queued before it).
 */
static void flush_all_rcu_sheaves(void)
{
	struct kmem_cache *s;

	pthread_mutex_lock(&slab_mutex);
	for_each_slab_cache(s) {
		if (slab_rcu_cache_has_sheaves(s))
			slab_flush_rcu_sheaves_on_cache(s);
	}
	pthread_mutex_unlock(&slab_mutex);
	slab_rcu_barrier();
}
#endif

void kvfree_rcu_barrier(void)
{
	kfree_rcu_init();
	if (!barrier_allowed("kvfree_rcu_barrier()"))
		return;
#ifdef CONFIG_SLUB_RCU_SHEAF
	flush_all_rcu_sheaves();
#endif
	kfree_rcu_barrier_classic();
}

void kvfree_rcu_barrier_on_cache(struct kmem_cache *s)
{
	kfree_rcu_init();
	if (!barrier_allowed("kvfree_rcu_barrier_on_cache()"))
		return;
#ifdef CONFIG_SLUB_RCU_SHEAF
	if (s && slab_rcu_cache_has_sheaves(s)) {
		slab_flush_rcu_sheaves_on_cache(s);
#ifdef CONFIG_SLUB_SHEAVES_MOST
		/* 7.0 (and 6.19.y): wait for the flushed sheaves here */
		slab_rcu_barrier();
#endif
	}
#else
	(void)s;
#endif
	/* the kernel's TODO: a classic barrier for one cache only */
	kfree_rcu_barrier_classic();
}

void slab_rcu_destroy_barrier(struct kmem_cache *s)
{
#ifdef CONFIG_SLUB_BARRIER_ON_CACHE
	kvfree_rcu_barrier_on_cache(s);
#else
	/* 6.12 .. 6.18: kmem_cache_destroy() calls the global barrier */
	(void)s;
	kvfree_rcu_barrier();
#endif
}

void slab_kfree_rcu_get_stats(struct slab_kfree_rcu_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	pthread_once(&krc_once, krc_init);
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		struct kfree_rcu_cpu *krc = &krcs[cpu];

		spin_lock(&krc->lock);
		st->queued += krc->queued;
		st->batches += krc->batches;
		st->full_pages += krc->full_pages;
		st->monitor_flushes += krc->monitor_flushes;
		st->barrier_flushes += krc->barrier_flushes;
		st->barrier_waits += krc->barrier_waits;
		spin_unlock(&krc->lock);
	}
	st->freed = __atomic_load_n(&objs_freed, __ATOMIC_RELAXED);
	st->ready_freed = __atomic_load_n(&objs_ready_freed, __ATOMIC_RELAXED);
	st->sync_fallbacks = __atomic_load_n(&sync_fallbacks, __ATOMIC_RELAXED);
	st->flush_works = __atomic_load_n(&flush_works_run, __ATOMIC_RELAXED);
}

/* ---- fork ---------------------------------------------------------------- */

/*
 * Wait for the monitor to finish its pass (pages it took would be lost in
 * the child) and keep it from starting one, then hold every batch lock
 * (no batch half built or half detached) across fork().  This is the one
 * place where the monitor lock is held while krc locks are taken: nobody
 * waits for the monitor lock with a krc lock held.  rcu.c calls this
 * after pausing the RCU workers, so no batch callback runs now.  The
 * flush lock is not held (it nests inside slab_mutex, which the core's
 * handler takes after this one): the child resets it and the flush items.
 */
void slab_kfree_rcu_fork_prepare(void)
{
	int cpu;

	pthread_mutex_lock(&monitor.lock);
	monitor.paused = true;
	while (monitor.busy)
		pthread_cond_wait(&monitor.idle, &monitor.lock);
	for (cpu = 0; cpu < nr_krcs; cpu++)
		spin_lock(&krcs[cpu].lock);
	pthread_mutex_lock(&krw_wait.lock);
}

void slab_kfree_rcu_fork_parent(void)
{
	int cpu;

	pthread_mutex_unlock(&krw_wait.lock);
	for (cpu = nr_krcs - 1; cpu >= 0; cpu--)
		spin_unlock(&krcs[cpu].lock);
	monitor.paused = false;
	pthread_cond_signal(&monitor.cond);
	pthread_mutex_unlock(&monitor.lock);
}

/*
 * The child has no monitor: the next kfree_rcu starts one (deadlines
 * are dropped; pending objects wait for the next kfree_rcu or barrier).
 * Slots in flight stay in flight: their callbacks are queued in rcu.c and
 * run in the child.
 */
void slab_kfree_rcu_fork_child(void)
{
	int cpu;

	monitor.started = false;
	monitor.busy = false;
	monitor.paused = false;
	monitor.kicks = 0;
	pthread_mutex_init(&monitor.lock, NULL);
	pthread_cond_init(&monitor.cond, NULL);
	pthread_cond_init(&monitor.idle, NULL);
	pthread_mutex_init(&krw_wait.lock, NULL);
	pthread_cond_init(&krw_wait.cond, NULL);
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		spin_lock_init(&krcs[cpu].lock);
		krcs[cpu].monitor_running = false;
		krcs[cpu].monitor_at = 0;
		krcs[cpu].monitor_soon = false;
		slab_init_work(&flush_works[cpu].work, rcu_flush_work_fn);
	}
	pthread_mutex_init(&rcu_flush_lock, NULL);
}
