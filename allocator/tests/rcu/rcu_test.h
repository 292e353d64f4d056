/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rcu_test.h - small helpers shared by the RCU component's tests.
 *
 * The watchdog turns a deadlock into a failure with a message; it is not
 * a speed limit (its budget is minutes for work that takes well under a
 * second).
 */
#ifndef SLABSCALE_RCU_TEST_H
#define SLABSCALE_RCU_TEST_H

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slab.h"
#include "list.h"		/* container_of */

#include "../testutil.h"	/* CHECK, CHECK_EQ */

/* an unmergeable test cache of size-byte objects with sheaf capacity cap */
static inline struct kmem_cache *rcu_test_cache(const char *name,
						unsigned int size,
						unsigned int cap,
						slab_flags_t flags)
{
	struct kmem_cache_args args = { .sheaf_capacity = cap };
	struct kmem_cache *s = kmem_cache_create(name, size, &args,
						 flags | SLAB_NO_MERGE);

	CHECK(s);
	return s;
}

static void rcu_test_alarm(int sig)
{
	static const char msg[] =
		"rcu test: watchdog fired: deadlock (no progress in minutes)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static inline void rcu_test_watchdog(unsigned int seconds)
{
	signal(SIGALRM, rcu_test_alarm);
	alarm(seconds);
}

/* ---- capture what the allocator reports ---------------------------------- */
static pthread_mutex_t rcu_test_report_lock = PTHREAD_MUTEX_INITIALIZER;
static char rcu_test_reports[64][256];
static int rcu_test_nr_reports;

static void rcu_test_report(const char *msg)
{
	pthread_mutex_lock(&rcu_test_report_lock);
	if (rcu_test_nr_reports < 64)
		snprintf(rcu_test_reports[rcu_test_nr_reports++], 256, "%s", msg);
	pthread_mutex_unlock(&rcu_test_report_lock);
}

static inline void rcu_test_capture_reports(void)
{
	pthread_mutex_lock(&rcu_test_report_lock);
	rcu_test_nr_reports = 0;
	pthread_mutex_unlock(&rcu_test_report_lock);
	slab_set_bug_handler(rcu_test_report);
}

static inline void rcu_test_release_reports(void)
{
	slab_set_bug_handler(NULL);
}

static inline int rcu_test_reports_matching(const char *needle)
{
	int i, n = 0;

	pthread_mutex_lock(&rcu_test_report_lock);
	for (i = 0; i < rcu_test_nr_reports; i++)
		if (strstr(rcu_test_reports[i], needle))
			n++;
	pthread_mutex_unlock(&rcu_test_report_lock);
	return n;
}

/*
 * Every thread but the calling one (the tests' own threads are joined by
 * then) must block the signals a benchmark uses for timers and profiling.
 * Returns false and says which thread does not.  Needs at least one.
 */
static inline int rcu_test_other_threads_block_signals(void)
{
	static const int sigs[] = { SIGALRM, SIGVTALRM, SIGPROF, SIGUSR1,
				    SIGUSR2 };
	char path[128], line[256];
	struct dirent *de;
	int others = 0, ok = 1;
	DIR *d = opendir("/proc/self/task");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long long blk = 0;
		FILE *f;
		int tid = atoi(de->d_name);
		unsigned int i;

		if (tid <= 0 || tid == gettid())
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
		f = fopen(path, "r");
		if (!f)
			continue;	/* exited meanwhile */
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "SigBlk:", 7))
				blk = strtoull(line + 7, NULL, 16);
		fclose(f);
		others++;
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			if (!(blk & (1ull << (sigs[i] - 1)))) {
				fprintf(stderr, "thread %d does not block signal %d (SigBlk %llx)\n",
					tid, sigs[i], blk);
				ok = 0;
			}
		}
		if (!(blk & (1ull << (SIGRTMIN - 1)))) {
			fprintf(stderr, "thread %d does not block SIGRTMIN\n", tid);
			ok = 0;
		}
	}
	closedir(d);
	return ok && others > 0;
}

/*
 * Sum of the context switches (voluntary + involuntary) of every thread
 * whose name starts with prefix; -1 if there is none.  A thread sleeping
 * on a futex does not switch; one that polls does.
 */
static inline long rcu_test_thread_switches(const char *prefix)
{
	char path[128], line[256], comm[64];
	struct dirent *de;
	long total = -1;
	DIR *d = opendir("/proc/self/task");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;
		int tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (total < 0)
			total = 0;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "voluntary_ctxt_switches:", 24))
				total += atol(line + 24);
			else if (!strncmp(line, "nonvoluntary_ctxt_switches:", 27))
				total += atol(line + 27);
		}
		fclose(f);
	}
	closedir(d);
	return total;
}

#endif /* SLABSCALE_RCU_TEST_H */
