// SPDX-License-Identifier: GPL-2.0-only
/*
 * page_fault3_slab - will-it-scale's page_fault3 (map a shared file, write
 * every page, unmap, repeat) with the slab traffic the kernel's own cycle
 * has, played against the in-tree allocator, and a calibrated stand-in for
 * the rest of the kernel's work.  One iteration = one page fault.
 *
 * The kernel's slab traffic per cycle (6.18 .. 7.0; where each count comes
 * from is in docs/measurements/pf3.md):
 *  - mmap, mmap_lock held for write (vm_mmap_pgoff -> __mmap_region):
 *    vm_area_alloc() takes one vm_area_struct (SLAB_TYPESAFE_BY_RCU,
 *    sheaf_capacity 32 since 6.18); vma_iter_prealloc() ->
 *    mas_preallocate() asks for the store's node request: 1 for the usual
 *    node store in an RCU-mode tree, which since 6.18 is a single
 *    kmem_cache_alloc(maple_node) kept in the maple state, more for a
 *    split or rebalance, which take a kmem_cache_prefill_sheaf(); the store
 *    takes its nodes (kmem_cache_alloc_from_sheaf() from a sheaf) and
 *    kfree_rcu()s the nodes it replaced (ma_free_rcu); mas_destroy() gives
 *    a sheaf back with kmem_cache_return_sheaf().
 *  - munmap, mmap_lock held for write (do_vmi_align_munmap):
 *    vms_gather_munmap_vmas() stores the vma in an on-stack detached tree
 *    (mas_store_gfp of a root: one node), then vma_iter_clear_gfp()
 *    clears the range in the mm's tree (preallocation as at mmap, the old
 *    nodes kfree_rcu()'d).  vms_complete_munmap_vmas() downgrades to
 *    read, zaps the pages, remove_vma() -> vm_area_free() frees the vma,
 *    the lock is dropped and __mt_destroy() frees the detached tree's node
 *    (that tree is not in RCU mode).
 *  - fault: no slab object at steady state (lock_vma_under_rcu walks the
 *    tree under RCU; page-cache folios keep their buffer heads across
 *    cycles; page tables come from the page allocator).
 * Before 6.18 (no sheaves: `cpuslab`) the maple tree preallocated with
 * kmem_cache_alloc()/kmem_cache_alloc_bulk() and freed what it did not
 * use with kmem_cache_free_bulk(); prealloc=auto does that on caches
 * without percpu sheaves.  (Its replaced nodes went through call_rcu() and
 * a kmem_cache_free() in the callback; the model uses kfree_rcu() on every
 * variant, the same free after a grace period.)
 *
 * Per cycle and per mapping (vmas=1 as page_fault3), where each of the
 * two stores into the mm's tree asks for r = nodes + spare nodes: 1
 * vm_area_struct allocated and freed; maple_node: 2 * nodes + 1 nodes
 * allocated (single allocations where r = 1, from 2 prefilled sheaves
 * where r > 1 on a sheaf cache, plus the detached tree's one), 2 * nodes
 * kfree_rcu() and 1 kmem_cache_free(); the 2 * spare unused ones are
 * allocated and freed at once too, unless they stay in a prefilled sheaf.
 * cases/tests/test_page_fault3_slab.py asserts these from the counters.
 *
 * The rest of the kernel's work is spin work, `fault_work` loop turns per
 * fault and `zap_work` per page zapped (a multiply-add chain, 1.08 ns a
 * turn on the development VM).  The defaults make an iteration cost what
 * the kernel's page_fault3 iteration costs on that VM (186-197 ns at 1
 * task, /tmp on ext4, measured beside the model:
 * plans/pf3-calibration.plan), the zap taking the 21-28 % of it that
 * munmap takes there; the
 * slab work is then 0.006 % of an iteration, the order the kernel's
 * profiles allow (at most 0.15 %; calibration and evidence:
 * docs/measurements/pf3.md, cases/README.md).  With real_faults=1 the
 * kernel's own fault and zap are in the loop and both default to 0.
 *
 * Parameters: pages (32768 = 128 MiB per cycle), vmas (1: mappings per
 * cycle, pages split between them), nodes (1: tree nodes replaced per
 * store, leaf first; 0 a slot store), height (2: tree levels a fault
 * walks), spare (0: nodes requested per store beyond those used),
 * prealloc (auto, sheaf, bulk), fault_work, zap_work, first_touch (0:
 * buffer-head objects allocated per page the first time a task faults it,
 * kept until the task ends), bh_size (104), fault_lock (vma or mmap),
 * real_faults (0), mm (shared or task; see Concurrency), map_work (spin
 * turns per mmap + munmap pair: 3000 in mmap2_slab, 0 in page_fault3_slab,
 * whose fault_work and zap_work hold the rest of its kernel work).
 * Metrics: map_latency, unmap_latency (ns, per mapping: the mmap and the
 * munmap), cycles (map/fault/unmap cycles since the task started, warmup
 * included: the scope of the allocator counters, so slabscale compare can
 * divide them per cycle).
 *
 * Concurrency: the mm's tree is written only with mmap_lock held for
 * write.  A store copies each node it changes into a node from the
 * preallocation, publishes it with a release store and kfree_rcu()s the
 * old one, because faults walk the tree under slab_rcu_read_lock() (or
 * mmap_lock for read with fault_lock=mmap).  A vma is faulted only by the
 * task that mapped it, so its read count is never contended.  In threads
 * mode all tasks share one mm (one mmap_lock, one root node); in
 * processes mode each process has its own, as page_fault3.
 *
 * mm=task gives each task its own mm in threads mode too: what the
 * kernel's processes mode is to the slab, separate mms and trees over ONE
 * allocator (one list_lock per node and cache, one barn).  The model's
 * processes each have a private copy of the allocator (fork copies it),
 * so list_lock is never shared between them; threads with mm=task share
 * it as the kernel's processes do.
 */
