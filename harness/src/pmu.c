// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmu.c - per-task counters: libpfm4 encoding and the perf_event_open
 * life cycle, through struct pmu_ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pmu.h"	/* <linux/perf_event.h> before libpfm4's header */
#include <perfmon/pfmlib_perf_event.h>

static int sys_open(struct perf_event_attr *attr, pid_t pid, int cpu,
		    int group_fd, unsigned long flags)
{
	long fd = syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);

	return fd < 0 ? -errno : (int)fd;
}

static int sys_ioctl(int fd, unsigned long request)
{
	return ioctl(fd, request, 0) < 0 ? -errno : 0;
}

static int sys_read(int fd, unsigned long long v[3])
{
	ssize_t n = read(fd, v, 3 * sizeof(v[0]));

	if (n < 0)
		return -errno;
	return n == 3 * sizeof(v[0]) ? 0 : -EIO;
}

static void sys_close(int fd)
{
	close(fd);
}

const struct pmu_ops pmu_sys_ops = {
	.open = sys_open,
	.ioctl = sys_ioctl,
	.read = sys_read,
	.close = sys_close,
};

int pmu_lib_init(void)
{
	static int done, ret;

	if (!done) {
		ret = pfm_initialize();
		done = 1;
	}
	return ret == PFM_SUCCESS ? 0 : ret;
}

int pmu_encode(const char *name, struct perf_event_attr *attr,
	       char *pfm_name, size_t pfm_len, char *err, size_t err_len)
{
	pfm_perf_encode_arg_t arg;
	char *fq = NULL;
	int ret;

	ret = pmu_lib_init();
	if (ret) {
		snprintf(err, err_len, "libpfm4: %s", pfm_strerror(ret));
		return ret;
	}
	memset(attr, 0, sizeof(*attr));
	memset(&arg, 0, sizeof(arg));
	attr->size = sizeof(*attr);
	arg.size = sizeof(arg);
	arg.attr = attr;
	arg.fstr = &fq;
	ret = pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3,
					PFM_OS_PERF_EVENT_EXT, &arg);
	if (ret != PFM_SUCCESS) {
		snprintf(err, err_len, "event '%s': libpfm4: %s", name,
			 pfm_strerror(ret));
		free(fq);
		return ret;
	}
	snprintf(pfm_name, pfm_len, "%s", fq ? fq : name);
	free(fq);
	attr->disabled = 1;
	attr->inherit = 0;
	attr->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			    PERF_FORMAT_TOTAL_TIME_RUNNING;
	return 0;
}

static int event_alloc(struct pmu_event *e, int nr)
{
	e->fd = calloc(nr, sizeof(*e->fd));
	e->raw = calloc(nr, sizeof(*e->raw));
	e->enabled = calloc(nr, sizeof(*e->enabled));
	e->running = calloc(nr, sizeof(*e->running));
	e->value = calloc(nr, sizeof(*e->value));
	if (!e->fd || !e->raw || !e->enabled || !e->running || !e->value)
		return -1;
	for (int i = 0; i < nr; i++)
		e->fd[i] = -1;
	return 0;
}

static void event_refuse(struct pmu *p, struct pmu_event *e, int err)
{
	int i;

	for (i = 0; i < p->nr_tasks; i++) {
		if (e->fd[i] >= 0)
			p->ops->close(e->fd[i]);
		e->fd[i] = -1;
	}
	e->ok = false;
	e->err = err;
	snprintf(e->reason, sizeof(e->reason), "%s: %s", strerror(err),
		 pmu_refusal_reason(err));
}

static bool have_event(const struct pmu *p, const char *name)
{
	for (int i = 0; i < p->nr_events; i++)
		if (!strcmp(p->ev[i].name, name))
			return true;
	return false;
}

/* Add one event and open it on every task; -1 if it does not encode. */
static int add_event(struct pmu *p, const char *name, bool fallback,
		     const int *tids, char *err, size_t err_len)
{
	struct pmu_event *e;
	int i, fd;

	if (p->nr_events >= PMU_MAX_EVENTS) {
		snprintf(err, err_len, "too many events (max %d)",
			 PMU_MAX_EVENTS);
		return -1;
	}
	e = &p->ev[p->nr_events];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->fallback = fallback;
	if (pmu_encode(name, &e->attr, e->pfm_name, sizeof(e->pfm_name),
		       err, err_len))
		return -1;
	if (event_alloc(e, p->nr_tasks)) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	p->nr_events++;
	e->ok = true;
	for (i = 0; i < p->nr_tasks; i++) {
		fd = p->ops->open(&e->attr, tids[i], -1, -1, 0);
		if (fd < 0) {
			event_refuse(p, e, -fd);
			break;
		}
		e->fd[i] = fd;
	}
	return 0;
}

int pmu_open(struct pmu *p, const struct pmu_ops *ops,
	     const char *const *names,
	     int nr_names, bool fallback, const int *tids, int nr_tasks,
	     char *err, size_t err_len)
{
	int i, first;

	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->nr_tasks = nr_tasks;
	for (i = 0; i < nr_names; i++) {
		first = p->nr_events;
		if (add_event(p, names[i], false, tids, err, err_len))
			return -1;
		if (p->ev[first].ok || !fallback)
			continue;
		const char *fb = pmu_fallback_for(names[i]);

		if (fb && !have_event(p, fb) &&
		    add_event(p, fb, true, tids, err, err_len))
			return -1;
	}
	return 0;
}

static void for_each_fd(struct pmu *p, unsigned long request)
{
	for (int i = 0; i < p->nr_events; i++) {
		struct pmu_event *e = &p->ev[i];

		if (!e->ok)
			continue;
		for (int t = 0; t < p->nr_tasks; t++)
			if (e->fd[t] >= 0)
				p->ops->ioctl(e->fd[t], request);
	}
}

void pmu_enable(struct pmu *p)
{
	for_each_fd(p, PERF_EVENT_IOC_ENABLE);
}

void pmu_disable(struct pmu *p)
{
	for_each_fd(p, PERF_EVENT_IOC_DISABLE);
}

void pmu_read(struct pmu *p)
{
	for (int i = 0; i < p->nr_events; i++) {
		struct pmu_event *e = &p->ev[i];

		if (!e->ok)
			continue;
		for (int t = 0; t < p->nr_tasks; t++) {
			unsigned long long v[3] = { 0, 0, 0 };
			bool s;
			int ret = p->ops->read(e->fd[t], v);

			if (ret) {
				event_refuse(p, e, -ret);
				break;
			}
			e->raw[t] = v[0];
			e->enabled[t] = v[1];
			e->running[t] = v[2];
			e->value[t] = pmu_scale(v[0], v[1], v[2], &s);
		}
	}
}

void pmu_close(struct pmu *p)
{
	for (int i = 0; i < p->nr_events; i++) {
		struct pmu_event *e = &p->ev[i];

		for (int t = 0; e->fd && t < p->nr_tasks; t++)
			if (e->fd[t] >= 0)
				p->ops->close(e->fd[t]);
		free(e->fd);
		free(e->raw);
		free(e->enabled);
		free(e->running);
		free(e->value);
		e->fd = NULL;
	}
	p->nr_events = 0;
}
