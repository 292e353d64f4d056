// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_crash - test-only case (build/test/slabscale-run): task `task`
 * misbehaves `after_ms` after the start, as `how` says: segv, abort,
 * fail (harness_fail), return (returns from testcase() early), kill
 * (SIGKILL, which no handler sees) or exit (exit(7) without a word).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "slabscale.h"

char *testcase_description = "Test only: a task that crashes";

static const char *how;
static unsigned long victim, after_ms;

void testcase_prepare(unsigned long nr_tasks)
{
	(void)nr_tasks;
	how = harness_param("how", "segv");
	if (strcmp(how, "segv") && strcmp(how, "abort") && strcmp(how, "fail") &&
	    strcmp(how, "return") && strcmp(how, "kill") && strcmp(how, "exit"))
		harness_param_error("how", "expected segv, abort, fail, return, "
				    "kill or exit");
	victim = harness_param_ulong("task", 1);
	after_ms = harness_param_ulong("after_ms", 300);
}

static void misbehave(void)
{
	if (!strcmp(how, "abort"))
		abort();
	if (!strcmp(how, "fail"))
		harness_fail("asked to fail");
	if (!strcmp(how, "kill"))
		kill(getpid(), SIGKILL);
	if (!strcmp(how, "exit"))
		exit(7);
	if (!strcmp(how, "segv")) {
		/* a real fault the compiler cannot see coming */
		volatile char *p = mmap(NULL, 4096, PROT_NONE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		p[0] = 1;
	}
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	unsigned long long t0 = harness_now_ns();

	for (;;) {
		(*iterations)++;
		if (nr == victim &&
		    harness_now_ns() - t0 > after_ms * 1000000ULL) {
			if (!strcmp(how, "return"))
				return;
			misbehave();
		}
	}
}
