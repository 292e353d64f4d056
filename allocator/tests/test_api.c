// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_api.c - single-thread semantics of every public allocator function
 * and the bad-input cases.  Runs on every variant, with rseq and with the
 * atomic fallback, and with SLABSCALE_DEBUG=FPZ (every cache a debug
 * cache: no sheaves, no cpu slab).
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include "testutil.h"
#include "pcs.h"

static bool debug_all;

static bool expect_sheaves(void)
{
	return (slab_features() & SLAB_FEAT_SHEAVES) && !debug_all;
}

static void test_variant(void)
{
	unsigned int f = slab_features();

	CHECK(slab_variant() && *slab_variant());
#ifdef CONFIG_SLUB_CPU_SLAB
	CHECK(f & SLAB_FEAT_CPU_SLAB);
#else
	CHECK(!(f & SLAB_FEAT_CPU_SLAB));
#endif
#ifdef CONFIG_SLUB_SHEAVES
	CHECK(f & SLAB_FEAT_SHEAVES);
#endif
	/*
	 * The per-CPU mode is what the environment asked for: rseq unless
	 * SLABSCALE_NO_RSEQ=1 or glibc could not register rseq (valgrind).
	 */
	if (getenv("SLABSCALE_NO_RSEQ") && !strcmp(getenv("SLABSCALE_NO_RSEQ"),
						   "1"))
		CHECK(!slab_use_rseq);
	else if (__rseq_size == 0 || (int)rseq_area()->cpu_id < 0)
		CHECK(!slab_use_rseq);
#if defined(__x86_64__) && !defined(SLAB_NO_RSEQ_ASM)
	else
		CHECK(slab_use_rseq);
#endif
}

static int ctor_calls;
static void ctor64(void *p)
{
	memset(p, 0x5c, 64);
	ctor_calls++;
}

