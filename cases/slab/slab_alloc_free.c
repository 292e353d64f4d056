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

static struct slab_case_acct baseline;
static struct kmem_cache *cache;
static unsigned long obj_size, batch, leak;
static bool use_kmalloc;

void testcase_prepare(unsigned long nr_tasks)
{
	const char *api;
	struct kmem_cache_args args = { 0 };

	(void)nr_tasks;
	obj_size = slab_case_param_range("size", 64, 1, SLAB_MAX_OBJECT_SIZE);
	batch = slab_case_param_range("batch", 1, 1, 1 << 20);
	leak = slab_case_param_range("leak", 0, 0, 1 << 20);
	api = harness_param("api", "cache");
	args.sheaf_capacity = slab_case_param_range("sheaf_capacity", 32, 0, 4096);
	if (!strcmp(api, "kmalloc"))
		use_kmalloc = true;
	else if (strcmp(api, "cache"))
		harness_fail("--param api=%s: expected cache or kmalloc", api);

	slab_case_acct_begin(&baseline);
	if (!use_kmalloc) {
		cache = kmem_cache_create("slab_alloc_free", obj_size, &args, 0);
		if (!cache)
			harness_fail("kmem_cache_create(size %lu) failed", obj_size);
	}
}

static void teardown(const char *where)
{
	kmem_cache_destroy(cache);
	cache = NULL;
	slab_case_acct_check(&baseline, where);
}

static inline void *alloc_one(void)
{
	void *p;

	if (use_kmalloc)
		p = kmalloc(obj_size, GFP_KERNEL);
	else
		p = kmem_cache_alloc(cache, GFP_KERNEL);
	if (!p)
		harness_fail("allocation of %lu bytes failed", obj_size);
	*(volatile char *)p = 1;
	return p;
}

static inline void free_one(void *p)
{
	if (use_kmalloc)
		kfree(p);
	else
		kmem_cache_free(cache, p);
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
				free_one(objs[i]);
			*iterations += batch;
		}
	}
	free(objs);
	for (i = 0; i < leak; i++)
		alloc_one();
	if (harness_processes_mode())
		teardown("task teardown");
}

void testcase_cleanup(void)
{
	teardown("cleanup");
}
