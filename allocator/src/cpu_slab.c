// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpu_slab.c - the classic SLUB per-CPU layer (CONFIG_SLUB_CPU_SLAB): a
 * cpu slab per CPU with a lockless freelist, and per-CPU partial slabs.
 *
 * The fast paths are in cpu_slab.h (inline in kmem_cache_alloc/free).
 * Everything here runs under the per-CPU lock (percpu.h, trylock only)
 * or, for remote flushes, percpu_lock_remote().  Locked code changes
 * (freelist, tid) only with compare-and-swap, adding one operation and the
 * change in length to tid and counting both in locked_ops/locked_nr
 * (cpu_slab.h).  Changing the cpu slab is ordered so that an atomic-mode
 * fast-path free, which does not look at the lock, can never push an
 * object of the old slab onto the new slab's freelist:
 *   1. c->slab = NULL            fast frees now go to __slab_free
 *   2. take c->freelist          fast paths that read the old tid fail
 *   3. install the new freelist  (nobody pushes while slab is NULL)
 *   4. c->slab = the new slab
 * In rseq mode the fast paths check the lock word, so under the lock
 * nothing else touches this CPU's (freelist, tid) at all.
 */
#include <stdlib.h>
#include <string.h>
#include "cpu_slab.h"

#ifdef CONFIG_SLUB_CPU_SLAB

/* ---- locked changes of (freelist, tid) ------------------------------ */

/*
 * Debug builds (slab_assert.h): the lock is held and tid's equations
 * (cpu_slab.h) have a solution, fast allocations and frees both whole and
 * not negative; in rseq mode, where nothing else touches (freelist, tid)
 * under the lock, nr(tid) is also the length of the freelist.
 */
static void cpu_slab_assert_tid(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
#ifdef SLAB_DEBUG_ASSERT
	unsigned long tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
	unsigned long ops = ((tid >> TID_NR_BITS) - c->locked_ops) &
			    (~0ul >> TID_NR_BITS);
	long net = (long)tid_nr(tid) - c->locked_nr;
	unsigned long nr = 0;
	void *p;

	slab_assert(READ_ONCE(c->lock));
	/* fast allocs = (ops - net) / 2, fast frees = (ops + net) / 2 */
	slab_assert((unsigned long)(net < 0 ? -net : net) <= ops);
	slab_assert(!((ops - net) & 1));
	if (!slab_use_rseq)
		return;
	for (p = c->freelist; p && nr <= TID_NR_MASK; p = get_freepointer(s, p))
		nr++;
	slab_assert(nr == tid_nr(tid));
#else
	(void)s;
	(void)c;
#endif
}

static void count_locked(struct kmem_cache_cpu *c, long dnr)
{
	WRITE_ONCE(c->locked_ops, c->locked_ops + 1);
	WRITE_ONCE(c->locked_nr, c->locked_nr + dnr);
}

/* pop one object from c->freelist; NULL if empty */
static void *cpu_pop(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	unsigned long tid;
	void *object;

	for (;;) {
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		object = READ_ONCE(c->freelist);
		if (!object)
			return NULL;
		if (cpu_cmpxchg(c, object, tid, get_freepointer_safe(s, object),
				tid + TID_OP - 1))
			break;
	}
	count_locked(c, -1);
	cpu_slab_assert_tid(s, c);
	return object;
}

/* take the whole c->freelist (step 2 above); *cnt: its length */
static void *cpu_grab(struct kmem_cache_cpu *c, unsigned int *cnt)
{
	unsigned long tid, nr;
	void *fl;

	do {
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		fl = READ_ONCE(c->freelist);
		nr = tid_nr(tid);
	} while (!cpu_cmpxchg(c, fl, tid, NULL, tid + TID_OP - nr));
	count_locked(c, -(long)nr);
	*cnt = nr;
	return fl;
}

/*
 * Put a chain of cnt objects on c->freelist, in front of whatever frees
 * pushed meanwhile.
 */
