// SPDX-License-Identifier: GPL-2.0-only
/*
 * shared.c - the shared area of a run, futex helpers and failure records.
 * See harness.h for who writes what.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct shared sh;
__thread long cur_task = -1;
__thread int cur_helper;

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/*
 * One anonymous MAP_SHARED mapping (no file, nothing in /tmp), laid out as
 * ctl | counters | task info | metric slots | allocator blobs.  Pages the
 * run never touches (most metric and blob pages) cost nothing.
 */
int shared_create(unsigned long nr_tasks, bool processes)
{
	size_t off_cnt, off_info, off_m, off_b, size;
	pthread_mutexattr_t ma;
	char *m;

	sh.nr_blobs = processes ? nr_tasks : 1;
	off_cnt = round_up(sizeof(struct shared_ctl), 4096);
	off_info = round_up(off_cnt + nr_tasks * COUNTER_STRIDE, 4096);
	off_m = round_up(off_info + nr_tasks * sizeof(struct task_info), 4096);
	off_b = round_up(off_m + (nr_tasks + 1) * HARNESS_MAX_METRICS *
			 sizeof(struct metric_slot), 4096);
	size = off_b + (size_t)sh.nr_blobs * BLOB_SIZE;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	sh.size = size;
	sh.ctl = (struct shared_ctl *)m;
	sh.counters = m + off_cnt;
	sh.info = (struct task_info *)(m + off_info);
	sh.mslots = (struct metric_slot *)(m + off_m);
	sh.blobs = m + off_b;
	sh.ctl->nr_tasks = nr_tasks;
	sh.ctl->processes = processes;
	sh.ctl->fail.task = -1;
	sh.ctl->fail.exit_code = -1;
	for (unsigned long i = 0; i < nr_tasks; i++) {
		sh.info[i].cpu = -1;
		sh.info[i].exit_code = -1;
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh.ctl->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	return 0;
}

void shared_destroy(void)
{
	if (sh.ctl)
		munmap(sh.ctl, sh.size);
	sh.ctl = NULL;
}

void futex_wait(int *addr, int val, long timeout_ns)
{
	struct timespec ts = {
		.tv_sec = timeout_ns / 1000000000L,
		.tv_nsec = timeout_ns % 1000000000L,
	};

	/* Not FUTEX_PRIVATE: waiters and wakers may be different processes. */
	syscall(SYS_futex, addr, FUTEX_WAIT, val,
		timeout_ns >= 0 ? &ts : NULL, NULL, 0);
}

void futex_wake_all(int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool fail_claim(void)
{
	int zero = 0;

	return __atomic_compare_exchange_n(&sh.ctl->fail.claimed, &zero, 1,
					   false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static void fail_publish(void)
{
	__atomic_store_n(&sh.ctl->fail.claimed, 2, __ATOMIC_RELEASE);
	if (sh.ctl->coord_pid)
		kill(sh.ctl->coord_pid, SIGUSR2);
}

static void fail_vrecord(int pid, int tid, int task, int helper, int sig,
			 int exit_code, const char *fmt, va_list ap)
{
	struct fail_info *f;

	if (!sh.ctl || !fail_claim())
		return;
	f = &sh.ctl->fail;
	f->task = task;
	f->helper = helper;
	f->pid = pid;
	f->tid = tid;
	f->sig = sig;
	f->exit_code = exit_code;
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	fail_publish();
}

void fail_record(int task, int helper, int sig, int exit_code,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_vrecord(getpid(), gettid(), task, helper, sig, exit_code, fmt, ap);
	va_end(ap);
}

void fail_record_pid(int pid, int task, int sig, int exit_code,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_vrecord(pid, pid, task, 0, sig, exit_code, fmt, ap);
	va_end(ap);
}

static void append(char **p, char *end, const char *s)
{
	while (*s && *p < end - 1)
		*(*p)++ = *s++;
	**p = '\0';
}

static void append_num(char **p, char *end, unsigned long v)
{
	char tmp[24];
	int i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v && i);
	append(p, end, tmp + i);
}

/* From a crash handler: no stdio, no locks. */
void fail_record_signal_safe(int sig)
{
	struct fail_info *f;
	char *p, *end;

	if (!sh.ctl || !fail_claim())
		return;
	f = &sh.ctl->fail;
	f->task = cur_task;
	f->helper = cur_helper;
	f->pid = getpid();
	f->tid = syscall(SYS_gettid);
	f->sig = sig;
	p = f->msg;
	end = f->msg + sizeof(f->msg);
	if (cur_task >= 0) {
		append(&p, end, cur_helper ? "helper of task " : "task ");
		append_num(&p, end, cur_task);
	} else {
		append(&p, end, "host process (prepare/cleanup)");
	}
	append(&p, end, " (pid ");
	append_num(&p, end, f->pid);
	append(&p, end, ", tid ");
	append_num(&p, end, f->tid);
	append(&p, end, ") killed by ");
	append(&p, end, signal_name(sig));
	fail_publish();
}

const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP",
		[SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
		[SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1",
		[SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",
		[SIGTERM] = "SIGTERM", [SIGSTKFLT] = "SIGSTKFLT",
		[SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
		[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",
		[SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
		[SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
		[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM",
		[SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
		[SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
	};

	if (sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) &&
	    names[sig])
		return names[sig];
	return "signal";
}

const char *errno_name(int err)
{
	switch (err) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	case ESRCH: return "ESRCH";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case E2BIG: return "E2BIG";
	case EIO: return "EIO";
	default: return "EUNKNOWN";
	}
}
