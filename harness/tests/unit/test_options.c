// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "harness.h"
#include "unit.h"

static int parse(struct options *o, bool wis, char **argv)
{
	char err[256];
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(o, 0, sizeof(*o));
	o->wis = wis;
	if (wis)
		o->case_name = "empty";
	return options_parse(o, argc, argv, err, sizeof(err));
}

#define ARGS(...) ((char *[]){ "slabscale-run", __VA_ARGS__, NULL })

void test_options(void)
{
	static struct options o;
	unsigned long t[MAX_TASK_LIST];
	char name[64];
	bool procs;

	CHECK(parse_task_list("1,2,4", t, MAX_TASK_LIST) == 3);
	CHECK(t[0] == 1 && t[1] == 2 && t[2] == 4);
	CHECK(parse_task_list("2-4,8", t, MAX_TASK_LIST) == 4);
	CHECK(t[0] == 2 && t[2] == 4 && t[3] == 8);
	CHECK(parse_task_list("0", t, MAX_TASK_LIST) == -1);
	CHECK(parse_task_list("", t, MAX_TASK_LIST) == -1);
	CHECK(parse_task_list("1,", t, MAX_TASK_LIST) == -1);
	CHECK(parse_task_list("4-2", t, MAX_TASK_LIST) == -1);
	CHECK(parse_task_list("x", t, MAX_TASK_LIST) == -1);
	CHECK(parse_task_list("3000", t, MAX_TASK_LIST) == -1);
	CHECK(parse_task_list("1-100", t, MAX_TASK_LIST) == -1);

	CHECK(!parse(&o, false, ARGS("page_fault3", "-t", "1,2", "-s", "5")));
	CHECK(!strcmp(o.case_name, "page_fault3"));
	CHECK(o.nr_task_list == 2 && o.seconds == 5 && o.warmup == 5);
	CHECK(o.cleanup_timeout == 60);
	CHECK(!o.processes && o.affinity == AFF_CORES && o.events_default);
	CHECK(o.nr_events == 4 && !strcmp(o.events[0], "cycles"));

	CHECK(!parse(&o, false, ARGS("-m", "--mode", "processes", "x",
				     "--warmup", "0", "--param", "a=1",
				     "--param", "b=x=y", "--events",
				     "task-clock,page-faults", "--until-ci",
				     "2.5", "--json", "o.json", "-v",
				     "--cleanup-timeout", "600")));
	CHECK(o.processes && o.affinity == AFF_SMT && o.verbose);
	CHECK(o.cleanup_timeout == 600);
	CHECK(o.warmup == 0 && o.until_ci == 2.5 && !strcmp(o.json, "o.json"));
	CHECK(o.nr_params == 2 && !strcmp(o.param_name[1], "b") &&
	      !strcmp(o.param_value[1], "x=y"));
	CHECK(o.nr_events == 2 && !o.events_default &&
	      !strcmp(o.events[1], "page-faults"));
	CHECK(!parse(&o, false, ARGS("x", "-n", "--no-events")));
	CHECK(o.affinity == AFF_NONE && o.nr_events == 0);

	CHECK(parse(&o, false, ARGS("x", "--mode", "fibers")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--cleanup-timeout", "0")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--cleanup-timeout", "x")) == -1);
	CHECK(parse(&o, false, ARGS("x", "-t", "0")) == -1);
	CHECK(parse(&o, false, ARGS("x", "-s", "abc")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--bogus")) == -1);
	CHECK(parse(&o, false, ARGS("x", "y")) == -1);
	CHECK(parse(&o, false, ARGS("-t", "1")) == -1);	/* no case */
	CHECK(parse(&o, false, ARGS("x", "--param", "novalue")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--param", "a=1", "--param",
				    "a=2")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--until-ci", "0")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--until-ci", "5", "-s", "0")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--interval", "0")) == -1);
	CHECK(!parse(&o, false, ARGS("--list")) && o.list);

	/* seconds are whole intervals */
	CHECK(parse(&o, false, ARGS("x", "-s", "0.5")) == -1);
	CHECK(parse(&o, false, ARGS("x", "-s", "1.5")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--warmup", "0.5")) == -1);
	CHECK(!parse(&o, false, ARGS("x", "-s", "1.5", "--warmup", "0.5",
				     "--interval", "0.5")));
	CHECK(!parse(&o, false, ARGS("x", "-s", "0.3", "--interval", "0.1")));
	CHECK(!parse(&o, false, ARGS("x", "-s", "0.4", "--warmup", "0.2",
				     "--interval", "0.2")));
	CHECK(parse(&o, false, ARGS("x", "-s", "0.25", "--interval", "0.1"))
	      == -1);
	/* decimal seconds only, within range */
	CHECK(parse(&o, false, ARGS("x", "-s", " 1")) == -1);
	CHECK(parse(&o, false, ARGS("x", "-s", "0x10")) == -1);
	CHECK(parse(&o, false, ARGS("x", "-s", "1e300")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--interval", "1e9")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--cleanup-timeout", "1e300")) == -1);
	CHECK(parse(&o, false, ARGS("x", "--until-ci", "nan")) == -1);
	CHECK(parse(&o, true, ARGS("-s", "")) == -1);
	CHECK(parse(&o, true, ARGS("-s", " 5")) == -1);
	CHECK(parse(&o, true, ARGS("-s", "99999999999999999999")) == -1);
	/* item 17: messages */
	{
		char err[256];
		int argc = 3;
		char **argv = ARGS("x", "-s");

		memset(&o, 0, sizeof(o));
		CHECK(options_parse(&o, argc, argv, err, sizeof(err)) == -1);
		CHECK(!strcmp(err, "-s needs a value"));
		argv = ARGS("x", "--json");
		CHECK(options_parse(&o, argc, argv, err, sizeof(err)) == -1);
		CHECK(!strcmp(err, "--json needs a value"));
		argv = ARGS("x", "--events", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q");
		CHECK(options_parse(&o, 4, argv, err, sizeof(err)) == -1);
		CHECK(strstr(err, "at most 16 events") != NULL);
		argv = ARGS("x", "--events", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p");
		CHECK(!options_parse(&o, 4, argv, err, sizeof(err)));
		CHECK(o.nr_events == 16);
	}

	/* will-it-scale's command line */
	CHECK(!parse(&o, true, ARGS("-t", "2", "-s", "3", "-m", "-v")));
	CHECK(o.tasks[0] == 2 && o.seconds == 3 && o.warmup == 6);
	CHECK(o.affinity == AFF_SMT && o.verbose);
	CHECK(!parse(&o, true, ARGS("-n")));
	CHECK(o.seconds == 0 && o.affinity == AFF_NONE);
	CHECK(parse(&o, true, ARGS("--json", "x")) == -1);
	CHECK(parse(&o, true, ARGS("-t", "1,2")) == -1);
	CHECK(parse(&o, true, ARGS("extra")) == -1);

	CHECK(!wis_name_split("build/none/page_fault3_threads", name,
			      sizeof(name), &procs));
	CHECK(!strcmp(name, "page_fault3") && !procs);
	CHECK(!wis_name_split("x_y_processes", name, sizeof(name), &procs));
	CHECK(!strcmp(name, "x_y") && procs);
	CHECK(wis_name_split("slabscale-run", name, sizeof(name), &procs));
	CHECK(wis_name_split("_threads", name, sizeof(name), &procs));
}
