// SPDX-License-Identifier: GPL-2.0-only
/*
 * wis_malloc_big - will-it-scale's malloc1.c shape: malloc() and free()
 * of 128 MB, so each call maps and unmaps under glibc's arena lock and the
 * loop never reaches a cancellation point.  will-it-scale's asynchronous
 * cancel can stop a thread inside malloc() and hang its exit; the threads
 * mode here must always end.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/types.h>
#include <assert.h>

#define SIZE (128UL * 1024 * 1024)

char *testcase_description = "malloc/free of 128MB";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	while (1) {
		void *addr = malloc(SIZE);
		assert(addr != NULL);
		free(addr);

		(*iterations)++;
	}
}