static void test_basic(void)
{
	struct kmem_cache *s = kmem_cache_create("t-basic", 64, NULL, 0);
	struct slab_cache_info info;
	void *p[1000];
	int i, j;

	CHECK(s);
	CHECK(!strcmp(kmem_cache_name(s), "t-basic"));
	CHECK_EQ(kmem_cache_size(s), 64);
	for (i = 0; i < 1000; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(p[i]);
		CHECK(((uintptr_t)p[i] & 7) == 0);
		memset(p[i], i, 64);
		CHECK_EQ(ksize(p[i]), 64);
	}
	for (i = 0; i < 1000; i++)
		for (j = 0; j < 64; j++)
			CHECK_EQ(((unsigned char *)p[i])[j], (unsigned char)i);
	kmem_cache_info(s, &info);
	CHECK_EQ(info.active_objs, 1000);
	CHECK(info.objects >= 1000);
	CHECK(info.slabs >= 1000 / info.objs_per_slab);
	CHECK_EQ(info.object_size, 64);
	for (i = 0; i < 1000; i += 2)
		kmem_cache_free(s, p[i]);
	kmem_cache_info(s, &info);
	CHECK_EQ(info.active_objs, 500);
	for (i = 1; i < 1000; i += 2)
		kmem_cache_free(s, p[i]);
	kmem_cache_free(s, NULL);		/* no-op */
	kmem_cache_info(s, &info);
	CHECK_EQ(info.active_objs, 0);
	CHECK_EQ(kmem_cache_shrink(s), 0);
	kmem_cache_info(s, &info);
	CHECK_EQ(info.slabs, 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

static void test_ctor_align_zero(void)
{
	struct kmem_cache_args args = { .ctor = ctor64 };
	struct kmem_cache *s;
	unsigned char *o;
	void *p[64];
	int i;

	s = kmem_cache_create("t-ctor", 64, &args, 0);
	CHECK(s);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(ctor_calls > 0);
	for (i = 0; i < 64; i++)
		CHECK_EQ(o[i], 0x5c);
	kmem_cache_free(s, o);
	kmem_cache_destroy(s);

	args = (struct kmem_cache_args){ .align = 256 };
	s = kmem_cache_create("t-align", 100, &args, 0);
	CHECK(s);
	for (i = 0; i < 64; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(((uintptr_t)p[i] & 255) == 0);
	}
	for (i = 0; i < 64; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);

	s = kmem_cache_create("t-hwcache", 100, NULL, SLAB_HWCACHE_ALIGN);
	CHECK(s);
	for (i = 0; i < 64; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(((uintptr_t)p[i] & 63) == 0);
		memset(p[i], 0xff, 100);
	}
	for (i = 0; i < 64; i++)
		kmem_cache_free(s, p[i]);
	for (i = 0; i < 64; i++) {
		unsigned char *z = kmem_cache_alloc(s, GFP_KERNEL | __GFP_ZERO);
		int j;

		for (j = 0; j < 100; j++)
			CHECK_EQ(z[j], 0);
		p[i] = z;
	}
	for (i = 0; i < 64; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

static size_t bucket_of(size_t n)
{
	static const size_t b[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512,
				    1024, 2048, 4096, 8192 };
	unsigned int i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (n <= b[i])
			return b[i];
	return 0;
}

static void test_kmalloc(void)
{
	long live0 = slab_live_objects();
	unsigned char *p, *big;
	size_t n;

	for (n = 1; n <= 8192; n += (n < 300 ? 1 : 97)) {
		p = kmalloc(n, GFP_KERNEL);
		CHECK(p);
		CHECK_EQ(ksize(p), bucket_of(n));
		memset(p, 0xaa, n);
		kfree(p);
	}
	CHECK_EQ(ksize(kmalloc_cache_for(96) ? p = kmalloc(90, GFP_KERNEL) :
		 NULL), 96);
	kfree(p);
	p = kmalloc(150, GFP_KERNEL);
	CHECK_EQ(ksize(p), 192);
	CHECK_EQ(slab_live_objects(), live0 + 1);
	kvfree(p);
	p = kzalloc(200, GFP_KERNEL);
	for (n = 0; n < 200; n++)
		CHECK_EQ(p[n], 0);
	kfree(p);
	/* zero size: a unique non-NULL token, freeing it is a no-op */
	p = kmalloc(0, GFP_KERNEL);
	CHECK(p);
	CHECK_EQ(ksize(p), 0);
	kfree(p);
	kfree(NULL);
	/* large: straight from the page allocator */
	big = kmalloc(100000, GFP_KERNEL);
	CHECK(big);
	CHECK_EQ(ksize(big), 131072);
	memset(big, 1, 100000);
	CHECK_EQ(slab_live_objects(), live0 + 1);
	kfree(big);
	big = kzalloc(9000, GFP_KERNEL);
	CHECK(big && big[8999] == 0);
	kfree(big);
	CHECK_EQ(slab_live_objects(), live0);
	/* node variants */
	p = kmalloc_node(64, GFP_KERNEL, 0);
	CHECK(p);
	kfree(p);
	CHECK_NO_REPORT();
	/* too big */
	CHECK(!kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL));
	CHECK_REPORT("largest allocation");
	CHECK(!kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN));
	CHECK_NO_REPORT();
}

static void test_bulk(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 16 };
	struct kmem_cache *s = kmem_cache_create("t-bulk", 48, &args, 0);
	void *p[300];
	int i, j;

	CHECK(s);
	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, 300, p), 300);
	for (i = 0; i < 300; i++) {
		memset(p[i], i, 48);
		for (j = 0; j < i; j += 37)
			CHECK(p[i] != p[j]);
	}
	CHECK_EQ(slab_cache_active(s), 300);
	kmem_cache_free_bulk(s, 300, p);
	CHECK_EQ(slab_cache_active(s), 0);
	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL | __GFP_ZERO, 10, p), 10);
	for (i = 0; i < 10; i++)
		for (j = 0; j < 48; j++)
			CHECK_EQ(((unsigned char *)p[i])[j], 0);
	kmem_cache_free_bulk(s, 10, p);
	CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, 0, p), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

