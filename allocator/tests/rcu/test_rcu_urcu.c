// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu_urcu.c - the liburcu integration: automatic registration and
 * unregistration at thread exit, grace-period ordering of call_rcu against
 * a reader, refusal of the calls that would deadlock (barrier from a
 * callback or inside a read-side section), signal masks of the helper
 * threads, and call_rcu/rcu_barrier in a child forked after RCU was used,
 * also while other registered threads (one inside a read-side section)
 * were alive at fork().
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rcu_test.h"
#include "rcu_internal.h"

/* ---- registration ---------------------------------------------------------- */

static void *short_lived(void *arg)
{
	(void)arg;
	slab_rcu_read_lock();
	slab_rcu_read_unlock();
	CHECK(slab_rcu_registered_threads() >= 1);
	return NULL;
}

static void test_thread_exit_unregisters(void)
{
	long base = slab_rcu_registered_threads();
	pthread_t t;
	int i;

	for (i = 0; i < 50; i++) {
		CHECK(!pthread_create(&t, NULL, short_lived, NULL));
		CHECK(!pthread_join(t, NULL));
		/* the destructor ran before join returned */
		CHECK_EQ(slab_rcu_registered_threads(), base);
	}
	/* grace periods still work: no dead reader left in the registry */
	for (i = 0; i < 10; i++)
		slab_synchronize_rcu();
}

/* ---- grace-period ordering -------------------------------------------------- */

struct gp_probe {
	struct rcu_head head;
	int done;
};

static void gp_probe_cb(struct rcu_head *head)
{
	struct gp_probe *p = container_of(head, struct gp_probe, head);

	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
}

static pthread_mutex_t rd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rd_cond = PTHREAD_COND_INITIALIZER;
static int rd_inside, rd_release;

static void *reader(void *arg)
{
	(void)arg;
	slab_rcu_read_lock();
	pthread_mutex_lock(&rd_lock);
	rd_inside = 1;
	pthread_cond_broadcast(&rd_cond);
	while (!rd_release)
		pthread_cond_wait(&rd_cond, &rd_lock);
	pthread_mutex_unlock(&rd_lock);
	slab_rcu_read_unlock();
	return NULL;
}

static void test_grace_period_order(void)
{
	struct gp_probe p = { .done = 0 };
	pthread_t t;
	int i;

	pthread_create(&t, NULL, reader, NULL);
	pthread_mutex_lock(&rd_lock);
	while (!rd_inside)
		pthread_cond_wait(&rd_cond, &rd_lock);
	pthread_mutex_unlock(&rd_lock);

	slab_call_rcu(&p.head, gp_probe_cb);
	/* 100 ms, many grace-period lengths: the callback must not run */
	for (i = 0; i < 10; i++) {
		usleep(10000);
		CHECK(!__atomic_load_n(&p.done, __ATOMIC_ACQUIRE));
	}
	pthread_mutex_lock(&rd_lock);
	rd_release = 1;
	pthread_cond_broadcast(&rd_cond);
	pthread_mutex_unlock(&rd_lock);
	pthread_join(t, NULL);
	CHECK(slab_rcu_barrier());
	CHECK(__atomic_load_n(&p.done, __ATOMIC_ACQUIRE));
}

/* ---- refusals ----------------------------------------------------------------- */

struct cb_probe {
	struct rcu_head head;
	int in_callback;
	int barrier_ok;
};

static void barrier_from_cb(struct rcu_head *head)
{
	struct cb_probe *p = container_of(head, struct cb_probe, head);

	p->in_callback = slab_rcu_in_callback();
	p->barrier_ok = slab_rcu_barrier();
	kvfree_rcu_barrier();		/* refused as well, must return */
}

static void test_refusals(void)
{
	struct cb_probe p = { .in_callback = 0, .barrier_ok = 1 };

	CHECK(!slab_rcu_in_callback());
	rcu_test_capture_reports();
	slab_call_rcu(&p.head, barrier_from_cb);
	CHECK(slab_rcu_barrier());
	CHECK(p.in_callback);
	CHECK(!p.barrier_ok);
	CHECK_EQ(rcu_test_reports_matching("refused"), 2);

	slab_rcu_read_lock();
	CHECK(!slab_rcu_barrier());
	slab_synchronize_rcu();
	kvfree_rcu_barrier();
	slab_rcu_read_unlock();
	CHECK_EQ(rcu_test_reports_matching("refused"), 5);
	rcu_test_release_reports();
	CHECK(slab_rcu_barrier());
}

