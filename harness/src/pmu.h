/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pmu.h - per-task perf counters through libpfm4.
 *
 * The coordinator opens one counter per (event, task) on the task's tid,
 * disabled; enables them when the measurement window opens and disables
 * them when it closes.  All system calls go through struct pmu_ops so the
 * unit tests can drive the whole path, hardware events included, without
 * a PMU.
 */
#ifndef SLABSCALE_PMU_H
#define SLABSCALE_PMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/perf_event.h>

#define PMU_MAX_EVENTS	32

struct pmu_ops {
	/* Return an fd, or -errno. */
	int (*open)(struct perf_event_attr *attr, pid_t pid, int cpu,
		    int group_fd, unsigned long flags);
	int (*ioctl)(int fd, unsigned long request);
	/* Read {value, time_enabled, time_running}; 0 or -errno. */
	int (*read)(int fd, unsigned long long v[3]);
	void (*close)(int fd);
};
extern const struct pmu_ops pmu_sys_ops;

struct pmu_event {
	char name[64];			/* as requested */
	char pfm_name[256];		/* libpfm4's name, "" if none */
	bool ok;
	bool fallback;			/* added in place of a missing one */
	int err;			/* errno of the refusal */
	char reason[256];
	struct perf_event_attr attr;
	int *fd;			/* per task */
	unsigned long long *raw, *enabled, *running;
	double *value;			/* scaled, per task */
};

struct pmu {
	const struct pmu_ops *ops;
	int nr_tasks;
	int nr_events;
	struct pmu_event ev[PMU_MAX_EVENTS];
};

/* Initialise libpfm4 once; 0 or a libpfm4 error code. */
int pmu_lib_init(void);
/*
 * Encode an event name into attr (counting, disabled, with the time
 * fields in read_format).  0, or a libpfm4 error (message in err).
 */
int pmu_encode(const char *name, struct perf_event_attr *attr,
	       char *pfm_name, size_t pfm_len, char *err, size_t err_len);
/* The software event the default set falls back to for name, or NULL. */
const char *pmu_fallback_for(const char *name);
/* raw scaled by enabled/running; *scaled says whether it was. */
double pmu_scale(unsigned long long raw, unsigned long long enabled,
		 unsigned long long running, bool *scaled);
/* Human reason for a perf_event_open errno. */
const char *pmu_refusal_reason(int err);

/*
 * Open names on every tid.  An event the kernel refuses is kept with
 * ok = false, err and reason; with fallback set, a refused event adds its
 * software fallback.  Returns 0, or -1 when a name does not encode
 * (message in err).
 */
int pmu_open(struct pmu *p, const struct pmu_ops *ops,
	     const char *const *names,
	     int nr_names, bool fallback, const int *tids, int nr_tasks,
	     char *err, size_t err_len);
void pmu_enable(struct pmu *p);
void pmu_disable(struct pmu *p);
void pmu_read(struct pmu *p);
void pmu_close(struct pmu *p);
/* Sums over tasks of one event. */
void pmu_event_totals(const struct pmu_event *e, int nr_tasks,
		      double *value, unsigned long long *raw,
		      unsigned long long *enabled,
		      unsigned long long *running, bool *scaled);

#endif /* SLABSCALE_PMU_H */
