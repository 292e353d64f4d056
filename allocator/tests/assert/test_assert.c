// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_assert.c - the debug build's assertions (slab_assert.h) fire: each
 * case breaks one invariant on purpose, in a child process, and expects
 * the child to abort with the assertion's message on stderr.  Built and
 * run only in the assert column (allocator.mk: tests/assert/), every
 * variant, rseq and atomic mode:
 *  - list_lock: add_partial() called without the node's list_lock
 *    (slab_lockdep_assert_held);
 *  - pcs lock: a fold (the start of a counter bracket) on sheaves that
 *    are not locked (variants with sheaves);
 *  - bracket: a counted push inside an open bracket (variants with
 *    sheaves);
 *  - tid: the cpu slab's locked_ops moved by one, so tid's equations have
 *    no whole solution; the next locked change of (freelist, tid) checks
 *    them (variants with a cpu slab).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../testutil.h"
#include "pcs.h"

/*
 * Run broken() in a child with stderr captured; it must die of SIGABRT
 * having printed the assertion, naming cond and func.
 */
static void expect_assert(const char *what, void (*broken)(void),
			  const char *cond, const char *func)
{
	char out[4096];
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	fflush(NULL);
	CHECK(!pipe(fds));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		close(fds[0]);
		dup2(fds[1], 2);
		broken();
		fprintf(stderr, "no assertion fired\n");
		_exit(0);
	}
	close(fds[1]);
	while (len < sizeof(out) - 1 &&
	       (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT ||
	    !strstr(out, "slab: assertion failed: ") || !strstr(out, cond) ||
	    !strstr(out, func)) {
		fprintf(stderr, "%s: expected an abort with \"%s\" in %s(), "
			"got status 0x%x and:\n%s", what, cond, func, status,
			out);
		abort();
	}
	printf("%s: the assertion fired: %s", what,
	       strstr(out, "slab: assertion failed: "));
}

static struct kmem_cache *cache;

static void add_partial_unlocked(void)
{
	static struct slab slab;

	add_partial(get_node(cache, 0), &slab, true);
}

static void fold_unlocked(void)
{
	pcs_main_fold(&cache->cpu_sheaves[0]);
}

static void counted_push_in_bracket(void)
{
	struct slub_percpu_sheaves *pcs = pcs_lock_cpu(cache, 0);
	void *object = NULL;

	pcs_push_counted(pcs, pcs->main, &object);
}

static void tid_off_by_one(void)
{
	void *objects[4096];
	unsigned int cpu, i;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		cache->cpu_slab[cpu].locked_ops++;
	/* more than a slab: the cpu slab is refilled under its lock */
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		objects[i] = kmem_cache_alloc(cache, GFP_KERNEL);
}

int main(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	void *warm;

	cache = kmem_cache_create("test_assert", 64, &args, 0);
	CHECK(cache);
	/* the cache's per-CPU state and a slab exist */
	warm = kmem_cache_alloc(cache, GFP_KERNEL);
	CHECK(warm);
	kmem_cache_free(cache, warm);

	expect_assert("list_lock", add_partial_unlocked,
		      "assertion failed: spin_is_held(&n->list_lock)",
		      "add_partial");
	if (cache->cpu_sheaves) {
		expect_assert("pcs lock", fold_unlocked,
			      "assertion failed: READ_ONCE((pcs)->lock)",
			      "pcs_main_fold");
		expect_assert("bracket", counted_push_in_bracket,
			      "assertion failed: !pcs_in_bracket(pcs)",
			      "pcs_push_counted");
	}
	if (cache->cpu_slab)
		expect_assert("tid", tid_off_by_one,
			      "assertion failed: !((ops - net) & 1)",
			      "cpu_slab_assert_tid");
	kmem_cache_destroy(cache);
	return 0;
}
