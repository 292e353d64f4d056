/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * page_fault_common.h - the page_fault family: map 128 MiB, touch one byte
 * per page (one iteration per page), unmap, repeat.  Files live in /tmp
 * and are unlinked as soon as they are created, so nothing is left behind
 * whatever happens to the run.
 */
#ifndef SLABSCALE_PAGE_FAULT_COMMON_H
#define SLABSCALE_PAGE_FAULT_COMMON_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "slabscale.h"

#define PF_MEMSIZE	(128UL << 20)

/* An unlinked, sized temporary file; fails the run on error. */
static inline int pf_tmpfile(void)
{
	char path[] = "/tmp/slabscale.page_fault.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		harness_fail("mkstemp %s failed", path);
	unlink(path);
	if (ftruncate(fd, PF_MEMSIZE))
		harness_fail("ftruncate of a %lu MiB file in /tmp failed",
			     PF_MEMSIZE >> 20);
	return fd;
}

static inline void pf_loop(unsigned long long *iterations, int flags, int fd)
{
	long pg = sysconf(_SC_PAGESIZE);

	while (!harness_should_stop()) {
		char *c = mmap(NULL, PF_MEMSIZE, PROT_READ | PROT_WRITE, flags,
			       fd, 0);

		if (c == MAP_FAILED)
			harness_fail("mmap of %lu MiB failed", PF_MEMSIZE >> 20);
		for (unsigned long i = 0; i < PF_MEMSIZE; i += pg) {
			c[i] = 0;
			(*iterations)++;
		}
		munmap(c, PF_MEMSIZE);
	}
	if (fd >= 0)
		close(fd);
}

#endif
