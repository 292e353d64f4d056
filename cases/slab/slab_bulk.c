// SPDX-License-Identifier: GPL-2.0-only
/*
 * slab_bulk - kmem_cache_alloc_bulk() / kmem_cache_free_bulk().
 *
 * A task allocates batch objects in one kmem_cache_alloc_bulk() call and
 * returns them with one kmem_cache_free_bulk().  One iteration = one object
 * (a bulk round of 32 counts 32), so the figure compares directly with
 * slab_alloc_free at the same batch.
 *
 * Parameters: size (64), batch (32), sheaf_capacity (32; 0 = no sheaves).
 */
#include "slab_case.h"

char *testcase_description = "Slab bulk alloc + bulk free";

static struct slab_case_acct baseline;
static struct kmem_cache *cache;
static unsigned long obj_size, batch;

void testcase_prepare(unsigned long nr_tasks)
{
	struct kmem_cache_args args = { 0 };

	(void)nr_tasks;
	obj_size = slab_case_param_range("size", 64, 1, SLAB_MAX_OBJECT_SIZE);
	batch = slab_case_param_range("batch", 32, 1, 1 << 16);
	args.sheaf_capacity = slab_case_param_range("sheaf_capacity", 32, 0, 4096);

	slab_case_acct_begin(&baseline);
	cache = kmem_cache_create("slab_bulk", obj_size, &args, 0);
	if (!cache)
		harness_fail("kmem_cache_create(size %lu) failed", obj_size);
}

static void teardown(const char *where)
{
	kmem_cache_destroy(cache);
	cache = NULL;
	slab_case_acct_check(&baseline, where);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	void **objs = calloc(batch, sizeof(*objs));
	unsigned long i;

	(void)nr;
	if (!objs)
		harness_fail("out of memory");
	while (!harness_should_stop()) {
		if (kmem_cache_alloc_bulk(cache, GFP_KERNEL, batch, objs) !=
		    (int)batch)
			harness_fail("kmem_cache_alloc_bulk(%lu) failed", batch);
		for (i = 0; i < batch; i++)
			*(volatile char *)objs[i] = 1;
		kmem_cache_free_bulk(cache, batch, objs);
		*iterations += batch;
	}
	free(objs);
	if (harness_processes_mode())
		teardown("task teardown");
}

void testcase_cleanup(void)
{
	teardown("cleanup");
}