static void test_sheaves(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s = kmem_cache_create("t-sheaves", 64, &args, 0);
	static void *p[64 * 20];
	int i, n;

	CHECK(s);
	if (!expect_sheaves()) {
		CHECK_EQ(kmem_cache_sheaf_capacity(s), 0);
		kmem_cache_destroy(s);
		return;
	}
	/* 7.0: the default for the size when larger than the request */
	CHECK_EQ(kmem_cache_sheaf_capacity(s),
		 slab_features() & SLAB_FEAT_SHEAVES_MOST ? 60 : 32);
	n = kmem_cache_sheaf_capacity(s) * 20;
	p[0] = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, p[0]);
	CHECK(tu_stat(s, ALLOC_PCS) + tu_stat(s, ALLOC_FASTPATH) >= 1);
	CHECK(tu_stat(s, SHEAF_REFILL) >= 1);
	/* many frees: full sheaves to the barn, then E2BIG and flushes */
	for (i = 0; i < n; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	CHECK(tu_stat(s, BARN_PUT) >= 1);
	CHECK(tu_stat(s, BARN_PUT_FAIL) >= 1);
	CHECK(tu_stat(s, SHEAF_FLUSH) >= 1);
	/* and allocations take full sheaves back from the barn */
	for (i = 0; i < n; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(tu_stat(s, BARN_GET) >= 1);
	for (i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	CHECK_EQ(slab_cache_active(s), 0);

	/* no empty sheaf to be had: main is flushed in batches */
	kmem_cache_shrink(s);
	__atomic_store_n(&sheaf_alloc_fail, true, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	__atomic_store_n(&sheaf_alloc_fail, false, __ATOMIC_RELAXED);
	CHECK_EQ(slab_cache_active(s), 0);

	/* GFP_NOWAIT with nothing cached falls back to the slabs */
	kmem_cache_shrink(s);
	p[0] = kmem_cache_alloc(s, GFP_NOWAIT);
	CHECK(p[0]);
	kmem_cache_free(s, p[0]);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* allocations and frees counted by every path, the hit paths included */
static unsigned long long tu_allocs(struct kmem_cache *s)
{
	return tu_stat(s, ALLOC_PCS) + tu_stat(s, ALLOC_FASTPATH) +
	       tu_stat(s, ALLOC_SLOWPATH) + tu_stat(s, ALLOC_FROM_SHEAF);
}

static unsigned long long tu_frees(struct kmem_cache *s)
{
	return tu_stat(s, FREE_PCS) + tu_stat(s, FREE_FASTPATH) +
	       tu_stat(s, FREE_SLOWPATH);
}

/*
 * The hit paths count in the words their commits store: the sheaf paths
 * in main's size word (pcs.h), the cpu slab's in tid (cpu_slab.h).  Every
 * read solves for them, exactly, whatever mix of hits, refills,
 * deactivations and reads came before.
 */
static void fast_path_stats(unsigned int capacity)
{
	struct kmem_cache_args args = { .sheaf_capacity = capacity };
	struct kmem_cache *s = kmem_cache_create("t-fast", 64, &args, 0);
	static void *p[200];
	unsigned long long allocs = 0, frees = 0;
	int round, i, n;

	CHECK(s);
	/* which hit path serves it */
	if (capacity && expect_sheaves())
		CHECK(s->cpu_sheaves);
	else if (!debug_all && !(slab_features() & SLAB_FEAT_SHEAVES_MOST))
		CHECK(!s->cpu_sheaves && s->cpu_slab);
	for (round = 0; round < 40; round++) {
		n = 1 + (round * 37) % 200;
		for (i = 0; i < n; i++)
			CHECK((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
		allocs += n;
		CHECK_EQ(tu_allocs(s), allocs);
		CHECK_EQ(slab_cache_active(s), n);
		for (i = n - 1; i >= n / 3; i--)
			kmem_cache_free(s, p[i]);
		frees += n - n / 3;
		CHECK_EQ(tu_frees(s), frees);
		for (i = 0; i < n / 3; i++)
			kmem_cache_free(s, p[i]);
		frees += n / 3;
		CHECK_EQ(tu_frees(s), frees);
		CHECK_EQ(slab_cache_active(s), 0);
	}
	/* a pair that never leaves main (or the cpu freelist) is counted */
	for (i = 0; i < 1000; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	CHECK_EQ(tu_allocs(s), allocs + 1000);
	CHECK_EQ(tu_frees(s), frees + 1000);
	/* and every hit is a hit: on a warm cache, no slow path at all */
	if (!debug_all &&
	    !(s->cpu_sheaves && (slab_features() & SLAB_FEAT_CPU_SLAB))) {
		unsigned long long fast = tu_stat(s, ALLOC_FASTPATH);

		for (i = 0; i < 1000; i++)
			kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
		CHECK_EQ(tu_stat(s, ALLOC_FASTPATH), fast + 1000);
	}
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

static void test_fast_path_stats(void)
{
	fast_path_stats(16);	/* sheaves where the variant has them */
	fast_path_stats(0);	/* the cpu slab (sheaves from sheaves-most on) */
}

static void test_trylock_fail(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 8 };
	struct kmem_cache *s = kmem_cache_create("t-trylock", 32, &args, 0);
	struct slub_percpu_sheaves *pcs[4096];
	unsigned long long before;
	unsigned int cpu;
	void *o;

	CHECK(s);
	if (!s->cpu_sheaves) {
		kmem_cache_destroy(s);
		return;
	}
	before = tu_stat(s, PCS_TRYLOCK_FAIL);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		pcs[cpu] = pcs_lock_cpu(s, cpu);
	o = kmem_cache_alloc(s, GFP_KERNEL);	/* from the slab layer */
	CHECK(o);
	kmem_cache_free(s, o);
	CHECK(tu_stat(s, PCS_TRYLOCK_FAIL) >= before + 2);
#ifdef CONFIG_SLUB_NOLOCK_SHEAVES
	/* the nolock paths share the sheaf paths, and count alike */
	before = tu_stat(s, PCS_TRYLOCK_FAIL);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o);
	kfree_nolock(o);	/* to the cpu freelist, or deferred */
	CHECK(tu_stat(s, PCS_TRYLOCK_FAIL) >= before + 2);
#endif
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		pcs_unlock_cpu(pcs[cpu]);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, o);
	(void)slab_live_objects();	/* drains a deferred nolock free */
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

static void test_prefill(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s = kmem_cache_create("t-prefill", 128, &args, 0);
	struct slab_sheaf *sheaf, *big;
	void *o[40];
	int i;

	CHECK(s);
	CHECK(!kmem_cache_prefill_sheaf(s, GFP_KERNEL, 0));
	/* more than a sheaf's 16-bit size can count: refused, nothing lost */
	CHECK(!kmem_cache_prefill_sheaf(s, GFP_KERNEL, 70000));
	CHECK_REPORT("more than a sheaf holds");
	CHECK_EQ(slab_cache_active(s), 0);
	sheaf = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 10);
	CHECK(sheaf);
	CHECK(kmem_cache_sheaf_size(sheaf) >= 10);
	for (i = 0; i < 10; i++) {
		o[i] = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sheaf);
		CHECK(o[i]);
		memset(o[i], 1, 128);
	}
	CHECK_EQ(slab_cache_active(s), 10);
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, NULL, 5), -EINVAL);
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sheaf, 20), 0);
	CHECK(kmem_cache_sheaf_size(sheaf) >= 20);
	/* larger than the capacity: a new, oversize sheaf */
	big = sheaf;
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &big, 40), 0);
	CHECK(kmem_cache_sheaf_size(big) >= 40);
	for (i = 10; i < 40; i++)
		o[i] = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, big);
	kmem_cache_return_sheaf(s, GFP_KERNEL, big);
	sheaf = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 100);
	CHECK(sheaf && kmem_cache_sheaf_size(sheaf) == 100);
	while (kmem_cache_sheaf_size(sheaf))
		CHECK(kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sheaf));
	CHECK(!kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sheaf));
	CHECK_EQ(slab_cache_active(s), 140);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sheaf);
	if (expect_sheaves())
		CHECK(tu_stat(s, SHEAF_PREFILL_OVERSIZE) >= 1);
	kmem_cache_destroy(s);
	CHECK_REPORT("still has objects (140)");
}

