// SPDX-License-Identifier: GPL-2.0-only
/*
 * percpu.c - CPU numbers, the NUMA node map and the slow halves of the
 * per-CPU lock (see percpu.h for the design).
 *
 * Topology: nr_cpu_ids is the number of possible CPUs.  Nodes come from
 * SLABSCALE_NODES=N (CPU c is on node c % N, for testing the remote-node
 * paths on a one-node machine) or else from /sys/devices/system/node.
 * Nodes without memory come from SLABSCALE_MEMORYLESS=LIST (node ids,
 * "1" or "1,3" or "2-5"; only with SLABSCALE_NODES) or else from sysfs's
 * has_normal_memory (the kernel's N_NORMAL_MEMORY, its slab_nodes): such
 * a node has CPUs but no pages, so its slabs come from the nearest node
 * with memory (local_memory_node(), the first node of its zonelist; with
 * no distance table here, the nearest by node number, ties to the lower).
 * Per-CPU mode: rseq unless SLABSCALE_NO_RSEQ=1, the build has no rseq asm,
 * glibc did not register rseq (valgrind) or membarrier's rseq command is
 * missing (needed by percpu_lock_remote()).
 */
#include <dirent.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include "node_list.h"
#include "percpu.h"

unsigned int nr_cpu_ids = 1;
unsigned int nr_node_ids = 1;
bool slab_use_rseq;
/* node of every CPU, with the guard indexes -2 and -1 (node 0) below */
unsigned char slab_node_map[PERCPU_GUARDS + SLAB_MAX_CPUS];
#define cpu_node_map	(slab_node_map + PERCPU_GUARDS)
/* node -> nearest node with memory (itself when it has memory) */
static unsigned char mem_node_map[MAX_NUMNODES];
static bool topology_from_env;

/*
 * Without rseq the CPU number only spreads threads over the per-CPU
 * structures (the locks are compare-and-swaps, correct on any index), so
 * a thread asks the kernel once and again only after a failed trylock:
 * sched_getcpu() is a system call when glibc has no rseq area (valgrind).
 */
__thread unsigned long slab_thread_cpu_off;

int slab_cpu_id_slow(void)
{
	int cpu = sched_getcpu();

	if (cpu < 0 || (unsigned int)cpu >= nr_cpu_ids)
		cpu = 0;
	if (!slab_use_rseq)
		slab_thread_cpu_off = (unsigned long)(cpu + 1) <<
				      PERCPU_SHIFT;
	return cpu;
}

void slab_cpu_repick(void)
{
	slab_thread_cpu_off = 0;
}

void *percpu_trylock_retry(void *base)
{
	if (slab_use_rseq)
		return NULL;
	if (slab_thread_cpu_off) {
		slab_cpu_repick();
		return NULL;
	}
	slab_cpu_id_slow();
	return percpu_trylock_fast(base);
}

__thread unsigned int slab_preempt_count = PREEMPT_NEED_RESCHED;
bool slab_preempt_underflow;

int slab_cpu_id(void)
{
	return current_cpu();
}

int cpu_to_node(int cpu)
{
	if (cpu < 0 || cpu >= SLAB_MAX_CPUS)
		return 0;
	return cpu_node_map[cpu];
}

int numa_node_id(void)
{
	return cpu_node_map[current_cpu()];
}

bool node_has_memory(int node)
{
	if (node < 0 || node >= (int)nr_node_ids)
		return false;
	return mem_node_map[node] == node;
}

int local_memory_node(int node)
{
	if (node < 0 || node >= (int)nr_node_ids)
		return 0;
	return mem_node_map[node];
}

int slab_node_count(void)
{
	return (int)nr_node_ids;
}

bool slab_topology_from_env(void)
{
	return topology_from_env;
}

/*
 * Parse a node list ("1", "1,3", "0-2,5") into mask (bit per node) for a
 * machine of nodes nodes.  0, or -1 with a message in err.  The list must
 * leave at least one node with memory.
 */
