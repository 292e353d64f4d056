// SPDX-License-Identifier: GPL-2.0-only
/*
 * slab_alloc_free - the allocator's alloc+free pair.
 *
 * One iteration = one object allocated and freed.  With batch=N a task
 * allocates N objects, then frees them in reverse order (LIFO), counting N
 * iterations; batch=1 is the pure fast path, batch > sheaf capacity pushes
 * the pair through sheaf replacement and the barn.
 *
 * Parameters: size (64), batch (1), api (cache: kmem_cache_alloc from a
 * cache of this case; kmalloc: the kmalloc bucket of size), sheaf_capacity
 * (32, cache api only; 0 asks for no sheaves).
 */
#include "slab_case.h"

char *testcase_description = "Slab alloc+free pair (kmem_cache or kmalloc)";

static struct slab_case_source src;
static unsigned long batch, leak;

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long size;

	(void)nr_tasks;
	size = slab_case_param_range("size", 64, 1, SLAB_MAX_OBJECT_SIZE);
	batch = slab_case_param_range("batch", 1, 1, 1 << 20);
	leak = slab_case_param_range("leak", 0, 0, 1 << 20);
	slab_case_source_init(&src, "slab_alloc_free", size, 0, "cache");
}

static inline void *alloc_one(void)
{
	void *p = slab_case_alloc(&src);

	*(volatile char *)p = 1;
	return p;
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	/* Enough pairs between two stop checks to hide the check. */
	unsigned long rounds = batch >= 64 ? 1 : 64 / batch;
	void **objs = calloc(batch, sizeof(*objs));
	unsigned long r, i;

	(void)nr;
	if (!objs)
		harness_fail("out of memory");
	while (!harness_should_stop()) {
		for (r = 0; r < rounds; r++) {
			for (i = 0; i < batch; i++)
				objs[i] = alloc_one();
			for (i = batch; i-- > 0;)
				slab_case_free(&src, objs[i]);
			*iterations += batch;
		}
	}
	free(objs);
	for (i = 0; i < leak; i++)
		alloc_one();
	if (harness_processes_mode())
		slab_case_source_exit(&src, "task teardown");
}

void testcase_cleanup(void)
{
	slab_case_source_exit(&src, "cleanup");
}