static void test_nolock(void)
{
	long live0 = slab_live_objects();
	void *p[100];
	int i;

	for (i = 0; i < 100; i++) {
		p[i] = kmalloc_nolock(64, __GFP_ZERO, NUMA_NO_NODE);
		if (!debug_all) {
			CHECK(p[i]);
			CHECK_EQ(((unsigned char *)p[i])[63], 0);
		}
	}
	for (i = 0; i < 100; i++)
		kfree_nolock(p[i]);
	CHECK_EQ(slab_live_objects(), live0);
	CHECK(!kmalloc_nolock(64, GFP_KERNEL, NUMA_NO_NODE));
	CHECK_REPORT("only __GFP_ZERO");
}

static void test_stats_dump(void)
{
	struct kmem_cache *s = kmem_cache_create("t-\"json\"", 32, NULL, 0);
	static char buf[1 << 20];
	char small[16];
	FILE *f;
	int n;

	CHECK(s);
	kfree(kmalloc(10, GFP_KERNEL));
	CHECK(!strcmp(slab_stat_name(ALLOC_FASTPATH), "alloc_fastpath"));
	CHECK(!strcmp(slab_stat_name(PCS_TRYLOCK_FAIL), "pcs_trylock_fail"));
	CHECK(!slab_stat_name(NR_SLAB_STAT_ITEMS));
	{
		/* the declared counters: every stat, then the lock fields */
		unsigned int i, nr;
		const struct slab_counter_info *ci = slab_counter_info(&nr);

		CHECK(nr == NR_SLAB_STAT_ITEMS + 4);
		for (i = 0; i < NR_SLAB_STAT_ITEMS; i++) {
			CHECK(!strcmp(ci[i].group, "stats"));
			CHECK(!strcmp(ci[i].name, slab_stat_name(i)));
			CHECK(ci[i].unit[0] && ci[i].what[0]);
		}
		CHECK(!strcmp(ci[ALLOC_SLOWPATH].better, "lower"));
		CHECK(!strcmp(ci[ALLOC_FASTPATH].better, "none"));
		CHECK(!strcmp(ci[NR_SLAB_STAT_ITEMS + 2].name, "wait_ns"));
		CHECK(!strcmp(ci[NR_SLAB_STAT_ITEMS + 2].unit, "ns"));
	}
	n = slab_stats_json(buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strstr(buf, "\"variant\":\""));
	CHECK(strstr(buf, "\"name\":\"t-\\\"json\\\"\""));
	CHECK(strstr(buf, "\"kmalloc-16\""));
	CHECK(strstr(buf, "\"alloc_slowpath\":"));
	CHECK(strstr(buf, "\"locks\":{\"list_lock\":{\"acquired\":"));
	CHECK(strstr(buf, "\"barn_lock\":{"));
	CHECK(strstr(buf, "\"cpu_lock\":{"));
	CHECK(strstr(buf, "],\"locks\":{\"zone_lock\":{\"acquired\":"));
	CHECK(buf[n - 1] == '}');
	CHECK_EQ(slab_stats_json(small, sizeof(small)), -1);
	f = tmpfile();
	CHECK(f);
	slab_dump_slabinfo(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	CHECK(strstr(buf, "kmalloc-8k"));
	CHECK(strstr(buf, "sheaf_hits"));
	CHECK(strstr(buf, "list_lock"));
	CHECK(strstr(buf, "# zone_lock: acquired "));
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* what the sheaf fast paths check themselves: NULL cache, NULL object */
static void test_bad_input_fast_path(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 8 };
	struct kmem_cache *s = kmem_cache_create("t-fast", 32, &args, 0);
	void *o, *p;

	CHECK(s);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o);
	kmem_cache_free(s, NULL);		/* a no-op */
	CHECK_NO_REPORT();
	kmem_cache_free(NULL, o);
	CHECK_REPORT("NULL cache");
	CHECK_EQ(slab_cache_active(s), 1);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p && p != o);			/* o was not freed */
	CHECK(!kmem_cache_alloc(NULL, GFP_KERNEL));
	CHECK_REPORT("NULL cache");
	kmem_cache_free(s, p);
	kmem_cache_free(s, o);
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

