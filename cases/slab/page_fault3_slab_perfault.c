// SPDX-License-Identifier: GPL-2.0-only
/*
 * page_fault3_slab_perfault - page_fault3's shape with two slab objects
 * allocated per fault and freed in bulk at unmap: an allocator-heavy
 * variant of page_fault3, not the kernel's traffic (page_fault3_slab has
 * that).  Before the 7.0 steps became variants this was page_fault3_slab; the measurements in
 * docs/measurements/cases.md under this name were taken with it.
 *
 * Each task owns a "file" of `pages` pages and loops: map it, fault every
 * page, unmap it.  One iteration = one page fault, as in page_fault3.
 *  - map (mmap_lock held for write): a vm_area-like object from its cache
 *    (sheaf_capacity 32, as vm_area_struct in 6.18), and `maple_nodes`
 *    maple-node-like objects (cache with sheaf_capacity 32) that replace
 *    nodes of the mm's "tree" copy-on-write; the replaced nodes go through
 *    kfree_rcu() because lockless walkers may still read them.
 *  - fault: with fault_lock=vma (default, the kernel's per-VMA lock path)
 *    under rcu_read_lock() walk the tree, find the vma and take its read
 *    reference (lock_vma_under_rcu), drop RCU; with fault_lock=mmap take
 *    mmap_lock for read instead.  Then a buffer-head-like object from its
 *    own cache and a page-table-like object from a kmalloc bucket are
 *    allocated for the page.  With real_faults=1 the page of a shared
 *    mapping of the task's own unlinked file in /tmp (as page_fault3) is
 *    also written, so the kernel's own fault is in the loop.
 *  - unmap: mmap_lock for write to unpublish the vma and replace tree
 *    nodes, then (as the kernel after downgrading to read) the per-page
 *    objects are freed in bulk and the vma freed.
 * In threads mode all tasks share one mm, so mmap_lock and the tree are
 * contended; in processes mode each process has its own, as page_fault3.
 *
 * Parameters: pages (32768 = 128 MiB as page_fault3), maple_nodes (3 per
 * map and per unmap), bh_size (104), pt_size (64, kmalloc bucket),
 * fault_lock (vma or mmap), real_faults (0).
 * Metrics: map_latency, unmap_latency (ns).
 *
 * Concurrency: mm->vmas[] and mm->tree[] are written only under
 * mmap_lock for write and published with release stores; faults read them
 * under slab_rcu_read_lock() (or mmap_lock for read), which is why
 * replaced tree nodes are kfree_rcu()'d.  A vma is only ever faulted by
 * the task that mapped it, so its read count is never contended.
 */
#include "slab_case.h"

#include <sys/mman.h>

char *testcase_description = "page_fault3 with two slab objects per fault, freed in bulk at unmap (one iteration = one fault)";

#define PF_PAGE_SIZE	4096ul
#define PF_MAX_NODES	64

struct pf_node {		/* a maple node: 256 bytes */
	struct rcu_head rcu;
	unsigned long slot[30];
};

struct pf_vma {
	unsigned long start, npages;
	int readers;		/* per-VMA read lock: vma_start_read() */
	char *map;		/* real_faults: the file mapping */
};

struct pf_mm {
	pthread_rwlock_t mmap_lock;
	struct pf_vma **vmas;	/* one slot per task, RCU-published */
	struct pf_node *tree[PF_MAX_NODES];
};

struct pf_task {
	void **bh, **pt;	/* per-page objects of the current mapping */
	int fd;		/* real_faults: the task's unlinked file */
};

static struct slab_case_acct baseline;
static struct kmem_cache *vma_cache, *node_cache, *bh_cache;
static struct pf_mm mm;
static unsigned long nr_pages, maple_nodes, bh_size, pt_size;
static bool lock_mmap, real_faults;
static int map_metric, unmap_metric;

static struct kmem_cache *make_cache(const char *name, unsigned int size,
				     unsigned int align, unsigned int sheaves)
{
	struct kmem_cache_args args = {
		.align = align,
		.sheaf_capacity = sheaves,
	};
	struct kmem_cache *s = kmem_cache_create(name, size, &args, 0);

	if (!s)
		harness_fail("kmem_cache_create(%s, %u) failed", name, size);
	return s;
}

