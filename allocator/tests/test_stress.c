// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_stress.c - threads allocate, hand objects to other threads, which
 * check and free them; a shrinker flushes every CPU's caches meanwhile.
 *
 * Every allocated object gets a header {LIVE, owner, serial} and a canary
 * pattern derived from it over the rest of the object; a free checks the
 * canary and writes DEAD first.  An allocation that finds LIVE in a fresh
 * object means it was handed out twice.  At the end: allocations - frees
 * equals what the threads still hold (slab_live_objects()), and after
 * freeing everything, shrinking and destroying, every page is back.
 * More threads than CPUs, so per-CPU locks get held by preempted threads.
 */
#include <sched.h>
#include <stdint.h>
#include <unistd.h>
#include "testutil.h"
#include "slab_internal.h"

#define NTHREADS	4
#define INBOX		2048
#define HOLD		64
#define LIVE		0x4c495645aa55aa55ull
#define DEAD		0x44454144dead0000ull

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OPS		30000
#else
#define OPS		1000000
#endif

struct hdr {
	uint64_t magic;
	uint32_t owner;
	uint32_t serial;
};

struct obj_ref {
	void *p;
	struct kmem_cache *s;	/* NULL: kmalloc */
	unsigned int size;
};

struct inbox {
	pthread_mutex_t lock;
	unsigned int n;
	struct obj_ref refs[INBOX];
};

static struct inbox inboxes[NTHREADS];
static struct kmem_cache *caches[3];
static const unsigned int cache_sizes[3] = { 64, 200, 40 };
static long allocs[NTHREADS], frees[NTHREADS];
static int stop_shrinker;
static int twice_errors, canary_errors;

