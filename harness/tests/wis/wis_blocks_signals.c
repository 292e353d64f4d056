// SPDX-License-Identifier: GPL-2.0-only
/*
 * wis_blocks_signals - a task that blocks every signal and then spins: a
 * thread like this can be neither cancelled nor parked (harness/src/host.c).
 * In threads mode the run must fail saying so, after testcase_cleanup()
 * ran; in processes mode SIGKILL stops it and the run is ok.
 */
#include <stdio.h>
#include <signal.h>
#include <unistd.h>

char *testcase_description = "getppid with every signal blocked";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	while (1) {
		getppid();

		(*iterations)++;
	}
}

void testcase_cleanup(void)
{
	fprintf(stderr, "wis_blocks_signals: cleanup ran\n");
}
