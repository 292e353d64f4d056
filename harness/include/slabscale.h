/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slabscale.h - what a case sees of the harness.
 *
 * A case is one C file with will-it-scale's testcase API.  A will-it-scale
 * test file needs nothing from this header and compiles unchanged; the
 * extensions below (parameters, metrics, a polite stop, skipping) are for
 * cases written for slabscale.
 *
 * Task context: testcase() runs in task nr (0..nr_tasks-1), a thread or a
 * forked process depending on --mode.  testcase_prepare() runs once in the
 * harness process before any task exists (before fork in processes mode),
 * so it must not start threads that cannot survive fork().
 */
#ifndef SLABSCALE_HARNESS_H
#define SLABSCALE_HARNESS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- will-it-scale's testcase API -------------------------------------- */
extern char *testcase_description;
void testcase_prepare(unsigned long nr_tasks);	/* optional (weak) */
void testcase_cleanup(void);			/* optional (weak) */
void testcase(unsigned long long *iterations, unsigned long nr);
/* Start a helper task (thread, or process in processes mode), pinned. */
void new_task(void *(func)(void *), void *arg);

/* ---- slabscale extensions ----------------------------------------------- */
/*
 * Optional (weak): return NULL if the case can run on the variant it is
 * linked with, else a one-line reason.  Unsupported cases are left out of
 * --list and refused (exit 3, status "skipped") when asked for.
 */
const char *testcase_unsupported(void);

/*
 * Case parameters, from --param name=value.  Read them in
 * testcase_prepare(): a --param that the case never read by the end of
 * testcase_prepare() is an error (exit 2), so typos do not go unnoticed.
 * A value that does not parse is an error (exit 2) naming the parameter.
 */
const char *harness_param(const char *name, const char *def);
/* Decimal only, the whole string: "010", "0x40" and " 64" are errors. */
unsigned long harness_param_ulong(const char *name, unsigned long def);
double harness_param_double(const char *name, double def);
/*
 * A value the case cannot use (out of range, not one of its choices): a
 * usage error like a malformed one (exit 2, no document), naming the
 * parameter, its value and what the case expected.
 */
void harness_param_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

unsigned long harness_nr_tasks(void);
bool harness_processes_mode(void);
/* The task index of the caller (helper tasks get the index of their owner). */
unsigned long harness_task_nr(void);
/* CLOCK_MONOTONIC in nanoseconds. */
unsigned long long harness_now_ns(void);

/*
 * True once measurement is over.  A slabscale case may return from
 * testcase() when it sees this; the harness then runs testcase_cleanup()
 * with every task stopped, so a case can check its accounting.  Tasks that
 * do not return (will-it-scale cases never do) are killed as in
 * will-it-scale.
 */
bool harness_should_stop(void);

/*
 * Case metrics, per task, in the shared area (they work in processes mode).
 * Register by name from anywhere (prepare is best); the same name returns
 * the same id.  Records are only kept while measuring (not in warmup)
 * unless the metric is registered with HARNESS_ALWAYS.
 *  - HARNESS_LATENCY: log-bucketed histogram; JSON gets count, mean, p50,
 *    p90, p99, max (unit as given, usually "ns").
 *  - HARNESS_COUNTER: summed over tasks.
 *  - HARNESS_MAX: maximum over tasks (peak memory and the like).
 */
enum harness_metric_kind {
	HARNESS_LATENCY = 1,
	HARNESS_COUNTER = 2,
	HARNESS_MAX = 3,
	HARNESS_ALWAYS = 0x100,		/* or-ed in: record during warmup too */
};
#define HARNESS_MAX_METRICS	32

int harness_metric(const char *name, int kind, const char *unit);
void harness_record(int id, unsigned long long value);

/* Message on stderr prefixed with the case name; does not stop the run. */
void harness_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fail the run with a message (status "failed", exit 1). */
void harness_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#ifdef __cplusplus
}
#endif
#endif /* SLABSCALE_HARNESS_H */