/* ---- fork --------------------------------------------------------------------- */

static void *caller(void *arg)
{
	struct gp_probe *p = arg;

	slab_call_rcu(&p->head, gp_probe_cb);
	return NULL;
}

static void test_fork(void)
{
	static struct gp_probe before, in_child, threaded;
	pthread_t t;
	int status;
	pid_t pid;

	slab_call_rcu(&before.head, gp_probe_cb);	/* maybe still queued */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		rcu_test_watchdog(120);
		slab_call_rcu(&in_child.head, gp_probe_cb);
		pthread_create(&t, NULL, caller, &threaded);
		pthread_join(t, NULL);
		CHECK(slab_rcu_barrier());
		CHECK(in_child.done && threaded.done && before.done);
		slab_synchronize_rcu();
		/* a grandchild, forked from a child that re-made its workers */
		pid = fork();
		if (pid == 0) {
			in_child.done = 0;
			slab_call_rcu(&in_child.head, gp_probe_cb);
			CHECK(slab_rcu_barrier());
			CHECK(in_child.done);
			_exit(0);
		}
		CHECK(waitpid(pid, &status, 0) == pid);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* the parent's RCU still works */
	CHECK(slab_rcu_barrier());
	CHECK(before.done);
}

/*
 * Parent threads that are registered (one of them inside a read-side
 * section) when another thread forks: they do not exist in the child, and
 * their stacks are reused by the child's new threads.  The child must
 * still create threads and finish grace periods.
 */
static pthread_mutex_t par_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t par_cond = PTHREAD_COND_INITIALIZER;
static int par_ready, par_release;

static void *parked(void *arg)
{
	int in_reader = *(int *)arg;

	slab_rcu_read_lock();
	if (!in_reader)
		slab_rcu_read_unlock();
	pthread_mutex_lock(&par_lock);
	par_ready++;
	pthread_cond_broadcast(&par_cond);
	while (!par_release)
		pthread_cond_wait(&par_cond, &par_lock);
	pthread_mutex_unlock(&par_lock);
	if (in_reader)
		slab_rcu_read_unlock();
	return NULL;
}

static void *child_thread(void *arg)
{
	struct gp_probe *p = arg;

	slab_rcu_read_lock();
	slab_rcu_read_unlock();
	slab_call_rcu(&p->head, gp_probe_cb);
	return NULL;
}

static void test_fork_with_parked_threads(void)
{
	static struct gp_probe probes[8];
	static int modes[4] = { 0, 1, 0, 1 };
	pthread_t t[4], c[8];
	int i, status;
	pid_t pid;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, parked, &modes[i]);
	pthread_mutex_lock(&par_lock);
	while (par_ready < 4)
		pthread_cond_wait(&par_cond, &par_lock);
	pthread_mutex_unlock(&par_lock);

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		rcu_test_watchdog(120);
		for (i = 0; i < 8; i++)
			pthread_create(&c[i], NULL, child_thread, &probes[i]);
		for (i = 0; i < 8; i++)
			pthread_join(c[i], NULL);
		slab_synchronize_rcu();
		CHECK(slab_rcu_barrier());
		for (i = 0; i < 8; i++)
			CHECK(probes[i].done);
		CHECK_EQ(slab_rcu_registered_threads(), 1);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	pthread_mutex_lock(&par_lock);
	par_release = 1;
	pthread_cond_broadcast(&par_cond);
	pthread_mutex_unlock(&par_lock);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	slab_synchronize_rcu();
}

int main(void)
{
	rcu_test_watchdog(300);
	test_thread_exit_unregisters();
	test_grace_period_order();
	test_refusals();
	test_fork();
	test_fork_with_parked_threads();
	CHECK(rcu_test_other_threads_block_signals());
	printf("test_rcu_urcu: ok\n");
	return 0;
}