static void cpu_install(struct kmem_cache *s, struct kmem_cache_cpu *c,
			void *head, unsigned int cnt)
{
	unsigned long tid;
	void *fl, *tail = NULL;

	if (!head)
		return;
	for (;;) {
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		fl = READ_ONCE(c->freelist);
		if (fl && !tail)
			for (tail = head; get_freepointer(s, tail);
			     tail = get_freepointer(s, tail))
				;
		if (tail)
			set_freepointer(s, tail, fl);
		if (cpu_cmpxchg(c, fl, tid, head, tid + TID_OP + cnt))
			break;
	}
	count_locked(c, cnt);
	cpu_slab_assert_tid(s, c);
}

/* this CPU's kmem_cache_cpu, locked and counted, or NULL (counted) */
static struct kmem_cache_cpu *cpu_slab_trylock(struct kmem_cache *s)
{
	struct kmem_cache_cpu *c = percpu_trylock(s->cpu_slab);

	if (unlikely(!c)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return NULL;
	}
	WRITE_ONCE(c->lock_acq, c->lock_acq + 1);
	return c;
}

/* ---- per-CPU partial slabs -------------------------------------------- */

/* give a list of per-CPU partial slabs to their nodes */
static void put_partials(struct kmem_cache *s, struct slab *list)
{
	while (list) {
		struct slab *slab = list, *discard = NULL;
		struct kmem_cache_node *n = get_node(s, slab->node);

		list = slab->next;
		spin_lock(&n->list_lock);
		if (!slab_ctr(READ_ONCE(slab->counters)).inuse &&
		    n->nr_partial >= s->min_partial) {
			discard = slab;
		} else {
			add_partial(n, slab, true);
			stat(s, FREE_ADD_PARTIAL);
		}
		spin_unlock(&n->list_lock);
		if (discard)
			discard_slab(s, discard);
	}
}

void put_cpu_partial(struct kmem_cache *s, struct slab *slab)
{
	struct slab *drain = NULL, *old;
	struct kmem_cache_cpu *c;

	c = cpu_slab_trylock(s);
	if (!c) {
		slab->next = NULL;
		put_partials(s, slab);
		return;
	}
	old = c->partial;
	if (old && old->slabs >= s->cpu_partial_slabs) {
		drain = old;
		old = NULL;
		stat(s, CPU_PARTIAL_DRAIN);
	}
	slab->next = old;
	slab->slabs = (old ? old->slabs : 0) + 1;
	WRITE_ONCE(c->partial, slab);
	percpu_unlock(&c->lock);
	stat(s, CPU_PARTIAL_FREE);
	if (drain)
		put_partials(s, drain);
}

/* ---- the cpu slab ---------------------------------------------------- */

static inline bool node_match(struct slab *slab, int node)
{
	return node < 0 || slab->node == node;
}

/* return the cpu slab to its node (per-CPU lock held) */
static void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	struct kmem_cache_node *n = get_node(s, slab->node);
	struct slab_counters nc;
	unsigned long old_c;
	void *fl, *tail = NULL, *prior, *head;
	unsigned int cnt;

	__atomic_store_n(&c->slab, NULL, __ATOMIC_SEQ_CST);
	fl = cpu_grab(c, &cnt);
	cpu_slab_assert_tid(s, c);
	for (void *p = fl; p; p = get_freepointer(s, p))
		tail = p;
	do {
		prior = READ_ONCE(slab->freelist);
		old_c = READ_ONCE(slab->counters);
		nc = slab_ctr(old_c);
		nc.inuse -= cnt;
		nc.frozen = 0;
		if (tail)
			set_freepointer(s, tail, prior);
		head = fl ? fl : prior;
	} while (!slab_cmpxchg_double(slab, prior, old_c, head,
				      slab_ctr_long(nc)));
	if (prior)
		stat(s, DEACTIVATE_REMOTE_FREES);
	if (!nc.inuse && READ_ONCE(n->nr_partial) >= s->min_partial) {
		stat(s, DEACTIVATE_EMPTY);
		discard_slab(s, slab);
	} else if (head) {
		spin_lock(&n->list_lock);
		add_partial(n, slab, true);
		spin_unlock(&n->list_lock);
		stat(s, DEACTIVATE_TO_TAIL);
	} else {
		stat(s, DEACTIVATE_FULL);
	}
}

