// SPDX-License-Identifier: GPL-2.0-only
/*
 * schedstat.c - what the scheduler did to a task, read from /proc by the
 * coordinator (nothing runs inside the task for it):
 *
 *   /proc/<pid>/task/<tid>/schedstat  time on CPU, time runnable but
 *                                     waiting on a runqueue (both ns),
 *                                     timeslices; read every interval
 *   /proc/<pid>/task/<tid>/sched      se.nr_migrations and
 *                                     nr_involuntary_switches; a longer
 *                                     text, read when the window opens
 *                                     and closes only
 *
 * In processes mode a task's tid is its process's pid, so the same paths
 * serve both modes.  A task's figures are its own thread's; the other
 * threads of its process (helpers it started with new_task(), the
 * allocator's RCU workers, the snapshot thread, in threads mode the coordinator)
 * are summed apart (schedstat_others()): their CPU time is the wait a
 * task may owe to its own process rather than to the machine.  A kernel without CONFIG_SCHED_INFO has no
 * schedstat file: the read fails and the run reports no CPU share.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int schedstat_read(int pid, int tid, struct sched_use *u)
{
	char path[64];
	FILE *f;
	int n;

	u->ok = false;
	if (pid <= 0 || tid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu %llu", &u->run_ns, &u->wait_ns, &u->slices);
	fclose(f);
	if (n != 3)
		return -1;
	u->ok = true;
	return 0;
}

static bool is_task(int pid, int tid, const struct task_info *tasks,
		    unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++)
		if (tasks[i].pid == pid && tasks[i].tid == tid)
			return true;
	return false;
}

/*
 * On-CPU ns of every thread of process pid that is not one of the tasks
 * (threads that come and go are counted while they exist).  0 or -1.
 */
int schedstat_others(int pid, const struct task_info *tasks,
		     unsigned long nr, unsigned long long *run_ns)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	*run_ns = 0;
	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		struct sched_use u;
		int tid = atoi(d->d_name);

		if (tid <= 0 || is_task(pid, tid, tasks, nr))
			continue;
		if (!schedstat_read(pid, tid, &u))
			*run_ns += u.run_ns;
	}
	closedir(dir);
	return 0;
}

int sched_counts_read(int pid, int tid, struct sched_counts *c)
{
	char path[64], line[256];
	int got = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (pid <= 0 || tid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (!strncmp(line, "se.nr_migrations ", 17) &&
		    sscanf(colon + 1, "%llu", &c->migrations) == 1)
			got |= 1;
		else if (!strncmp(line, "nr_involuntary_switches ", 24) &&
			 sscanf(colon + 1, "%llu", &c->invol) == 1)
			got |= 2;
	}
	fclose(f);
	c->ok = got == 3;
	return c->ok ? 0 : -1;
}
