// SPDX-License-Identifier: GPL-2.0-only
/*
 * options.c - command line of slabscale-run and of the will-it-scale style
 * <case>_threads / <case>_processes names.  No side effects: the tests
 * call options_parse() directly.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "node_list.h"

_Static_assert(MAX_EVENTS == 16, "usage() says --events takes at most 16");

static const char *const default_events[] = {
	"cycles", "instructions", "cache-misses", "branch-misses",
};

void usage(FILE *f, const char *prog, bool wis)
{
	if (wis) {	/* will-it-scale's text, plus -v */
		fprintf(f, "Usage: %s [options]\n\n"
			"\t-s iterations\tNumber of iterations to run\n"
			"\t-t tasks\tNumber of threads or processes to run\n"
			"\t-m\t\tAffinitize tasks on SMT threads (default cores)\n"
			"\t-n\t\tNo affinity\n"
			"\t-v\t\tPrint per task deltas\n", prog);
		return;
	}
	fprintf(f,
"Usage: %s CASE [options]\n"
"       %s --list\n\n"
"  -t, --tasks N[,N...]   tasks to run; a list runs one measurement each (default 1)\n"
"  -s, --seconds S        seconds measured (default 5; 0 = until interrupted)\n"
"      --warmup S         seconds of warmup before measuring (default 5)\n"
"      --interval S       length of one sample (default 1)\n"
"      --mode M           threads (default) or processes\n"
"  -m                     bind each task to one SMT thread (default: to a core)\n"
"  -n                     no CPU affinity (not with -m)\n"
"  -v                     print per-task rates of every interval\n"
"      --json FILE        write the results document (FILE.tN.json per N of a list)\n"
"      --events LIST      perf/libpfm4 events, at most 16 (default cycles,\n"
"                         instructions,cache-misses,branch-misses, with\n"
"                         software fallbacks)\n"
"      --no-events        count no PMU events\n"
"      --param NAME=VALUE case parameter (repeatable)\n"
"      --until-ci PCT     stop once the 95%% CI half-width < PCT%% of the mean\n"
"                         (at least 3 intervals, at most -s)\n"
"      --cleanup-timeout S\n"
"                         fail the run if testcase_cleanup() takes longer\n"
"                         (default 60)\n"
"      --nodes N          NUMA nodes for the in-tree allocator (1..8; CPU c\n"
"                         on node c %% N; default: the machine's topology)\n"
"      --memoryless LIST  nodes of --nodes without memory (\"1\", \"1,3\",\n"
"                         \"2-5\"): their CPUs' slabs come from the nearest\n"
"                         node with memory\n"
"      --list             list the cases of this runner\n"
"  -h, --help             this text\n"
"Exit: 0 ok, 1 failed, 2 usage, 3 case unsupported, 128+signal interrupted\n"
"(130 SIGINT, 143 SIGTERM).\n",
		prog, prog);
}

/* "1,2,4" or "1-4" items; returns the count or -1. */
int parse_task_list(const char *s, unsigned long *out, int max)
{
	int n = 0;
	const char *p = s;

	if (!*s)
		return -1;
	while (*p) {
		char *end;
		unsigned long a, b;

		errno = 0;
		if (*p < '0' || *p > '9')
			return -1;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtoul(end + 1, &end, 10);
		}
		if (errno || a < 1 || b < a || b > MAX_TASKS)
			return -1;
		for (; a <= b; a++) {
			if (n >= max)
				return -1;
			out[n++] = a;
		}
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return n;
}

/*
 * Longest -s, --warmup, --cleanup-timeout and --interval: a year, an hour.
 * Beyond them nanosecond deadlines would overflow.
 */
#define MAX_SECONDS		(366 * 86400.0)
#define MAX_INTERVAL		3600.0

static int parse_seconds(const char *s, double *out, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* decimal only: no leading blanks, no hex, no inf/nan */
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max ||
	    !((*s >= '0' && *s <= '9') || *s == '.') ||
	    strpbrk(s, "xXpP"))
		return -1;
	*out = v;
	return 0;
}

