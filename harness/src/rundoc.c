// SPDX-License-Identifier: GPL-2.0-only
/*
 * rundoc.c - the run document: the results of one run as JSON
 * (docs/results-schema.md), written to a temporary file in the target
 * directory and renamed.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "run.h"

#define SCHEMA_NAME	"slabscale-run"
#define SCHEMA_VERSION	1

static const char *status_name(enum run_status s)
{
	static const char *const n[] = { "ok", "interrupted", "failed",
					 "skipped" };
	return n[s];
}

static void w_failure(struct json *j, const struct run *r)
{
	const struct fail_info *f = &r->fail;

	json_key(j, "failure");
	if (!r->has_fail) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_key(j, "task");
	if (f->task >= 0)
		json_int(j, f->task);
	else
		json_null(j);
	json_key(j, "pid");
	if (f->pid > 0)
		json_int(j, f->pid);
	else
		json_null(j);
	json_key(j, "signal");
	json_str(j, f->sig > 0 ? signal_name(f->sig) : NULL);
	json_key(j, "exit_code");
	if (f->exit_code >= 0)
		json_int(j, f->exit_code);
	else
		json_null(j);
	json_key(j, "message");
	json_str(j, f->msg);
	json_obj_end(j);
}

static void w_params(struct json *j)
{
	struct shared_ctl *c = sh.ctl;

	json_key(j, "params");
	json_obj_begin(j);
	for (int i = 0; c && i < c->nr_params; i++) {
		json_key(j, c->params[i].name);
		json_str(j, c->params[i].value);
	}
	json_obj_end(j);
}

static void w_options(struct json *j, const struct run *r)
{
	static const char *const aff[] = { "cores", "smt", "none" };
	const struct options *o = r->o;

	json_key(j, "options");
	json_obj_begin(j);
	json_key(j, "seconds");
	json_num(j, o->seconds);
	json_key(j, "warmup");
	json_num(j, o->warmup);
	json_key(j, "interval");
	json_num(j, o->interval);
	json_key(j, "affinity");
	json_str(j, aff[o->affinity]);
	json_key(j, "until_ci");
	if (o->until_ci > 0)
		json_num(j, o->until_ci);
	else
		json_null(j);
	json_key(j, "cleanup_timeout");
	json_num(j, o->cleanup_timeout);
	json_key(j, "nodes");
	if (o->nodes)
		json_int(j, o->nodes);
	else
		json_null(j);
	json_key(j, "memoryless");
	json_str(j, o->memoryless);
	json_key(j, "events");
	json_arr_begin(j);
	for (int i = 0; i < o->nr_events; i++)
		json_str(j, o->events[i]);
	json_arr_end(j);
	json_obj_end(j);
}

static void w_host(struct json *j, const struct hostinfo *h)
{
	json_key(j, "host");
	json_obj_begin(j);
	json_key(j, "hostname");
	json_str(j, h->hostname);
	json_key(j, "kernel");
	json_str(j, h->kernel);
	json_key(j, "kernel_version");
	json_str(j, h->kernel_version);
	json_key(j, "arch");
	json_str(j, h->arch);
	json_key(j, "cpu_model");
	json_str(j, h->cpu_model);
	json_key(j, "nr_cpus");
	json_int(j, h->nr_cpus);
	json_key(j, "cores");
	json_int(j, h->cores);
	json_key(j, "smt");
	json_int(j, h->smt);
	json_key(j, "numa_nodes");
	json_int(j, h->numa_nodes);
	json_key(j, "memory_bytes");
	json_uint(j, h->memory_bytes);
	json_key(j, "tmp_fstype");
	json_str(j, h->tmp_fstype);
	json_obj_end(j);
}

static void w_build(struct json *j)
{
	json_key(j, "build");
	json_obj_begin(j);
	json_key(j, "git_commit");
	json_str(j, build_git_commit);
	json_key(j, "git_dirty");
	json_bool(j, build_git_dirty);
	json_key(j, "compiler");
	json_str(j, build_compiler);
	json_key(j, "cflags");
	json_str(j, build_cflags);
	json_key(j, "variant");
	json_str(j, runner_variant);
	json_obj_end(j);
}

static void num_or_null(struct json *j, bool ok, double v)
{
	if (ok && isfinite(v))
		json_num(j, v);
	else
		json_null(j);
}

/* the window's delta of a /proc/.../sched count, or null */
static void count_or_null(struct json *j, bool ok, const unsigned long long *a,
			  const unsigned long long *b)
{
	if (ok && *b >= *a)
		json_uint(j, *b - *a);
	else
		json_null(j);
}

