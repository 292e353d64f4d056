// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpu_slab.c - the classic SLUB per-CPU layer (CONFIG_SLUB_CPU_SLAB): a
 * cpu slab per CPU with a lockless freelist, and per-CPU partial slabs.
 *
 * Fast paths take no lock: they read tid, then freelist (and the cpu slab),
 * and commit with a 16-byte compare-and-swap of (freelist, tid).  Every
 * change bumps tid, so a fast path that raced with anything fails its
 * cmpxchg and retries (CMPXCHG_DOUBLE_CPU_FAIL).  In userspace other
 * threads - also from other CPUs, after a migration - can use the same
 * kmem_cache_cpu, so the cmpxchg is a locked one.
 *
 * Everything else (refill, deactivation, the per-CPU partial list) runs
 * under the per-CPU lock (percpu.h, trylock only).  Changing the cpu slab
 * is ordered so a fast-path free can never push an object of the old slab
 * onto the new slab's freelist:
 *   1. c->slab = NULL            fast frees now go to __slab_free
 *   2. take c->freelist, tid+1   fast paths that read the old tid fail
 *   3. install the new freelist, tid+1 (nobody pushes while slab is NULL)
 *   4. c->slab = the new slab
 */
#include <stdlib.h>
#include <string.h>
#include "percpu.h"

#ifdef CONFIG_SLUB_CPU_SLAB

#define CPU_SLAB_STRIDE	sizeof(struct kmem_cache_cpu)

static inline bool cpu_cmpxchg(struct kmem_cache_cpu *c, void *ofl,
			       unsigned long otid, void *nfl,
			       unsigned long ntid)
{
	unsigned __int128 old = (unsigned __int128)otid << 64 |
				(uintptr_t)ofl;
	unsigned __int128 new = (unsigned __int128)ntid << 64 |
				(uintptr_t)nfl;

	return cmpxchg16(&c->freelist_tid, old, new);
}

/*
 * The free pointer of an object another thread may have allocated since
 * we read the freelist: the value may be garbage, the cmpxchg will then
 * fail.  Deliberately racy, hence hidden from TSan.
 */
__attribute__((no_sanitize("thread")))
static inline void *get_freepointer_safe(struct kmem_cache *s, void *object)
{
	return *(void *volatile *)((char *)object + s->offset);
}

static inline bool node_match(struct slab *slab, int node)
{
	return node < 0 || slab->node == node;
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
				tid + 1))
			return object;
	}
}

/* take the whole c->freelist (step 2 above) */
static void *cpu_grab(struct kmem_cache_cpu *c)
{
	unsigned long tid;
	void *fl;

	do {
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		fl = READ_ONCE(c->freelist);
	} while (!cpu_cmpxchg(c, fl, tid, NULL, tid + 1));
	return fl;
}

/* put a chain on c->freelist, in front of whatever frees pushed meanwhile */
static void cpu_install(struct kmem_cache *s, struct kmem_cache_cpu *c,
			void *head)
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
		if (cpu_cmpxchg(c, fl, tid, head, tid + 1))
			return;
	}
}

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
	int cpu;

	cpu = percpu_trylock(&s->cpu_slab->lock, CPU_SLAB_STRIDE);
	if (cpu < 0) {
		stat(s, PCS_TRYLOCK_FAIL);
		slab->next = NULL;
		put_partials(s, slab);
		return;
	}
	c = &s->cpu_slab[cpu];
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

/* return the cpu slab to its node (per-CPU lock held) */
static void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	struct kmem_cache_node *n = get_node(s, slab->node);
	struct slab_counters nc;
	unsigned long old_c;
	void *fl, *tail = NULL, *prior, *head;
	int cnt = 0;

	__atomic_store_n(&c->slab, NULL, __ATOMIC_SEQ_CST);
	fl = cpu_grab(c);
	for (void *p = fl; p; p = get_freepointer(s, p)) {
		tail = p;
		cnt++;
	}
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
			      gfp_t gfp, int node, struct slab **slabp)
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
		return slab_take_freelist(slab, true);
	}
	fl = get_partial_frozen(s, get_node(s, want), slabp, allow_spin);
	for (i = 0; !fl && node < 0 && i < nr_node_ids; i++)
		if ((int)i != want)
			fl = get_partial_frozen(s, get_node(s, i), slabp,
						allow_spin);
	if (fl)
		return fl;
	if (!allow_spin)
		return NULL;
	slab = new_slab(s, gfp, want);
	if (!slab)
		return NULL;
	*slabp = slab;
	return slab_take_freelist(slab, true);
}

/* the slow path proper, per-CPU lock held */
static void *cpu_slab_refill(struct kmem_cache *s, struct kmem_cache_cpu *c,
			     gfp_t gfp, int node)
{
	struct slab *slab = c->slab;
	void *object;

	if (slab && node_match(slab, node)) {
		object = cpu_pop(s, c);
		if (object)
			return object;
		object = slab_take_freelist(slab, true);
		if (object) {
			stat(s, ALLOC_REFILL);
			cpu_install(s, c, get_freepointer(s, object));
			return object;
		}
	}
	/* without allow_spin (kmalloc_nolock) only lock-free steps */
	if (!gfpflags_allow_spinning(gfp) && (slab || c->partial))
		return NULL;
	if (slab)
		deactivate_slab(s, c);
	object = get_new_cpu_slab(s, c, gfp, node, &slab);
	if (!object)
		return NULL;
	cpu_install(s, c, get_freepointer(s, object));
	__atomic_store_n(&c->slab, slab, __ATOMIC_RELEASE);
	return object;
}

