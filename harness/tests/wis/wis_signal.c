// SPDX-License-Identifier: GPL-2.0-only
/*
 * wis_signal - will-it-scale's signal1.c shape: every iteration raises
 * SIGUSR1 at itself and its handler runs; no cancellation point.
 */
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

void handler(int junk)
{
	/* Do Nothing */
}

char *testcase_description = "signal delivery to self";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	sigaction(SIGUSR1, &act, NULL);

	while (1) {
		raise(SIGUSR1);

		(*iterations)++;
	}
}
