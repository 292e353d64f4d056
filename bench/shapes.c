// SPDX-License-Identifier: GPL-2.0-only
/*
 * shapes.c - the kernel's two fast-path shapes written out plainly, as the
 * yardstick for the model's proportions: what a sheaf alloc+free pair and
 * a cpu-slab pair cost on this machine when each does what the kernel's
 * does and nothing more.  Single thread, pinned: the kernel runs these
 * steps with preemption off, so there is nothing to defend against and no
 * restartable sequence; per-CPU data is reached through a thread-local
 * offset, one %fs-relative load as the kernel's %gs-relative this_cpu_off.
 *
 * The sheaf pair (6.18's alloc_from_pcs()/free_to_pcs(), 7.0's fast path):
 *   alloc: local_trylock() - preempt count +1, test the lock word, store
 *          1 - main, its size, the pop, the size stored, local_unlock() -
 *          store 0, preempt count -1 and its resched test;
 *   free:  kmem_cache_free()'s virt_to_slab() (the page descriptor of the
 *          address, its compound head, the slab page type), the node and
 *          pfmemalloc checks of slab_free(), then the same lock around a
 *          push.
 * The cpu-slab pair (6.17's slab_alloc_node()/do_slab_free()):
 *   alloc: tid, freelist and slab of this CPU's kmem_cache_cpu, the next
 *          free pointer, an unlocked cmpxchg16b of (freelist, tid) - the
 *          kernel's this_cpu_try_cmpxchg128 - and the prefetch;
 *   free:  virt_to_slab(), the cpu slab check, the free pointer written,
 *          the same cmpxchg16b.
 * No SLUB_STATS, no hardening, no debug hooks (static keys off).  Nothing
 * here is the kernel's code; it follows what mm/slub.c does, step by step.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "shapes.h"

#define SHAPE_PAGE_SHIFT	12
#define SHAPE_PAGES		16
#define SHAPE_OBJ		64
#define SHAPE_CAPACITY		32
#define SHAPE_PAGE_SLAB		0xf5u	/* page_type of a slab page */
#define SHAPE_TID_STEP		2ul	/* roundup_pow_of_two(CPUs) */

struct shape_page {		/* struct page / struct slab, 64 bytes */
	unsigned long flags;	/* node in the top bits, pfmemalloc bit */
	unsigned long compound_head;	/* bit 0: a tail page */
	unsigned int page_type;
	unsigned int __pad;
	unsigned long __rest[5];
};

struct shape_sheaf {
	unsigned int size;
	void *objects[SHAPE_CAPACITY];
};

struct shape_pcs {		/* struct slub_percpu_sheaves */
	unsigned int acquired;	/* local_trylock_t */
	struct shape_sheaf *main;
	struct shape_sheaf *spare;
} __attribute__((aligned(64)));

struct shape_cpu {		/* struct kmem_cache_cpu */
	union {
		struct {
			void *freelist;
			unsigned long tid;
		};
		unsigned __int128 freelist_tid;
	} __attribute__((aligned(16)));
	struct shape_page *slab;
} __attribute__((aligned(64)));

struct shape_cache {
	struct shape_pcs *cpu_sheaves;
	struct shape_cpu *cpu_slab;
	unsigned int offset;		/* free pointer offset */
	unsigned int sheaf_capacity;
};

static char shape_arena[SHAPE_PAGES << SHAPE_PAGE_SHIFT]
	__attribute__((aligned(1 << SHAPE_PAGE_SHIFT)));
static struct shape_page shape_pages[SHAPE_PAGES];
/* what the kernel reaches through page_offset_base and vmemmap_base */
static char *volatile shape_page_offset = shape_arena;
static struct shape_page *volatile shape_vmemmap = shape_pages;

static struct shape_pcs shape_pcs0;
static struct shape_cpu shape_cpu0;
static struct shape_sheaf shape_main;
static struct shape_cache shape_cache_0 = {
	.cpu_sheaves = &shape_pcs0, .cpu_slab = &shape_cpu0,
	.offset = SHAPE_OBJ / 2, .sheaf_capacity = SHAPE_CAPACITY,
};
/* the cache the loops pass, a run-time value as a kmem_cache pointer is */
struct shape_cache *shape_cache = &shape_cache_0;

/*
 * This CPU's per-CPU offset, its node and the preempt count, which the
 * kernel keeps at %gs: (extern, so that the compiler cannot fold them).
 */
__thread unsigned long shape_this_cpu_off
	__attribute__((tls_model("local-exec")));
__thread int shape_numa_mem __attribute__((tls_model("local-exec")));
#define PREEMPT_NEED_RESCHED	0x80000000u	/* inverted, as on x86 */
__thread unsigned int shape_preempt_count
	__attribute__((tls_model("local-exec"))) = PREEMPT_NEED_RESCHED;

#define this_cpu_ptr(p)	((__typeof__(p))((char *)(p) + shape_this_cpu_off))
#define barrier()	__asm__ __volatile__("" ::: "memory")

static __attribute__((noinline)) void shape_resched(void)
{
	bench_die("shapes: nothing may preempt the shapes");
}

static inline void preempt_disable(void)
{
	shape_preempt_count++;
	barrier();
}

static inline void preempt_enable(void)
{
	barrier();
	if (__builtin_expect(!--shape_preempt_count, 0))
		shape_resched();
}

static inline struct shape_pcs *local_trylock(struct shape_cache *s)
{
	struct shape_pcs *pcs;

	preempt_disable();
	pcs = this_cpu_ptr(s->cpu_sheaves);
	if (__atomic_load_n(&pcs->acquired, __ATOMIC_RELAXED)) {
		preempt_enable();
		return NULL;
	}
	__atomic_store_n(&pcs->acquired, 1, __ATOMIC_RELAXED);
	return pcs;
}

