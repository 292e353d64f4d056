// SPDX-License-Identifier: GPL-2.0-only
/*
 * slab.c - slabs and their freelists, the per-node partial lists.
 *
 * A slab is 1 << order pages from the page allocator.  Free objects are
 * chained through a free pointer stored inside each free object at
 * s->offset.  The pair (freelist, counters) of a slab is changed only with
 * a 16-byte compare-and-swap, so remote frees never take a lock unless the
 * slab has to move between lists.  counters holds inuse (objects not on
 * the slab's freelist), objects and frozen (the slab is some CPU's cpu
 * slab: only its owner allocates from it, frees just push).
 *
 * Where a slab lives:
 *   frozen            a CPU's cpu slab (cpu_slab.c)
 *   per-CPU partial   not frozen, on kmem_cache_cpu.partial
 *   node partial      SLAB_FL_NODE_PARTIAL, on node->partial
 *   full              on no list; the free that makes it partial moves it
 *
 * node->list_lock protects the node's partial list, nr_partial and the
 * SLAB_FL_NODE_PARTIAL flag.
 */
#include <string.h>
#include "percpu.h"
#include "rcu_internal.h"

bool slab_cmpxchg_double(struct slab *slab, void *old_fl,
			 unsigned long old_c, void *new_fl,
			 unsigned long new_c)
{
	unsigned __int128 old = (unsigned __int128)old_c << 64 |
				(uintptr_t)old_fl;
	unsigned __int128 new = (unsigned __int128)new_c << 64 |
				(uintptr_t)new_fl;

	if (cmpxchg16(&slab->freelist_counters, old, new))
		return true;
	slab_stat_inc(slab->slab_cache, CMPXCHG_DOUBLE_FAIL);
	return false;
}

/* one consistent snapshot of (freelist, counters) */
static inline void slab_read(struct slab *slab, void **fl, unsigned long *c)
{
	/* a 16-byte load is only atomic as a cmpxchg; a torn read just
	 * makes the following cmpxchg fail, so two loads are enough.  The
	 * acquire pairs with the cmpxchg that published the chain. */
	*c = READ_ONCE(slab->counters);
	*fl = __atomic_load_n(&slab->freelist, __ATOMIC_ACQUIRE);
}

#define ctr(c)		slab_ctr(c)
#define ctr_long(c)	slab_ctr_long(c)

unsigned int slab_order_objects(struct kmem_cache *s, unsigned int order)
{
	return (PAGE_SIZE << order) / s->size;
}

int slab_obj_index(struct kmem_cache *s, struct slab *slab, const void *p)
{
	uintptr_t base = (uintptr_t)slab_address(slab) + s->red_left_pad;
	uintptr_t off = (uintptr_t)p - base;

	if ((uintptr_t)p < base || off % s->size ||
	    off / s->size >= ctr(slab->counters).objects)
		return -1;
	return off / s->size;
}

int slab_node_of(const void *object)
{
	struct slab *slab = virt_to_slab(object);

	return slab ? slab->node : 0;
}

/* ---- new and discarded slabs -------------------------------------------- */
struct slab *new_slab(struct kmem_cache *s, gfp_t gfp, int node)
{
	struct kmem_cache_node *n;
	struct slab_counters c = { 0 };
	unsigned int order = s->order, objects, i;
	struct slab *slab;
	char *start, *p;

	if (node < 0 || node >= (int)nr_node_ids)
		node = numa_node_id();
	slab = alloc_pages_node(node, order, gfp);
	if (!slab && s->min_order < order) {
		order = s->min_order;
		slab = alloc_pages_node(node, order, gfp);
		if (slab)
			slab_stat_inc(s, ORDER_FALLBACK);
	}
	if (!slab)
		return NULL;
	objects = slab_order_objects(s, order);
	WRITE_ONCE(slab->type, PT_SLAB);
	slab->slab_cache = s;
	start = slab_address(slab);
	if (kmem_cache_debug(s))
		debug_init_slab(s, slab);
	for (i = 0; i < objects; i++) {
		p = start + (size_t)i * s->size + s->red_left_pad;
		if (kmem_cache_debug(s))
			debug_init_object(s, p, false);
		if (s->ctor)
			s->ctor(p);
		set_freepointer(s, p, i + 1 < objects ? p + s->size : NULL);
	}
	c.objects = objects;
	slab->freelist = start + s->red_left_pad;
	slab->counters = ctr_long(c);
	n = get_node(s, slab->node);
	__atomic_fetch_add(&n->nr_slabs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&n->total_objects, objects, __ATOMIC_RELAXED);
	slab_stat_inc(s, ALLOC_SLAB);
	return slab;
}