/* a frozen slab's freelist for a new cpu slab, NULL if nothing left */
static void *get_new_cpu_slab(struct kmem_cache *s, struct kmem_cache_cpu *c,
			      gfp_t gfp, int node, struct slab **slabp,
			      unsigned int *cnt)
{
	bool allow_spin = gfpflags_allow_spinning(gfp);
	int want = node < 0 ? numa_node_id() : node;
	struct slab *slab;
	unsigned int i;
	void *fl;

	while ((slab = c->partial)) {
		WRITE_ONCE(c->partial, slab->next);
		if (c->partial)
			c->partial->slabs = slab->slabs - 1;
		if (!node_match(slab, node)) {
			slab->next = NULL;
			put_partials(s, slab);
			stat(s, CPU_PARTIAL_NODE);
			continue;
		}
		*slabp = slab;
		stat(s, CPU_PARTIAL_ALLOC);
		return slab_take_freelist(slab, true, cnt);
	}
	fl = get_partial_frozen(s, get_node(s, want), slabp, cnt, allow_spin);
	for (i = 0; !fl && node < 0 && i < nr_node_ids; i++)
		if ((int)i != want)
			fl = get_partial_frozen(s, get_node(s, i), slabp, cnt,
						allow_spin);
	if (fl)
		return fl;
	if (!allow_spin)
		return NULL;
	slab = new_slab(s, gfp, want);
	if (!slab)
		return NULL;
	*slabp = slab;
	return slab_take_freelist(slab, true, cnt);
}

/*
 * The slow path proper, per-CPU lock held: an object for the caller and,
 * when the freelist had to be refilled, the rest installed as this CPU's
 * freelist.
 */
static void *cpu_slab_refill(struct kmem_cache *s, struct kmem_cache_cpu *c,
			     gfp_t gfp, int node)
{
	struct slab *slab = c->slab;
	unsigned int cnt;
	void *object;

	if (slab && node_match(slab, node)) {
		object = cpu_pop(s, c);
		if (object)
			return object;
		object = slab_take_freelist(slab, true, &cnt);
		if (object) {
			stat(s, ALLOC_REFILL);
			cpu_install(s, c, get_freepointer(s, object), cnt - 1);
			return object;
		}
	}
	/* without allow_spin (kmalloc_nolock) only lock-free steps */
	if (!gfpflags_allow_spinning(gfp) && (slab || c->partial))
		return NULL;
	if (slab)
		deactivate_slab(s, c);
	object = get_new_cpu_slab(s, c, gfp, node, &slab, &cnt);
	if (!object)
		return NULL;
	cpu_install(s, c, get_freepointer(s, object), cnt - 1);
	__atomic_store_n(&c->slab, slab, __ATOMIC_RELEASE);
	return object;
}

static __attribute__((noinline)) void *
cpu_slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, int node)
{
	struct kmem_cache_cpu *c;
	void *object;

	c = cpu_slab_trylock(s);
	if (!c) {
		/* holder preempted or migrated: straight from the slabs */
		object = slab_alloc_one(s, gfp, node);
	} else {
		object = cpu_slab_refill(s, c, gfp, node);
		percpu_unlock(&c->lock);
	}
	if (object)
		stat(s, ALLOC_SLOWPATH);
	return object;
}

/*
 * An object through the cpu slab for any caller: the fast path when any
 * node will do (counted in tid as ALLOC_FASTPATH), else the slow path
 * (ALLOC_SLOWPATH), which also serves node-bound allocations.
 */
void *cpu_slab_alloc(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object;

	if (node < 0 || nr_node_ids == 1) {
		object = cpu_slab_alloc_fast(s);
		if (likely(object))
			return object;
	}
	return cpu_slab_alloc_slow(s, gfp, node);
}

