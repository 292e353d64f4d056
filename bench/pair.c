// SPDX-License-Identifier: GPL-2.0-only
/*
 * pair.c - ns per 64-byte alloc+free pair, batch 1 and batch 32 (LIFO).
 *
 * Built twice: without BENCH_SLAB it only knows malloc/free, and the
 * driver (bench/pair.py) runs it under LD_PRELOAD once per peer allocator;
 * with BENCH_SLAB it is linked with one variant's libslab.a and also offers
 * kmem_cache_alloc/kmem_cache_free on a 64-byte sheaf cache and
 * kmalloc(64)/kfree.  Both offer the kernel's two fast-path shapes written
 * out plainly (shapes.c), the yardstick of the model's proportions.
 *
 * Every object gets a byte written into it and its address passed through
 * an empty asm, so the compiler cannot drop or merge a pair.  Each backend
 * gets its own copy of the loops (a macro, not a function pointer), so no
 * indirect call is measured.
 *
 * Output, one line per batch size:
 *   pair alloc=<name> batch=<b> ns=<median ns/pair> min=<..> max=<..>
 *        pairs=<pairs per repetition> reps=<r> rseq=<0|1>
 * With --reps 0 nothing is timed: the loops just run --pairs pairs (the
 * callgrind mode; the driver subtracts a short run from a long one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "shapes.h"
#ifdef BENCH_SLAB
#include "slab.h"
#endif

#define OBJ_SIZE	64
#define BATCH		32
#define MAX_REPS	1000

struct pair_opts {
	const char *alloc;	/* malloc, cache, kmalloc */
	int batch;		/* 0 = both, else 1 or BATCH */
	unsigned long pairs;
	unsigned long warmup;
	int reps;
	int cpu;
	unsigned int capacity;
};

static __attribute__((noinline, noreturn)) void alloc_failed(void)
{
	bench_die("allocation failed");
}

static inline void touch(void *p, unsigned long i)
{
	if (__builtin_expect(!p, 0))
		alloc_failed();
	*(volatile unsigned char *)p = (unsigned char)i;
	bench_use(p);
}

/*
 * DEFINE_LOOPS(name, alloc-expr, free-stmt(p)) defines run_<name>_1() and
 * run_<name>_32(); both return nothing and run n pairs.
 */
#define DEFINE_LOOPS(name, ALLOC, FREE)					\
static __attribute__((noinline)) void run_##name##_1(unsigned long n)	\
{									\
	unsigned long i;						\
									\
	for (i = 0; i < n; i++) {					\
		void *p = ALLOC;					\
									\
		touch(p, i);						\
		FREE(p);						\
	}								\
}									\
									\
static __attribute__((noinline)) void run_##name##_32(unsigned long n)	\
{									\
	void *v[BATCH];							\
	unsigned long i;						\
	int j;								\
									\
	for (i = 0; i < n / BATCH; i++) {				\
		for (j = 0; j < BATCH; j++) {				\
			v[j] = ALLOC;					\
			touch(v[j], j);					\
		}							\
		for (j = BATCH - 1; j >= 0; j--)			\
			FREE(v[j]);					\
	}								\
}

#define MALLOC_FREE(p)	free(p)
DEFINE_LOOPS(malloc, malloc(OBJ_SIZE), MALLOC_FREE)
/* the kernel's two fast-path shapes, the model's yardstick (shapes.c) */
#define SHEAF_FREE(p)	shape_sheaf_free(shape_cache, p)
#define CPUSLAB_FREE(p)	shape_cpu_slab_free(shape_cache, p)
DEFINE_LOOPS(shape_sheaf, shape_sheaf_alloc(shape_cache), SHEAF_FREE)
DEFINE_LOOPS(shape_cpuslab, shape_cpu_slab_alloc(shape_cache), CPUSLAB_FREE)

#ifdef BENCH_SLAB
static struct kmem_cache *bench_cache;

#define CACHE_FREE(p)	kmem_cache_free(bench_cache, p)
#define KMALLOC_FREE(p)	kfree(p)
DEFINE_LOOPS(cache, kmem_cache_alloc(bench_cache, GFP_KERNEL), CACHE_FREE)
DEFINE_LOOPS(kmalloc, kmalloc(OBJ_SIZE, GFP_KERNEL), KMALLOC_FREE)
#endif

typedef void (*loop_fn)(unsigned long n);

struct backend {
	const char *name;
	loop_fn loop[2];	/* batch 1, batch 32 */
};

