// SPDX-License-Identifier: GPL-2.0-only
/*
 * bio_complete - a block I/O's bio allocated on the submitting CPU and
 * freed on the completing CPU, as the ublk null target under fio's
 * io_uring engine does (the 7.0 memoryless-node regression mail: bio_alloc_bioset()
 * on the submitter, bio_put() from the ublk server's completion).
 *
 * Each task submits: it allocates one bio-sized object per I/O
 * (kmem_cache_alloc, GFP_KERNEL: a direct-I/O bio may block), touches it
 * and publishes it on a single-producer/single-consumer ring of `depth`
 * slots (the queue depth).  Its completer, a helper thread of the task
 * pinned to the next CPU, frees each one.  **One iteration = one I/O**
 * (one allocation here, one free there).  With SLABSCALE_NODES=2 (or
 * slabscale-run --nodes 2) the two CPUs are on different nodes, and with
 * --memoryless 1 the second has no memory: its slabs come from node 0.
 *
 * The cache is the bioset's bio slab (block/bio.c bio_find_or_create_slab:
 * front_pad + sizeof(struct bio) + BIO_INLINE_VECS bio_vecs, created with
 * SLAB_HWCACHE_ALIGN and no sheaf_capacity): for the block device's
 * direct-I/O bioset (block/fops.c, front_pad offsetof(struct blkdev_dio,
 * bio)) about 24 + 128 + 4 x 16 = 216 bytes, 256 once cache-aligned.  No
 * sheaf_capacity: no sheaves in 6.18/6.19, the default capacity for its
 * size from 7.0 ("slab: add sheaves to most caches").
 *
 * Parameters: size (256), depth (64: fio's iodepth is not in the mail),
 * sheaf_capacity (0).  Metric: submit_waits (times the ring was full).
 */
#include "slab_case.h"

char *testcase_description = "bio alloc on the submitting CPU, free on the completing CPU";

#define CACHELINE 64

struct completion_ring {
	unsigned long head __attribute__((aligned(CACHELINE)));	/* submitter */
	unsigned long tail __attribute__((aligned(CACHELINE)));	/* completer */
	int done __attribute__((aligned(CACHELINE)));
	int cpu;			/* the completer's CPU */
	void **slot;			/* depth bios in flight */
};

static struct kmem_cache *bio_cache;
static struct slab_case_acct baseline;
static struct slab_case_cpus cpus;
static unsigned long depth;
static int waits_metric;

void testcase_prepare(unsigned long nr_tasks)
{
	struct kmem_cache_args args = { 0 };
	unsigned long size;

	(void)nr_tasks;
	size = slab_case_param_range("size", 256, 8, SLAB_MAX_OBJECT_SIZE);
	depth = slab_case_param_range("depth", 64, 1, 1 << 16);
	args.sheaf_capacity = slab_case_param_range("sheaf_capacity", 0, 0,
						    4096);
	waits_metric = harness_metric("submit_waits", HARNESS_COUNTER, "waits");
	slab_case_cpus_init(&cpus);
	slab_case_acct_begin(&baseline);
	bio_cache = kmem_cache_create("bio-256", size, &args,
				      SLAB_HWCACHE_ALIGN);
	if (!bio_cache)
		harness_fail("kmem_cache_create(bio-256) failed");
}

/* the ublk server's completion: bio_put() of every bio it is handed */
static void *completer(void *arg)
{
	struct completion_ring *r = arg;
	unsigned long tail = 0;

	slab_case_pin_self(r->cpu);
	while (slab_case_ring_wait(&r->head, &r->done, tail)) {
		kmem_cache_free(bio_cache, r->slot[tail % depth]);
		__atomic_store_n(&r->tail, ++tail, __ATOMIC_RELEASE);
	}
	return NULL;
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct completion_ring *r = aligned_alloc(CACHELINE, sizeof(*r));
	unsigned long head = 0;
	unsigned int spins = 0;
	bool waited = false;
	pthread_t th;
	void *bio;

	(void)nr;
	if (!r)
		harness_fail("out of memory");
	memset(r, 0, sizeof(*r));
	r->slot = calloc(depth, sizeof(void *));
	if (!r->slot)
		harness_fail("out of memory");
	r->cpu = slab_case_next_cpu(&cpus);
	th = slab_case_thread_start(completer, r);

	while (!harness_should_stop()) {
		/* the queue is full: wait for a completion */
		if (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= depth) {
			waited = true;
			slab_case_backoff(&spins);
			continue;
		}
		if (waited)
			harness_record(waits_metric, 1);
		waited = false;
		spins = 0;
		bio = kmem_cache_alloc(bio_cache, GFP_KERNEL);
		if (!bio)
			harness_fail("kmem_cache_alloc(bio) failed");
		*(volatile char *)bio = 1;
		r->slot[head % depth] = bio;
		__atomic_store_n(&r->head, ++head, __ATOMIC_RELEASE);
		(*iterations)++;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	slab_case_thread_join(th);
	free(r->slot);
	free(r);
	if (harness_processes_mode()) {
		kmem_cache_destroy(bio_cache);
		bio_cache = NULL;
		slab_case_acct_check(&baseline, "task teardown");
	}
}

void testcase_cleanup(void)
{
	kmem_cache_destroy(bio_cache);
	bio_cache = NULL;
	slab_case_acct_check(&baseline, "cleanup");
}
