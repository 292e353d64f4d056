// SPDX-License-Identifier: GPL-2.0-only
/*
 * api.c - the small harness API a case sees (slabscale.h), except
 * parameters (params.c), metrics (metrics.c) and new_task (task.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

unsigned long harness_nr_tasks(void)
{
	return sh.ctl ? sh.ctl->nr_tasks : 0;
}

bool harness_processes_mode(void)
{
	return sh.ctl && sh.ctl->processes;
}

unsigned long harness_task_nr(void)
{
	return cur_task < 0 ? 0 : (unsigned long)cur_task;
}

unsigned long long harness_now_ns(void)
{
	return now_ns();
}

bool harness_should_stop(void)
{
	if (!sh.ctl)
		return false;
	if (cur_task >= 0 && !sh.info[cur_task].polls_stop)
		__atomic_store_n(&sh.info[cur_task].polls_stop, 1,
				 __ATOMIC_RELAXED);
	return __atomic_load_n(&sh.ctl->stop, __ATOMIC_ACQUIRE);
}

static const char *case_name(void)
{
	return sh.cs ? sh.cs->name : "case";
}

void harness_warn(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "slabscale-run: %s: %s\n", case_name(), msg);
}

/*
 * Every context a case runs in is a child of the coordinator (host, task
 * or helper), so leaving with _exit() is enough: the coordinator sees the
 * exit and reads the message from the shared area.
 */
void harness_fail(const char *fmt, ...)
{
	char msg[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "slabscale-run: %s: %s\n", case_name(), msg);
	if (!sh.ctl)
		exit(EXIT_FAILED);
	if (cur_task >= 0)
		fail_record(cur_task, cur_helper, 0, EXIT_FAILED,
			    "%s %ld: %s", cur_helper ? "helper of task" : "task",
			    cur_task, msg);
	else
		fail_record(-1, 0, 0, EXIT_FAILED, "%s", msg);
	fflush(NULL);
	_exit(EXIT_FAILED);
}
