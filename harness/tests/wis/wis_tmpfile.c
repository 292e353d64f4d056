// SPDX-License-Identifier: GPL-2.0-only
/*
 * wis_tmpfile - written the way will-it-scale's lseek2.c is (make check's
 * foreign-case tests, harness/tests/test_wis.py): a file in /tmp made by
 * testcase_prepare() with will-it-scale's two-argument signature, a
 * one-argument testcase() whose loop never reaches a cancellation point,
 * and testcase_cleanup() removing the file.  Prints the file's name on
 * stderr so that the tests can check nothing is left behind.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <assert.h>

#define BUFLEN 4096

static char tmpname[] = "/tmp/willitscale.XXXXXX";

char *testcase_description = "Same file lseek, file made in prepare";

void testcase_prepare(unsigned long nr_tasks, unsigned long nr)
{
	char buf[BUFLEN];
	int fd = mkstemp(tmpname);

	memset(buf, 0, sizeof(buf));
	assert(fd >= 0);
	assert(write(fd, buf, sizeof(buf)) == sizeof(buf));
	close(fd);
	fprintf(stderr, "wis_tmpfile: file %s\n", tmpname);
}

void testcase(unsigned long long *iterations)
{
	int fd = open(tmpname, O_RDWR);

	assert(fd >= 0);

	while (1) {
		lseek(fd, 0, SEEK_SET);

		(*iterations)++;
	}
}

void testcase_cleanup(void)
{
	unlink(tmpname);
}