#include "slab_case.h"

#include <assert.h>
#include <sys/mman.h>

#ifdef PF_MMAP2
/*
 * mmap2_slab.c includes this file with PF_MMAP2: the same mmap/munmap,
 * no page touched (pages 0), one iteration = one mmap + munmap cycle.
 */
char *testcase_description = "mmap2 with the kernel's slab traffic per mmap/munmap (one iteration = one mmap+munmap)";
#define PF_DEFAULT_PAGES	0
#define PF_MIN_PAGES		0
/*
 * The kernel's own mmap + munmap of will-it-scale's 128 MiB MAP_SHARED
 * file, nothing touched, took 4.2-4.7 us on the development VM (1 task,
 * ext4 /tmp, 5 one-second samples: docs/measurements/validation.md); this
 * case's slab traffic took 1.0 us of it at 1 task, so the rest of the
 * kernel's work is 3000 turns (1.08 ns each), half at the mmap under
 * mmap_lock (__mmap_region), half at the munmap after the downgrade
 * (unmap_region, free_pgtables).  Without it the slab is the whole
 * iteration and every slab change is magnified four times.
 */
#define PF_DEFAULT_MAP_WORK	3000
#else
#define PF_DEFAULT_MAP_WORK	0	/* page_fault3: in fault_work, zap_work */
char *testcase_description = "page_fault3 with the kernel's slab traffic per mmap/munmap (one iteration = one fault)";
#define PF_DEFAULT_PAGES	32768
#define PF_MIN_PAGES		nr_vmas
#endif

#ifndef SLAB_TYPESAFE_BY_RCU
#define SLAB_TYPESAFE_BY_RCU	0	/* until allocator/include/slab.h has it */
#endif

#define PF_PAGE_SIZE	4096ul
#define PF_SLOTS	30
#define PF_MAX_HEIGHT	4
#define PF_MAX_VMAS	16
#define PF_MAX_REQUEST	64
#define PF_VMA_SIZE	192	/* sizeof(struct vm_area_struct), cache-aligned */

/* Default spin work: see the header comment and docs/measurements/pf3.md. */
#define PF_FAULT_WORK	130
#define PF_ZAP_WORK	37

struct pf_node {		/* a maple node: 256 bytes, 256-aligned */
	struct rcu_head rcu;
	unsigned long slot[PF_SLOTS];
};
_Static_assert(sizeof(struct pf_node) == 256, "a maple node is 256 bytes");

