// SPDX-License-Identifier: GPL-2.0-only
/*
 * rcu.c - kfree_rcu throughput and barrier/destroy latency.
 *
 *   rcu tput --threads T [--ops N] [--reps R]
 *	T threads, one per CPU, each loops kmem_cache_alloc + kfree_rcu on a
 *	shared 64-byte sheaf cache whose objects embed a struct rcu_head.
 *	Runs long enough that allocations reuse objects whose grace period
 *	ended.  Prints ns per alloc+kfree_rcu per thread.
 *   rcu destroy --caches B [--reps R]
 *	B "holder" sheaf caches each get one kfree_rcu'd object per CPU, so
 *	every holder has a partly filled rcu_free sheaf on every CPU; then a
 *	fresh cache gets one kfree_rcu'd object and kmem_cache_destroy() on
 *	it is timed.  With the global barrier (rcu-sheaf) destroy flushes all
 *	B holders on every CPU; with barrier-on-cache only its own cache.
 *	The holders are refilled before every repetition.
 *   rcu barrier [--reps R]
 *	The pieces on their own: slab_rcu_barrier() right after one
 *	call_rcu (one grace period), kvfree_rcu_barrier_on_cache() on a
 *	cache holding rcu sheaves, kvfree_rcu_barrier() with no other caches,
 *	and the per-CPU flush round trip of one cache with no rcu_barrier().
 *   rcu gp [--reps R]
 *	Distributions (every sample printed) of a grace period, call_rcu ->
 *	callback, rcu_barrier and kvfree_rcu_barrier, the allocator's and
 *	liburcu's own (see test_gp()).
 *
 * Output lines start with "rcu " and hold key=value fields (the first one
 * describes the variant); a "stat" line gives the cache's counters after
 * the throughput test.  Holder caches are
 * never destroyed: with the global barrier that alone would take B
 * barriers, and the process exits anyway.
 *
 * RCU workers exist only after the first RCU call, and this program
 * never forks.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"
#include "slab.h"

#define MAX_REPS	200
#define MAX_THREADS	64
#define MAX_CACHES	4096

struct obj {
	struct rcu_head rcu;
	unsigned long payload[6];
};

struct rcu_opts {
	const char *test;
	int threads;
	unsigned long ops;
	int reps;
	int caches;
	unsigned int capacity;
};

static struct rcu_opts opt = {
	.threads = 1, .ops = 1000000, .reps = 5, .caches = 10, .capacity = 32,
};

static struct kmem_cache *new_cache(const char *prefix, int i)
{
	struct kmem_cache_args args = { .sheaf_capacity = opt.capacity };
	struct kmem_cache *s;
	char name[64];

	snprintf(name, sizeof(name), "%s-%d", prefix, i);
	s = kmem_cache_create(name, sizeof(struct obj), &args, SLAB_NO_MERGE);
	if (!s)
		bench_die("kmem_cache_create(%s) failed", name);
	return s;
}

/* One alloc + kfree_rcu; the write makes the object really used. */
static inline void alloc_kfree_rcu(struct kmem_cache *s, unsigned long i)
{
	struct obj *o = kmem_cache_alloc(s, GFP_KERNEL);

	if (__builtin_expect(!o, 0))
		bench_die("kmem_cache_alloc failed");
	o->payload[0] = i;
	bench_use(o);
	kfree_rcu(o, rcu);
}

static void summary(const char *what, const char *extra, double *v, int n,
		    const char *unit)
{
	double med, lo, hi;

	bench_spread(v, n, &med, &lo, &hi);
	printf("rcu test=%s variant=%s %s %s=%.3f min=%.3f max=%.3f reps=%d "
	       "rseq=%d\n", what, slab_variant(), extra, unit,
	       med, lo, hi, n, bench_rseq_registered());
}

/* ---- throughput ---------------------------------------------------------- */

