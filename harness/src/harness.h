/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * harness.h - internals of slabscale-run shared by its source files.
 *
 * Processes of one run (see run.c for the whole sequence):
 *
 *   coordinator   parses options, samples the counters, owns the PMU fds,
 *                 writes text and JSON.  Never runs case code (except
 *                 testcase_unsupported()), so a crashing case cannot take
 *                 the results with it.
 *   host          forked by the coordinator for each nr_task; runs
 *                 testcase_prepare(), spawns the tasks (threads inside the
 *                 host, or forked processes), testcase_cleanup() at the end.
 *   tasks         run testcase(); helpers from new_task() belong to one.
 *
 * They talk only through the shared area (struct shared_ctl and the arrays
 * after it), a MAP_SHARED anonymous mapping created before the host is
 * forked, and through signals: SIGCHLD, and SIGUSR2 sent to the
 * coordinator by whoever records a failure.
 *
 * Concurrency rules of the shared area:
 *  - Each task writes only its own counter slot and its own metric slots
 *    (helpers share their owner's; metric updates are atomic for that).
 *  - The coordinator reads counters without locks (aligned 64-bit loads).
 *  - ctl->lock (process-shared mutex) protects params[] and metric
 *    definitions; it is never taken by a crash handler.
 *  - ctl->fail is claimed once with a compare-and-swap on fail.claimed;
 *    only the claimer writes the rest.  Safe from signal handlers.
 */
#ifndef SLABSCALE_HARNESS_INTERNAL_H
#define SLABSCALE_HARNESS_INTERNAL_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "slabscale.h"

#define MAX_TASKS		2048
#define MAX_TASK_LIST		64
#define MAX_PARAMS		32
#define MAX_EVENTS		16
#define COUNTER_STRIDE		256	/* bytes between task counters */
#define BLOB_SIZE		(256u << 10)	/* allocator snapshot per process */
#define HIST_SUB_BITS		4
#define HIST_SUB		(1u << HIST_SUB_BITS)
#define HIST_NR			(HIST_SUB + (64 - HIST_SUB_BITS) * HIST_SUB)

enum affinity { AFF_CORES, AFF_SMT, AFF_NONE };

/*
 * Exit codes of slabscale-run.  Interrupted runs exit 128 + the signal
 * (SIGINT 130, SIGTERM 143, SIGHUP 129); the will-it-scale executables
 * die by that signal instead, as will-it-scale's do.
 */
#define EXIT_OK			0
#define EXIT_FAILED		1
#define EXIT_USAGE		2
#define EXIT_SKIPPED		3
#define EXIT_INTERRUPTED	130	/* SIGINT */
#define EXIT_WIS_USAGE		1	/* will-it-scale's usage() status */

/* ---- options.c ---------------------------------------------------------- */
struct options {
	const char *prog;
	const char *case_name;
	unsigned long tasks[MAX_TASK_LIST];
	int nr_task_list;
	double seconds;		/* measured; 0 = until interrupted */
	double warmup;		/* seconds */
	double interval;	/* sample length, seconds */
	bool processes;
	enum affinity affinity;
	bool verbose;
	bool list;
	bool help;
	bool wis;		/* invoked as <case>_threads/_processes */
	const char *json;
	double until_ci;	/* percent, < 0 = off */
	double cleanup_timeout;	/* seconds testcase_cleanup() may take */
	const char *events[MAX_EVENTS];
	int nr_events;
	bool events_default;
	const char *param_name[MAX_PARAMS];
	const char *param_value[MAX_PARAMS];
	int nr_params;
	int nodes;		/* --nodes (0: the machine's topology) */
	const char *memoryless;	/* --memoryless node list, or NULL */
	char param_store[MAX_PARAMS][64 + 256 + 1];
	char buf[4096];		/* storage for split lists */
};

int options_parse(struct options *o, int argc, char **argv,
		  char *err, size_t errlen);
int parse_memoryless(const char *s, int nodes, char *err, size_t len);
int parse_task_list(const char *s, unsigned long *out, int max);
void usage(FILE *f, const char *prog, bool wis);
int wis_name_split(const char *argv0, char *case_name, size_t len,
		   bool *processes);

/* ---- registry (generated per runner) ------------------------------------ */
struct case_desc {
	const char *name;
	char **description;
	void (*testcase)(unsigned long long *iterations, unsigned long nr);
	void (*prepare)(unsigned long nr_tasks);
	void (*cleanup)(void);
	const char *(*unsupported)(void);
};
extern const struct case_desc case_registry[];
extern const unsigned int case_registry_nr;
extern const char runner_variant[];
const struct case_desc *case_find(const char *name);
const char *case_description(const struct case_desc *c);

/* ---- buildinfo (generated) / slab glue (per variant) -------------------- */
extern const char build_git_commit[];
extern const int build_git_dirty;
extern const char build_compiler[];
extern const char build_cflags[];
/* slab_stats_json() when linked with the allocator, else NULL. */
extern int (*const harness_slab_stats)(char *buf, size_t len);
/*
 * The allocator's counter declarations (slab.h's slab_counter_info()):
 * entry i into *out, false past the last; NULL without the allocator.
 */
struct harness_counter {
	const char *group;	/* "stats" or "locks" */
	const char *name;
	const char *unit;
	const char *better;	/* "lower", "higher", "none" */
	const char *what;
};
extern bool (*const harness_slab_counter)(unsigned int i,
					  struct harness_counter *out);

/* ---- shared area (shared.c) --------------------------------------------- */
struct task_info {
	int pid;
	int tid;
	int cpu;		/* -1: not pinned */
	int state;
	int polls_stop;		/* the case calls harness_should_stop() */
	int exit_signal;
	int exit_code;
	int pad;
};

enum task_state { TASK_NEW, TASK_READY, TASK_RUNNING, TASK_RETURNED,
		  TASK_GONE };

struct fail_info {
	int claimed;
	int task;		/* -1: not a task */
	int helper;
	int pid;
	int tid;
	int sig;
	int exit_code;		/* -1: none */
	char msg[512];
};

struct param_ent {
	char name[64];
	char value[256];
	int given;		/* from --param */
	int read;		/* the case asked for it */
};

struct metric_def {
	char name[64];
	char unit[16];
	int kind;
};

struct metric_slot {
	unsigned long long count;
	unsigned long long sum;
	unsigned long long min;
	unsigned long long max;
	unsigned long long buckets[HIST_NR];
};

struct blob_hdr {
	int len;		/* -1: did not fit, 0: none */
	int pad;
};

struct shared_ctl {
	int ready;		/* futex: tasks past their setup */
	int start;		/* futex: 1 = go */
	int stop;		/* futex: 1 = measurement over */
	int measuring;		/* metrics recorded */
	int snap_req;		/* futex: take allocator snapshots */
	int snap_done;		/* futex: snapshots taken */
	int host_done_prepare;
	int coord_pid;
	int host_pid;
	unsigned long nr_tasks;
	int processes;
	int verbose;
	struct fail_info fail;
	int parked;		/* host: tasks stopped in place (host.c) */
	int usage_error;	/* host: bad --param (exit 2) */
	char usage_msg[512];
	pthread_mutex_t lock;
	int nr_params;
	struct param_ent params[MAX_PARAMS];
	int nr_metrics;
	struct metric_def metrics[HARNESS_MAX_METRICS];
};

struct shared {
	struct shared_ctl *ctl;
	char *counters;		/* nr_tasks * COUNTER_STRIDE */
	struct task_info *info;
	struct metric_slot *mslots;	/* (nr_tasks + 1) * HARNESS_MAX_METRICS */
	char *blobs;		/* nr_blobs * BLOB_SIZE */
	unsigned int nr_blobs;
	size_t size;
	const struct case_desc *cs;
	const struct options *opt;
	const struct topology *topo;	/* for pinning (task.c) */
};

extern struct shared sh;	/* valid in every process of a run */
extern __thread long cur_task;	/* -1 outside tasks */
extern __thread int cur_helper;

int shared_create(unsigned long nr_tasks, bool processes);
void shared_destroy(void);
static inline unsigned long long *task_counter(unsigned long nr)
{
	return (unsigned long long *)(sh.counters + nr * COUNTER_STRIDE);
}
static inline struct metric_slot *metric_slot(long task, int id)
{
	long row = task < 0 ? (long)sh.ctl->nr_tasks : task;

	return &sh.mslots[row * HARNESS_MAX_METRICS + id];
}
static inline struct blob_hdr *blob_at(unsigned int i)
{
	return (struct blob_hdr *)(sh.blobs + (size_t)i * BLOB_SIZE);
}
void futex_wait(int *addr, int val, long timeout_ns);
void futex_wake_all(int *addr);
unsigned long long now_ns(void);
/* Record a failure (first one wins) and wake the coordinator. */
void fail_record(int task, int helper, int sig, int exit_code,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same for another process (a dead task process, seen by the host). */
void fail_record_pid(int pid, int task, int sig, int exit_code,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void fail_record_signal_safe(int sig);
const char *signal_name(int sig);
const char *errno_name(int err);

/* ---- topology.c ---------------------------------------------------------- */
struct topology {
	int nr_pus;
	int nr_cores;
	int smt;		/* threads per core (max) */
	int *pu_order;		/* online, allowed PUs: core by core */
	int *core_first;	/* first allowed PU of each core */
	int *core_of;		/* CPU number -> core index, -1: not used */
	cpu_set_t *core_set;	/* the allowed PUs of each core */
};
int topology_load(struct topology *t);
int topology_load_from(struct topology *t, const char *sysfs_cpu,
		       const cpu_set_t *allowed);
int topology_cpu_for(const struct topology *t, enum affinity a,
		     unsigned long nr);
int topology_pin_set(const struct topology *t, enum affinity a, int cpu,
		     cpu_set_t *set);
int count_cpus_in_list(const char *list);

/* ---- summary.c (pure) --------------------------------------------------- */
double summary_mean(const double *v, int n);
double summary_stddev(const double *v, int n);
double summary_median(const double *v, int n);
double summary_t95(int df);
double summary_ci95_rel(const double *v, int n);

/* ---- histogram.c (pure) ------------------------------------------------- */
unsigned int hist_index(unsigned long long v);
unsigned long long hist_low(unsigned int idx);
unsigned long long hist_high(unsigned int idx);
unsigned long long hist_percentile(const unsigned long long *buckets,
				   unsigned long long count, double p,
				   unsigned long long min,
				   unsigned long long max,
				   unsigned long long *width);

/* ---- params.c ------------------------------------------------------------ */
void params_init(const struct options *o);
int params_check_unread(char *err, size_t len);

/* RT policy and priority of the tasks when started under chrt (run.c). */
extern int task_rt_policy, task_rt_prio;

/* ---- task.c / host.c ----------------------------------------------------- */
void host_main(const struct options *o, const struct case_desc *cs,
	       unsigned long nr_tasks, const int *cpus)
	__attribute__((noreturn));

/* ---- pmu.c ---------------------------------------------------------------- */
#include "pmu.h"

/* ---- procstat.c ------------------------------------------------------------ */
struct proc_usage {
	unsigned long long vol_cs, invol_cs, minflt, majflt;
	double utime, stime;
	unsigned long long hwm_kb;
};
int procstat_read(int pid, int tid, struct proc_usage *u);

/* ---- neighbours.c: the rest of the machine (/proc/stat) --------------- */
struct cpu_ticks {		/* one "cpuN" line of /proc/stat, USER_HZ ticks */
	unsigned long long busy;	/* user nice system irq softirq */
	unsigned long long steal;
	unsigned long long total;	/* busy idle iowait steal */
	bool ok;
};
struct neighbour_use {		/* one interval or a run's mean, in CPUs */
	double other_cpus;	/* busy CPUs the run does not use */
	double run_cpus;	/* the run's CPUs busy beyond its tasks */
	double outside;		/* both, less the run's own other threads */
	double steal;		/* a share of all CPUs' time */
};
/*
 * A run is shared when, on average over the intervals of its statistics,
 * more than SHARED_BUSY_CPUS CPUs were busy outside it, or steal took
 * more than SHARED_STEAL_RATIO of the machine (neighbours.c).
 */
#define SHARED_BUSY_CPUS	0.25
#define SHARED_STEAL_RATIO	0.05
int procstat_cpus_parse(const char *text, struct cpu_ticks *cpu, int nr);
int procstat_cpus_read(struct cpu_ticks *cpu, int nr);
int loadavg_parse(const char *text, double load[3]);
int loadavg_read(double load[3]);
int neighbour_interval(const struct cpu_ticks *a, const struct cpu_ticks *b,
		       int nr, const bool *run_cpu, double task_secs,
		       double own_secs, double secs, long hz,
		       struct neighbour_use *u);
bool neighbour_shared(const struct neighbour_use *mean);

/* ---- schedstat.c ------------------------------------------------------------ */
struct sched_use {		/* /proc/.../schedstat */
	unsigned long long run_ns;	/* on CPU */
	unsigned long long wait_ns;	/* runnable, waiting on a runqueue */
	unsigned long long slices;
	/* the other threads of the task's process, on CPU (schedstat_others) */
	unsigned long long others_ns;
	bool ok;
};
struct sched_counts {		/* /proc/.../sched */
	unsigned long long migrations, invol;
	bool ok;
};
int schedstat_read(int pid, int tid, struct sched_use *u);
int schedstat_others(int pid, const struct task_info *tasks,
		     unsigned long nr, unsigned long long *run_ns);
int sched_counts_read(int pid, int tid, struct sched_counts *c);

/* ---- hostinfo.c ------------------------------------------------------------ */
struct hostinfo {
	char hostname[256];
	char kernel[256];
	char kernel_version[256];
	char arch[72];
	char cpu_model[256];
	int nr_cpus;
	int cores;
	int smt;
	int numa_nodes;
	unsigned long long memory_bytes;
	char tmp_fstype[64];
};
void hostinfo_collect(struct hostinfo *h, const struct topology *t);
int mount_fstype_for(const char *mounts, const char *path, char *out,
		     size_t len);

#endif /* SLABSCALE_HARNESS_INTERNAL_H */
