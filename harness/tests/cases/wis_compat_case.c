/*
 * wis_compat_case - written exactly as a will-it-scale test (tests/X.c):
 * no slabscale header, testcase_prepare() sets up shared state for
 * nr_tasks, testcase() uses nr and starts a partner with new_task(),
 * testcase_cleanup() runs after the tasks are gone.  It must compile and
 * run unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <assert.h>

char *testcase_description = "will-it-scale style ping-pong over pipes";

static int (*fds)[4];
static unsigned long tasks;

void new_task(void *(func)(void *), void *arg);

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long i;

	tasks = nr_tasks;
	fds = calloc(nr_tasks, sizeof(*fds));
	assert(fds);
	for (i = 0; i < nr_tasks; i++) {
		assert(pipe(&fds[i][0]) == 0);
		assert(pipe(&fds[i][2]) == 0);
	}
}

static void *partner(void *arg)
{
	int *f = arg;
	char c;

	while (1) {
		assert(read(f[0], &c, 1) == 1);
		assert(write(f[3], &c, 1) == 1);
	}
	return NULL;
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	int *f = fds[nr];
	char c = 'x';

	new_task(partner, f);
	while (1) {
		assert(write(f[1], &c, 1) == 1);
		assert(read(f[2], &c, 1) == 1);
		(*iterations)++;
	}
}

void testcase_cleanup(void)
{
	unsigned long i;

	for (i = 0; i < tasks; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
		close(fds[i][2]);
		close(fds[i][3]);
	}
	free(fds);
	fprintf(stderr, "wis_compat_case: cleanup ran for %lu tasks\n", tasks);
}