static unsigned long rnd(unsigned long *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static unsigned char canary_byte(const struct hdr *h, unsigned int i)
{
	return (unsigned char)(h->owner * 31 + h->serial * 7 + i);
}

static void stamp(struct obj_ref *r, int tid, uint32_t serial)
{
	struct hdr *h = r->p;
	unsigned char *b = r->p;
	unsigned int i;

	if (h->magic == LIVE)
		__atomic_fetch_add(&twice_errors, 1, __ATOMIC_RELAXED);
	h->magic = LIVE;
	h->owner = tid;
	h->serial = serial;
	for (i = sizeof(*h); i < r->size; i++)
		b[i] = canary_byte(h, i);
}

static void check_and_free(struct obj_ref *r, int tid)
{
	struct hdr *h = r->p;
	unsigned char *b = r->p;
	unsigned int i;

	if (h->magic != LIVE)
		__atomic_fetch_add(&canary_errors, 1, __ATOMIC_RELAXED);
	for (i = sizeof(*h); i < r->size; i++)
		if (b[i] != canary_byte(h, i)) {
			__atomic_fetch_add(&canary_errors, 1,
					   __ATOMIC_RELAXED);
			break;
		}
	h->magic = DEAD;
	if (r->s)
		kmem_cache_free(r->s, r->p);
	else
		kfree(r->p);
	frees[tid]++;
}

static bool alloc_one(struct obj_ref *r, unsigned long *rs, int tid,
		      uint32_t serial)
{
	unsigned int k = rnd(rs) % 4;

	if (k < 3) {
		r->s = caches[k];
		r->size = cache_sizes[k];
		if (nr_node_ids > 1 && rnd(rs) % 8 == 0)
			r->p = kmem_cache_alloc_node(r->s, GFP_KERNEL,
						     rnd(rs) % nr_node_ids);
		else
			r->p = kmem_cache_alloc(r->s, GFP_KERNEL);
	} else {
		r->s = NULL;
		r->size = 32 + rnd(rs) % 1000;
		r->p = kmalloc(r->size, GFP_KERNEL);
	}
	if (!r->p)
		return false;
	allocs[tid]++;
	stamp(r, tid, serial);
	return true;
}

static void drain_inbox(int tid)
{
	struct inbox *in = &inboxes[tid];
	static __thread struct obj_ref local[INBOX];
	unsigned int n, i;

	pthread_mutex_lock(&in->lock);
	n = in->n;
	memcpy(local, in->refs, n * sizeof(local[0]));
	in->n = 0;
	pthread_mutex_unlock(&in->lock);
	for (i = 0; i < n; i++)
		check_and_free(&local[i], tid);
}

static void give(struct obj_ref *r, int to, int tid)
{
	struct inbox *in = &inboxes[to];

	pthread_mutex_lock(&in->lock);
	if (in->n < INBOX) {
		in->refs[in->n++] = *r;
		r = NULL;
	}
	pthread_mutex_unlock(&in->lock);
	if (r)
		check_and_free(r, tid);
}

static struct obj_ref held[NTHREADS][HOLD];

static void *worker(void *arg)
{
	int tid = (int)(long)arg, i;
	unsigned long rs = 0x9e3779b97f4a7c15ull * (tid + 1);
	struct obj_ref r, batch[16];
	void *bp[16];

	for (i = 0; i < OPS; i++) {
		if (i % 512 == 0) {
			/* bulk round trip on the sheaf cache */
			int j;

			CHECK_EQ(kmem_cache_alloc_bulk(caches[0], GFP_KERNEL,
						       16, bp), 16);
			for (j = 0; j < 16; j++) {
				batch[j] = (struct obj_ref){ bp[j], caches[0],
							     64 };
				stamp(&batch[j], tid, i);
			}
			allocs[tid] += 16;
			for (j = 0; j < 16; j++) {
				struct hdr *h = bp[j];

				CHECK(h->magic == LIVE);
				h->magic = DEAD;
			}
			kmem_cache_free_bulk(caches[0], 16, bp);
			frees[tid] += 16;
		}
		if (!alloc_one(&r, &rs, tid, i))
			continue;
		switch (rnd(&rs) % 4) {
		case 0:
			check_and_free(&r, tid);
			break;
		default:
			give(&r, (tid + 1 + rnd(&rs) % (NTHREADS - 1)) %
				 NTHREADS, tid);
		}
		if (i % 64 == 0)
			drain_inbox(tid);
	}
	for (i = 0; i < HOLD; i++)
		while (!alloc_one(&held[tid][i], &rs, tid, i))
			;
	return NULL;
}

/*
 * Flushes every CPU's caches of one cache after another, meanwhile, and
 * reads the counters, which locks each CPU's sheaves to fold the counts
 * the lockless fast path keeps in them: both race with the workers' fast
 * paths, whose canaries and the final accounting check catch a lost or
 * doubled object.  (A racy read itself is only approximate: CPUs are
 * summed one after another.)
 */
static void *shrinker(void *arg)
{
	unsigned long long v[NR_SLAB_STAT_ITEMS];
	unsigned int round = 0;
	struct kmem_cache *s;

	(void)arg;
	while (!__atomic_load_n(&stop_shrinker, __ATOMIC_ACQUIRE)) {
		s = caches[round++ % 3];
		kmem_cache_shrink(s);
		kmem_cache_stats(s, v);
		usleep(1000);
	}
	return NULL;
}

static void shrink_kmalloc(void)
{
	unsigned int sz;

	for (sz = 8; sz <= SLAB_MAX_OBJECT_SIZE; sz *= 2)
		kmem_cache_shrink(kmalloc_cache_for(sz));
	kmem_cache_shrink(kmalloc_cache_for(96));
	kmem_cache_shrink(kmalloc_cache_for(192));
}

int main(void)
{
	struct kmem_cache_args sheaf_args = { .sheaf_capacity = 32 };
	struct page_alloc_info before, after;
	pthread_t th[NTHREADS], sh;
	long live0, a = 0, f = 0;
	int i, j;

	tu_capture();
	shrink_kmalloc();
	page_alloc_info(&before);
	live0 = slab_live_objects();
	caches[0] = kmem_cache_create("stress-sheaf", 64, &sheaf_args, 0);
	caches[1] = kmem_cache_create("stress-plain", 200, NULL, 0);
	caches[2] = kmem_cache_create("stress-hw", 40, NULL,
				      SLAB_HWCACHE_ALIGN);
	for (i = 0; i < 3; i++)
		CHECK(caches[i]);
	for (i = 0; i < NTHREADS; i++)
		pthread_mutex_init(&inboxes[i].lock, NULL);
	pthread_create(&sh, NULL, shrinker, NULL);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)i);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&stop_shrinker, 1, __ATOMIC_RELEASE);
	pthread_join(sh, NULL);
	for (i = 0; i < NTHREADS; i++)
		drain_inbox(i);

	CHECK_EQ(twice_errors, 0);
	CHECK_EQ(canary_errors, 0);
	for (i = 0; i < NTHREADS; i++) {
		a += allocs[i];
		f += frees[i];
	}
	CHECK_EQ(a - f, (long)NTHREADS * HOLD);
	CHECK_EQ(slab_live_objects() - live0, a - f);
	for (i = 0; i < NTHREADS; i++)
		for (j = 0; j < HOLD; j++)
			check_and_free(&held[i][j], i);
	CHECK_EQ(canary_errors, 0);
	CHECK_EQ(slab_live_objects(), live0);
	for (i = 0; i < 3; i++) {
		static const enum slab_stat_item shown[] = {
			ALLOC_FASTPATH, ALLOC_PCS, FREE_FROZEN,
			CPU_PARTIAL_FREE, BARN_GET, BARN_PUT, BARN_PUT_FAIL,
			PCS_TRYLOCK_FAIL, CMPXCHG_DOUBLE_CPU_FAIL,
			CMPXCHG_DOUBLE_FAIL, CPUSLAB_FLUSH,
		};
		unsigned int k;

		CHECK_EQ(slab_cache_active(caches[i]), 0);
		printf("  %s:", kmem_cache_name(caches[i]));
		for (k = 0; k < sizeof(shown) / sizeof(shown[0]); k++)
			printf(" %s=%llu", slab_stat_name(shown[k]),
			       tu_stat(caches[i], shown[k]));
		printf("\n");
		if (caches[i]->cpu_sheaves)
			CHECK(tu_stat(caches[i], BARN_PUT) > 0);
		kmem_cache_destroy(caches[i]);
	}
	CHECK_NO_REPORT();
	shrink_kmalloc();
	page_alloc_info(&after);
	CHECK_EQ(after.slab_pages, before.slab_pages);
	printf("test_stress: ok (%s, %s, %u nodes, %ld allocations)\n",
	       slab_variant(), slab_use_rseq ? "rseq" : "atomic",
	       nr_node_ids, a);
	return 0;
}