struct tput_thread {
	pthread_t tid;
	int cpu;
	double ns[MAX_REPS];
};

static struct kmem_cache *tput_cache;
static pthread_barrier_t tput_start;

static void *tput_worker(void *arg)
{
	struct tput_thread *t = arg;
	unsigned long i;
	int r;

	bench_pin_cpu(t->cpu);
	for (i = 0; i < opt.ops / 4; i++)	/* warm up, register with RCU */
		alloc_kfree_rcu(tput_cache, i);
	for (r = 0; r < opt.reps; r++) {
		uint64_t t0;

		pthread_barrier_wait(&tput_start);
		t0 = bench_now_ns();
		for (i = 0; i < opt.ops; i++)
			alloc_kfree_rcu(tput_cache, i);
		t->ns[r] = (double)(bench_now_ns() - t0) / (double)opt.ops;
	}
	return NULL;
}

static void print_stats(struct kmem_cache *s)
{
	static const enum slab_stat_item items[] = {
		ALLOC_FASTPATH, ALLOC_SLOWPATH, ALLOC_SLAB, FREE_RCU_SHEAF,
		FREE_RCU_SHEAF_FAIL, FREE_SLAB, BARN_GET, BARN_GET_FAIL, BARN_PUT,
		BARN_PUT_FAIL, SHEAF_ALLOC, SHEAF_REFILL, SHEAF_FLUSH,
	};
	unsigned long long c[NR_SLAB_STAT_ITEMS];
	struct slab_cache_info info;
	size_t i;

	kmem_cache_stats(s, c);
	kmem_cache_info(s, &info);
	printf("stat variant=%s slabs=%lu active_objs=%lu", slab_variant(),
	       info.slabs, info.active_objs);
	for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		printf(" %s=%llu", slab_stat_name(items[i]), c[items[i]]);
	printf("\n");
}

static void test_tput(void)
{
	struct tput_thread *th = calloc(opt.threads, sizeof(*th));
	double per_rep[MAX_REPS];
	char extra[64];
	uint64_t t0;
	int i, r;

	if (!th)
		bench_die("out of memory");
	tput_cache = new_cache("bench-rcu-tput", 0);
	pthread_barrier_init(&tput_start, NULL, opt.threads);
	for (i = 0; i < opt.threads; i++) {
		th[i].cpu = i % bench_nr_cpus();
		if (pthread_create(&th[i].tid, NULL, tput_worker, &th[i]))
			bench_die("pthread_create failed");
	}
	for (i = 0; i < opt.threads; i++)
		pthread_join(th[i].tid, NULL);
	for (r = 0; r < opt.reps; r++) {
		per_rep[r] = 0;
		for (i = 0; i < opt.threads; i++)
			per_rep[r] += th[i].ns[r] / opt.threads;
	}
	snprintf(extra, sizeof(extra), "threads=%d ops=%lu", opt.threads,
		 opt.ops);
	summary("tput", extra, per_rep, opt.reps, "ns");
	print_stats(tput_cache);
	t0 = bench_now_ns();
	kvfree_rcu_barrier();
	printf("rcu test=drain variant=%s us=%.1f\n", slab_variant(),
	       (double)(bench_now_ns() - t0) / 1e3);
	kmem_cache_destroy(tput_cache);
	free(th);
}

/* ---- destroy latency ----------------------------------------------------- */

/* Leave one kfree_rcu'd object in each holder's rcu sheaf on every CPU. */
static void fill_holders(struct kmem_cache **holders, int n)
{
	int cpu, i;

	for (cpu = 0; cpu < bench_nr_cpus(); cpu++) {
		bench_pin_cpu(cpu);
		for (i = 0; i < n; i++)
			alloc_kfree_rcu(holders[i], i);
	}
	bench_pin_cpu(0);
}

