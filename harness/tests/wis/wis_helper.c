// SPDX-License-Identifier: GPL-2.0-only
/*
 * wis_helper - will-it-scale's context_switch1.c shape: the task starts a
 * partner with new_task() and the two ping-pong a byte over pipes (both
 * block at cancellation points).  The partner prints its pid on stderr so
 * that the tests can check that no helper process outlives the run.
 */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <errno.h>
#include <assert.h>

#define READ 0
#define WRITE 1

char *testcase_description = "Ping-pong with a new_task() partner";

extern void new_task(void *(func)(void *), void *arg);

struct args {
	int fd1[2];
	int fd2[2];
};

static void *child(void *arg)
{
	struct args *a = arg;
	char c;
	int ret;

	fprintf(stderr, "wis_helper: partner pid %d\n", getpid());
	while (1) {
		do {
			ret = read(a->fd1[READ], &c, 1);
		} while (ret != 1 && errno == EINTR);
		assert(ret == 1);

		do {
			ret = write(a->fd2[WRITE], &c, 1);
		} while (ret != 1 && errno == EINTR);
		assert(ret == 1);
	}

	return NULL;
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct args *a;
	char c = 0;
	int ret;

	a = malloc(sizeof(struct args));
	assert(pipe(a->fd1) == 0);
	assert(pipe(a->fd2) == 0);

	new_task(child, a);

	while (1) {
		do {
			ret = write(a->fd1[WRITE], &c, 1);
		} while (ret != 1 && errno == EINTR);
		assert(ret == 1);

		do {
			ret = read(a->fd2[READ], &c, 1);
		} while (ret != 1 && errno == EINTR);
		assert(ret == 1);

		(*iterations) += 2;
	}
}
