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

static struct slab_case_source src;
static unsigned long batch;

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long size;

	(void)nr_tasks;
	size = slab_case_param_range("size", 64, 1, SLAB_MAX_OBJECT_SIZE);
	batch = slab_case_param_range("batch", 32, 1, 1 << 16);
	slab_case_source_init(&src, "slab_bulk", size, 0, SLAB_CASE_CACHE_ONLY);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	void **objs = calloc(batch, sizeof(*objs));
	unsigned long i;

	(void)nr;
	if (!objs)
		harness_fail("out of memory");
	while (!harness_should_stop()) {
		if (kmem_cache_alloc_bulk(src.cache, GFP_KERNEL, batch, objs) !=
		    (int)batch)
			harness_fail("kmem_cache_alloc_bulk(%lu) failed", batch);
		for (i = 0; i < batch; i++)
			*(volatile char *)objs[i] = 1;
		kmem_cache_free_bulk(src.cache, batch, objs);
		*iterations += batch;
	}
	free(objs);
	if (harness_processes_mode())
		slab_case_source_exit(&src, "task teardown");
}

void testcase_cleanup(void)
{
	slab_case_source_exit(&src, "cleanup");
}