static void test_bad_input(void)
{
	struct kmem_cache_args args = { .align = 24 };
	struct kmem_cache *a, *b;
	int local;
	void *o;

	CHECK(!kmem_cache_create(NULL, 32, NULL, 0));
	CHECK_REPORT("NULL name");
	CHECK(!kmem_cache_create("t-zero", 0, NULL, 0));
	CHECK_REPORT("object size 0");
	CHECK(!kmem_cache_create("t-huge", SLAB_MAX_OBJECT_SIZE + 1, NULL, 0));
	CHECK_REPORT("object size 8193");
	CHECK(!kmem_cache_create("t-align", 32, &args, 0));
	CHECK_REPORT("not a power of two");
	kmem_cache_destroy(NULL);
	CHECK_NO_REPORT();
	/*
	 * duplicate names are allowed: two separate caches.  Frees to the
	 * wrong cache are checked, as in the kernel, on caches with
	 * consistency checks (a sheaf cache's fast path trusts its caller).
	 */
	a = kmem_cache_create("t-dup", 32, NULL, SLAB_CONSISTENCY_CHECKS);
	b = kmem_cache_create("t-dup", 32, NULL, SLAB_CONSISTENCY_CHECKS);
	CHECK(a && b && a != b);
	o = kmem_cache_alloc(a, GFP_KERNEL);
	kmem_cache_free(b, o);			/* wrong cache: refused */
	CHECK_REPORT("belongs to cache t-dup");
	CHECK_EQ(slab_cache_active(a), 1);
	kmem_cache_free(a, o);
	kmem_cache_free(a, &local);		/* not from a slab */
	CHECK_REPORT("was not allocated from a slab cache");
	o = kmem_cache_alloc(a, GFP_KERNEL);
	kmem_cache_free(NULL, o);		/* no cache */
	CHECK_REPORT("NULL cache");
	CHECK_EQ(slab_cache_active(a), 1);
	kmem_cache_free(a, o);
	o = kmalloc(100000, GFP_KERNEL);	/* pages, not a slab */
	kmem_cache_free(a, o);
	CHECK_REPORT("was not allocated from a slab cache");
	kmem_cache_free(NULL, o);
	CHECK_REPORT("NULL cache");
	kfree(o);
	CHECK_EQ(slab_cache_active(a), 0);
	kfree(&local);
	CHECK_REPORT("was not allocated here");
	CHECK_EQ(ksize(&local), 0);
	CHECK_REPORT("was not allocated here");
	CHECK(!kmem_cache_alloc(NULL, GFP_KERNEL));
	CHECK_REPORT("NULL cache");
	CHECK(!kmem_cache_alloc_node(a, GFP_KERNEL, 99));
	CHECK_REPORT("no node 99");
	o = kmalloc(100000, GFP_KERNEL);
	kfree((char *)o + 8);
	CHECK_REPORT("not the start");
	kfree(o);
	kfree(o);				/* large double free */
	CHECK_REPORT("already freed");
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	CHECK_NO_REPORT();
	test_bad_input_fast_path();
}