/*
 * SLAB_TYPESAFE_BY_RCU: a slab's pages go back to the page allocator only
 * after a grace period, so a reader under RCU may still look at an object
 * that was freed (and maybe reused for another object of the same cache).
 * The descriptor's slab_list, free by then, holds the rcu_head.
 */
_Static_assert(sizeof(struct list_head) >= sizeof(struct rcu_head),
	       "a discarded slab's slab_list holds its rcu_head");

static void discard_slab_rcu(struct rcu_head *head)
{
	free_pages_slab(container_of((struct list_head *)head, struct slab,
				     slab_list));
}

void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	struct kmem_cache_node *n = get_node(s, slab->node);

	__atomic_fetch_sub(&n->nr_slabs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&n->total_objects, ctr(slab->counters).objects,
			   __ATOMIC_RELAXED);
	slab_stat_inc(s, FREE_SLAB);
	if (unlikely(s->flags & SLAB_TYPESAFE_BY_RCU)) {
		slab_call_rcu((struct rcu_head *)&slab->slab_list,
			      discard_slab_rcu);
		return;
	}
	free_pages_slab(slab);
}

/* ---- node partial lists (list_lock held) -------------------------------- */
void add_partial(struct kmem_cache_node *n, struct slab *slab, bool tail)
{
	slab_lockdep_assert_held(&n->list_lock);
	WRITE_ONCE(n->nr_partial, n->nr_partial + 1);
	if (tail)
		list_add_tail(&slab->slab_list, &n->partial);
	else
		list_add(&slab->slab_list, &n->partial);
	slab->flags |= SLAB_FL_NODE_PARTIAL;
}

void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
	slab_lockdep_assert_held(&n->list_lock);
	list_del(&slab->slab_list);
	slab->flags &= ~SLAB_FL_NODE_PARTIAL;
	WRITE_ONCE(n->nr_partial, n->nr_partial - 1);
}

static bool node_lock(struct kmem_cache_node *n, bool allow_spin)
{
	if (allow_spin) {
		spin_lock(&n->list_lock);
		return true;
	}
	return spin_trylock(&n->list_lock);
}

/* ---- freeing to a slab --------------------------------------------------- */
/*
 * Free the chain head..tail (cnt objects of slab) to the slab.  Frozen
 * slabs just take the objects.  A slab that was full becomes partial (the
 * per-CPU partial list when the cache has one, else the node list); a slab
 * that becomes empty is discarded when its node has min_partial partial
 * slabs already.
 */
void __slab_free(struct kmem_cache *s, struct slab *slab, void *head,
		 void *tail, int cnt)
{
	struct kmem_cache_node *n = NULL;
	bool was_frozen, on_node_partial = false;
	struct slab_counters nc;
	unsigned long old_c;
	void *prior;

	do {
		if (n) {
			spin_unlock(&n->list_lock);
			n = NULL;
		}
		slab_read(slab, &prior, &old_c);
		set_freepointer(s, tail, prior);
		nc = ctr(old_c);
		was_frozen = nc.frozen;
		nc.inuse -= cnt;
		if ((!nc.inuse || !prior) && !was_frozen &&
		    (!s->has_cpu_partial || prior)) {
			n = get_node(s, slab->node);
			spin_lock(&n->list_lock);
			on_node_partial = slab->flags & SLAB_FL_NODE_PARTIAL;
		}
	} while (!slab_cmpxchg_double(slab, prior, old_c, head,
				      ctr_long(nc)));

	if (!n) {
		if (was_frozen)
			slab_stat_inc(s, FREE_FROZEN);
		else if (s->has_cpu_partial && !prior)
			put_cpu_partial(s, slab);
		return;
	}
	/* partial but on a per-CPU partial list: not ours to move */
	if (prior && !on_node_partial) {
		spin_unlock(&n->list_lock);
		return;
	}
	if (!nc.inuse && n->nr_partial >= s->min_partial) {
		if (prior) {
			remove_partial(n, slab);
			slab_stat_inc(s, FREE_REMOVE_PARTIAL);
		}
		spin_unlock(&n->list_lock);
		discard_slab(s, slab);
		return;
	}
	if (!prior) {
		add_partial(n, slab, true);
		slab_stat_inc(s, FREE_ADD_PARTIAL);
	}
	spin_unlock(&n->list_lock);
}