struct pf_vma {
	unsigned long start, npages;
	int readers;		/* vma_start_read() / vma_end_read() */
	char *map;		/* real_faults: the file mapping */
};

/*
 * The mm's maple tree, flattened: level 0 (the root) is shared by the
 * mm's tasks, levels 1 .. height-1 are each task's own path, and the leaf
 * holds the task's vmas in slots 0 .. vmas-1.  The pointer arrays play the
 * parents' slots.
 */
struct pf_mm {
	pthread_rwlock_t mmap_lock;
	pid_t writer;		/* holder of mmap_lock for write, for asserts */
	struct pf_node *root;
	struct pf_node *(*path)[PF_MAX_HEIGHT];
};

/* A maple state's preallocation: a prefilled sheaf or bulk-allocated nodes. */
struct pf_prealloc {
	struct slab_sheaf *sheaf;
	struct pf_node *node[PF_MAX_REQUEST];
	unsigned int nr;
};

struct pf_task {
	unsigned long nr;
	struct pf_vma *vma[PF_MAX_VMAS];
	unsigned long faulted[PF_MAX_VMAS];
	void **bh;		/* first_touch objects, pages * first_touch */
	bool touched;		/* the first cycle is over */
	int fd;			/* real_faults: the task's unlinked file */
};

static struct slab_case_acct baseline;
static struct kmem_cache *vma_cache, *node_cache, *bh_cache;
static struct pf_mm *mms;	/* one (mm=shared) or one per task (mm=task) */
static bool mm_per_task;
static unsigned long nr_tasks, nr_pages, nr_vmas, nr_nodes, height, spare;
static unsigned long fault_work, zap_work, map_work, first_touch, bh_size;
static bool lock_mmap, real_faults, use_sheaf;
static enum {
	PF_PREALLOC_AUTO,	/* sheaf where the cache has sheaves, else bulk */
	PF_PREALLOC_SHEAF,	/* 6.18+: prefill, alloc_from_sheaf, return */
	PF_PREALLOC_BULK,	/* <= 6.17: alloc(_bulk), free_bulk of the unused */
} prealloc_mode;
static int map_metric, unmap_metric, cycle_metric;

/* The kernel's work that is not slab: a dependent multiply-add chain. */
static inline void pf_work(unsigned long turns)
{
	unsigned long x = turns;

	while (turns--) {
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		__asm__ volatile("" : "+r"(x));
	}
}

static struct kmem_cache *make_cache(const char *name, unsigned int size,
				     unsigned int align, unsigned int sheaves,
				     slab_flags_t flags)
{
	struct kmem_cache_args args = {
		.align = align,
		.sheaf_capacity = sheaves,
	};
	struct kmem_cache *s = kmem_cache_create(name, size, &args, flags);

	if (!s)
		harness_fail("kmem_cache_create(%s, %u) failed", name, size);
	return s;
}

static void read_params(void)
{
	const char *lock, *pre, *which_mm;

	nr_vmas = slab_case_param_range("vmas", 1, 1, PF_MAX_VMAS);
	nr_pages = slab_case_param_range("pages", PF_DEFAULT_PAGES,
					 PF_MIN_PAGES, 1ul << 26);
	height = slab_case_param_range("height", 2, 2, PF_MAX_HEIGHT);
	nr_nodes = slab_case_param_range("nodes", 1, 0, height);
	spare = slab_case_param_range("spare", 0, 0, PF_MAX_REQUEST - nr_nodes);
	real_faults = slab_case_param_range("real_faults", 0, 0, 1);
	fault_work = slab_case_param_range("fault_work",
					   real_faults ? 0 : PF_FAULT_WORK,
					   0, 1ul << 30);
	map_work = slab_case_param_range("map_work",
					 real_faults ? 0 : PF_DEFAULT_MAP_WORK,
					 0, 1ul << 30);
	zap_work = slab_case_param_range("zap_work",
					 real_faults ? 0 : PF_ZAP_WORK,
					 0, 1ul << 30);
	first_touch = slab_case_param_range("first_touch", 0, 0, 16);
	bh_size = slab_case_param_range("bh_size", 104, 8, SLAB_MAX_OBJECT_SIZE);
	which_mm = harness_param("mm", "shared");
	if (!strcmp(which_mm, "task"))
		mm_per_task = true;
	else if (strcmp(which_mm, "shared"))
		harness_param_error("mm", "expected shared or task");
	lock = harness_param("fault_lock", "vma");
	if (!strcmp(lock, "mmap"))
		lock_mmap = true;
	else if (strcmp(lock, "vma"))
		harness_param_error("fault_lock", "expected vma or mmap");
	pre = harness_param("prealloc", "auto");
	if (!strcmp(pre, "auto"))
		prealloc_mode = PF_PREALLOC_AUTO;
	else if (!strcmp(pre, "sheaf"))
		prealloc_mode = PF_PREALLOC_SHEAF;
	else if (!strcmp(pre, "bulk"))
		prealloc_mode = PF_PREALLOC_BULK;
	else
		harness_param_error("prealloc", "expected auto, sheaf or bulk");
}