/* Split a comma list into o->buf; returns the count or -1 (message). */
static int split_events(struct options *o, const char *s, char *err,
			size_t len)
{
	char *p, *tok, *save;
	int n = 0;

	if (strlen(s) >= sizeof(o->buf)) {
		snprintf(err, len, "--events: the list is longer than %zu "
			 "characters", sizeof(o->buf) - 1);
		return -1;
	}
	strcpy(o->buf, s);
	for (p = o->buf; (tok = strtok_r(p, ",", &save)); p = NULL) {
		if (n >= MAX_EVENTS) {
			snprintf(err, len, "--events: at most %d events",
				 MAX_EVENTS);
			return -1;
		}
		o->events[n++] = tok;
	}
	if (!n)
		snprintf(err, len, "bad --events '%s'", s);
	return n ? n : -1;
}

/*
 * -s, --warmup: whole intervals, or the JSON would claim a time that was
 * not measured (-s 1.5 with --interval 1 measured 2 intervals).
 */
static int check_whole_intervals(const char *what, double secs,
				 double interval, char *err, size_t len)
{
	double n = round(secs / interval);

	if (fabs(n * interval - secs) <= 1e-9 * fmax(secs, 1))
		return 0;
	snprintf(err, len, "%s %g is not a whole number of --interval %g s "
		 "intervals", what, secs, interval);
	return -1;
}

static int add_param(struct options *o, const char *arg, char *err, size_t len)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg) {
		snprintf(err, len, "--param wants NAME=VALUE, got '%s'", arg);
		return -1;
	}
	if (o->nr_params >= MAX_PARAMS || eq - arg >= 64 ||
	    strlen(eq + 1) >= 256) {
		snprintf(err, len, "--param '%s': too many or too long", arg);
		return -1;
	}
	for (int i = 0; i < o->nr_params; i++)
		if (!strncmp(o->param_name[i], arg, eq - arg) &&
		    !o->param_name[i][eq - arg]) {
			snprintf(err, len, "--param %.*s given twice",
				 (int)(eq - arg), arg);
			return -1;
		}
	/* copies: argv is not ours to modify */
	snprintf(o->param_store[o->nr_params], sizeof(o->param_store[0]),
		 "%s", arg);
	o->param_store[o->nr_params][eq - arg] = '\0';
	o->param_name[o->nr_params] = o->param_store[o->nr_params];
	o->param_value[o->nr_params] = o->param_store[o->nr_params] +
				       (eq - arg) + 1;
	o->nr_params++;
	return 0;
}

static void defaults(struct options *o, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->prog = argv[0];
	o->tasks[0] = 1;
	o->nr_task_list = 1;
	o->seconds = 5;
	o->warmup = 5;
	o->interval = 1;
	o->until_ci = -1;
	o->cleanup_timeout = 60;
	o->affinity = AFF_CORES;
	o->events_default = true;
	o->nr_events = 4;
	for (int i = 0; i < 4; i++)
		o->events[i] = default_events[i];
}

enum { OPT_WARMUP = 256, OPT_MODE, OPT_JSON, OPT_EVENTS, OPT_PARAM,
       OPT_UNTIL_CI, OPT_LIST, OPT_INTERVAL, OPT_NO_EVENTS,
       OPT_CLEANUP_TIMEOUT, OPT_NODES, OPT_MEMORYLESS };

#define MAX_NODES	8	/* the allocator's MAX_NUMNODES */

/*
 * --memoryless: node ids below nodes, single or ranges, comma separated,
 * leaving at least one node with memory.  0, or -1 with a message.
 */
int parse_memoryless(const char *s, int nodes, char *err, size_t len)
{
	unsigned int mask;
	int ret = node_list_parse(s, nodes, &mask);

	if (ret == NODE_LIST_RANGE) {
		snprintf(err, len, "--memoryless '%s': nodes are 0..%d", s,
			 nodes - 1);
		return -1;
	}
	if (ret == NODE_LIST_SYNTAX || !mask) {
		snprintf(err, len, "bad --memoryless '%s' (node ids: 1 or 1,3 "
			 "or 2-5)", s);
		return -1;
	}
	if (mask == (1u << nodes) - 1) {
		snprintf(err, len, "--memoryless '%s' leaves no node with "
			 "memory", s);
		return -1;
	}
	return 0;
}