static double time_destroy(int rep)
{
	struct kmem_cache *s = new_cache("bench-rcu-victim", rep);
	uint64_t t0;

	alloc_kfree_rcu(s, 0);
	t0 = bench_now_ns();
	kmem_cache_destroy(s);
	return (double)(bench_now_ns() - t0) / 1e3;
}

static void test_destroy(void)
{
	struct kmem_cache **holders = calloc(opt.caches + 1, sizeof(*holders));
	double us[MAX_REPS];
	char extra[64];
	int i, r;

	if (!holders)
		bench_die("out of memory");
	for (i = 0; i < opt.caches; i++)
		holders[i] = new_cache("bench-rcu-holder", i);
	fill_holders(holders, opt.caches);
	time_destroy(-1);			/* start the RCU workers */
	for (r = 0; r < opt.reps; r++) {
		fill_holders(holders, opt.caches);
		us[r] = time_destroy(r);
	}
	snprintf(extra, sizeof(extra), "caches=%d", opt.caches);
	summary("destroy", extra, us, opt.reps, "us");
	free(holders);
}

/* ---- grace-period probes ---------------------------------------------------- */

/*
 * One callback whose run time is recorded; the measuring thread sleeps on
 * a condition variable until it has run.
 */
struct gp_probe {
	struct rcu_head head;
	uint64_t ran_ns;
	int done;
};

static pthread_mutex_t gp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gp_cond = PTHREAD_COND_INITIALIZER;

static void gp_probe_fn(struct rcu_head *head)
{
	struct gp_probe *p = (struct gp_probe *)head;

	p->ran_ns = bench_now_ns();
	pthread_mutex_lock(&gp_lock);
	p->done = 1;
	pthread_cond_broadcast(&gp_cond);
	pthread_mutex_unlock(&gp_lock);
}

static void gp_probe_wait(struct gp_probe *p)
{
	pthread_mutex_lock(&gp_lock);
	while (!p->done)
		pthread_cond_wait(&gp_cond, &gp_lock);
	pthread_mutex_unlock(&gp_lock);
}

/* ---- the barriers on their own ------------------------------------------- */

/*
 * The per-CPU flush round trip of one cache without the rcu_barrier()
 * behind it.  It is internal to the allocator (allocator/src/rcu_internal.h),
 * so it is referenced weakly: it lives in the same object file as
 * kvfree_call_rcu(), and where it does not exist the line says so.
 */
extern void slab_flush_rcu_sheaves_on_cache(struct kmem_cache *s)
	__attribute__((weak));

static void time_flush(struct kmem_cache *s)
{
	double fl[MAX_REPS];
	uint64_t t0;
	int r;

	if (!slab_flush_rcu_sheaves_on_cache) {
		printf("rcu test=flush variant=%s available=0\n",
		       slab_variant());
		return;
	}
	for (r = 0; r < opt.reps; r++) {
		fill_holders(&s, 1);
		t0 = bench_now_ns();
		slab_flush_rcu_sheaves_on_cache(s);
		fl[r] = (double)(bench_now_ns() - t0) / 1e3;
	}
	summary("flush", "available=1", fl, opt.reps, "us");
}

static void test_barrier(void)
{
	struct kmem_cache *s = new_cache("bench-rcu-barrier", 0);
	double rb[MAX_REPS], oc[MAX_REPS], gl[MAX_REPS];
	uint64_t t0;
	int r;

	bench_pin_cpu(0);
	alloc_kfree_rcu(s, 0);			/* start the RCU workers */
	kvfree_rcu_barrier();
	for (r = 0; r < opt.reps; r++) {
		struct gp_probe p = { .done = 0 };

		slab_call_rcu(&p.head, gp_probe_fn);
		t0 = bench_now_ns();
		slab_rcu_barrier();
		rb[r] = (double)(bench_now_ns() - t0) / 1e3;
		gp_probe_wait(&p);

		fill_holders(&s, 1);
		t0 = bench_now_ns();
		kvfree_rcu_barrier_on_cache(s);
		oc[r] = (double)(bench_now_ns() - t0) / 1e3;

		fill_holders(&s, 1);
		t0 = bench_now_ns();
		kvfree_rcu_barrier();
		gl[r] = (double)(bench_now_ns() - t0) / 1e3;
	}
	summary("barrier", "kind=rcu_barrier", rb, opt.reps, "us");
	summary("barrier", "kind=on_cache", oc, opt.reps, "us");
	summary("barrier", "kind=global", gl, opt.reps, "us");
	time_flush(s);
	kvfree_rcu_barrier_on_cache(s);
	kmem_cache_destroy(s);
}