void cpu_slab_free(struct kmem_cache *s, struct slab *slab, void *head,
		   void *tail, int cnt)
{
	int r = cpu_slab_free_fast(s, slab, head, tail, cnt);

	if (likely(r > 0))
		return;
	if (!r && !slab_use_rseq)
		stat(s, CMPXCHG_DOUBLE_CPU_FAIL);
	__slab_free(s, slab, head, tail, cnt);
	stat_add(s, FREE_SLOWPATH, cnt);
}

/* kfree_nolock: only the lock-free push on this CPU's cpu slab */
bool cpu_slab_free_nolock(struct kmem_cache *s, struct slab *slab,
			  void *object)
{
	return cpu_slab_free_fast(s, slab, object, object, 1) > 0;
}

/*
 * Up to n objects from this CPU's freelist under the per-CPU lock, with
 * one compare-and-swap to take the freelist and one to put back what is
 * left, as the kernel's bulk allocation pops c->freelist with the lock
 * held rather than one cmpxchg per object; the slow path when it runs
 * dry.  count: allocations (kmem_cache_alloc_bulk) rather than objects
 * moved into a sheaf.
 */
static int __cpu_slab_bulk(struct kmem_cache *s, gfp_t gfp, void **p, int n,
			   bool count)
{
	struct kmem_cache_cpu *c;
	unsigned int cnt;
	int done = 0, k;
	void *fl;

	c = cpu_slab_trylock(s);
	if (!c) {
		done = slab_alloc_objects(s, gfp, NUMA_NO_NODE, p, n,
					  gfpflags_allow_spinning(gfp));
		if (count)
			stat_add(s, ALLOC_SLOWPATH, done);
		return done;
	}
	while (done < n) {
		fl = cpu_grab(c, &cnt);
		for (k = 0; fl && done < n; k++) {
			p[done++] = fl;
			fl = get_freepointer(s, fl);
		}
		cpu_install(s, c, fl, cnt - k);
		if (count)
			stat_add(s, ALLOC_FASTPATH, k);
		if (done == n)
			break;
		p[done] = cpu_slab_refill(s, c, gfp, NUMA_NO_NODE);
		if (!p[done])
			break;
		if (count)
			stat(s, ALLOC_SLOWPATH);
		done++;
	}
	percpu_unlock(&c->lock);
	return done;
}

int cpu_slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, int node, void **p,
			int n)
{
	int i;

	if (node < 0)
		return __cpu_slab_bulk(s, gfp, p, n, true);
	for (i = 0; i < n; i++) {
		p[i] = cpu_slab_alloc_slow(s, gfp, node);
		if (!p[i])
			break;
	}
	return i;
}

int cpu_slab_refill_bulk(struct kmem_cache *s, gfp_t gfp, void **p, int n)
{
	return __cpu_slab_bulk(s, gfp, p, n, false);
}

void cpu_slab_flush_all(struct kmem_cache *s)
{
	unsigned int cpu;

	if (!s->cpu_slab)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
		struct slab *partial;

		if (!READ_ONCE(c->slab) && !READ_ONCE(c->partial))
			continue;
		cpu_lock_remote_stat(s, percpu_lock_remote(&c->lock, cpu));
		WRITE_ONCE(c->lock_acq, c->lock_acq + 1);
		if (c->slab)
			deactivate_slab(s, c);
		partial = c->partial;
		WRITE_ONCE(c->partial, NULL);
		percpu_unlock_remote(&c->lock);
		put_partials(s, partial);
		stat(s, CPUSLAB_FLUSH);
	}
}

/*
 * Counters: locked, so that tid and the locked_* counts are read as one
 * (a busy lock is retried a bounded number of times, then read racily:
 * at most one locked operation off, and the holder may be the caller).
 */
#define CPU_SLAB_STATS_TRIES	64

