// SPDX-License-Identifier: GPL-2.0-only
/*
 * host.c - the host process of one run: testcase_prepare(), the tasks,
 * testcase_cleanup().  Forked by the coordinator; dies with it
 * (PR_SET_PDEATHSIG), and so do its task processes.
 *
 * End of a run: the coordinator sets ctl->stop.  Tasks that poll
 * harness_should_stop() get time to return; the others are will-it-scale
 * cases that never return.  Threads are cancelled (deferred, so a thread
 * unwinds only at a cancellation point); those still running after
 * CANCEL_GRACE_NS never reach one (a getppid() or lseek() loop) and are
 * parked: PARK_SIGNAL's handler stops them where they are, with every
 * signal blocked, until the process exits.  will-it-scale cancels
 * asynchronously instead, which can unwind a thread inside malloc()
 * holding its arena lock and hang its exit.  Processes are killed by the
 * coordinator; their helper processes and anything else they forked are
 * reaped here (the host is their subreaper).  testcase_cleanup() runs once
 * no task can run any more; a thread that cannot be parked (it blocks
 * PARK_SIGNAL) fails the run, after cleanup.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "host.h"

#define RETURN_GRACE_NS		5000000000ULL
#define CANCEL_GRACE_NS		200000000ULL
#define PARK_ACK_NS		5000000000ULL
#define PARK_SIGNAL		SIGRTMAX

static void crash_handler(int sig)
{
	fail_record_signal_safe(sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
				    SIGTRAP, SIGSYS };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_NODEFER;
	for (unsigned int i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void *thread_trampoline(void *arg)
{
	task_run((unsigned long)arg);
	return NULL;
}

static struct timespec realtime_in(unsigned long long ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns += ts.tv_nsec;
	ts.tv_sec += ns / 1000000000ULL;
	ts.tv_nsec = ns % 1000000000ULL;
	return ts;
}

static void run_cleanup(void)
{
	if (sh.cs->cleanup)
		sh.cs->cleanup();
}

/*
 * A parked thread may hold a stdio lock (a case that prints in its loop):
 * then flush only the standard streams, and only if their lock is free.
 */
static void flush_streams(void)
{
	FILE *std[] = { stdout, stderr };

	if (!__atomic_load_n(&sh.ctl->parked, __ATOMIC_ACQUIRE)) {
		fflush(NULL);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (ftrylockfile(std[i]))
			continue;
		fflush_unlocked(std[i]);
		funlockfile(std[i]);
	}
}

static __attribute__((noreturn)) void host_exit(void)
{
	flush_streams();
	_exit(sh.ctl->fail.claimed ? EXIT_FAILED : EXIT_OK);
}

static void wait_for_stop(void)
{
	while (!__atomic_load_n(&sh.ctl->stop, __ATOMIC_ACQUIRE))
		futex_wait(&sh.ctl->stop, 0, -1);
}

static void reap_descendants(void);

/* Threads parked by park_handler(); the host waits for their count. */
static int parked;

static void park_handler(int sig)
{
	static int forever;

	(void)sig;
	__atomic_add_fetch(&parked, 1, __ATOMIC_RELEASE);
	/* a raw futex wait, not a cancellation point; every signal blocked */
	for (;;)
		syscall(SYS_futex, &forever, FUTEX_WAIT_PRIVATE, 0, NULL, NULL,
			0);
}

static void park_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = park_handler;
	sigfillset(&sa.sa_mask);
	sigaction(PARK_SIGNAL, &sa, NULL);
}

/* Wait until sent threads are parked; returns how many are not. */
static int park_wait(int sent)
{
	unsigned long long dl = now_ns() + PARK_ACK_NS;
	int n;

	while ((n = __atomic_load_n(&parked, __ATOMIC_ACQUIRE)) < sent &&
	       now_ns() < dl)
		futex_wait(&parked, n, 1000000L);
	__atomic_store_n(&sh.ctl->parked, n, __ATOMIC_RELEASE);
	return sent - n;
}

static void threads_end(pthread_t *th, unsigned long nr)
{
	struct timespec dl = realtime_in(RETURN_GRACE_NS);
	unsigned long i;
	int sent = 0, left;
	char *joined = calloc(nr, 1);

	for (i = 0; i < nr; i++)
		if (sh.info[i].polls_stop && !pthread_timedjoin_np(th[i], NULL, &dl))
			joined[i] = 1;
	for (i = 0; i < nr; i++)
		if (!joined[i])
			pthread_cancel(th[i]);
	helpers_cancel();
	dl = realtime_in(CANCEL_GRACE_NS);
	park_install();
	for (i = 0; i < nr; i++)
		if (!joined[i] && pthread_timedjoin_np(th[i], NULL, &dl) &&
		    !pthread_kill(th[i], PARK_SIGNAL))
			sent++;
	sent += helpers_join_or_park(&dl, PARK_SIGNAL);
	free(joined);
	left = park_wait(sent);
	if (sent && sh.ctl->verbose)
		harness_warn("%d task(s) never reached a cancellation point: "
			     "stopped in place", sent - left);
	reap_descendants();
	run_cleanup();
	if (left)
		fail_record(-1, 0, 0, -1, "%d task(s) could not be stopped "
			    "(signal %d blocked); testcase_cleanup() ran while "
			    "they were still running", left, PARK_SIGNAL);
}