/* ---- grace periods and barriers: distributions ------------------------------ */

/* call_rcu(fn) -> callback start, in us, with the given call_rcu. */
static double time_call_rcu(void (*call)(struct rcu_head *,
					 void (*)(struct rcu_head *)))
{
	struct gp_probe p = { .done = 0 };
	uint64_t t0 = bench_now_ns();

	call(&p.head, gp_probe_fn);
	gp_probe_wait(&p);
	return (double)(p.ran_ns - t0) / 1e3;
}

static void print_samples(const char *kind, const double *v, int n)
{
	int i;

	printf("rcu test=gp variant=%s kind=%s n=%d us=", slab_variant(), kind,
	       n);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? "," : "", v[i]);
	printf("\n");
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000l };

	nanosleep(&ts, NULL);
}

/* kfree_rcu one object: of the sheaf cache s, or a 16 KiB (large) kmalloc. */
static void one_kfree_rcu(struct kmem_cache *s)
{
	struct obj *o = s ? kmem_cache_alloc(s, GFP_KERNEL)
			  : kmalloc(16384, GFP_KERNEL);

	if (!o)
		bench_die("allocation failed");
	o->payload[0] = 1;
	bench_use(o);
	kfree_rcu(o, rcu);
}

static double time_kvfree_barrier(void)
{
	uint64_t t0 = bench_now_ns();

	kvfree_rcu_barrier();
	return (double)(bench_now_ns() - t0) / 1e3;
}

/*
 * Each kind --reps times, from an idle state (a pause between samples):
 *   sync            slab_synchronize_rcu()
 *   call_rcu        slab_call_rcu() -> its callback starts
 *   rcu_barrier0    slab_rcu_barrier() with nothing queued
 *   rcu_barrier1    slab_rcu_barrier() right after one slab_call_rcu()
 *   kvfree0         kvfree_rcu_barrier() with nothing pending
 *   kvfree1         kvfree_rcu_barrier() after kfree_rcu() of one object of
 *                   a sheaf cache (capacity 32: the rcu sheaf from
 *                   rcu-sheaf on, the classic batch before)
 *   kvfree1_classic the same with a 16 KiB kmalloc object (always the
 *                   classic batching: large kmalloc has no sheaves)
 *   urcu_call_rcu, urcu_call_rcu_rt, urcu_barrier1: liburcu's own
 *                   call_rcu worker (default, and URCU_CALL_RCU_RT) and
 *                   rcu_barrier(), for reference
 */