/* disturb.c's figures of task i over the intervals of the statistics */
static void w_task_sched(struct json *j, const struct run *r,
			 unsigned long i)
{
	const struct run_stats *st = &r->st;
	bool cnt = r->sched_on && r->window_done && r->cnt0[i].ok &&
		   r->cnt1[i].ok;

	json_key(j, "cpu_share");
	num_or_null(j, st->sched, st->sched ? st->task_cpu_share[i] : 0);
	json_key(j, "wait_share");
	num_or_null(j, st->sched, st->sched ? st->task_wait_share[i] : 0);
	json_key(j, "ops_per_cpu_sec");
	num_or_null(j, st->sched, st->sched ? st->task_ops_per_cpu_sec[i] : 0);
	json_key(j, "involuntary_switches");
	if (cnt)
		count_or_null(j, cnt, &r->cnt0[i].invol, &r->cnt1[i].invol);
	else
		json_null(j);
	json_key(j, "migrations");
	if (cnt)
		count_or_null(j, cnt, &r->cnt0[i].migrations,
			      &r->cnt1[i].migrations);
	else
		json_null(j);
}

static void w_tasks(struct json *j, const struct run *r)
{
	json_key(j, "tasks");
	json_arr_begin(j);
	for (unsigned long i = 0; i < r->nr; i++) {
		json_obj_begin(j);
		json_key(j, "nr");
		json_uint(j, i);
		json_key(j, "cpu");
		if (r->cpus[i] >= 0)
			json_int(j, r->cpus[i]);
		else
			json_null(j);
		json_key(j, "pid");
		json_int(j, sh.info[i].pid);
		json_key(j, "tid");
		json_int(j, sh.info[i].tid);
		w_task_sched(j, r, i);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void w_share_list(struct json *j, const struct run *r,
			 const struct sample *s,
			 double (*f)(const struct sample *, unsigned long))
{
	if (!s->sched) {
		json_null(j);
		return;
	}
	json_arr_begin(j);
	for (unsigned long i = 0; i < r->nr; i++)
		json_num(j, f(s, i));
	json_arr_end(j);
}

/* neighbours.c's figures of an interval or a run, or null */
static void w_neighbour_use(struct json *j, bool ok,
			    const struct neighbour_use *u)
{
	if (!ok) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_key(j, "outside");
	json_num(j, u->outside);
	json_key(j, "other_cpus");
	json_num(j, u->other_cpus);
	json_key(j, "run_cpus");
	json_num(j, u->run_cpus);
	json_key(j, "steal");
	json_num(j, u->steal);
	json_obj_end(j);
}

static void w_samples(struct json *j, const struct run *r)
{
	json_key(j, "samples");
	json_arr_begin(j);
	for (int k = 0; k < r->nr_samples; k++) {
		const struct sample *s = &r->samples[k];

		json_obj_begin(j);
		json_key(j, "warmup");
		json_bool(j, s->warmup);
		json_key(j, "seconds");
		json_num(j, s->secs);
		json_key(j, "flags");
		json_arr_begin(j);
		for (unsigned int b = 0; b < SAMPLE_NR_FLAGS; b++)
			if (s->flags & (1u << b))
				json_str(j, sample_flag_name(b));
		json_arr_end(j);
		json_key(j, "excluded");
		json_bool(j, s->excluded);
		json_key(j, "deltas");
		json_arr_begin(j);
		for (unsigned long i = 0; i < r->nr; i++)
			json_uint(j, s->deltas[i]);
		json_arr_end(j);
		json_key(j, "rates");
		json_arr_begin(j);
		for (unsigned long i = 0; i < r->nr; i++)
			json_num(j, s->rates[i]);
		json_arr_end(j);
		json_key(j, "min");
		json_num(j, s->min);
		json_key(j, "max");
		json_num(j, s->max);
		json_key(j, "total");
		json_num(j, s->total);
		json_key(j, "cpu_share");
		w_share_list(j, r, s, sample_cpu_share);
		json_key(j, "wait_share");
		w_share_list(j, r, s, sample_wait_share);
		json_key(j, "others_share");
		w_share_list(j, r, s, sample_others_share);
		json_key(j, "neighbours");
		w_neighbour_use(j, s->nb, &s->nbu);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void w_stats(struct json *j, const struct run *r)
{
	const struct run_stats *st = &r->st;

	json_key(j, "stats");
	json_obj_begin(j);
	json_key(j, "intervals");
	json_int(j, st->intervals);
	json_key(j, "excluded_intervals");
	json_int(j, st->excluded);
	json_key(j, "ops_per_sec");
	json_num(j, st->ops_per_sec);
	json_key(j, "per_task_ops");
	json_num(j, st->per_task_ops);
	json_key(j, r->o->processes ? "per_process_ops" : "per_thread_ops");
	json_num(j, st->per_task_ops);
	json_key(j, "mean");
	json_num(j, st->mean);
	json_key(j, "median");
	json_num(j, st->median);
	json_key(j, "stddev");
	json_num(j, st->stddev);
	json_key(j, "cv");
	json_num(j, st->cv);
	json_key(j, "task_min");
	json_num(j, st->task_min);
	json_key(j, "task_max");
	json_num(j, st->task_max);
	json_key(j, "iterations");
	json_uint(j, st->iterations);
	json_key(j, "measured_seconds");
	json_num(j, st->measured_seconds);
	json_key(j, "cpu_share");
	num_or_null(j, st->sched, st->cpu_share);
	json_key(j, "wait_share");
	num_or_null(j, st->sched, st->wait_share);
	json_key(j, "max_wait_share");
	num_or_null(j, st->sched, st->max_wait_share);
	json_key(j, "ops_per_cpu_sec");
	num_or_null(j, st->sched, st->ops_per_cpu_sec);
	json_key(j, "disturbed_intervals");
	if (st->sched)
		json_int(j, st->disturbed_intervals);
	else
		json_null(j);
	json_key(j, "neighbours");
	w_neighbour_use(j, st->nb, &st->nb_mean);
	json_key(j, "max_outside");
	num_or_null(j, st->nb, st->nb_max_outside);
	json_key(j, "shared_intervals");
	if (st->nb)
		json_int(j, st->shared_intervals);
	else
		json_null(j);
	json_key(j, "other_cpus");
	if (st->nb)
		json_int(j, st->nb_other_cpus);
	else
		json_null(j);
	json_key(j, "cpu_busy");
	if (st->nb && r->nb_secs > 0) {
		json_arr_begin(j);
		for (int c = 0; c < r->nb_nr; c++)
			num_or_null(j, r->nb_cpu_ok[c],
				    r->nb_busy[c] / r->nb_secs);
		json_arr_end(j);
	} else {
		json_null(j);
	}
	json_obj_end(j);
}

static void w_pmu_event(struct json *j, const struct run *r,
			const struct pmu_event *e)
{
	unsigned long long raw, en, run;
	double value;
	bool scaled;

	pmu_event_totals(e, r->nr, &value, &raw, &en, &run, &scaled);
	json_obj_begin(j);
	json_key(j, "name");
	json_str(j, e->name);
	json_key(j, "pfm_name");
	json_str(j, e->pfm_name[0] ? e->pfm_name : NULL);
	json_key(j, "status");
	json_str(j, e->ok ? "ok" : "unavailable");
	json_key(j, "fallback");
	json_bool(j, e->fallback);
	json_key(j, "errno_name");
	json_str(j, e->ok ? NULL : errno_name(e->err));
	json_key(j, "reason");
	json_str(j, e->ok ? NULL : e->reason);
	if (!e->ok) {
		json_obj_end(j);
		return;
	}
	json_key(j, "value");
	json_num(j, value);
	json_key(j, "raw");
	json_uint(j, raw);
	json_key(j, "time_enabled");
	json_uint(j, en);
	json_key(j, "time_running");
	json_uint(j, run);
	json_key(j, "scaled");
	json_bool(j, scaled);
	json_key(j, "per_op");
	if (r->st.iterations)
		json_num(j, value / r->st.iterations);
	else
		json_null(j);
	json_key(j, "per_task");
	json_arr_begin(j);
	for (unsigned long i = 0; i < r->nr; i++)
		json_num(j, e->value[i]);
	json_arr_end(j);
	json_obj_end(j);
}

static void w_pmu(struct json *j, const struct run *r)
{
	json_key(j, "pmu");
	json_obj_begin(j);
	json_key(j, "error");
	json_str(j, r->pmu_error[0] ? r->pmu_error : NULL);
	json_key(j, "events");
	json_arr_begin(j);
	for (int i = 0; r->pmu_opened && i < r->pmu.nr_events; i++)
		w_pmu_event(j, r, &r->pmu.ev[i]);
	json_arr_end(j);
	json_obj_end(j);
}

static void w_rusage(struct json *j, const struct run *r)
{
	struct proc_usage sum = { 0 };

	for (unsigned long i = 0; r->window_done && i < r->nr; i++) {
		const struct proc_usage *a = &r->use0[i], *b = &r->use1[i];

		sum.vol_cs += b->vol_cs - a->vol_cs;
		sum.invol_cs += b->invol_cs - a->invol_cs;
		sum.minflt += b->minflt - a->minflt;
		sum.majflt += b->majflt - a->majflt;
		sum.utime += b->utime - a->utime;
		sum.stime += b->stime - a->stime;
		if (b->hwm_kb > sum.hwm_kb)
			sum.hwm_kb = b->hwm_kb;
	}
	json_key(j, "rusage");
	json_obj_begin(j);
	json_key(j, "voluntary_ctxt_switches");
	json_uint(j, sum.vol_cs);
	json_key(j, "involuntary_ctxt_switches");
	json_uint(j, sum.invol_cs);
	json_key(j, "minor_faults");
	json_uint(j, sum.minflt);
	json_key(j, "major_faults");
	json_uint(j, sum.majflt);
	json_key(j, "user_seconds");
	json_num(j, sum.utime);
	json_key(j, "system_seconds");
	json_num(j, sum.stime);
	json_key(j, "max_rss_kb");
	json_uint(j, sum.hwm_kb);
	json_obj_end(j);
}

static const char *const pct_names[4] = { "p10", "p50", "p90", "p99" };
static const double pct_values[4] = { 0.10, 0.50, 0.90, 0.99 };

static void w_latency(struct json *j, const struct run *r, int id)
{
	static unsigned long long b[HIST_NR];
	unsigned long long count = 0, sum = 0, min = 0, max = 0, width[4];

	memset(b, 0, sizeof(b));
	for (unsigned long t = 0; t <= r->nr; t++) {
		const struct metric_slot *m = metric_slot(t, id);

		if (!m->count)
			continue;
		for (unsigned int i = 0; i < HIST_NR; i++)
			b[i] += m->buckets[i];
		if (!count || m->min - 1 < min)
			min = m->min - 1;
		if (m->max > max)
			max = m->max;
		count += m->count;
		sum += m->sum;
	}
	json_key(j, "count");
	json_uint(j, count);
	json_key(j, "mean");
	if (count)
		json_num(j, (double)sum / count);
	else
		json_null(j);
	json_key(j, "min");
	json_uint(j, min);
	for (unsigned int q = 0; q < 4; q++) {
		json_key(j, pct_names[q]);
		json_uint(j, hist_percentile(b, count, pct_values[q], min, max,
					     &width[q]));
	}
	json_key(j, "max");
	json_uint(j, max);
	/* each percentile's histogram bucket: its resolution */
	json_key(j, "bucket_width");
	json_obj_begin(j);
	for (unsigned int q = 0; q < 4; q++) {
		json_key(j, pct_names[q]);
		json_uint(j, width[q]);
	}
	json_obj_end(j);
}

static void w_metric(struct json *j, const struct run *r, int id)
{
	const struct metric_def *d = &sh.ctl->metrics[id];
	int kind = d->kind & 0xff;
	unsigned long long value = 0;

	json_key(j, d->name);
	json_obj_begin(j);
	json_key(j, "kind");
	json_str(j, kind == HARNESS_LATENCY ? "latency" :
		 kind == HARNESS_COUNTER ? "counter" : "max");
	json_key(j, "unit");
	json_str(j, d->unit);
	if (kind == HARNESS_LATENCY) {
		w_latency(j, r, id);
	} else {
		for (unsigned long t = 0; t <= r->nr; t++) {
			const struct metric_slot *m = metric_slot(t, id);

			if (kind == HARNESS_COUNTER)
				value += m->sum;
			else if (m->max > value)
				value = m->max;
		}
		json_key(j, "value");
		json_uint(j, value);
	}
	json_key(j, "per_task");
	json_arr_begin(j);
	for (unsigned long t = 0; t < r->nr; t++) {
		const struct metric_slot *m = metric_slot(t, id);

		json_uint(j, kind == HARNESS_LATENCY ? m->count :
			  kind == HARNESS_COUNTER ? m->sum : m->max);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void w_metrics(struct json *j, const struct run *r)
{
	json_key(j, "metrics");
	json_obj_begin(j);
	for (int i = 0; i < sh.ctl->nr_metrics; i++)
		w_metric(j, r, i);
	json_obj_end(j);
}

static void w_allocator(struct json *j)
{
	json_key(j, "allocator");
	if (!harness_slab_stats) {
		json_null(j);
		return;
	}
	json_arr_begin(j);
	for (unsigned int i = 0; i < sh.nr_blobs; i++) {
		struct blob_hdr *b = blob_at(i);
		char *text = (char *)(b + 1);

		if (b->len > 0 && text[0] == '{') {
			text[b->len] = '\0';
			json_raw(j, text);
		} else {
			json_null(j);
		}
	}
	json_arr_end(j);
}

/*
 * The allocator's counters as it declares them (slab.h): under
 * "allocator_counters", {"stats": {name: {"unit", "better", "what"}},
 * "locks": {field: {...}}}, so a reader learns a new counter's unit and
 * direction from the document itself; null without the allocator.
 */
static void w_counter_group(struct json *j, const char *group)
{
	struct harness_counter c;

	json_key(j, group);
	json_obj_begin(j);
	for (unsigned int i = 0; harness_slab_counter(i, &c); i++) {
		if (strcmp(c.group, group))
			continue;
		json_key(j, c.name);
		json_obj_begin(j);
		json_key(j, "unit");
		json_str(j, c.unit);
		json_key(j, "better");
		json_str(j, c.better);
		json_key(j, "what");
		json_str(j, c.what);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void w_allocator_counters(struct json *j)
{
	json_key(j, "allocator_counters");
	if (!harness_slab_counter) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	w_counter_group(j, "stats");
	w_counter_group(j, "locks");
	json_obj_end(j);
}

/*
 * Run-level marks: what a reader must know before trusting the numbers,
 * one object per reason: {"reason": name, "message": text, numbers...}.
 * A new reason is one more writer in marks[]; it returns false (and
 * writes nothing) when its reason does not apply to the run.
 */
static bool mark_off_nominal(struct json *j, const struct run *r)
{
	char note[256];

	if (!interval_note(r, note, sizeof(note)))
		return false;
	json_obj_begin(j);
	json_key(j, "reason");
	json_str(j, "off_nominal_intervals");
	json_key(j, "message");
	json_str(j, note);
	json_key(j, "intervals");
	json_int(j, r->st.excluded);
	json_key(j, "nominal_seconds");
	json_num(j, r->o->interval);
	json_key(j, "bounds");
	json_arr_begin(j);
	json_num(j, INTERVAL_MIN_RATIO);
	json_num(j, INTERVAL_MAX_RATIO);
	json_arr_end(j);
	json_key(j, "seconds");
	json_arr_begin(j);
	for (int k = 0; k < r->nr_samples; k++)
		if (r->samples[k].excluded)
			json_num(j, r->samples[k].secs);
	json_arr_end(j);
	json_obj_end(j);
	return true;
}

static bool mark_disturbed(struct json *j, const struct run *r)
{
	const struct run_stats *st = &r->st;
	char note[512];

	if (!disturbed_note(r, note, sizeof(note)))
		return false;
	json_obj_begin(j);
	json_key(j, "reason");
	json_str(j, "disturbed");
	json_key(j, "message");
	json_str(j, note);
	json_key(j, "threshold");
	json_num(j, DISTURB_WAIT_RATIO);
	json_key(j, "intervals");
	json_int(j, st->disturbed_intervals);
	json_key(j, "of");
	json_int(j, st->intervals);
	json_key(j, "max_wait_share");
	json_num(j, st->max_wait_share);
	json_key(j, "task");
	json_int(j, st->max_wait_task);
	json_key(j, "wait_share");
	json_num(j, st->wait_share);
	json_key(j, "cpu_share");
	json_num(j, st->cpu_share);
	json_obj_end(j);
	return true;
}

static bool mark_shared(struct json *j, const struct run *r)
{
	const struct run_stats *st = &r->st;
	char note[512];

	if (!shared_note(r, note, sizeof(note)))
		return false;
	json_obj_begin(j);
	json_key(j, "reason");
	json_str(j, "shared");
	json_key(j, "message");
	json_str(j, note);
	json_key(j, "threshold");
	json_num(j, SHARED_BUSY_CPUS);
	json_key(j, "steal_threshold");
	json_num(j, SHARED_STEAL_RATIO);
	json_key(j, "outside");
	json_num(j, st->nb_mean.outside);
	json_key(j, "steal");
	json_num(j, st->nb_mean.steal);
	json_key(j, "intervals");
	json_int(j, st->shared_intervals);
	json_key(j, "of");
	json_int(j, st->intervals);
	json_key(j, "max_outside");
	json_num(j, st->nb_max_outside);
	json_obj_end(j);
	return true;
}

static bool (*const marks[])(struct json *, const struct run *) = {
	mark_off_nominal,
	mark_disturbed,
	mark_shared,
};

static void w_marks(struct json *j, const struct run *r)
{
	json_key(j, "marks");
	json_arr_begin(j);
	for (unsigned int i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		marks[i](j, r);
	json_arr_end(j);
}

static void w_document(struct json *j, const struct run *r)
{
	json_obj_begin(j);
	json_key(j, "schema");
	json_str(j, SCHEMA_NAME);
	json_key(j, "schema_version");
	json_int(j, SCHEMA_VERSION);
	json_key(j, "run_id");
	json_str(j, r->run_id);
	json_key(j, "status");
	json_str(j, status_name(r->status));
	w_failure(j, r);
	w_marks(j, r);
	json_key(j, "disturbed");
	json_bool(j, run_disturbed(r));
	json_key(j, "shared");
	json_bool(j, run_shared(r));
	json_key(j, "load_average");
	if (r->load_ok) {
		json_arr_begin(j);
		for (int i = 0; i < 3; i++)
			json_num(j, r->load[i]);
		json_arr_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "case");
	json_str(j, r->cs->name);
	json_key(j, "description");
	json_str(j, case_description(r->cs));
	json_key(j, "mode");
	json_str(j, r->o->processes ? "processes" : "threads");
	json_key(j, "nr_task");
	json_uint(j, r->nr);
	json_key(j, "variant");
	json_str(j, runner_variant);
	w_params(j);
	w_options(j, r);
	json_key(j, "start_time");
	json_str(j, r->start_time);
	json_key(j, "end_time");
	json_str(j, r->end_time[0] ? r->end_time : r->start_time);
	w_host(j, r->host);
	w_build(j);
	w_tasks(j, r);
	w_samples(j, r);
	w_stats(j, r);
	w_pmu(j, r);
	w_rusage(j, r);
	w_metrics(j, r);
	w_allocator(j);
	w_allocator_counters(j);
	json_obj_end(j);
	fputc('\n', j->f);
}

/*
 * A results document may replace a regular file and nothing else: not a
 * device (--json /dev/null as root), a FIFO, a directory, nor a symlink
 * (rename() would replace the link itself).  0 if path is absent or a
 * regular file, else -1 with the reason in err.
 */
static int target_ok(const char *path, char *err, size_t len)
{
	struct stat st;

	if (!lstat(path, &st)) {
		if (S_ISREG(st.st_mode))
			return 0;
		snprintf(err, len, "%s exists and is %s, not a regular file; "
			 "refusing to replace it", path,
			 S_ISLNK(st.st_mode) ? "a symbolic link" :
			 S_ISDIR(st.st_mode) ? "a directory" :
			 S_ISFIFO(st.st_mode) ? "a FIFO" :
			 S_ISCHR(st.st_mode) ? "a character device" :
			 S_ISBLK(st.st_mode) ? "a block device" :
			 S_ISSOCK(st.st_mode) ? "a socket" : "special");
		return -1;
	}
	if (errno == ENOENT)
		return 0;
	snprintf(err, len, "%s: %s", path, strerror(errno));
	return -1;
}

/* The temporary file next to path: ".<name, at most 40 chars>.XXXXXX". */
static int temp_open(const char *path, char *tmp, size_t len)
{
	char dir[4096];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((size_t)snprintf(tmp, len, "%s/.%.40s.XXXXXX", dirname(dir),
			     base) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkstemp(tmp);
}

int rundoc_check_target(const char *path, char *err, size_t len)
{
	char tmp[4096];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int fd;

	if (!*base) {
		snprintf(err, len, "%s names a directory, not a file", path);
		return -1;
	}
	if (target_ok(path, err, len))
		return -1;
	/* the directory takes a file, and the name fits (NAME_MAX) */
	fd = temp_open(path, tmp, sizeof(tmp));
	if (fd < 0) {
		snprintf(err, len, "%s: directory not writable: %s", path,
			 strerror(errno));
		return -1;
	}
	close(fd);
	unlink(tmp);
	if (strlen(base) > NAME_MAX) {
		snprintf(err, len, "%s: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	return 0;
}

/* Write atomically: temporary file in the same directory, then rename. */
int rundoc_write(const struct run *r, const char *path)
{
	char tmp[4096], err[4400];
	struct json j;
	FILE *f;
	int fd, bad;

	if (target_ok(path, err, sizeof(err))) {
		fprintf(stderr, "slabscale-run: --json %s\n", err);
		return -1;
	}
	fd = temp_open(path, tmp, sizeof(tmp));
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "slabscale-run: cannot write %s: %s\n", path,
			strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	{
		mode_t um = umask(0);

		umask(um);
		fchmod(fd, 0666 & ~um);
	}
	json_init(&j, f, 1);
	w_document(&j, r);
	bad = fflush(f) || ferror(f) || fsync(fd);
	bad |= fclose(f) != 0;
	/* checked again: the target may have changed while we measured */
	if (!bad && target_ok(path, err, sizeof(err))) {
		fprintf(stderr, "slabscale-run: --json %s\n", err);
		unlink(tmp);
		return -1;
	}
	if (bad || rename(tmp, path)) {
		fprintf(stderr, "slabscale-run: cannot write %s: %s\n", path,
			strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