static void read_params(void)
{
	const char *lock;

	nr_pages = slab_case_param_range("pages", 32768, 1, 1ul << 26);
	maple_nodes = slab_case_param_range("maple_nodes", 3, 0, PF_MAX_NODES);
	bh_size = slab_case_param_range("bh_size", 104, 8, SLAB_MAX_OBJECT_SIZE);
	pt_size = slab_case_param_range("pt_size", 64, 8, SLAB_MAX_OBJECT_SIZE);
	real_faults = slab_case_param_range("real_faults", 0, 0, 1);
	lock = harness_param("fault_lock", "vma");
	if (!strcmp(lock, "mmap"))
		lock_mmap = true;
	else if (strcmp(lock, "vma"))
		harness_param_error("fault_lock", "expected vma or mmap");
}

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long i;

	read_params();
	map_metric = harness_metric("map_latency", HARNESS_LATENCY, "ns");
	unmap_metric = harness_metric("unmap_latency", HARNESS_LATENCY, "ns");

	slab_case_acct_begin(&baseline);
	vma_cache = make_cache("vm_area_struct", 192, 0, 32);
	node_cache = make_cache("maple_node", sizeof(struct pf_node),
				sizeof(struct pf_node), 32);
	bh_cache = make_cache("buffer_head", bh_size, 0, 0);

	pthread_rwlock_init(&mm.mmap_lock, NULL);
	mm.vmas = calloc(nr_tasks, sizeof(*mm.vmas));
	if (!mm.vmas)
		harness_fail("out of memory");
	for (i = 0; i < maple_nodes; i++) {
		mm.tree[i] = kmem_cache_alloc(node_cache, GFP_KERNEL | __GFP_ZERO);
		if (!mm.tree[i])
			harness_fail("maple node allocation failed");
	}
}

static void teardown(const char *where)
{
	unsigned long i;

	for (i = 0; i < maple_nodes; i++) {
		kmem_cache_free(node_cache, mm.tree[i]);
		mm.tree[i] = NULL;
	}
	free(mm.vmas);
	mm.vmas = NULL;
	pthread_rwlock_destroy(&mm.mmap_lock);
	kmem_cache_destroy(vma_cache);
	kmem_cache_destroy(node_cache);
	kmem_cache_destroy(bh_cache);
	vma_cache = node_cache = bh_cache = NULL;
	slab_case_acct_check(&baseline, where);
}

/* Copy-on-write replacement of the tree's nodes (mmap_lock held for write). */
static void tree_replace(unsigned long key)
{
	struct pf_node *old, *new;
	unsigned long i;

	for (i = 0; i < maple_nodes; i++) {
		new = kmem_cache_alloc(node_cache, GFP_KERNEL);
		if (!new)
			harness_fail("maple node allocation failed");
		old = mm.tree[i];
		memcpy(new->slot, old->slot, sizeof(new->slot));
		new->slot[key % 30] = key;
		__atomic_store_n(&mm.tree[i], new, __ATOMIC_RELEASE);
		kfree_rcu(old, rcu);
	}
}

static struct pf_vma *map_file(struct pf_task *t, unsigned long nr)
{
	unsigned long long t0 = harness_now_ns();
	struct pf_vma *vma;

	pthread_rwlock_wrlock(&mm.mmap_lock);
	vma = kmem_cache_alloc(vma_cache, GFP_KERNEL);
	if (!vma)
		harness_fail("vm_area allocation failed");
	vma->start = nr << 40;
	vma->npages = nr_pages;
	vma->readers = 0;
	vma->map = NULL;
	if (real_faults) {
		vma->map = mmap(NULL, nr_pages * PF_PAGE_SIZE,
				PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		if (vma->map == MAP_FAILED)
			harness_fail("mmap: %s", strerror(errno));
	}
	tree_replace(nr);
	__atomic_store_n(&mm.vmas[nr], vma, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&mm.mmap_lock);
	harness_record(map_metric, harness_now_ns() - t0);
	return vma;
}

/* lock_vma_under_rcu(): walk the tree and take the vma's read reference. */
static struct pf_vma *fault_lock_vma(unsigned long nr)
{
	struct pf_vma *vma;
	unsigned long i, seen = 0;