/*
 * A detached freelist: objects of one slab chained head..tail, the way the
 * kernel's build_detached_freelist() gathers them for kmem_cache_free_bulk()
 * and for sheaf flushes.  The last object of p starts it; the objects
 * before it that share its slab join it (moved to the end of p); the scan
 * gives up after three objects of other slabs.  Returns how many objects
 * of p are left to free.
 */
struct detached_freelist {
	struct slab *slab;
	void *head, *tail;
	int cnt;
};

#define DETACHED_LOOKAHEAD	3

static size_t build_detached_freelist(struct kmem_cache *s, size_t size,
				      void **p, struct detached_freelist *df)
{
	int lookahead = DETACHED_LOOKAHEAD;
	size_t same;
	void *object;

	object = p[--size];
	df->slab = virt_to_slab(object);
	df->head = df->tail = object;
	df->cnt = 1;
	if (!df->slab || df->slab->slab_cache != s)
		return size;
	set_freepointer(s, object, NULL);
	same = size;
	while (size) {
		object = p[--size];
		if (virt_to_slab(object) == df->slab) {
			set_freepointer(s, object, df->head);
			df->head = object;
			df->cnt++;
			p[size] = p[--same];
			continue;
		}
		if (!--lookahead)
			break;
	}
	return same;
}

/*
 * Free size objects of s from p (p is reordered) in detached freelists,
 * one slab operation per group.  frees: kmem_cache_free_bulk(), counted
 * as frees, a group of this CPU's cpu slab taking its fast path; else
 * objects moved out of a sheaf (flushes), straight to their slabs and
 * counted by the caller (SHEAF_FLUSH).  Objects that are not s's are
 * reported and skipped, as the kernel's cache_from_obj() does.
 */
void slab_free_bulk(struct kmem_cache *s, size_t size, void **p, bool frees)
{
	struct detached_freelist df;

	if (unlikely(kmem_cache_debug(s))) {
		/* one by one, each checked */
		while (size) {
			void *object = p[--size];
			struct slab *slab = virt_to_slab(object);

			if (slab && slab->slab_cache == s)
				debug_slab_free(s, slab, object);
			else
				slab_bug("kmem_cache_free_bulk(%s): %p is "
					 "not an object of this cache",
					 s->name, object);
		}
		return;
	}
	while (size) {
		size = build_detached_freelist(s, size, p, &df);
		if (unlikely(!df.slab || df.slab->slab_cache != s)) {
			slab_bug("kmem_cache_free_bulk(%s): %p is not an "
				 "object of this cache", s->name, df.head);
			continue;
		}
		if (frees)
			cpu_slab_free(s, df.slab, df.head, df.tail, df.cnt);
		else
			__slab_free(s, df.slab, df.head, df.tail, df.cnt);
	}
}

/* ---- taking objects from slabs -------------------------------------------- */
/*
 * Take the whole freelist of a slab nobody else allocates from: one we
 * hold under list_lock or that sits on our own per-CPU partial list.  With
 * freeze the slab becomes a cpu slab, else it is left unfrozen and full.
 * *cnt: how many objects the freelist holds.
 */
void *slab_take_freelist(struct slab *slab, bool freeze, unsigned int *cnt)
{
	struct slab_counters nc;
	unsigned long old_c;
	void *fl;

	do {
		slab_read(slab, &fl, &old_c);
		nc = ctr(old_c);
		*cnt = nc.objects - nc.inuse;
		nc.inuse = nc.objects;
		nc.frozen = freeze;
	} while (!slab_cmpxchg_double(slab, fl, old_c, NULL, ctr_long(nc)));
	return fl;
}

/* first partial slab of node n, off the list and frozen: its freelist */
void *get_partial_frozen(struct kmem_cache *s, struct kmem_cache_node *n,
			 struct slab **slabp, unsigned int *cnt,
			 bool allow_spin)
{
	struct slab *slab;
	void *fl;

	if (!READ_ONCE(n->nr_partial) || !node_lock(n, allow_spin))
		return NULL;
	if (list_empty(&n->partial)) {
		spin_unlock(&n->list_lock);
		return NULL;
	}
	slab = list_first_entry(&n->partial, struct slab, slab_list);
	remove_partial(n, slab);
	fl = slab_take_freelist(slab, true, cnt);
	spin_unlock(&n->list_lock);
	slab_stat_inc(s, ALLOC_FROM_PARTIAL);
	*slabp = slab;
	return fl;
}