/* Task nr's mm, and its path's row in that mm's tree. */
static struct pf_mm *task_mm(unsigned long nr)
{
	return &mms[mm_per_task ? nr : 0];
}

static unsigned long mm_row(unsigned long nr)
{
	return mm_per_task ? 0 : nr;
}

static unsigned long mm_rows(void)
{
	return mm_per_task ? 1 : nr_tasks;
}

static unsigned long nr_mms(void)
{
	return mm_per_task ? nr_tasks : 1;
}

static void mmap_write_lock(struct pf_mm *mm)
{
	pthread_rwlock_wrlock(&mm->mmap_lock);
	mm->writer = gettid();
}

static void mmap_write_unlock(struct pf_mm *mm)
{
	mm->writer = 0;
	pthread_rwlock_unlock(&mm->mmap_lock);
}

static struct pf_node **node_slot(unsigned long nr, unsigned long level)
{
	struct pf_mm *mm = task_mm(nr);

	return level ? &mm->path[mm_row(nr)][level] : &mm->root;
}

static struct pf_node *new_tree_node(void)
{
	struct pf_node *n = kmem_cache_alloc(node_cache, GFP_KERNEL | __GFP_ZERO);

	if (!n)
		harness_fail("maple node allocation failed");
	return n;
}

void testcase_prepare(unsigned long tasks)
{
	unsigned long i, l, m;

	read_params();
	nr_tasks = tasks;
	map_metric = harness_metric("map_latency", HARNESS_LATENCY, "ns");
	unmap_metric = harness_metric("unmap_latency", HARNESS_LATENCY, "ns");
	cycle_metric = harness_metric("cycles", HARNESS_COUNTER | HARNESS_ALWAYS,
				      "cycles");

	slab_case_acct_begin(&baseline);
	vma_cache = make_cache("vm_area_struct", PF_VMA_SIZE, 0, 32,
			       SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU);
	node_cache = make_cache("maple_node", sizeof(struct pf_node),
				sizeof(struct pf_node), 32, 0);
	if (first_touch)
		bh_cache = make_cache("buffer_head", bh_size, 0, 0, 0);
	/* the maple tree has used prefilled sheaves since its cache has them */
	use_sheaf = prealloc_mode == PF_PREALLOC_SHEAF ||
		    (prealloc_mode == PF_PREALLOC_AUTO &&
		     kmem_cache_sheaf_capacity(node_cache) > 0);

	mms = calloc(nr_mms(), sizeof(*mms));
	if (!mms)
		harness_fail("out of memory");
	for (m = 0; m < nr_mms(); m++) {
		pthread_rwlock_init(&mms[m].mmap_lock, NULL);
		mms[m].path = calloc(mm_rows(), sizeof(*mms[m].path));
		if (!mms[m].path)
			harness_fail("out of memory");
		mms[m].root = new_tree_node();
		for (i = 0; i < mm_rows(); i++)
			for (l = 1; l < height; l++)
				mms[m].path[i][l] = new_tree_node();
	}
}

