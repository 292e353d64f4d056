/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * run.h - one measurement (one nr_task) as the coordinator sees it;
 * shared by run.c (doing it), output.c (text) and report.c (JSON).
 */
#ifndef SLABSCALE_RUN_H
#define SLABSCALE_RUN_H

#include "harness.h"

enum run_status { RUN_OK, RUN_INTERRUPTED, RUN_FAILED, RUN_SKIPPED };

struct sample {
	bool warmup;
	double secs;
	unsigned long long *deltas;
	double *rates;
	double min, max, total;
};

struct run_stats {
	int intervals;
	double ops_per_sec, per_task_ops, mean, median, stddev, cv;
	double task_min, task_max;
	unsigned long long iterations;
	double measured_seconds;
};

struct run {
	const struct options *o;
	const struct case_desc *cs;
	const struct topology *topo;
	const struct hostinfo *host;
	const char *json_path;	/* this nr_task's file or NULL */
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
	struct run_stats st;
};

int run_one(struct run *r);
void run_free(struct run *r);
void run_compute_stats(struct run *r);

void output_header(const struct run *r);
void output_sample(const struct run *r, const struct sample *s);
void output_measurement(void);
void output_footer(const struct run *r);

int report_write(const struct run *r, const char *path);
void iso_time_now(char *buf, size_t len);
/* out.json + nr 2 of a list -> out.t2.json */
void json_path_for(const char *path, unsigned long nr, bool list, char *out,
		   size_t len);

#endif