int slab_parse_memoryless(const char *list, int nodes, unsigned int *mask,
			  char *err, size_t len)
{
	*mask = 0;
	if (nodes < 1 || nodes > MAX_NUMNODES) {
		snprintf(err, len, "nodes %d is not in 1..%d", nodes,
			 MAX_NUMNODES);
		return -1;
	}
	switch (node_list_parse(list, nodes, mask)) {
	case NODE_LIST_RANGE:
		snprintf(err, len, "memoryless node list '%s': nodes are 0..%d",
			 list, nodes - 1);
		return -1;
	case NODE_LIST_SYNTAX:
		snprintf(err, len, "bad memoryless node list '%s' (node ids: 1 "
			 "or 1,3 or 2-5)", list);
		return -1;
	}
	if (*mask == (1u << nodes) - 1) {
		snprintf(err, len, "memoryless node list '%s' leaves no node "
			 "with memory", list);
		return -1;
	}
	return 0;
}

/* the nearest node with memory by node number, ties to the lower */
static void mem_node_map_init(unsigned int memoryless)
{
	int node, d, n = (int)nr_node_ids;

	for (node = 0; node < n; node++) {
		mem_node_map[node] = node;
		if (!(memoryless & (1u << node)))
			continue;
		for (d = 1; d < n; d++) {
			if (node - d >= 0 && !(memoryless & (1u << (node - d)))) {
				mem_node_map[node] = node - d;
				break;
			}
			if (node + d < n && !(memoryless & (1u << (node + d)))) {
				mem_node_map[node] = node + d;
				break;
			}
		}
	}
}

/* sysfs's has_normal_memory as a mask of memoryless nodes (0 if absent) */
static unsigned int sysfs_memoryless(void)
{
	char buf[256], err[128];
	unsigned int has = 0;
	FILE *f = fopen("/sys/devices/system/node/has_normal_memory", "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	/* the list names the nodes with memory: parse it against all nodes */
	if (!*buf || slab_parse_memoryless(buf, MAX_NUMNODES, &has, err,
					   sizeof(err)))
		return 0;
	return ~has & ((1u << nr_node_ids) - 1);
}

static int sysfs_cpu_node(int cpu)
{
	char path[96];
	struct dirent *d;
	DIR *dir;
	int node = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (!strncmp(d->d_name, "node", 4) &&
		    d->d_name[4] >= '0' && d->d_name[4] <= '9') {
			node = atoi(d->d_name + 4);
			break;
		}
	}
	closedir(dir);
	return node;
}

/* SLABSCALE_MEMORYLESS for a machine of nodes nodes (0: none, or bad) */
static unsigned int env_memoryless(int nodes)
{
	const char *env = getenv("SLABSCALE_MEMORYLESS");
	unsigned int mask;
	char err[160];

	if (!env || !*env)
		return 0;
	if (slab_parse_memoryless(env, nodes, &mask, err, sizeof(err))) {
		fprintf(stderr, "slab: SLABSCALE_MEMORYLESS: %s; every node "
			"has memory\n", err);
		return 0;
	}
	return mask;
}

static void topology_init(void)
{
	const char *env = getenv("SLABSCALE_NODES");
	unsigned int cpu, max_node = 0;
	int n = get_nprocs_conf();

	nr_cpu_ids = n > 0 ? (unsigned int)n : 1;
	if (nr_cpu_ids > SLAB_MAX_CPUS)
		nr_cpu_ids = SLAB_MAX_CPUS;
	if (env && *env) {
		int nodes = atoi(env);

		if (nodes < 1 || nodes > MAX_NUMNODES) {
			fprintf(stderr, "slab: SLABSCALE_NODES=%s is not in "
				"1..%d, using 1\n", env, MAX_NUMNODES);
			nodes = 1;
		}
		nr_node_ids = nodes;
		topology_from_env = true;
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			cpu_node_map[cpu] = cpu % nodes;
		mem_node_map_init(env_memoryless(nodes));
		return;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		int node = sysfs_cpu_node(cpu);

		if (node < 0 || node >= MAX_NUMNODES)
			node = 0;
		cpu_node_map[cpu] = node;
		if ((unsigned int)node > max_node)
			max_node = node;
	}
	nr_node_ids = max_node + 1;
	mem_node_map_init(sysfs_memoryless());
}

