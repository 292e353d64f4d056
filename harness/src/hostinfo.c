// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostinfo.c - the machine a run was measured on.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness.h"

static void cpu_model(char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || strncmp(line, "model name", 10))
			continue;
		colon += 2;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, len, "%s", colon);
		break;
	}
	fclose(f);
}

static int numa_nodes(void)
{
	DIR *d = opendir("/sys/devices/system/node");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "node", 4) &&
		    e->d_name[4] >= '0' && e->d_name[4] <= '9')
			n++;
	closedir(d);
	return n ? n : 1;
}

/*
 * Filesystem type of the longest mount point containing path, from a
 * /proc/mounts style text.  0 if found.
 */
int mount_fstype_for(const char *mounts, const char *path, char *out,
		     size_t len)
{
	size_t best = 0;
	const char *line = mounts;
	int found = -1;

	while (line && *line) {
		char dev[256], mnt[512], type[64];
		size_t ml;

		if (sscanf(line, "%255s %511s %63s", dev, mnt, type) == 3) {
			ml = strlen(mnt);
			if (!strncmp(path, mnt, ml) &&
			    (path[ml] == '/' || path[ml] == '\0' ||
			     !strcmp(mnt, "/")) && ml >= best) {
				best = ml;
				snprintf(out, len, "%s", type);
				found = 0;
			}
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return found;
}

static void tmp_fstype(char *out, size_t len)
{
	static char buf[65536];
	FILE *f = fopen("/proc/self/mounts", "r");
	size_t n;

	snprintf(out, len, "unknown");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (mount_fstype_for(buf, "/tmp", out, len))
		snprintf(out, len, "unknown");
}

void hostinfo_collect(struct hostinfo *h, const struct topology *t)
{
	struct utsname u;

	memset(h, 0, sizeof(*h));
	gethostname(h->hostname, sizeof(h->hostname) - 1);
	if (!uname(&u)) {
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
		snprintf(h->kernel_version, sizeof(h->kernel_version), "%s",
			 u.version);
		snprintf(h->arch, sizeof(h->arch), "%s", u.machine);
	}
	cpu_model(h->cpu_model, sizeof(h->cpu_model));
	h->nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	h->cores = t->nr_cores;
	h->smt = t->smt ? t->smt : 1;
	h->numa_nodes = numa_nodes();
	h->memory_bytes = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
			  sysconf(_SC_PAGESIZE);
	tmp_fstype(h->tmp_fstype, sizeof(h->tmp_fstype));
}