/*
 * Take up to max objects from the first partial slab of n, leaving the slab
 * on the list unless it became full.  Only list_lock holders allocate from
 * node-partial slabs, and frees only push a new head, so the chain we walk
 * is stable; the cmpxchg fails if a free pushed meanwhile.
 */
static int alloc_from_partial(struct kmem_cache *s, struct kmem_cache_node *n,
			      void **p, int max, bool allow_spin)
{
	struct slab_counters nc;
	unsigned long old_c;
	struct slab *slab;
	void *fl, *next;
	int k;

	if (!READ_ONCE(n->nr_partial) || !node_lock(n, allow_spin))
		return 0;
	if (list_empty(&n->partial)) {
		spin_unlock(&n->list_lock);
		return 0;
	}
	slab = list_first_entry(&n->partial, struct slab, slab_list);
	do {
		slab_read(slab, &fl, &old_c);
		nc = ctr(old_c);
		for (k = 0, next = fl; next && k < max; k++) {
			p[k] = next;
			next = get_freepointer(s, next);
		}
		nc.inuse += k;
	} while (!slab_cmpxchg_double(slab, fl, old_c, next, ctr_long(nc)));
	if (!next)
		remove_partial(n, slab);
	spin_unlock(&n->list_lock);
	slab_stat_inc(s, ALLOC_FROM_PARTIAL);
	return k;
}

/* objects from a brand new slab that nobody else can see yet */
static int alloc_from_new_slab(struct kmem_cache *s, gfp_t gfp, int node,
			       void **p, int max, bool allow_spin)
{
	struct slab *slab = new_slab(s, gfp, node);
	struct kmem_cache_node *n;
	struct slab_counters nc;
	void *fl;
	int k;

	if (!slab)
		return 0;
	fl = slab->freelist;
	for (k = 0; fl && k < max; k++) {
		p[k] = fl;
		fl = get_freepointer(s, fl);
	}
	nc = ctr(slab->counters);
	nc.inuse = k;
	slab->counters = ctr_long(nc);
	slab->freelist = fl;
	if (fl) {
		n = get_node(s, slab->node);
		if (!node_lock(n, allow_spin)) {
			/*
			 * Only without allow_spin.  Nobody has seen the
			 * objects: undo, and free the pages later from
			 * normal context (zone_lock may spin).
			 */
			slab->freelist = p[0];
			nc.inuse = 0;
			slab->counters = ctr_long(nc);
			nolock_defer_discard_slab(slab);
			return 0;
		}
		add_partial(n, slab, false);
		spin_unlock(&n->list_lock);
	}
	return k;
}

/*
 * Fill p with up to max objects straight from slabs (the node's partial
 * list, other nodes' when node is NUMA_NO_NODE, then new slabs), without
 * any per-CPU layer.  Returns how many.
 */
int slab_alloc_objects(struct kmem_cache *s, gfp_t gfp, int node,
		       void **p, int max, bool allow_spin)
{
	int want = node < 0 ? numa_node_id() : node;
	int got = 0, k;
	unsigned int i;

	if (!allow_spin)
		gfp &= ~(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM);
	while (got < max) {
		k = alloc_from_partial(s, get_node(s, want), p + got,
				       max - got, allow_spin);
		for (i = 0; !k && node < 0 && i < nr_node_ids; i++)
			if ((int)i != want)
				k = alloc_from_partial(s, get_node(s, i),
						       p + got, max - got,
						       allow_spin);
		if (!k)
			k = alloc_from_new_slab(s, gfp, want, p + got,
						max - got, allow_spin);
		if (!k)
			break;
		got += k;
	}
	return got;
}

void *slab_alloc_one(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *p;

	if (slab_alloc_objects(s, gfp, node, &p, 1,
			       gfpflags_allow_spinning(gfp)) == 1)
		return p;
	return NULL;
}