static void test_gp(void)
{
	struct kmem_cache *s = new_cache("bench-rcu-gp", 0);
	struct call_rcu_data *rt;
	double v[MAX_REPS];
	struct gp_probe p;
	uint64_t t0;
	int r;

	bench_pin_cpu(0);
	one_kfree_rcu(s);		/* start the RCU machinery */
	kvfree_rcu_barrier();
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		t0 = bench_now_ns();
		slab_synchronize_rcu();
		v[r] = (double)(bench_now_ns() - t0) / 1e3;
	}
	print_samples("sync", v, opt.reps);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		v[r] = time_call_rcu(slab_call_rcu);
	}
	print_samples("call_rcu", v, opt.reps);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		t0 = bench_now_ns();
		slab_rcu_barrier();
		v[r] = (double)(bench_now_ns() - t0) / 1e3;
	}
	print_samples("rcu_barrier0", v, opt.reps);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		p.done = 0;
		slab_call_rcu(&p.head, gp_probe_fn);
		t0 = bench_now_ns();
		slab_rcu_barrier();
		v[r] = (double)(bench_now_ns() - t0) / 1e3;
		gp_probe_wait(&p);
	}
	print_samples("rcu_barrier1", v, opt.reps);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		v[r] = time_kvfree_barrier();
	}
	print_samples("kvfree0", v, opt.reps);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		one_kfree_rcu(s);
		v[r] = time_kvfree_barrier();
	}
	print_samples("kvfree1", v, opt.reps);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		one_kfree_rcu(NULL);
		v[r] = time_kvfree_barrier();
	}
	print_samples("kvfree1_classic", v, opt.reps);

	/* liburcu alone; this thread is registered (kfree_rcu above) */
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		v[r] = time_call_rcu(urcu_memb_call_rcu);
	}
	print_samples("urcu_call_rcu", v, opt.reps);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		p.done = 0;
		urcu_memb_call_rcu(&p.head, gp_probe_fn);
		t0 = bench_now_ns();
		urcu_memb_barrier();
		v[r] = (double)(bench_now_ns() - t0) / 1e3;
		gp_probe_wait(&p);
	}
	print_samples("urcu_barrier1", v, opt.reps);
	rt = urcu_memb_create_call_rcu_data(URCU_CALL_RCU_RT, -1);
	if (!rt)
		bench_die("create_call_rcu_data(URCU_CALL_RCU_RT) failed");
	urcu_memb_set_thread_call_rcu_data(rt);
	for (r = 0; r < opt.reps; r++) {
		pause_ms(5);
		v[r] = time_call_rcu(urcu_memb_call_rcu);
	}
	urcu_memb_set_thread_call_rcu_data(NULL);
	print_samples("urcu_call_rcu_rt", v, opt.reps);
	urcu_memb_call_rcu_data_free(rt);
	kvfree_rcu_barrier();
	kmem_cache_destroy(s);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rcu tput [--threads T] [--ops N] [--reps R]\n"
		"       rcu destroy [--caches B] [--reps R]\n"
		"       rcu barrier [--reps R]\n"
		"       rcu gp [--reps R]\n"
		"       common: [--capacity K] (sheaf_capacity, default 32)\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	int i;

	if (argc < 2)
		usage();
	opt.test = argv[1];
	for (i = 2; i < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!v)
			usage();
		if (!strcmp(a, "--threads"))
			opt.threads = bench_parse_ulong(v, a, 1, MAX_THREADS);
		else if (!strcmp(a, "--ops"))
			opt.ops = bench_parse_ulong(v, a, 1, 1ul << 36);
		else if (!strcmp(a, "--reps"))
			opt.reps = bench_parse_ulong(v, a, 1, MAX_REPS);
		else if (!strcmp(a, "--caches"))
			opt.caches = bench_parse_ulong(v, a, 0, MAX_CACHES);
		else if (!strcmp(a, "--capacity"))
			opt.capacity = bench_parse_ulong(v, a, 1, 1024);
		else
			usage();
	}
}

int main(int argc, char **argv)
{
	parse(argc, argv);
	printf("rcu variant=%s features=0x%x rcu_sheaf=%d barrier_on_cache=%d\n",
	       slab_variant(), slab_features(),
	       !!(slab_features() & SLAB_FEAT_RCU_SHEAF),
	       !!(slab_features() & SLAB_FEAT_BARRIER_ON_CACHE));
	if (!strcmp(opt.test, "tput"))
		test_tput();
	else if (!strcmp(opt.test, "destroy"))
		test_destroy();
	else if (!strcmp(opt.test, "barrier"))
		test_barrier();
	else if (!strcmp(opt.test, "gp"))
		test_gp();
	else
		usage();
	return 0;
}