/*
 * rseq mode needs glibc's registration, membarrier's rseq command (for
 * percpu_lock_remote()) and glibc's rseq area at the offset the sequences
 * were built for (rseq.h): a stale build runs in atomic mode, never wrong.
 */
static bool rseq_usable(void)
{
	const char *env = getenv("SLABSCALE_NO_RSEQ");

	if (!SLAB_HAVE_RSEQ_ASM || (env && *env && strcmp(env, "0")))
		return false;
	if (__rseq_size < 20 || (int)rseq_area()->cpu_id < 0)
		return false;
	if (__rseq_offset != SLAB_RSEQ_OFFSET)
		return false;
	if (syscall(SYS_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		return false;
	return true;
}

void percpu_init(void)
{
	topology_init();
	slab_use_rseq = rseq_usable();
}

static pthread_mutex_t remote_mutex = PTHREAD_MUTEX_INITIALIZER;

static void wait_a_little(unsigned int *spins)
{
	if (++*spins > 16)
		sched_yield();
	else
		cpu_relax();
}

/*
 * One attempt at taking a CPU's lock word from outside: compare-and-swap
 * 0 -> REMOTE; in rseq mode then abort the sequences in flight on that CPU
 * and make sure none committed its own lock over ours (the word must still
 * read REMOTE).  rseq mode: call with remote_mutex held.
 */
static bool remote_claim(unsigned int *lock, int cpu)
{
	unsigned int zero = 0;

	if (!__atomic_compare_exchange_n(lock, &zero, PERCPU_REMOTE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	if (!slab_use_rseq)
		return true;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		    MEMBARRIER_CMD_FLAG_CPU, cpu))
		syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
			0, 0);
	/* not REMOTE: a sequence committed its lock over ours, it owns it */
	return __atomic_load_n(lock, __ATOMIC_ACQUIRE) == PERCPU_REMOTE;
}

/*
 * Remote locks this thread holds: a counter reader that holds one (a test,
 * a fork handler) must not wait for a lock, which may be its own.
 */
__thread unsigned int slab_remote_locks;

unsigned long percpu_lock_remote(unsigned int *lock, int cpu)
{
	unsigned long start = 0;
	unsigned int spins = 0;

	if (slab_use_rseq)
		pthread_mutex_lock(&remote_mutex);
	while (!remote_claim(lock, cpu)) {
		if (!start)
			start = lock_stat_now_ns();
		wait_a_little(&spins);
	}
	if (slab_use_rseq)
		pthread_mutex_unlock(&remote_mutex);
	slab_remote_locks++;
	return start ? lock_stat_now_ns() - start : 0;
}

/*
 * percpu_lock_remote() without the waiting: false when the word is held,
 * another remote locker is busy, or a sequence on that CPU took the lock
 * while we were asking.  For readers that must never wait for a holder
 * (which may be the calling thread itself).
 */
bool percpu_trylock_remote(unsigned int *lock, int cpu)
{
	bool locked;

	if (!slab_use_rseq) {
		locked = remote_claim(lock, cpu);
	} else {
		if (pthread_mutex_trylock(&remote_mutex))
			return false;
		locked = remote_claim(lock, cpu);
		pthread_mutex_unlock(&remote_mutex);
	}
	if (locked)
		slab_remote_locks++;
	return locked;
}

void percpu_unlock_remote(unsigned int *lock)
{
	slab_remote_locks--;
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}
