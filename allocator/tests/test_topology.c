// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_topology.c - the node topology: SLABSCALE_MEMORYLESS parsing, the
 * memoryless mapping (a memoryless node's slabs come from the nearest
 * node with memory, it has no barn before 7.1's memoryless barns), and
 * the remote paths of two nodes with one CPU each: remote frees, remote
 * refills, both nodes' barns and list_locks.
 *
 * The allocator reads its topology when the program loads, so the test
 * runs itself again with SLABSCALE_NODES=2 and SLABSCALE_MEMORYLESS=1
 * (then with no memoryless node), whatever environment it was started
 * in; sanitizer builds, which run it once, get every shape too.
 */
#include <sched.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "slab_internal.h"

#define ROUNDS		2000
#define BATCH		96	/* more than a sheaf: refills and flushes */

static void parse_ok(const char *list, int nodes, unsigned int want)
{
	unsigned int mask = 0xdead;
	char err[160];

	CHECK_EQ(slab_parse_memoryless(list, nodes, &mask, err, sizeof(err)),
		 0);
	CHECK_EQ(mask, want);
}

static void parse_bad(const char *list, int nodes, const char *needle)
{
	unsigned int mask;
	char err[160] = "";

	CHECK_EQ(slab_parse_memoryless(list, nodes, &mask, err, sizeof(err)),
		 -1);
	if (!strstr(err, needle)) {
		fprintf(stderr, "parse '%s' (%d nodes): '%s' lacks '%s'\n",
			list, nodes, err, needle);
		abort();
	}
}

static void test_parse(void)
{
	parse_ok("1", 2, 0x2);
	parse_ok("0", 2, 0x1);
	parse_ok("0,2-3,5", 8, 0x2d);
	parse_ok("1-6", 8, 0x7e);
	parse_ok("", 2, 0);
	parse_bad("2", 2, "nodes are 0..1");
	parse_bad("0,1", 2, "leaves no node with memory");
	parse_bad("0-7", 8, "leaves no node with memory");
	parse_bad("a", 2, "bad memoryless node list");
	parse_bad("1-", 4, "bad memoryless node list");
	parse_bad("1,", 4, "bad memoryless node list");
	parse_bad("3-1", 4, "nodes are 0..3");
	parse_bad("1", 0, "not in 1..8");
	parse_bad("1", 9, "not in 1..8");
}

/* ---- two threads on two nodes ------------------------------------------ */
struct side {
	int cpu;
	struct kmem_cache *s;
	void *out[BATCH];		/* allocated here, freed by the other */
	int bad_node;			/* objects on a memoryless node */
};

static pthread_barrier_t step;
static struct side sides[2];

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* one CPU: both threads share it; the paths still run */
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *side_fn(void *arg)
{
	struct side *me = arg, *other = &sides[me == &sides[0]];
	unsigned int r, i;

	pin(me->cpu);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < BATCH; i++) {
			void *p = kmem_cache_alloc(me->s, GFP_KERNEL);

			CHECK(p);
			if (!node_has_memory(virt_to_slab(p)->node))
				me->bad_node++;
			memset(p, 0x5a, 64);
			me->out[i] = p;
		}
		pthread_barrier_wait(&step);
		/* free the other side's objects: remote for one of us */
		for (i = 0; i < BATCH; i++)
			kmem_cache_free(me->s, other->out[i]);
		pthread_barrier_wait(&step);
	}
	return NULL;
}

static void cross_node_traffic(struct kmem_cache *s)
{
	pthread_t th[2];
	int i;

	CHECK(!pthread_barrier_init(&step, NULL, 2));
	for (i = 0; i < 2; i++) {
		sides[i].cpu = (int)(i % nr_cpu_ids);
		sides[i].s = s;
		sides[i].bad_node = 0;
		CHECK(!pthread_create(&th[i], NULL, side_fn, &sides[i]));
	}
	for (i = 0; i < 2; i++)
		CHECK(!pthread_join(th[i], NULL));
	pthread_barrier_destroy(&step);
	CHECK_EQ(sides[0].bad_node + sides[1].bad_node, 0);
}

/*
 * A sheaf refill on a CPU whose node has no partial slab while the other
 * node has more than min_partial: from "refill sheaves from all nodes"
 * on it takes the other node's partial slabs (counted as refill_remote),
 * before that a new local slab.  CPU 1 allocates REMOTE_OBJS objects
 * (node 1's slabs), CPU 0 frees three in four of them (remote frees,
 * which reach node 1's partial list), then CPU 0 allocates.
 */
#define REMOTE_OBJS	1024

static void *remote_objs[REMOTE_OBJS], *local_objs[64];

/* each side a new thread pinned before its first allocation (atomic mode
 * picks a thread's CPU at its first allocation) */
static void *alloc_on_cpu1(void *arg)
{
	struct kmem_cache *s = arg;
	unsigned int i;

	pin(1);
	for (i = 0; i < REMOTE_OBJS; i++)
		CHECK(remote_objs[i] = kmem_cache_alloc(s, GFP_KERNEL));
	return NULL;
}