static void *cpu_slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, int node,
				 bool count)
{
	struct kmem_cache_cpu *c;
	void *object;
	int cpu;

	cpu = percpu_trylock(&s->cpu_slab->lock, CPU_SLAB_STRIDE);
	if (cpu < 0) {
		/* holder preempted or migrated: straight from the slabs */
		stat(s, PCS_TRYLOCK_FAIL);
		object = slab_alloc_one(s, gfp, node);
	} else {
		c = &s->cpu_slab[cpu];
		object = cpu_slab_refill(s, c, gfp, node);
		percpu_unlock(&c->lock);
	}
	if (object && count)
		stat(s, ALLOC_SLOWPATH);
	return object;
}

/* count: an allocation (stats) rather than a move into a sheaf */
static inline void *__cpu_slab_alloc(struct kmem_cache *s, gfp_t gfp,
				     int node, bool count)
{
	struct kmem_cache_cpu *c;
	struct slab *slab;
	unsigned long tid;
	void *object;

	for (;;) {
		c = &s->cpu_slab[current_cpu()];
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		object = READ_ONCE(c->freelist);
		slab = READ_ONCE(c->slab);
		if (unlikely(!object || !slab || !node_match(slab, node)))
			return cpu_slab_alloc_slow(s, gfp, node, count);
		if (likely(cpu_cmpxchg(c, object, tid,
				       get_freepointer_safe(s, object),
				       tid + 1))) {
			if (count)
				stat(s, ALLOC_FASTPATH);
			return object;
		}
		stat(s, CMPXCHG_DOUBLE_CPU_FAIL);
	}
}

void *cpu_slab_alloc(struct kmem_cache *s, gfp_t gfp, int node)
{
	return __cpu_slab_alloc(s, gfp, node, true);
}

void cpu_slab_free(struct kmem_cache *s, struct slab *slab, void *object)
{
	struct kmem_cache_cpu *c;
	unsigned long tid;
	void *fl;

	for (;;) {
		c = &s->cpu_slab[current_cpu()];
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		if (slab != __atomic_load_n(&c->slab, __ATOMIC_ACQUIRE)) {
			__slab_free(s, slab, object, object, 1);
			stat(s, FREE_SLOWPATH);
			return;
		}
		fl = READ_ONCE(c->freelist);
		set_freepointer(s, object, fl);
		if (likely(cpu_cmpxchg(c, fl, tid, object, tid + 1))) {
			stat(s, FREE_FASTPATH);
			return;
		}
		stat(s, CMPXCHG_DOUBLE_CPU_FAIL);
	}
}

static int __cpu_slab_bulk(struct kmem_cache *s, gfp_t gfp, int node,
			   void **p, int n, bool count)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i] = __cpu_slab_alloc(s, gfp, node, count);
		if (!p[i])
			break;
	}
	return i;
}

/* kfree_nolock: only the lock-free push on this CPU's cpu slab */
bool cpu_slab_free_nolock(struct kmem_cache *s, struct slab *slab,
			  void *object)
{
	struct kmem_cache_cpu *c;
	unsigned long tid;
	void *fl;

	for (;;) {
		c = &s->cpu_slab[current_cpu()];
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		if (slab != __atomic_load_n(&c->slab, __ATOMIC_ACQUIRE))
			return false;
		fl = READ_ONCE(c->freelist);
		set_freepointer(s, object, fl);
		if (cpu_cmpxchg(c, fl, tid, object, tid + 1)) {
			stat(s, FREE_FASTPATH);
			return true;
		}
	}
}

int cpu_slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, int node, void **p,
			int n)
{
	return __cpu_slab_bulk(s, gfp, node, p, n, true);
}

int cpu_slab_refill_bulk(struct kmem_cache *s, gfp_t gfp, void **p, int n)
{
	return __cpu_slab_bulk(s, gfp, NUMA_NO_NODE, p, n, false);
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
		percpu_lock_remote(&c->lock, cpu);
		if (c->slab)
			deactivate_slab(s, c);
		partial = c->partial;
		WRITE_ONCE(c->partial, NULL);
		percpu_unlock_remote(&c->lock);
		put_partials(s, partial);
		stat(s, CPUSLAB_FLUSH);
	}
}

int cpu_slab_init(struct kmem_cache *s)
{
	void *p;

	if (posix_memalign(&p, CACHELINE,
			   nr_cpu_ids * sizeof(struct kmem_cache_cpu)))
		return -1;
	memset(p, 0, nr_cpu_ids * sizeof(struct kmem_cache_cpu));
	s->cpu_slab = p;
	s->has_cpu_partial = !kmem_cache_debug(s);
	return 0;
}

void cpu_slab_exit(struct kmem_cache *s)
{
	free(s->cpu_slab);
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

void cpu_slab_free(struct kmem_cache *s, struct slab *slab, void *object)
{
	__slab_free(s, slab, object, object, 1);
	stat(s, FREE_SLOWPATH);
}

int cpu_slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, int node, void **p,
			int n)
{
	int got = slab_alloc_objects(s, gfp, node, p, n,
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
#endif
