// SPDX-License-Identifier: GPL-2.0-only
/*
 * wis_forker - a task that fork()s a process of its own (not new_task())
 * which then sleeps forever, and loops on getppid().  The tests check that
 * the child does not outlive the run: it is printed on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
#include <assert.h>

char *testcase_description = "getppid with a forked sleeper";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	pid_t pid = fork();

	assert(pid >= 0);
	if (!pid) {
		while (1)
			pause();
	}
	fprintf(stderr, "wis_forker: child pid %d\n", pid);

	while (1) {
		getppid();

		(*iterations)++;
	}
}
