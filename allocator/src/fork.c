// SPDX-License-Identifier: GPL-2.0-only
/*
 * fork.c - make fork() safe: a child must not inherit a lock that a thread
 * of the parent (which does not exist in the child) was holding.
 *
 * Before fork, in lock order, the forking thread takes slab_mutex, then
 * for every cache every CPU's per-CPU locks (percpu_lock_remote), the barn
 * locks and the node list_locks, then the page allocator's zone lock;
 * parent and child release them in reverse.  The child re-registers for
 * membarrier (needed by percpu_lock_remote) in case the registration is
 * per process image.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "percpu.h"

static void each_cache_lock(struct kmem_cache *s)
{
	unsigned int cpu, node;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (s->cpu_sheaves)
			percpu_lock_remote(&s->cpu_sheaves[cpu].lock, cpu);
		if (s->cpu_slab)
			percpu_lock_remote(&s->cpu_slab[cpu].lock, cpu);
	}
	for (node = 0; node < nr_node_ids; node++)
		if (s->barn[node])
			spin_lock(&s->barn[node]->lock);
	for (node = 0; node < nr_node_ids; node++)
		spin_lock(&s->node[node]->list_lock);
}

static void each_cache_unlock(struct kmem_cache *s)
{
	unsigned int cpu, node;

	for (node = 0; node < nr_node_ids; node++)
		spin_unlock(&s->node[node]->list_lock);
	for (node = 0; node < nr_node_ids; node++)
		if (s->barn[node])
			spin_unlock(&s->barn[node]->lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (s->cpu_slab)
			percpu_unlock_remote(&s->cpu_slab[cpu].lock);
		if (s->cpu_sheaves)
			percpu_unlock_remote(&s->cpu_sheaves[cpu].lock);
	}
}

static void slab_fork_prepare(void)
{
	struct kmem_cache *s;

	pthread_mutex_lock(&slab_mutex);
	for_each_slab_cache(s)
		each_cache_lock(s);
	page_alloc_lock(true);
}

static void slab_fork_release(void)
{
	struct kmem_cache *s;

	page_alloc_lock(false);
	for_each_slab_cache(s)
		each_cache_unlock(s);
	pthread_mutex_unlock(&slab_mutex);
}

static void slab_fork_child(void)
{
	if (slab_use_rseq)
		syscall(SYS_membarrier,
			MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0);
	slab_fork_release();
}

void slab_fork_init(void)
{
	pthread_atfork(slab_fork_prepare, slab_fork_release, slab_fork_child);
}