static inline void local_unlock(struct shape_pcs *pcs)
{
	__atomic_store_n(&pcs->acquired, 0, __ATOMIC_RELAXED);
	preempt_enable();
}

static inline struct shape_page *virt_to_slab(const void *x)
{
	struct shape_page *page = shape_vmemmap +
		(((uintptr_t)x - (uintptr_t)shape_page_offset) >>
		 SHAPE_PAGE_SHIFT);
	unsigned long head = __atomic_load_n(&page->compound_head,
					     __ATOMIC_RELAXED);

	if (__builtin_expect(head & 1, 0))
		page = (struct shape_page *)(head - 1);
	if (page->page_type != SHAPE_PAGE_SLAB)
		return NULL;
	return page;
}

static __attribute__((noinline, noreturn)) void shape_miss(void)
{
	bench_die("shapes: a fast path missed (the set-up keeps them hot)");
}

static inline bool cmpxchg16b_local(struct shape_cpu *c, void *ofl,
				    unsigned long otid, void *nfl,
				    unsigned long ntid)
{
	bool ok;

	__asm__ __volatile__("cmpxchg16b %[m]"
			     : [m] "+m"(c->freelist_tid), "+a"(ofl),
			       "+d"(otid), "=@ccz"(ok)
			     : "b"(nfl), "c"(ntid)
			     : "memory");
	return ok;
}

#define SHAPE_FAST __attribute__((noinline, optimize("omit-frame-pointer")))

SHAPE_FAST void *shape_sheaf_alloc(struct shape_cache *s)
{
	struct shape_pcs *pcs = local_trylock(s);
	void *object;

	if (__builtin_expect(!pcs || !pcs->main->size, 0))
		shape_miss();
	object = pcs->main->objects[pcs->main->size - 1];
	pcs->main->size--;
	local_unlock(pcs);
	return object;
}

SHAPE_FAST void shape_sheaf_free(struct shape_cache *s, void *object)
{
	struct shape_page *slab = virt_to_slab(object);
	struct shape_pcs *pcs;

	if (__builtin_expect(!slab, 0))
		shape_miss();
	if (__builtin_expect((int)(slab->flags >> 56) != shape_numa_mem ||
			     (slab->flags & 1), 0))
		shape_miss();
	pcs = local_trylock(s);
	if (__builtin_expect(!pcs ||
			     pcs->main->size == s->sheaf_capacity, 0))
		shape_miss();
	pcs->main->objects[pcs->main->size++] = object;
	local_unlock(pcs);
}

SHAPE_FAST void *shape_cpu_slab_alloc(struct shape_cache *s)
{
	struct shape_cpu *c;
	struct shape_page *slab;
	unsigned long tid;
	void *object, *next;

	do {
		c = this_cpu_ptr(s->cpu_slab);
		tid = __atomic_load_n(&c->tid, __ATOMIC_RELAXED);
		barrier();
		object = c->freelist;
		slab = c->slab;
		if (__builtin_expect(!object || !slab, 0))
			shape_miss();
		next = *(void *volatile *)((char *)object + s->offset);
	} while (!cmpxchg16b_local(c, object, tid, next,
				   tid + SHAPE_TID_STEP));
	__builtin_prefetch((char *)next + s->offset);
	return object;
}

SHAPE_FAST void shape_cpu_slab_free(struct shape_cache *s, void *object)
{
	struct shape_page *slab = virt_to_slab(object);
	struct shape_cpu *c;
	unsigned long tid;
	void *fl;

	if (__builtin_expect(!slab, 0))
		shape_miss();
	do {
		c = this_cpu_ptr(s->cpu_slab);
		tid = __atomic_load_n(&c->tid, __ATOMIC_RELAXED);
		barrier();
		if (__builtin_expect(slab != c->slab, 0))
			shape_miss();
		fl = c->freelist;
		*(void **)((char *)object + s->offset) = fl;
	} while (!cmpxchg16b_local(c, fl, tid, object,
				   tid + SHAPE_TID_STEP));
}

/*
 * Page 0 is the cpu slab (its objects on the cpu freelist), page 1 fills
 * the main sheaf (capacity 32, as the model's bench cache): every pair
 * then hits, at batch 1 and at the batch of 32 that pair.c runs (32 pops,
 * then 32 pushes back).
 */
void shape_setup(void)
{
	unsigned int per_page = (1u << SHAPE_PAGE_SHIFT) / SHAPE_OBJ, i;
	char *slab0 = shape_arena, *slab1 = shape_arena + (1 << SHAPE_PAGE_SHIFT);

	for (i = 0; i < SHAPE_PAGES; i++) {
		shape_pages[i].page_type = SHAPE_PAGE_SLAB;
		shape_pages[i].compound_head = 0;
		shape_pages[i].flags = 0;	/* node 0, not pfmemalloc */
	}
	shape_cpu0.slab = &shape_pages[0];
	shape_cpu0.freelist = NULL;
	for (i = per_page; i-- > 0;) {
		void *o = slab0 + i * SHAPE_OBJ;

		*(void **)((char *)o + shape_cache_0.offset) =
			shape_cpu0.freelist;
		shape_cpu0.freelist = o;
	}
	shape_pcs0.main = &shape_main;
	for (i = 0; i < SHAPE_CAPACITY; i++)
		shape_main.objects[shape_main.size++] = slab1 + i * SHAPE_OBJ;
}
