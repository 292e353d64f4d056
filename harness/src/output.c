// SPDX-License-Identifier: GPL-2.0-only
/*
 * output.c - will-it-scale's text output, line for line, and slabscale's
 * summary line after it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "run.h"

/* The first error writing standard output (0: none). */
static int out_errno;

/*
 * Flush what was printed and remember why it could not be written: a full
 * disk or /dev/full must not pass as a clean run (main() says so and exits
 * 1), while a reader that went away (EPIPE, `| head -1`) is not an error
 * of the run: SIGPIPE is ignored, so the run goes on and writes its JSON.
 */
static void out_flush(void)
{
	if (fflush(stdout) && !out_errno)
		out_errno = errno ? errno : EIO;
}

int output_error(void)
{
	out_flush();
	if (!out_errno && ferror(stdout))
		out_errno = EIO;
	return out_errno;
}

static unsigned long long round_rate(double v)
{
	return v <= 0 ? 0 : (unsigned long long)llround(v);
}

void output_header(const struct run *r)
{
	printf("testcase:%s\n", case_description(r->cs));
	printf("warmup\n");
	out_flush();
}

void output_measurement(void)
{
	printf("measurement\n");
	out_flush();
}

/*
 * One interval: rates normalised by its measured length; with -v one line
 * per task before it, in will-it-scale's format.
 */
void output_sample(const struct run *r, const struct sample *s)
{
	if (r->o->verbose)
		for (unsigned long i = 0; i < r->nr; i++)
			printf("%4lu -> %llu\n", i, round_rate(s->rates[i]));
	printf("min:%llu max:%llu total:%llu\n", round_rate(s->min),
	       round_rate(s->max), round_rate(s->total));
	out_flush();
}

/*
 * slabscale-run's own line (never in the will-it-scale executables'):
 *   cpu_share: 0.98 (tasks 0.97..0.99), waiting 0.4% (max 1.2% of an
 *   interval), ops_per_cpu_sec: 1234567
 */
static void output_cpu_share(const struct run *r)
{
	const struct run_stats *st = &r->st;
	double lo = 1, hi = 0;

	if (!st->sched) {
		printf("cpu_share: n/a (no schedstat)\n");
		return;
	}
	for (unsigned long i = 0; i < r->nr; i++) {
		lo = fmin(lo, st->task_cpu_share[i]);
		hi = fmax(hi, st->task_cpu_share[i]);
	}
	printf("cpu_share: %.3f (tasks %.3f..%.3f), waiting %.1f%% (max "
	       "%.1f%% of an interval), ops_per_cpu_sec: %.0f%s\n",
	       st->cpu_share, lo, hi, st->wait_share * 100,
	       st->max_wait_share * 100, st->ops_per_cpu_sec,
	       run_disturbed(r) ? " DISTURBED" : "");
}

/*
 * And the rest of the machine (neighbours.c):
 *   neighbours: 0.93 CPU busy outside the run (other CPUs 0.91, the
 *   run's CPUs 0.02), steal 0.0%, load 1.52 at the start SHARED
 */
static void output_neighbours(const struct run *r)
{
	const struct run_stats *st = &r->st;

	if (!st->nb) {
		printf("neighbours: n/a (no /proc/stat or schedstat)\n");
		return;
	}
	printf("neighbours: %.2f CPU busy outside the run (other CPUs %.2f, "
	       "the run's CPUs %.2f), steal %.1f%%", st->nb_mean.outside,
	       st->nb_mean.other_cpus, st->nb_mean.run_cpus,
	       st->nb_mean.steal * 100);
	if (r->load_ok)
		printf(", load %.2f at the start", r->load[0]);
	printf("%s\n", run_shared(r) ? " SHARED" : "");
}

void output_footer(const struct run *r)
{
	const struct run_stats *st = &r->st;

	if (r->status != RUN_OK || !st->intervals)
		return;
	printf("average:%llu\n", round_rate(st->ops_per_sec));
	if (r->o->wis)
		goto out;
	printf("%s: %.0f ", r->o->processes ? "per_process_ops" :
	       "per_thread_ops", st->per_task_ops);
	/* no spread of a zero mean (a case that counted nothing) */
	if (isfinite(st->cv))
		printf("\u00b1%.1f%%", st->cv * 100);
	else
		printf("\u00b1n/a");
	printf(" (median %.0f, %d intervals, tasks %.0f..%.0f)\n",
	       st->median, st->intervals, st->task_min, st->task_max);
	output_cpu_share(r);
	output_neighbours(r);
out:
	out_flush();
}

/* Notes on stderr, where the interrupted/failed messages go too. */
void output_notes(const struct run *r)
{
	char note[512];

	if (interval_note(r, note, sizeof(note)))
		fprintf(stderr, "slabscale-run: %s: %s\n", r->cs->name, note);
	if (!r->o->wis && disturbed_note(r, note, sizeof(note)))
		fprintf(stderr, "slabscale-run: %s: %s\n", r->cs->name, note);
	if (!r->o->wis && shared_note(r, note, sizeof(note)))
		fprintf(stderr, "slabscale-run: %s: %s\n", r->cs->name, note);
}