static const struct option long_opts[] = {
	{ "tasks", required_argument, NULL, 't' },
	{ "seconds", required_argument, NULL, 's' },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "no-events", no_argument, NULL, OPT_NO_EVENTS },
	{ "param", required_argument, NULL, OPT_PARAM },
	{ "until-ci", required_argument, NULL, OPT_UNTIL_CI },
	{ "cleanup-timeout", required_argument, NULL, OPT_CLEANUP_TIMEOUT },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "nodes", required_argument, NULL, OPT_NODES },
	{ "memoryless", required_argument, NULL, OPT_MEMORYLESS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_one(struct options *o, int c, char *arg, char *err,
		     size_t len)
{
	switch (c) {
	case 't':
		o->nr_task_list = parse_task_list(arg, o->tasks, MAX_TASK_LIST);
		if (o->nr_task_list < 1 || (o->wis && o->nr_task_list > 1)) {
			snprintf(err, len, "bad task count '%s' (1..%d)", arg,
				 MAX_TASKS);
			return -1;
		}
		return 0;
	case 's':
		if (parse_seconds(arg, &o->seconds, 0, MAX_SECONDS)) {
			snprintf(err, len, "bad -s '%s' (seconds, 0..%.0f)", arg,
				 MAX_SECONDS);
			return -1;
		}
		return 0;
	case OPT_WARMUP:
		if (parse_seconds(arg, &o->warmup, 0, MAX_SECONDS)) {
			snprintf(err, len, "bad --warmup '%s' (seconds, 0..%.0f)",
				 arg, MAX_SECONDS);
			return -1;
		}
		return 0;
	case OPT_INTERVAL:
		if (parse_seconds(arg, &o->interval, 0.01, MAX_INTERVAL)) {
			snprintf(err, len, "bad --interval '%s' (0.01..%.0f)", arg,
				 MAX_INTERVAL);
			return -1;
		}
		return 0;
	case OPT_UNTIL_CI:
		if (parse_seconds(arg, &o->until_ci, 0, 100) ||
		    o->until_ci <= 0) {
			snprintf(err, len, "bad --until-ci '%s' (percent, "
				 "0 < PCT <= 100)", arg);
			return -1;
		}
		return 0;
	case OPT_CLEANUP_TIMEOUT:
		if (parse_seconds(arg, &o->cleanup_timeout, 1, MAX_SECONDS)) {
			snprintf(err, len, "bad --cleanup-timeout '%s' "
				 "(1..%.0f)", arg, MAX_SECONDS);
			return -1;
		}
		return 0;
	case OPT_MODE:
		if (!strcmp(arg, "threads")) {
			o->processes = false;
		} else if (!strcmp(arg, "processes")) {
			o->processes = true;
		} else {
			snprintf(err, len, "bad --mode '%s' (threads|processes)",
				 arg);
			return -1;
		}
		return 0;
	case 'm':
		o->affinity = AFF_SMT;
		return 0;
	case 'n':
		o->affinity = AFF_NONE;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_JSON:
		o->json = arg;
		return 0;
	case OPT_EVENTS:
		o->events_default = false;
		o->nr_events = split_events(o, arg, err, len);
		return o->nr_events < 1 ? -1 : 0;
	case OPT_NO_EVENTS:
		o->events_default = false;
		o->nr_events = 0;
		return 0;
	case OPT_PARAM:
		return add_param(o, arg, err, len);
	case OPT_LIST:
		o->list = true;
		return 0;
	case OPT_NODES: {
		char *end;
		long v = strtol(arg, &end, 10);

		if (*end || end == arg || arg[0] < '0' || arg[0] > '9' ||
		    v < 1 || v > MAX_NODES) {
			snprintf(err, len, "bad --nodes '%s' (1..%d)", arg,
				 MAX_NODES);
			return -1;
		}
		o->nodes = (int)v;
		return 0;
	}
	case OPT_MEMORYLESS:
		o->memoryless = arg;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	default:
		snprintf(err, len, "unknown option");
		return -1;
	}
}

/*
 * Returns 0 on success, -1 on a usage error (message in err).  With wis
 * set by the caller (argv[0] named a case), only will-it-scale's options
 * are accepted and its 6-interval warmup and endless default apply; no
 * PMU counters are opened (will-it-scale has none, and nothing would
 * report them: the JSON is slabscale-run's).
 */
int options_parse(struct options *o, int argc, char **argv,
		  char *err, size_t errlen)
{
	bool wis = o->wis;
	const char *case_name = o->case_name;
	bool smt = false, no_aff = false;
	int c;

	defaults(o, argv);
	o->wis = wis;
	o->case_name = case_name;
	if (wis) {
		o->seconds = 0;
		o->warmup = 6;
		o->nr_events = 0;
		o->events_default = false;
	}
	err[0] = '\0';
	optind = 0;	/* 0: full re-initialisation (tests parse many times) */
	opterr = 0;
	for (;;) {
		c = wis ? getopt(argc, argv, "+:t:s:mnvh")
			: getopt_long(argc, argv, ":t:s:mnvh", long_opts, NULL);
		if (c < 0)
			break;
		if (c == ':') {
			snprintf(err, errlen, "%s needs a value",
				 argv[optind - 1]);
			return -1;
		}
		if (c == '?') {
			if (optopt)
				snprintf(err, errlen, "bad option '-%c'", optopt);
			else
				snprintf(err, errlen, "bad option '%s'",
					 argv[optind - 1]);
			return -1;
		}
		if (wis && c == 's') {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 0 ||
			    optarg[0] < '0' || optarg[0] > '9' ||
			    v > MAX_SECONDS) {
				snprintf(err, errlen, "bad -s '%s'", optarg);
				return -1;
			}
			o->seconds = v;
			continue;
		}
		smt |= c == 'm';
		no_aff |= c == 'n';
		if (parse_one(o, c, optarg, err, errlen))
			return -1;
	}
	if (smt && no_aff) {	/* will-it-scale refuses them together */
		snprintf(err, errlen, "-m and -n exclude each other");
		return -1;
	}
	if (wis) {
		if (optind < argc) {
			snprintf(err, errlen, "unexpected argument '%s'",
				 argv[optind]);
			return -1;
		}
		return 0;
	}
	if (optind < argc)
		o->case_name = argv[optind++];
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!o->case_name && !o->list && !o->help) {
		snprintf(err, errlen, "no case given");
		return -1;
	}
	if (o->memoryless && !o->nodes) {
		snprintf(err, errlen, "--memoryless needs --nodes");
		return -1;
	}
	if (o->memoryless && parse_memoryless(o->memoryless, o->nodes, err,
					      errlen))
		return -1;
	if (o->until_ci > 0 && o->seconds == 0) {
		snprintf(err, errlen, "--until-ci needs a cap: -s S > 0");
		return -1;
	}
	if (check_whole_intervals("-s", o->seconds, o->interval, err,
				  errlen) ||
	    check_whole_intervals("--warmup", o->warmup, o->interval, err,
				  errlen))
		return -1;
	return 0;
}

/*
 * "page_fault3_threads" -> ("page_fault3", threads).  Returns 0 when
 * argv0's basename has the will-it-scale form, -1 otherwise.
 */
int wis_name_split(const char *argv0, char *case_name, size_t len,
		   bool *processes)
{
	const char *base = strrchr(argv0, '/');
	static const char *const suffix[] = { "_threads", "_processes" };
	size_t n, sl;

	base = base ? base + 1 : argv0;
	n = strlen(base);
	for (int i = 0; i < 2; i++) {
		sl = strlen(suffix[i]);
		if (n > sl && !strcmp(base + n - sl, suffix[i]) &&
		    n - sl < len) {
			memcpy(case_name, base, n - sl);
			case_name[n - sl] = '\0';
			*processes = i == 1;
			return 0;
		}
	}
	return -1;
}
