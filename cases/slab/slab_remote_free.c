// SPDX-License-Identifier: GPL-2.0-only
/*
 * slab_remote_free - objects freed on another CPU than the one that
 * allocated them (xmalloc-test's producer/consumer shape).
 *
 * Each task is a producer: it allocates batch objects into a slot of a
 * single-producer/single-consumer ring and publishes the slot.  Its
 * consumer, a helper thread of the same task pinned to the next CPU, frees
 * every object of each slot it takes.  One iteration = one object
 * allocated and handed over; the consumer frees them remotely, so the
 * producer's CPU keeps needing fresh objects (sheaf refills, barn, slabs)
 * while the consumer's CPU fills sheaves it never allocates from.
 *
 * Parameters: size (64), batch (64 objects per ring slot), ring (16
 * slots), sheaf_capacity (32; 0 = no sheaves).
 */
#include "slab_case.h"

char *testcase_description = "Slab alloc on one CPU, free on another (producer/consumer)";

#define CACHELINE 64

/*
 * One ring per task.  head is written only by the producer (the task) and
 * tail only by the consumer; each publishes with a release store and reads
 * the other's index with an acquire load, so the slot contents written
 * before a publication are visible after it.
 */
struct remote_ring {
	unsigned long head __attribute__((aligned(CACHELINE)));
	unsigned long tail __attribute__((aligned(CACHELINE)));
	int done __attribute__((aligned(CACHELINE)));	/* producer finished */
	int cpu;					/* consumer's CPU */
	void **slots;					/* ring x batch */
};

static struct slab_case_source src;
static struct slab_case_cpus cpus;
static unsigned long batch, ring_slots;
static int waits_metric;

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long size;

	(void)nr_tasks;
	size = slab_case_param_range("size", 64, 1, SLAB_MAX_OBJECT_SIZE);
	batch = slab_case_param_range("batch", 64, 1, 1 << 16);
	ring_slots = slab_case_param_range("ring", 16, 1, 1 << 16);
	waits_metric = harness_metric("producer_waits", HARNESS_COUNTER, "waits");
	slab_case_cpus_init(&cpus);
	slab_case_source_init(&src, "slab_remote_free", size, 0,
			      SLAB_CASE_CACHE_ONLY);
}

static void *consumer(void *arg)
{
	struct remote_ring *r = arg;
	unsigned long tail = r->tail, i;
	void **slot;

	slab_case_pin_self(r->cpu);
	while (slab_case_ring_wait(&r->head, &r->done, tail)) {
		slot = r->slots + (tail % ring_slots) * batch;
		for (i = 0; i < batch; i++)
			kmem_cache_free(src.cache, slot[i]);
		__atomic_store_n(&r->tail, ++tail, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Returns false when the run stopped while the ring was full. */
static bool wait_for_room(struct remote_ring *r, unsigned long head)
{
	unsigned int spins = 0;
	bool waited = false;

	while (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= ring_slots) {
		if (harness_should_stop())
			return false;
		waited = true;
		slab_case_backoff(&spins);
	}
	if (waited)
		harness_record(waits_metric, 1);
	return true;
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct remote_ring *r = aligned_alloc(CACHELINE, sizeof(*r));
	unsigned long head = 0, i;
	pthread_t th;
	void **slot;

	(void)nr;
	if (!r)
		harness_fail("out of memory");
	memset(r, 0, sizeof(*r));
	r->slots = calloc(ring_slots * batch, sizeof(void *));
	if (!r->slots)
		harness_fail("out of memory");
	r->cpu = slab_case_next_cpu(&cpus);
	th = slab_case_thread_start(consumer, r);

	while (!harness_should_stop()) {
		if (!wait_for_room(r, head))
			break;
		slot = r->slots + (head % ring_slots) * batch;
		for (i = 0; i < batch; i++) {
			slot[i] = kmem_cache_alloc(src.cache, GFP_KERNEL);
			if (!slot[i])
				harness_fail("kmem_cache_alloc failed");
			*(volatile char *)slot[i] = 1;
		}
		__atomic_store_n(&r->head, ++head, __ATOMIC_RELEASE);
		*iterations += batch;
	}
	/* The consumer frees everything published before it sees done. */
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	slab_case_thread_join(th);
	free(r->slots);
	free(r);
	if (harness_processes_mode())
		slab_case_source_exit(&src, "task teardown");
}

void testcase_cleanup(void)
{
	slab_case_source_exit(&src, "cleanup");
}