static const struct backend backends[] = {
	{ "malloc", { run_malloc_1, run_malloc_32 } },
	{ "shape-sheaf", { run_shape_sheaf_1, run_shape_sheaf_32 } },
	{ "shape-cpuslab", { run_shape_cpuslab_1, run_shape_cpuslab_32 } },
#ifdef BENCH_SLAB
	{ "cache", { run_cache_1, run_cache_32 } },
	{ "kmalloc", { run_kmalloc_1, run_kmalloc_32 } },
#endif
};

static const struct backend *find_backend(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i].name, name))
			return &backends[i];
	bench_die("--alloc %s: not available in this build (have malloc%s)",
		  name,
#ifdef BENCH_SLAB
		  ", shape-sheaf, shape-cpuslab, cache, kmalloc"
#else
		  ", shape-sheaf, shape-cpuslab; link with libslab.a for "
		  "cache and kmalloc"
#endif
		  );
}

static void setup(const struct pair_opts *o)
{
#ifdef BENCH_SLAB
	struct kmem_cache_args args = { .sheaf_capacity = o->capacity };
#endif

	if (!strncmp(o->alloc, "shape-", 6))
		shape_setup();
#ifdef BENCH_SLAB
	if (strcmp(o->alloc, "cache"))
		return;
	bench_cache = kmem_cache_create("bench-pair-64", OBJ_SIZE, &args,
					SLAB_NO_MERGE);
	if (!bench_cache)
		bench_die("kmem_cache_create(bench-pair-64) failed");
#else
	(void)o;
#endif
}

static void teardown(const struct pair_opts *o)
{
#ifdef BENCH_SLAB
	if (bench_cache)
		kmem_cache_destroy(bench_cache);
#endif
	(void)o;
}

static const char *variant_name(void)
{
#ifdef BENCH_SLAB
	return slab_variant();
#else
	return "-";
#endif
}

static void measure(const struct pair_opts *o, const struct backend *b,
		    int bi)
{
	int size = bi ? BATCH : 1;
	double ns[MAX_REPS], med, lo, hi;
	int r;

	for (r = 0; r < o->reps; r++) {
		uint64_t t0 = bench_now_ns();

		b->loop[bi](o->pairs);
		ns[r] = (double)(bench_now_ns() - t0) /
			(double)(o->pairs / size * size);
	}
	bench_spread(ns, o->reps, &med, &lo, &hi);
	printf("pair alloc=%s variant=%s batch=%d ns=%.3f min=%.3f max=%.3f "
	       "pairs=%lu reps=%d rseq=%d\n", o->alloc, variant_name(), size,
	       med, lo, hi, o->pairs, o->reps,
	       bench_rseq_registered());
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pair [--alloc malloc|shape-sheaf|shape-cpuslab|cache|"
		"kmalloc]\n"
		"            [--batch 0|1|32]\n"
		"            [--pairs N] [--warmup N] [--reps R] [--cpu C]\n"
		"            [--capacity K]\n"
		"  --reps 0 runs --pairs pairs untimed (for callgrind).\n");
	exit(2);
}

static void parse(int argc, char **argv, struct pair_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(a, "--alloc"))
			o->alloc = v;
		else if (!strcmp(a, "--batch"))
			o->batch = bench_parse_ulong(v, a, 0, BATCH);
		else if (!strcmp(a, "--pairs"))
			o->pairs = bench_parse_ulong(v, a, BATCH, 1ul << 40);
		else if (!strcmp(a, "--warmup"))
			o->warmup = bench_parse_ulong(v, a, 0, 1ul << 40);
		else if (!strcmp(a, "--reps"))
			o->reps = bench_parse_ulong(v, a, 0, MAX_REPS);
		else if (!strcmp(a, "--cpu"))
			o->cpu = bench_parse_ulong(v, a, 0, 4095);
		else if (!strcmp(a, "--capacity"))
			o->capacity = bench_parse_ulong(v, a, 0, 1024);
		else
			usage();
		i++;
	}
	if (o->batch != 0 && o->batch != 1 && o->batch != BATCH)
		bench_die("--batch must be 0 (both), 1 or %d", BATCH);
}

int main(int argc, char **argv)
{
	struct pair_opts o = {
		.alloc = "malloc", .batch = 0, .pairs = 2000000,
		.warmup = 200000, .reps = 5, .cpu = -1, .capacity = 32,
	};
	const struct backend *b;
	int bi;

	parse(argc, argv, &o);
	b = find_backend(o.alloc);
	bench_pin_cpu(o.cpu);
	setup(&o);
	for (bi = 0; bi < 2; bi++) {
		if (o.batch && o.batch != (bi ? BATCH : 1))
			continue;
		b->loop[bi](o.warmup);
		if (o.reps)
			measure(&o, b, bi);
		else
			b->loop[bi](o.pairs);
	}
	teardown(&o);
	return 0;
}
