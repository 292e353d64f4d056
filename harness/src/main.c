// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - slabscale-run: pick the case, then one run per nr_task.
 *
 * Also will-it-scale's X_threads / X_processes (its options, its output,
 * its exit statuses, nothing else): build/<v>/X_threads is this program
 * linked with case X alone and a runner_wis_fixed object saying which
 * mode, so a renamed copy still runs; a link named X_threads to a
 * slabscale-run that has case X behaves the same.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "run.h"

/* Defined (wisfixed.c) only in the per-case will-it-scale executables. */
extern const int runner_wis_fixed __attribute__((weak));

static const char *unsupported(const struct case_desc *c)
{
	return c->unsupported ? c->unsupported() : NULL;
}

static void list_cases(FILE *f, const char *indent)
{
	for (unsigned int i = 0; i < case_registry_nr; i++) {
		const struct case_desc *c = &case_registry[i];

		if (unsupported(c))
			continue;
		fprintf(f, "%s%-24s %s\n", indent, c->name,
			case_description(c));
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void block_run_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/*
 * will-it-scale's binaries die by SIGINT/SIGTERM/SIGHUP; ours stop the
 * tasks and run testcase_cleanup() first, then die by the same signal, so
 * a driver sees the same wait status (a shell: 128 + signal).
 */
static int die_by_signal(int rc)
{
	sigset_t set;
	int sig = rc - 128;

	if (sig != SIGINT && sig != SIGTERM && sig != SIGHUP)
		return rc;
	fflush(NULL);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return rc;
}

/* Which will-it-scale executable this is, if any. */
static bool wis_identity(const char *argv0, char *name, size_t len,
			 bool *procs)
{
	if (&runner_wis_fixed && case_registry_nr == 1) {
		snprintf(name, len, "%s", case_registry[0].name);
		*procs = runner_wis_fixed == 2;
		return true;
	}
	return !wis_name_split(argv0, name, len, procs) && case_find(name);
}

/* Fail before measuring, not after, when the JSON cannot be written. */
static int check_json_dir(const struct options *o)
{
	/*
	 * Every target (one per nr_task of a list) must be absent or a
	 * regular file, in a directory that takes a new file of that name.
	 */
	char path[4096], err[4400];

	if (!o->json)
		return 0;
	if (strlen(o->json) + 32 >= sizeof(path)) {
		fprintf(stderr, "%s: --json: %s\n", o->prog,
			strerror(ENAMETOOLONG));
		return -1;
	}
	for (int i = 0; i < o->nr_task_list; i++) {
		json_path_for(o->json, o->tasks[i], o->nr_task_list > 1, path,
			      sizeof(path));
		if (rundoc_check_target(path, err, sizeof(err))) {
			fprintf(stderr, "%s: --json %s\n", o->prog, err);
			return -1;
		}
	}
	return 0;
}

/* Every event name must encode before anything runs. */
static int check_events(const struct options *o)
{
	for (int i = 0; i < o->nr_events; i++) {
		struct perf_event_attr attr;
		char fq[256], err[512];

		if (pmu_encode(o->events[i], &attr, fq, sizeof(fq), err,
			       sizeof(err))) {
			fprintf(stderr, "%s: --events: %s\n", o->prog, err);
			return -1;
		}
	}
	return 0;
}

static int skip(const struct options *o, const struct case_desc *cs,
		const char *why, const struct topology *t,
		const struct hostinfo *h)
{
	struct run r;
	char path[4096];

	fprintf(stderr, "%s: case '%s' is not supported by variant '%s': %s\n",
		o->prog, cs->name, runner_variant, why);
	if (!o->json)
		return EXIT_SKIPPED;
	for (int i = 0; i < o->nr_task_list; i++) {
		memset(&r, 0, sizeof(r));
		r.o = o;
		r.cs = cs;
		r.topo = t;
		r.host = h;
		r.nr = o->tasks[i];
		r.status = RUN_SKIPPED;
		run_id_new(r.run_id, sizeof(r.run_id));
		r.has_fail = true;
		r.fail.task = -1;
		r.fail.exit_code = -1;
		snprintf(r.fail.msg, sizeof(r.fail.msg), "%s", why);
		r.cpus = calloc(r.nr, sizeof(int));
		iso_time_now(r.start_time, sizeof(r.start_time));
		if (!r.cpus || shared_create(r.nr, o->processes))
			return EXIT_FAILED;
		params_init(o);
		json_path_for(o->json, r.nr, o->nr_task_list > 1, path,
			      sizeof(path));
		rundoc_write(&r, path);
		run_free(&r);
	}
	return EXIT_SKIPPED;
}

static int run_all(const struct options *o, const struct case_desc *cs)
{
	static struct topology topo;
	static struct hostinfo host;
	char path[4096];
	const char *why;
	int rc = EXIT_OK;

	if (topology_load(&topo))
		fprintf(stderr, "%s: cannot read the CPU topology; tasks are "
			"not pinned\n", o->prog);
	hostinfo_collect(&host, &topo);
	why = unsupported(cs);
	if (why)
		return skip(o, cs, why, &topo, &host);
	for (int i = 0; i < o->nr_task_list && rc == EXIT_OK; i++) {
		struct run r;

		memset(&r, 0, sizeof(r));
		r.o = o;
		r.cs = cs;
		r.topo = &topo;
		r.host = &host;
		r.nr = o->tasks[i];
		if (o->json) {
			json_path_for(o->json, r.nr, o->nr_task_list > 1, path,
				      sizeof(path));
			r.json_path = path;
		}
		rc = run_one(&r);
		run_free(&r);
	}
	return rc;
}

/*
 * --nodes/--memoryless: the in-tree allocator reads its topology
 * (SLABSCALE_NODES, SLABSCALE_MEMORYLESS) once, when the program loads
 * (its kmalloc caches are made then, with a barn per node), so the runner
 * sets them and executes itself again; the second start finds them set
 * and goes on.  An option overrides the environment.  Returns only on
 * failure.
 */
static int apply_topology(const struct options *o, char **argv)
{
	const char *have_n = getenv("SLABSCALE_NODES");
	const char *have_m = getenv("SLABSCALE_MEMORYLESS");
	const char *want_m = o->memoryless ? o->memoryless : "";
	char n[8];

	snprintf(n, sizeof(n), "%d", o->nodes);
	if (have_n && !strcmp(have_n, n) &&
	    !strcmp(have_m ? have_m : "", want_m))
		return 0;
	if (setenv("SLABSCALE_NODES", n, 1) ||
	    (o->memoryless ? setenv("SLABSCALE_MEMORYLESS", want_m, 1) :
			     unsetenv("SLABSCALE_MEMORYLESS"))) {
		perror("slabscale-run: setenv");
		return -1;
	}
	execv("/proc/self/exe", argv);
	perror("slabscale-run: re-executing with the topology");
	return -1;
}

/* Text that could not be written (other than to a closed pipe) fails. */
static int output_checked(const struct options *o, int rc)
{
	int err = output_error();

	if (!err || err == EPIPE)
		return rc;
	fprintf(stderr, "%s: cannot write the output: %s\n", o->prog,
		strerror(err));
	return rc == EXIT_OK ? EXIT_FAILED : rc;
}

int main(int argc, char **argv)
{
	static struct options o;
	static char wis_case[128];
	const struct case_desc *cs;
	char err[512];
	bool procs = false;

	raise_nofile();
	if (wis_identity(argv[0], wis_case, sizeof(wis_case), &procs)) {
		o.wis = true;
		o.case_name = wis_case;
	}
	if (options_parse(&o, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		/* will-it-scale prints its usage on stdout and exits 1 */
		usage(o.wis ? stdout : stderr, argv[0], o.wis);
		return o.wis ? EXIT_WIS_USAGE : EXIT_USAGE;
	}
	if (o.wis)
		o.processes = procs;
	if (o.help) {
		usage(stdout, argv[0], o.wis);
		return o.wis ? EXIT_WIS_USAGE : EXIT_OK;
	}
	if (o.list) {
		list_cases(stdout, "");
		return EXIT_OK;
	}
	cs = case_find(o.case_name);
	if (!cs) {
		fprintf(stderr, "%s: unknown case '%s'; known cases:\n",
			argv[0], o.case_name);
		list_cases(stderr, "  ");
		return EXIT_USAGE;
	}
	if (check_events(&o) || check_json_dir(&o))
		return EXIT_USAGE;
	if (o.nodes && apply_topology(&o, argv))
		return EXIT_FAILED;
	block_run_signals();
	if (o.wis)
		return die_by_signal(run_all(&o, cs));
	/*
	 * A reader that closes the pipe early (`| head -1`) must not kill the
	 * run before it writes the --json it was asked for.
	 */
	signal(SIGPIPE, SIG_IGN);
	return output_checked(&o, run_all(&o, cs));
}
