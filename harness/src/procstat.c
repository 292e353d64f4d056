// SPDX-License-Identifier: GPL-2.0-only
/*
 * procstat.c - resource usage of a task read from /proc by the
 * coordinator, so nothing runs inside the task to get it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static int read_stat(int pid, int tid, struct proc_usage *u)
{
	char path[64], buf[1024], *p;
	unsigned long minflt, majflt, ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may contain spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %lu %*u "
			 "%lu %lu", &minflt, &majflt, &ut, &st) != 4)
		return -1;
	u->minflt = minflt;
	u->majflt = majflt;
	u->utime = (double)ut / hz;
	u->stime = (double)st / hz;
	return 0;
}

static void read_status(const char *path, struct proc_usage *u, bool task)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (task) {
			sscanf(line, "voluntary_ctxt_switches: %llu", &u->vol_cs);
			sscanf(line, "nonvoluntary_ctxt_switches: %llu",
			       &u->invol_cs);
		} else {
			sscanf(line, "VmHWM: %llu", &u->hwm_kb);
		}
	}
	fclose(f);
}

int procstat_read(int pid, int tid, struct proc_usage *u)
{
	char path[64];

	memset(u, 0, sizeof(*u));
	if (pid <= 0 || tid <= 0 || read_stat(pid, tid, u))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	read_status(path, u, true);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	read_status(path, u, false);
	return 0;
}