static void teardown(const char *where)
{
	unsigned long i, l, m;

	for (m = 0; mms && m < nr_mms(); m++) {
		if (mms[m].path)
			for (i = 0; i < mm_rows(); i++)
				for (l = 1; l < height; l++)
					kmem_cache_free(node_cache,
							mms[m].path[i][l]);
		kmem_cache_free(node_cache, mms[m].root);
		free(mms[m].path);
		pthread_rwlock_destroy(&mms[m].mmap_lock);
	}
	free(mms);
	mms = NULL;
	kmem_cache_destroy(vma_cache);
	kmem_cache_destroy(node_cache);
	kmem_cache_destroy(bh_cache);
	vma_cache = node_cache = bh_cache = NULL;
	slab_case_acct_check(&baseline, where);
}

/*
 * mas_preallocate() / the preallocation in mas_store_gfp(): `want` nodes.
 * Since 6.18 a request of one node (the usual node store) is one
 * kmem_cache_alloc() kept in the maple state, a bigger one a prefilled
 * sheaf; before, every request was kmem_cache_alloc()/_alloc_bulk().
 * mas_store_gfp() first asks without blocking and, like mas_nomem(),
 * retries with GFP_KERNEL; mmap's mas_preallocate() asks with GFP_KERNEL.
 */
static void prealloc_get(struct pf_prealloc *pa, unsigned int want, gfp_t gfp)
{
	pa->sheaf = NULL;
	pa->nr = 0;
	if (!want)
		return;
	if (want > 1 && use_sheaf) {
		pa->sheaf = kmem_cache_prefill_sheaf(node_cache, gfp, want);
		if (!pa->sheaf && gfp != GFP_KERNEL)
			pa->sheaf = kmem_cache_prefill_sheaf(node_cache,
							     GFP_KERNEL, want);
		if (!pa->sheaf)
			harness_fail("kmem_cache_prefill_sheaf(maple_node, %u) failed",
				     want);
		return;
	}
	if (want == 1) {
		pa->node[0] = kmem_cache_alloc(node_cache, gfp);
		if (!pa->node[0] && gfp != GFP_KERNEL)
			pa->node[0] = kmem_cache_alloc(node_cache, GFP_KERNEL);
		pa->nr = pa->node[0] ? 1 : 0;
	} else {
		if (!kmem_cache_alloc_bulk(node_cache, gfp, want, (void **)pa->node) &&
		    (gfp == GFP_KERNEL ||
		     !kmem_cache_alloc_bulk(node_cache, GFP_KERNEL, want,
					    (void **)pa->node)))
			want = 0;
		pa->nr = want;
	}
	if (!pa->nr)
		harness_fail("maple node preallocation failed");
}

/* mas_pop_node(): cannot fail, the preallocation covers the store. */
static struct pf_node *prealloc_pop(struct pf_prealloc *pa)
{
	struct pf_node *n;

	if (pa->sheaf)
		n = kmem_cache_alloc_from_sheaf(node_cache, GFP_NOWAIT, pa->sheaf);
	else
		n = pa->nr ? pa->node[--pa->nr] : NULL;
	if (!n)
		harness_fail("maple node preallocation ran out");
	return n;
}

/* mas_destroy(): what the store did not use goes back. */
static void prealloc_put(struct pf_prealloc *pa)
{
	if (pa->sheaf)
		kmem_cache_return_sheaf(node_cache, GFP_KERNEL, pa->sheaf);
	else if (pa->nr)
		kmem_cache_free_bulk(node_cache, pa->nr, (void **)pa->node);
	pa->sheaf = NULL;
	pa->nr = 0;
}

/*
 * Store vma (or NULL) in slot v of task nr's leaf, mmap_lock held for
 * write: copy the leaf and nodes - 1 of its ancestors into preallocated
 * nodes, publish each copy, kfree_rcu() the node it replaced.  nodes=0 is
 * a slot store or append, which writes the leaf in place.
 */