void cpu_slab_fast_stats(struct kmem_cache *s, unsigned int cpu,
			 unsigned long long *allocs, unsigned long long *frees)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
	unsigned long tid, ops, locked_ops;
	long net, locked_nr;
	bool locked = false;
	int tries;

	for (tries = 0; !locked && tries < CPU_SLAB_STATS_TRIES; tries++) {
		locked = percpu_trylock_remote(&c->lock, cpu);
		if (!locked)
			sched_yield();
	}
	tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
	locked_ops = READ_ONCE(c->locked_ops);
	locked_nr = READ_ONCE(c->locked_nr);
	if (locked)
		percpu_unlock_remote(&c->lock);
	ops = ((tid >> TID_NR_BITS) - locked_ops) &
	      (~0ul >> TID_NR_BITS);
	net = (long)tid_nr(tid) - locked_nr;
	*allocs += (ops - net) / 2;
	*frees += (ops + net) / 2;
}

int cpu_slab_init(struct kmem_cache *s)
{
	size_t bytes = (nr_cpu_ids + PERCPU_GUARDS) *
		       sizeof(struct kmem_cache_cpu);
	unsigned int i;
	void *p;

	if (posix_memalign(&p, CACHELINE, bytes))
		return -1;
	memset(p, 0, bytes);
	s->cpu_slab = (struct kmem_cache_cpu *)p + PERCPU_GUARDS;
	for (i = 1; i <= PERCPU_GUARDS; i++)
		s->cpu_slab[-(int)i].lock = PERCPU_GUARD_LOCKED;
	/*
	 * A debug cache has one too, never used: its freelist stays empty and
	 * its slab NULL (every debug allocation and free takes the checked
	 * slow path), so the hit paths need no test of their own.
	 */
	s->has_cpu_partial = !kmem_cache_debug(s);
	return 0;
}

void cpu_slab_exit(struct kmem_cache *s)
{
	if (s->cpu_slab)
		free(s->cpu_slab - PERCPU_GUARDS);
	s->cpu_slab = NULL;
}

#else /* !CONFIG_SLUB_CPU_SLAB: every cache works on slabs directly */

void put_cpu_partial(struct kmem_cache *s, struct slab *slab)
{
	(void)s;
	(void)slab;
}

void *cpu_slab_alloc(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object = slab_alloc_one(s, gfp, node);

	if (object)
		stat(s, ALLOC_SLOWPATH);
	return object;
}

void cpu_slab_free(struct kmem_cache *s, struct slab *slab, void *head,
		   void *tail, int cnt)
{
	__slab_free(s, slab, head, tail, cnt);
	stat_add(s, FREE_SLOWPATH, cnt);
}

/*
 * kmem_cache_alloc_bulk() past the sheaves: object by object from the
 * slabs (7.0 before "refill sheaves from all nodes"), then in bulk the
 * way sheaves are refilled (refill_objects()) once that commit made
 * __kmem_cache_alloc_bulk() use it.
 */
int cpu_slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, int node, void **p,
			int n)
{
	int got;

#ifdef CONFIG_SLUB_REFILL_ALL_NODES
	if (node < 0 && gfpflags_allow_spinning(gfp))
		got = refill_objects(s, p, gfp, n, n);
	else
#endif
		got = slab_alloc_objects(s, gfp, node, p, n,
					 gfpflags_allow_spinning(gfp));
	stat_add(s, ALLOC_SLOWPATH, got);
	return got;
}

int cpu_slab_refill_bulk(struct kmem_cache *s, gfp_t gfp, void **p, int n)
{
	return slab_alloc_objects(s, gfp, NUMA_NO_NODE, p, n,
				  gfpflags_allow_spinning(gfp));
}

void cpu_slab_flush_all(struct kmem_cache *s)
{
	(void)s;
}

bool cpu_slab_free_nolock(struct kmem_cache *s, struct slab *slab,
			  void *object)
{
	(void)s;
	(void)slab;
	(void)object;
	return false;
}

int cpu_slab_init(struct kmem_cache *s)
{
	s->cpu_slab = NULL;
	s->has_cpu_partial = false;
	return 0;
}

void cpu_slab_exit(struct kmem_cache *s)
{
	(void)s;
}

void cpu_slab_fast_stats(struct kmem_cache *s, unsigned int cpu,
			 unsigned long long *allocs, unsigned long long *frees)
{
	(void)s;
	(void)cpu;
	(void)allocs;
	(void)frees;
}
#endif