static void test_destroy_leak(void)
{
	struct kmem_cache *s = kmem_cache_create("t-leak", 200, NULL, 0);
	unsigned long leaked0 = slab_leaked_objects();
	unsigned char *o[3];
	int i;

	CHECK(s);
	for (i = 0; i < 3; i++)
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_destroy(s);
	CHECK_REPORT("t-leak: Slab cache still has objects (3)");
	CHECK_EQ(slab_leaked_objects(), leaked0 + 3);
	/* the memory under them was not freed */
	for (i = 0; i < 3; i++)
		memset(o[i], 0x77, 200);
	CHECK(virt_to_slab(o[0]) && virt_to_slab(o[0])->slab_cache == s);
}

/*
 * SLAB_TYPESAFE_BY_RCU: an empty slab discarded while a reader is inside
 * an RCU read-side section keeps its pages (and stays a slab of its
 * cache) until the grace period ends; destroy waits for that.  The free
 * pointer lives outside the object, so a freed object's bytes stay what
 * they were for such readers.
 */
static void test_typesafe_by_rcu(void)
{
	struct page_alloc_info before, after;
	struct kmem_cache *s;
	static void *p[512];
	unsigned char *o;
	int i, n = 512;

	page_alloc_info(&before);
	s = kmem_cache_create("t-typesafe", 192, NULL, SLAB_TYPESAFE_BY_RCU);
	CHECK(s);
	CHECK(s->offset >= s->object_size);	/* free pointer outside */
	for (i = 0; i < n; i++) {
		CHECK((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
		memset(p[i], 0x3c, 192);
	}
	o = p[0];
	slab_rcu_read_lock();
	for (i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_shrink(s);		/* empty slabs discarded */
	CHECK(tu_stat(s, FREE_SLAB) > 0);
	/* still a slab of s, and the freed object's bytes untouched */
	CHECK(virt_to_slab(o) && virt_to_slab(o)->slab_cache == s);
	for (i = 0; i < 192; i++)
		CHECK_EQ(o[i], 0x3c);
	slab_rcu_read_unlock();
	kmem_cache_destroy(s);
	page_alloc_info(&after);
	CHECK_EQ(after.slab_pages, before.slab_pages);
	CHECK_NO_REPORT();
}

static void test_pages(void)
{
	struct page_alloc_info before, after;
	struct kmem_cache *s;
	void *p[64], *big[40];
	int i;

	page_alloc_info(&before);
	s = kmem_cache_create("t-pages", 2048, NULL, 0);
	CHECK(s && s->order > 0);
	/* order fallback: higher orders unavailable */
	page_alloc_fail_order(1);
	for (i = 0; i < 64; i++)
		CHECK((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	page_alloc_fail_order(-1);
	CHECK(tu_stat(s, ORDER_FALLBACK) >= 1);
	for (i = 0; i < 64; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
	page_alloc_info(&after);
	CHECK_EQ(after.slab_pages, before.slab_pages);
	/* past the threshold, free max-order blocks go back to the OS */
	for (i = 0; i < 40; i++)
		CHECK((big[i] = kmalloc(4 << 20, GFP_KERNEL)));
	for (i = 0; i < 40; i++)
		kfree(big[i]);
	page_alloc_info(&after);
	CHECK(after.released_pages > 0);
	CHECK_EQ(after.slab_pages, before.slab_pages);
	CHECK_NO_REPORT();
}

int main(void)
{
	debug_all = getenv("SLABSCALE_DEBUG") && *getenv("SLABSCALE_DEBUG");
	tu_capture();
	test_variant();
	test_basic();
	test_ctor_align_zero();
	test_kmalloc();
	test_bulk();
	test_sheaves();
	test_fast_path_stats();
	test_trylock_fail();
	test_prefill();
	test_nolock();
	test_stats_dump();
	test_bad_input();
	test_destroy_leak();
	test_pages();
	test_typesafe_by_rcu();
	printf("test_api: ok (%s, %s)\n", slab_variant(),
	       slab_use_rseq ? "rseq" : "atomic");
	return 0;
}