static __attribute__((noreturn)) void host_threads(unsigned long nr)
{
	pthread_t *th = calloc(nr, sizeof(*th));

	for (unsigned long i = 0; i < nr; i++) {
		pthread_attr_t attr;
		cpu_set_t set;
		int err;

		pthread_attr_init(&attr);
		if (!pin_set(sh.info[i].cpu, &set))
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		err = pthread_create(&th[i], &attr, thread_trampoline,
				     (void *)i);
		pthread_attr_destroy(&attr);
		if (err) {
			fail_record(-1, 0, 0, -1, "pthread_create for task %lu: "
				    "%s", i, strerror(err));
			host_exit();
		}
	}
	snapshot_start(0);
	wait_for_stop();
	threads_end(th, nr);
	host_exit();
}

static long find_pid(const pid_t *pids, unsigned long nr, pid_t pid)
{
	for (unsigned long i = 0; i < nr; i++)
		if (pids[i] == pid)
			return i;
	return -1;
}

static void kill_all(const pid_t *pids, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++)
		if (pids[i] > 0 && sh.info[i].state != TASK_GONE)
			kill(pids[i], SIGKILL);
}

/* SIGKILL every child listed under the host's threads; returns the count. */
static int kill_children(void)
{
	char path[64], buf[4096];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");
	int n = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/children",
			 d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fscanf(f, "%4095s", buf) == 1) {
			kill(atoi(buf), SIGKILL);
			n++;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

/*
 * Once the tasks are gone: kill and reap whatever is left under the host
 * (helpers of testcase_prepare(), helper processes of dead tasks, which
 * their PR_SET_PDEATHSIG kills and the kernel hands to us as subreaper,
 * and anything a case forked), so that testcase_cleanup() runs with no
 * task of the run alive.  Bounded by the coordinator's --cleanup-timeout.
 */
static void reap_descendants(void)
{
	prepare_helpers_kill();
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid > 0)
			continue;
		if (pid < 0 && errno != EINTR)
			return;		/* ECHILD: nothing left */
		kill_children();
		futex_wait(&sh.ctl->stop, 1, 1000000L);	/* 1 ms */
	}
}

/* A task process ended: was that a failure? */
static bool task_ended(long i, pid_t pid, int st)
{
	bool stopped = __atomic_load_n(&sh.ctl->stop, __ATOMIC_ACQUIRE);
	struct task_info *ti = &sh.info[i];

	ti->state = TASK_GONE;
	if (WIFSIGNALED(st)) {
		ti->exit_signal = WTERMSIG(st);
		if (stopped && (ti->exit_signal == SIGKILL ||
				ti->exit_signal == SIGTERM))
			return false;
		fail_record_pid(pid, i, ti->exit_signal, -1,
				"task %ld (pid %d) killed by %s", i, pid,
				signal_name(ti->exit_signal));
		return true;
	}
	ti->exit_code = WEXITSTATUS(st);
	if (ti->exit_code) {
		fail_record_pid(pid, i, 0, ti->exit_code,
				"task %ld (pid %d) exited with code %d", i, pid,
				ti->exit_code);
		return true;
	}
	return !stopped;	/* returned early: task_run() recorded it */
}

static __attribute__((noreturn)) void host_processes(unsigned long nr)
{
	pid_t host = getpid(), *pids = calloc(nr, sizeof(*pids));
	unsigned long i, left = nr;
	bool failed = false;

	for (i = 0; i < nr; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fail_record(-1, 0, 0, -1, "fork for task %lu: %s", i,
				    strerror(errno));
			kill_all(pids, i);
			host_exit();
		}
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != host)
				_exit(EXIT_FAILED);
			task_run(i);
			fflush(NULL);
			_exit(0);
		}
		pids[i] = pid;
	}
	while (left) {
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		long t;

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		t = find_pid(pids, nr, pid);
		if (t < 0)
			continue;	/* a helper of prepare() */
		left--;
		if (task_ended(t, pid, st) && !failed) {
			failed = true;
			kill_all(pids, nr);
		}
	}
	/* after a failure too: what prepare() made is removed */
	reap_descendants();
	run_cleanup();
	host_exit();
}

void host_main(const struct options *o, const struct case_desc *cs,
	       unsigned long nr, const int *cpus)
{
	sigset_t none;
	char err[512];

	(void)o;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != sh.ctl->coord_pid)
		_exit(EXIT_FAILED);
	/* tasks keep the executable's name (comm), as will-it-scale's do */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Ctrl-C reaches the whole process group: only the coordinator acts. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	install_crash_handlers();
	if (task_rt_policy >= 0) {
		struct sched_param sp = { .sched_priority = task_rt_prio };

		sched_setscheduler(0, task_rt_policy, &sp);
	}
	sh.ctl->host_pid = getpid();
	for (unsigned long i = 0; i < nr; i++)
		sh.info[i].cpu = cpus[i];
	cur_task = -1;
	if (cs->prepare)
		cs->prepare(nr);
	if (params_check_unread(err, sizeof(err))) {
		snprintf(sh.ctl->usage_msg, sizeof(sh.ctl->usage_msg), "%s",
			 err);
		__atomic_store_n(&sh.ctl->usage_error, 1, __ATOMIC_RELEASE);
		fflush(NULL);
		_exit(EXIT_USAGE);
	}
	__atomic_store_n(&sh.ctl->host_done_prepare, 1, __ATOMIC_RELEASE);
	fflush(NULL);
	if (sh.ctl->processes)
		host_processes(nr);
	host_threads(nr);
}