static void tree_store(unsigned long nr, unsigned int v, struct pf_vma *vma,
		       gfp_t gfp)
{
	struct pf_prealloc pa;
	struct pf_node *old, *new, **pp;
	unsigned long k;

	assert(task_mm(nr)->writer == gettid());	/* mmap_lock held for write */
	prealloc_get(&pa, nr_nodes + spare, gfp);
	if (!nr_nodes) {
		pp = node_slot(nr, height - 1);
		__atomic_store_n(&(*pp)->slot[v], (unsigned long)vma,
				 __ATOMIC_RELEASE);
	}
	for (k = 0; k < nr_nodes; k++) {
		pp = node_slot(nr, height - 1 - k);
		old = *pp;
		new = prealloc_pop(&pa);
		memcpy(new->slot, old->slot, sizeof(new->slot));
		if (k == 0)
			new->slot[v] = (unsigned long)vma;
		else
			new->slot[(nr + v) % PF_SLOTS]++;	/* a pivot */
		__atomic_store_n(pp, new, __ATOMIC_RELEASE);
		kfree_rcu(old, rcu);
	}
	prealloc_put(&pa);
}

/* Mapping v's pages: the cycle's pages split as evenly as they go. */
static unsigned long vma_pages(unsigned int v)
{
	return nr_pages / nr_vmas + (v < nr_pages % nr_vmas);
}

static unsigned long vma_first_page(unsigned int v)
{
	unsigned long rem = nr_pages % nr_vmas;

	return v * (nr_pages / nr_vmas) + (v < rem ? v : rem);
}

static void map_vma(struct pf_task *t, unsigned int v, unsigned long npages)
{
	unsigned long long t0 = harness_now_ns();
	struct pf_vma *vma;

	mmap_write_lock(task_mm(t->nr));
	vma = kmem_cache_alloc(vma_cache, GFP_KERNEL);		/* vm_area_alloc */
	if (!vma)
		harness_fail("vm_area_struct allocation failed");
	vma->start = (t->nr << 40) + ((unsigned long)v << 32);
	vma->npages = npages;
	vma->readers = 0;
	vma->map = NULL;
	if (real_faults) {
		vma->map = mmap(NULL, npages * PF_PAGE_SIZE,
				PROT_READ | PROT_WRITE, MAP_SHARED, t->fd,
				(off_t)(vma_first_page(v) * PF_PAGE_SIZE));
		if (vma->map == MAP_FAILED)
			harness_fail("mmap: %s", strerror(errno));
	}
	pf_work(map_work / 2);				/* __mmap_region */
	tree_store(t->nr, v, vma, GFP_KERNEL);		/* vma_iter_store_new */
	mmap_write_unlock(task_mm(t->nr));
	t->vma[v] = vma;
	t->faulted[v] = 0;
	harness_record(map_metric, harness_now_ns() - t0);
}

/* lock_vma_under_rcu(): walk the tree, take the vma's read reference. */
static struct pf_vma *fault_lock_vma(unsigned long nr, unsigned int v)
{
	struct pf_node *n = NULL;
	struct pf_vma *vma;
	unsigned long l, seen = 0;

	if (lock_mmap)
		pthread_rwlock_rdlock(&task_mm(nr)->mmap_lock);
	else
		slab_rcu_read_lock();
	for (l = 0; l < height; l++) {
		n = __atomic_load_n(node_slot(nr, l), __ATOMIC_ACQUIRE);
		seen += n->slot[(nr + l) % PF_SLOTS];
	}
	vma = (struct pf_vma *)__atomic_load_n(&n->slot[v], __ATOMIC_ACQUIRE);
	if (!lock_mmap) {
		__atomic_fetch_add(&vma->readers, 1, __ATOMIC_ACQUIRE);
		slab_rcu_read_unlock();
	}
	__asm__ volatile("" : : "r"(seen));
	return vma;
}

static void fault_unlock_vma(unsigned long nr, struct pf_vma *vma)
{
	if (lock_mmap)
		pthread_rwlock_unlock(&task_mm(nr)->mmap_lock);
	else
		__atomic_fetch_sub(&vma->readers, 1, __ATOMIC_RELEASE);
}