/*
 * 7.0's sheaf refill (refill_objects()).  From one node: detach, under a
 * single list_lock, partial slabs whose free objects add up to at least
 * min and not beyond max (get_partial_node_bulk()), take each one's
 * freelist without the lock, give back what exceeds max as a detached
 * freelist (a free, which may take list_lock again) and put unused
 * detached slabs back under list_lock.  trylock: a remote node's list_lock
 * is only trylocked (40fd0acc45d0, "avoid list_lock contention"); before
 * that fix ("slab: refill sheaves from all nodes" alone) it was taken.
 */
static unsigned int refill_from_node(struct kmem_cache *s,
				     struct kmem_cache_node *n, void **p,
				     unsigned int min, unsigned int max,
				     bool trylock)
{
	struct list_head slabs;
	struct slab *slab, *t;
	unsigned int total = 0, got = 0, cnt;
	void *fl;

	if (!READ_ONCE(n->nr_partial))
		return 0;
	if (trylock) {
		if (!spin_trylock(&n->list_lock))
			return 0;
	} else {
		spin_lock(&n->list_lock);
	}
	INIT_LIST_HEAD(&slabs);
	list_for_each_entry_safe(slab, t, &n->partial, slab_list) {
		struct slab_counters c = ctr(READ_ONCE(slab->counters));
		unsigned int free = c.objects - c.inuse;

		if (total >= min && total + free > max)
			break;
		remove_partial(n, slab);
		list_add_tail(&slab->slab_list, &slabs);
		total += free;
		if (total >= max)
			break;
	}
	spin_unlock(&n->list_lock);
	list_for_each_entry_safe(slab, t, &slabs, slab_list) {
		if (got >= max)
			break;
		list_del(&slab->slab_list);
		/* off the list and not frozen: the slab is full to frees */
		fl = slab_take_freelist(slab, false, &cnt);
		slab_stat_inc(s, ALLOC_FROM_PARTIAL);
		while (fl && got < max) {
			p[got++] = fl;
			fl = get_freepointer(s, fl);
		}
		if (unlikely(fl)) {
			/* more than we asked for (concurrent frees): give back */
			void *tail = fl;

			cnt = 1;
			while (get_freepointer(s, tail)) {
				tail = get_freepointer(s, tail);
				cnt++;
			}
			__slab_free(s, slab, fl, tail, cnt);
		}
	}
	if (unlikely(!list_empty(&slabs))) {
		spin_lock(&n->list_lock);
		list_for_each_entry_safe(slab, t, &slabs, slab_list) {
			list_del(&slab->slab_list);
			add_partial(n, slab, false);
		}
		spin_unlock(&n->list_lock);
	}
	return got;
}

unsigned int refill_objects(struct kmem_cache *s, void **p, gfp_t gfp,
			    unsigned int min, unsigned int max)
{
	int local = numa_node_id();
	unsigned int got, remote;
	int k;

	got = refill_from_node(s, get_node(s, local), p, min, max, false);
#ifdef CONFIG_SLUB_REFILL_ALL_NODES
	for (unsigned int i = 0; got < min && i < nr_node_ids; i++) {
		struct kmem_cache_node *n = get_node(s, i);

		if ((int)i == local || READ_ONCE(n->nr_partial) <= s->min_partial)
			continue;
		remote = refill_from_node(s, n, p + got, min - got, max - got,
					  IS_ENABLED(CONFIG_SLUB_REFILL_TRYLOCK));
		if (remote)
			slab_stat_add(s, REFILL_REMOTE, remote);
		got += remote;
	}
#else
	(void)remote;
#endif
	while (got < min) {
		k = alloc_from_new_slab(s, gfp, local, p + got, max - got, true);
		if (!k)
			break;
		got += k;
	}
	return got;
}

/* discard every empty slab on the node partial lists */
void slab_shrink_nodes(struct kmem_cache *s)
{
	unsigned int i;

	for (i = 0; i < nr_node_ids; i++) {
		struct kmem_cache_node *n = get_node(s, i);
		struct list_head discard;
		struct slab *slab, *t;

		INIT_LIST_HEAD(&discard);
		spin_lock(&n->list_lock);
		list_for_each_entry_safe(slab, t, &n->partial, slab_list) {
			if (ctr(READ_ONCE(slab->counters)).inuse)
				continue;
			remove_partial(n, slab);
			list_add(&slab->slab_list, &discard);
		}
		spin_unlock(&n->list_lock);
		list_for_each_entry_safe(slab, t, &discard, slab_list)
			discard_slab(s, slab);
	}
}
