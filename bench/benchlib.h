/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * benchlib.h - small helpers shared by the bench programs: a monotonic
 * clock, CPU pinning, medians, strict argument parsing and a probe for
 * glibc's rseq registration.
 */
#ifndef SLABSCALE_BENCHLIB_H
#define SLABSCALE_BENCHLIB_H

#include <stdbool.h>
#include <stdint.h>

/* Keep the compiler from reasoning about p (or dropping the code that made it). */
#define bench_use(p)	asm volatile("" : : "r"(p) : "memory")

uint64_t bench_now_ns(void);
/* Pin the calling thread to cpu; cpu < 0 leaves the affinity alone. */
void bench_pin_cpu(int cpu);
int bench_nr_cpus(void);
/* Sorts v in place and returns its median; n must be > 0. */
double bench_median(double *v, int n);
/* Sorts v (n > 0) and gives its median, minimum and maximum. */
void bench_spread(double *v, int n, double *med, double *lo, double *hi);
/* Parse a decimal number in [min, max] or exit(2) naming the option. */
unsigned long bench_parse_ulong(const char *s, const char *what,
				unsigned long min, unsigned long max);
/* True when glibc registered rseq for this thread (false under valgrind). */
bool bench_rseq_registered(void);
void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif /* SLABSCALE_BENCHLIB_H */