static void fault_page(struct pf_task *t, unsigned int v, unsigned long pg)
{
	struct pf_vma *vma = fault_lock_vma(t->nr, v);
	unsigned long i = t->faulted[v]++;
	unsigned long j, at;

	pf_work(fault_work);
	if (vma->map)
		vma->map[i * PF_PAGE_SIZE] = 1;
	if (first_touch && !t->touched) {
		/* create_empty_buffers() on the folio's first write fault */
		for (j = 0; j < first_touch; j++) {
			at = pg * first_touch + j;
			t->bh[at] = kmem_cache_alloc(bh_cache, GFP_KERNEL);
			if (!t->bh[at])
				harness_fail("buffer head allocation failed");
		}
	}
	fault_unlock_vma(t->nr, vma);
}

static void unmap_vma(struct pf_task *t, unsigned int v)
{
	unsigned long long t0 = harness_now_ns();
	struct pf_vma *vma = t->vma[v];
	struct pf_mm *mm = task_mm(t->nr);
	struct pf_prealloc pa;
	struct pf_node *detached;

	mmap_write_lock(mm);
	/* vms_gather_munmap_vmas(): the vma into the detached tree */
	prealloc_get(&pa, 1, GFP_NOWAIT | __GFP_NOWARN);
	detached = prealloc_pop(&pa);
	memset(detached->slot, 0, sizeof(detached->slot));
	detached->slot[0] = (unsigned long)vma;
	prealloc_put(&pa);
	/* vma_iter_clear_gfp(): out of the mm's tree */
	tree_store(t->nr, v, NULL, GFP_NOWAIT | __GFP_NOWARN);
	/* mmap_write_downgrade(); glibc has none, a writer may slip in */
	mmap_write_unlock(mm);
	pthread_rwlock_rdlock(&mm->mmap_lock);
	pf_work(zap_work * t->faulted[v]);		/* vms_clear_ptes */
	pf_work(map_work - map_work / 2);		/* unmap_region */
	if (vma->map && munmap(vma->map, vma->npages * PF_PAGE_SIZE))
		harness_fail("munmap: %s", strerror(errno));
	kmem_cache_free(vma_cache, vma);		/* remove_vma */
	pthread_rwlock_unlock(&mm->mmap_lock);
	kmem_cache_free(node_cache, detached);		/* __mt_destroy */
	t->vma[v] = NULL;
	harness_record(unmap_metric, harness_now_ns() - t0);
}

static void task_init(struct pf_task *t, unsigned long nr)
{
	char path[] = "/tmp/slabscale.page_fault3_slab.XXXXXX";

	memset(t, 0, sizeof(*t));
	t->nr = nr;
	t->fd = -1;
	if (first_touch) {
		t->bh = calloc(nr_pages * first_touch, sizeof(void *));
		if (!t->bh)
			harness_fail("out of memory");
	}
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
	unsigned long i;

	if (t->bh) {
		/* the buffer heads go with the page cache: at the task's end */
		for (i = 0; i < nr_pages * first_touch; i++)
			if (t->bh[i])
				kmem_cache_free(bh_cache, t->bh[i]);
		free(t->bh);
	}
	if (t->fd >= 0)
		close(t->fd);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct pf_task t;
	unsigned long i, pg, n, done = 0;
	unsigned int v;
	bool stop = false;

	task_init(&t, nr);
	while (!stop) {
		for (v = 0; v < nr_vmas; v++)
			map_vma(&t, v, vma_pages(v));
		for (v = 0, pg = 0; v < nr_vmas && !stop; v++) {
			n = vma_pages(v);
			for (i = 0; i < n; i++, pg++) {
				if ((done++ & 1023) == 0 && harness_should_stop()) {
					stop = true;
					break;
				}
				fault_page(&t, v, pg);
				(*iterations)++;
			}
		}
		for (v = 0; v < nr_vmas; v++)
			unmap_vma(&t, v);
		if (!stop)
			t.touched = true;
		harness_record(cycle_metric, 1);
#ifdef PF_MMAP2
		(*iterations)++;
		if (harness_should_stop())
			stop = true;
#endif
	}
	task_exit(&t);
	if (harness_processes_mode())
		teardown("task teardown");
}

void testcase_cleanup(void)
{
	teardown("cleanup");
}