	if (lock_mmap) {
		pthread_rwlock_rdlock(&mm.mmap_lock);
		return mm.vmas[nr];
	}
	slab_rcu_read_lock();
	for (i = 0; i < maple_nodes; i++)
		seen += __atomic_load_n(&mm.tree[i], __ATOMIC_ACQUIRE)->slot[nr % 30];
	vma = __atomic_load_n(&mm.vmas[nr], __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&vma->readers, 1, __ATOMIC_ACQUIRE);
	slab_rcu_read_unlock();
	__asm__ volatile("" : : "r"(seen));
	return vma;
}

static void fault_unlock_vma(struct pf_vma *vma)
{
	if (lock_mmap)
		pthread_rwlock_unlock(&mm.mmap_lock);
	else
		__atomic_fetch_sub(&vma->readers, 1, __ATOMIC_RELEASE);
}

static void fault_page(struct pf_task *t, unsigned long nr, unsigned long i)
{
	struct pf_vma *vma = fault_lock_vma(nr);

	t->bh[i] = kmem_cache_alloc(bh_cache, GFP_KERNEL);
	t->pt[i] = kmalloc(pt_size, GFP_KERNEL);
	if (!t->bh[i] || !t->pt[i])
		harness_fail("fault: allocation failed");
	*(volatile unsigned long *)t->bh[i] = i;
	*(volatile unsigned long *)t->pt[i] = i;
	if (vma->map)
		vma->map[i * PF_PAGE_SIZE] = 1;
	fault_unlock_vma(vma);
}

static void unmap_file(struct pf_task *t, struct pf_vma *vma,
		       unsigned long nr, unsigned long faulted)
{
	unsigned long long t0 = harness_now_ns();
	unsigned long i;

	pthread_rwlock_wrlock(&mm.mmap_lock);
	__atomic_store_n(&mm.vmas[nr], NULL, __ATOMIC_RELEASE);
	tree_replace(nr + 1);
	pthread_rwlock_unlock(&mm.mmap_lock);

	/* The zap runs with mmap_lock downgraded to read. */
	pthread_rwlock_rdlock(&mm.mmap_lock);
	kmem_cache_free_bulk(bh_cache, faulted, t->bh);
	for (i = 0; i < faulted; i++)
		kfree(t->pt[i]);
	if (vma->map && munmap(vma->map, nr_pages * PF_PAGE_SIZE))
		harness_fail("munmap: %s", strerror(errno));
	kmem_cache_free(vma_cache, vma);
	pthread_rwlock_unlock(&mm.mmap_lock);
	harness_record(unmap_metric, harness_now_ns() - t0);
}

static void task_init(struct pf_task *t)
{
	char path[] = "/tmp/slabscale.page_fault3_slab_perfault.XXXXXX";

	t->bh = calloc(nr_pages, sizeof(void *));
	t->pt = calloc(nr_pages, sizeof(void *));
	if (!t->bh || !t->pt)
		harness_fail("out of memory");
	t->fd = -1;
	if (!real_faults)
		return;
	t->fd = mkstemp(path);
	if (t->fd < 0)
		harness_fail("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	if (ftruncate(t->fd, (off_t)(nr_pages * PF_PAGE_SIZE)))
		harness_fail("ftruncate: %s", strerror(errno));
}

static void task_exit(struct pf_task *t)
{
	free(t->bh);
	free(t->pt);
	if (t->fd >= 0)
		close(t->fd);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct pf_task t;
	struct pf_vma *vma;
	unsigned long i;
	bool stop = false;

	task_init(&t);
	while (!stop) {
		vma = map_file(&t, nr);
		for (i = 0; i < nr_pages; i++) {
			if ((i & 1023) == 0 && harness_should_stop()) {
				stop = true;
				break;
			}
			fault_page(&t, nr, i);
			(*iterations)++;
		}
		unmap_file(&t, vma, nr, i);
	}
	task_exit(&t);
	if (harness_processes_mode())
		teardown("task teardown");
}

void testcase_cleanup(void)
{
	teardown("cleanup");
}
