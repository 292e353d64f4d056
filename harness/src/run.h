/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * run.h - one measurement (one nr_task) as the coordinator sees it;
 * shared by run.c (doing it), output.c (text) and rundoc.c (JSON).
 */
#ifndef SLABSCALE_RUN_H
#define SLABSCALE_RUN_H

#include "harness.h"

enum run_status { RUN_OK, RUN_INTERRUPTED, RUN_FAILED, RUN_SKIPPED };

/*
 * Per-sample flags (JSON samples[].flags, by name); interval.c has the
 * rules.  SAMPLE_EXCLUDE: flags that keep a measured interval out of the
 * statistics (samples[].excluded) and put a mark on the run.
 */
enum { SAMPLE_SHORT_BIT, SAMPLE_LONG_BIT, SAMPLE_NR_FLAGS };
#define SAMPLE_SHORT		(1u << SAMPLE_SHORT_BIT)
#define SAMPLE_LONG		(1u << SAMPLE_LONG_BIT)
#define SAMPLE_EXCLUDE		(SAMPLE_SHORT | SAMPLE_LONG)
#define INTERVAL_MIN_RATIO	0.5
#define INTERVAL_MAX_RATIO	1.5
/*
 * A run is disturbed when, in any interval of its statistics, a task was
 * runnable but waiting on a runqueue for more than this share of the
 * interval (schedstat.c; the mark is rundoc.c's, the rule run.c's).
 */
#define DISTURB_WAIT_RATIO	0.05

struct sample {
	bool warmup;
	bool excluded;		/* measured, but not in the statistics */
	unsigned int flags;
	double secs;
	unsigned long long *deltas;
	double *rates;
	double min, max, total;
	/* scheduler time of each task in the interval (ns); sched: all read */
	bool sched;
	unsigned long long *run_ns, *wait_ns;
	unsigned long long *others_ns;	/* the process's other threads */
	/* the rest of the machine in the interval (neighbours.c) */
	bool nb;
	struct neighbour_use nbu;
};

struct run_stats {
	int intervals;		/* measured intervals in the statistics */
	int excluded;		/* measured intervals left out (flagged) */
	double excluded_max_secs;
	double ops_per_sec, per_task_ops, mean, median, stddev, cv;
	double task_min, task_max;
	unsigned long long iterations;
	double measured_seconds;
	/* over the intervals of the statistics; sched false: not measured */
	bool sched;
	double cpu_share, wait_share;	/* all tasks' time / (nr x secs) */
	double ops_per_cpu_sec;		/* their ops / their on-CPU seconds */
	double *task_cpu_share, *task_wait_share, *task_ops_per_cpu_sec;
	int disturbed_intervals;	/* with a task's wait above the limit */
	double max_wait_share;		/* worst task and interval */
	int max_wait_task, max_wait_interval;	/* interval: samples[] index */
	/* the rest of the machine (neighbours.c); nb false: not measured */
	bool nb;
	struct neighbour_use nb_mean;	/* the intervals' mean */
	double nb_max_outside;		/* the worst interval */
	int shared_intervals;		/* intervals above a shared limit */
	int nb_other_cpus;		/* online CPUs the run does not use */
};

struct run {
	const struct options *o;
	const struct case_desc *cs;
	const struct topology *topo;
	const struct hostinfo *host;
	const char *json_path;	/* this nr_task's file or NULL */
	char run_id[33];	/* 128 random bits, hex */
	unsigned long nr;
	enum run_status status;
	struct fail_info fail;		/* copy, valid when status failed */
	bool has_fail;
	char start_time[32], end_time[32];
	int *cpus;
	struct sample *samples;
	int nr_samples, cap_samples;
	int warmup_n, measure_n;	/* intervals; measure_n 0 = endless */
	unsigned long long *win_start;	/* counters when the window opened */
	unsigned long long *win_end;
	unsigned long long win_t0, win_t1;
	bool window_open, window_done;
	struct pmu pmu;
	bool pmu_opened;
	char pmu_error[256];
	struct proc_usage *use0, *use1;
	bool sched_on;			/* schedstat read (not in wis mode) */
	struct sched_use *sched_prev;
	struct sched_counts *cnt0, *cnt1;	/* window open / close */
	bool nb_on;			/* /proc/stat read (neighbours.c) */
	int nb_nr;			/* CPU slots */
	struct cpu_ticks *nb_prev;
	bool *nb_run_cpu;		/* the CPUs the tasks use */
	/* per CPU over the intervals of the statistics: busy seconds, and
	 * whether it was read in every one of them */
	double *nb_busy, nb_secs;
	bool *nb_cpu_ok;
	double load[3];			/* /proc/loadavg when the run started */
	bool load_ok;
	struct run_stats st;
};

int run_one(struct run *r);
void run_free(struct run *r);
void run_compute_stats(struct run *r);

void output_header(const struct run *r);
void output_sample(const struct run *r, const struct sample *s);
void output_measurement(void);
void output_footer(const struct run *r);
void output_notes(const struct run *r);
int output_error(void);

/* interval.c */
unsigned long long interval_next_deadline(unsigned long long deadline,
					  unsigned long long now,
					  unsigned long long interval);
unsigned int interval_flags(double secs, double nominal);
const char *sample_flag_name(unsigned int bit);
bool interval_note(const struct run *r, char *buf, size_t len);
/* disturb.c */
void sched_start(struct run *r);
void sched_sample(struct run *r, struct sample *s);
void sched_window(struct run *r, struct sched_counts *c);
void sched_stats(struct run *r);
double sample_cpu_share(const struct sample *s, unsigned long i);
double sample_wait_share(const struct sample *s, unsigned long i);
double sample_others_share(const struct sample *s, unsigned long i);
bool run_disturbed(const struct run *r);
/* The run's disturbed note (text and JSON mark); false if none. */
bool disturbed_note(const struct run *r, char *buf, size_t len);

/* neighbours.c */
void nb_start(struct run *r);
void nb_sample(struct run *r, struct sample *s);
void nb_stats(struct run *r);
bool run_shared(const struct run *r);
/* The run's shared note (text and JSON mark); false if none. */
bool shared_note(const struct run *r, char *buf, size_t len);

/* rundoc.c: the run document (JSON) */
int rundoc_write(const struct run *r, const char *path);
/* Before measuring: can path be written (absent or a regular file)? */
int rundoc_check_target(const char *path, char *err, size_t len);

/* runid.c */
void run_id_new(char *out, size_t len);
void iso_time_now(char *buf, size_t len);
/* out.json + nr 2 of a list -> out.t2.json */
void json_path_for(const char *path, unsigned long nr, bool list, char *out,
		   size_t len);

#endif
