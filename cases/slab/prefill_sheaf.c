// SPDX-License-Identifier: GPL-2.0-only
/*
 * prefill_sheaf - the maple tree's preallocation pattern.
 *
 * Before a tree modification the maple tree asks for a prefilled sheaf
 * holding the worst-case number of nodes it could need, takes what the
 * store actually used (often far fewer) and returns the sheaf.  One
 * iteration = kmem_cache_prefill_sheaf(worst), a random number (0..worst)
 * of kmem_cache_alloc_from_sheaf(), kmem_cache_return_sheaf(), then the
 * nodes that were taken are freed again (like the nodes they replace;
 * with rcu=1 through kfree_rcu(), as the maple tree frees nodes).
 * worst > sheaf_capacity exercises oversize sheaves.
 *
 * Needs percpu sheaves (the prefill API came with them).
 * Parameters: worst (10), size (256, a maple node), sheaf_capacity (32),
 * rcu (0).
 * Metric: nodes_used (objects taken from sheaves).
 */
#include "slab_case.h"

char *testcase_description = "Prefilled sheaf: prefill worst case, use a few, return";

struct node {
	struct rcu_head rcu;
	unsigned long slots[];
};

static struct slab_case_source src;
static unsigned long worst;
static bool free_rcu;
static int used_metric;

const char *testcase_unsupported(void)
{
	if (!(slab_features() & SLAB_FEAT_SHEAVES))
		return "needs percpu sheaves for prefilled sheaves (variant sheaves or later)";
	return NULL;
}

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long size;

	(void)nr_tasks;
	worst = slab_case_param_range("worst", 10, 1, 4096);
	size = slab_case_param_range("size", 256, sizeof(struct node) + 8,
				     SLAB_MAX_OBJECT_SIZE);
	free_rcu = slab_case_param_range("rcu", 0, 0, 1);
	used_metric = harness_metric("nodes_used", HARNESS_COUNTER, "objects");
	slab_case_source_init(&src, "prefill_sheaf", size, 1, SLAB_CASE_CACHE_ONLY);
}

static void free_node(struct node *n)
{
	if (free_rcu)
		kfree_rcu(n, rcu);
	else
		kmem_cache_free(src.cache, n);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct node **nodes = calloc(worst, sizeof(*nodes));
	uint64_t seed = slab_case_seed(nr);
	struct slab_sheaf *sheaf;
	unsigned long used, total = 0, i;

	if (!nodes)
		harness_fail("out of memory");
	while (!harness_should_stop()) {
		sheaf = kmem_cache_prefill_sheaf(src.cache, GFP_KERNEL, worst);
		if (!sheaf)
			harness_fail("kmem_cache_prefill_sheaf(%lu) failed", worst);
		if (kmem_cache_sheaf_size(sheaf) < worst)
			harness_fail("prefilled sheaf holds %u objects, asked for %lu",
				     kmem_cache_sheaf_size(sheaf), worst);
		used = slab_case_rand(&seed) % (worst + 1);
		for (i = 0; i < used; i++) {
			nodes[i] = kmem_cache_alloc_from_sheaf(src.cache,
							       GFP_KERNEL,
							       sheaf);
			if (!nodes[i])
				harness_fail("alloc_from_sheaf failed after %lu of %lu",
					     i, worst);
			nodes[i]->slots[0] = i;
		}
		kmem_cache_return_sheaf(src.cache, GFP_KERNEL, sheaf);
		for (i = 0; i < used; i++)
			free_node(nodes[i]);
		(*iterations)++;
		total += used;
		if (total >= 4096) {
			harness_record(used_metric, total);
			total = 0;
		}
	}
	harness_record(used_metric, total);
	free(nodes);
	if (harness_processes_mode())
		slab_case_source_exit(&src, "task teardown");
}

void testcase_cleanup(void)
{
	slab_case_source_exit(&src, "cleanup");
}