static void *free_and_alloc_on_cpu0(void *arg)
{
	struct kmem_cache *s = arg;
	unsigned long long slabs;
	unsigned int i;

	pin(0);
	for (i = 0; i < REMOTE_OBJS; i++)
		if (i % 4)
			kmem_cache_free(s, remote_objs[i]);
	CHECK(READ_ONCE(s->node[1]->nr_partial) > s->min_partial);
	CHECK_EQ(READ_ONCE(s->node[0]->nr_partial), 0);
	slabs = tu_stat(s, ALLOC_SLAB);
	for (i = 0; i < 64; i++)
		CHECK(local_objs[i] = kmem_cache_alloc(s, GFP_KERNEL));
	if (IS_ENABLED(CONFIG_SLUB_REFILL_ALL_NODES)) {
		CHECK(tu_stat(s, REFILL_REMOTE) > 0);
		CHECK_EQ(slab_node_of(local_objs[0]), 1);
	} else {
		CHECK_EQ(tu_stat(s, REFILL_REMOTE), 0);
		if (!IS_ENABLED(CONFIG_SLUB_CPU_SLAB))
			CHECK(tu_stat(s, ALLOC_SLAB) > slabs);
	}
	for (i = 0; i < 64; i++)
		kmem_cache_free(s, local_objs[i]);
	for (i = 0; i < REMOTE_OBJS; i += 4)
		kmem_cache_free(s, remote_objs[i]);
	return NULL;
}

static void test_remote_refill(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s;
	pthread_t th;

	if (nr_cpu_ids < 2)
		return;		/* one CPU: no CPU on node 1 */
	s = kmem_cache_create("remote_refill", 64, &args, 0);
	CHECK(s);
	CHECK(!pthread_create(&th, NULL, alloc_on_cpu1, s));
	CHECK(!pthread_join(th, NULL));
	CHECK(!pthread_create(&th, NULL, free_and_alloc_on_cpu0, s));
	CHECK(!pthread_join(th, NULL));
	printf("test_topology: remote refill ok (%s, %llu objects from node 1)\n",
	       slab_variant(), tu_stat(s, REFILL_REMOTE));
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

static void test_nodes(bool memoryless)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct page_alloc_info before, after;
	struct slab_lock_stat locks[NR_SLAB_LOCK_CLASSES];
	struct kmem_cache *s;
	unsigned long long lists;

	CHECK_EQ(nr_node_ids, 2);
	CHECK(node_has_memory(0));
	CHECK_EQ(node_has_memory(1), !memoryless);
	CHECK_EQ(local_memory_node(0), 0);
	CHECK_EQ(local_memory_node(1), memoryless ? 0 : 1);
	if (nr_cpu_ids >= 2)
		CHECK_EQ(cpu_to_node(1), 1);

	page_alloc_info(&before);
	s = kmem_cache_create("topology", 64, &args, 0);
	CHECK(s);
	if (s->cpu_sheaves) {
		/* a barn per node with memory; 7.1 adds the memoryless ones */
		CHECK(s->barn[0]);
		CHECK_EQ(s->barn[1] != NULL,
			 !memoryless || IS_ENABLED(CONFIG_SLUB_MEMORYLESS_BARNS));
		if (nr_cpu_ids >= 2)
			CHECK(s->cpu_sheaves[1].barn == s->barn[1]);
	}
	/* every object of a memoryless node's slab comes from node 0 */
	cross_node_traffic(s);
	if (memoryless)
		CHECK_EQ(s->node[1]->nr_slabs, 0);
	/*
	 * Remote frees reach the slabs (under list_lock at times), except
	 * 7.1's memoryless CPU, which keeps them in its sheaves.
	 */
	if (nr_cpu_ids >= 2 &&
	    !(memoryless && IS_ENABLED(CONFIG_SLUB_MEMORYLESS_BARNS) && s->cpu_sheaves))
		CHECK(tu_stat(s, FREE_SLOWPATH) > 0);
	kmem_cache_lock_stats(s, locks);
	lists = locks[SLAB_LOCK_LIST].acquired;
	CHECK(lists > 0);
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
	if (!memoryless)
		test_remote_refill();
	page_alloc_info(&after);
	CHECK_EQ(after.slab_pages, before.slab_pages);
	printf("test_topology: ok (%s, %s, 2 nodes%s, list_lock %llu)\n",
	       slab_variant(), slab_use_rseq ? "rseq" : "atomic",
	       memoryless ? ", node 1 memoryless" : "", lists);
}

/* run this program again with the topology in the environment */
static void run_with(char **argv, const char *memoryless)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (!pid) {
		setenv("SLABSCALE_NODES", "2", 1);
		setenv("SLABSCALE_MEMORYLESS", memoryless, 1);
		setenv("TEST_TOPOLOGY_CHILD", "1", 1);
		execv("/proc/self/exe", argv);
		perror("execv");
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	const char *m = getenv("SLABSCALE_MEMORYLESS");

	(void)argc;
	tu_capture();
	if (getenv("TEST_TOPOLOGY_CHILD")) {
		test_nodes(m && *m);
		return 0;
	}
	test_parse();
	run_with(argv, "1");
	run_with(argv, "");
	printf("test_topology: ok (parsing, memoryless and two-node runs)\n");
	return 0;
}
