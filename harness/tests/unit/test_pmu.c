// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PMU path without a PMU: libpfm4 encodings, scaling arithmetic, and
 * the whole open/enable/read/close life cycle against fake system calls,
 * hardware events included.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "unit.h"

/* ---- a fake kernel ------------------------------------------------------- */
static struct {
	int next_fd;
	bool has_hw;		/* hardware events open */
	int refuse_errno;	/* for hardware events when !has_hw */
	int opened, enabled, disabled, closed;
	int open_pid[64];
	struct perf_event_attr attr[64];
} fk;

static int fake_open(struct perf_event_attr *attr, pid_t pid, int cpu,
		     int group_fd, unsigned long flags)
{
	(void)cpu;
	(void)group_fd;
	(void)flags;
	if (attr->type == PERF_TYPE_HARDWARE && !fk.has_hw)
		return -fk.refuse_errno;
	fk.open_pid[fk.next_fd] = pid;
	fk.attr[fk.next_fd] = *attr;
	fk.opened++;
	return fk.next_fd++;
}

static int fake_ioctl(int fd, unsigned long request)
{
	(void)fd;
	if (request == PERF_EVENT_IOC_ENABLE)
		fk.enabled++;
	if (request == PERF_EVENT_IOC_DISABLE)
		fk.disabled++;
	return 0;
}

/* fd n reads raw 1000 * (n + 1); odd fds were multiplexed half the time */
static int fake_read(int fd, unsigned long long v[3])
{
	v[0] = 1000ULL * (fd + 1);
	v[1] = 2000000;
	v[2] = fd % 2 ? 1000000 : 2000000;
	return 0;
}

static void fake_close(int fd)
{
	(void)fd;
	fk.closed++;
}

static const struct pmu_ops fake_ops = {
	fake_open, fake_ioctl, fake_read, fake_close,
};

static void reset(bool has_hw, int err)
{
	memset(&fk, 0, sizeof(fk));
	fk.next_fd = 0;
	fk.has_hw = has_hw;
	fk.refuse_errno = err;
}

static void test_scale(void)
{
	bool s;

	CHECK_NEAR(pmu_scale(1000, 2000, 2000, &s), 1000, 0);
	CHECK(!s);
	CHECK_NEAR(pmu_scale(1000, 2000, 1000, &s), 2000, 0);
	CHECK(s);
	CHECK_NEAR(pmu_scale(3, 10, 4, &s), 7.5, 1e-12);
	CHECK(s);
	/* never scheduled: no estimate */
	CHECK_NEAR(pmu_scale(0, 5000, 0, &s), 0, 0);
	CHECK(!s);
	/* no overflow on big counts: 2^62 * 3 / 2 */
	CHECK_NEAR(pmu_scale(1ULL << 62, 3, 2, &s), 1.5 * (1ULL << 62), 1e6);
}

static void test_encode(void)
{
	struct perf_event_attr a;
	char fq[256], err[256];

	CHECK(!pmu_encode("cycles", &a, fq, sizeof(fq), err, sizeof(err)));
	CHECK(a.type == PERF_TYPE_HARDWARE);
	CHECK(a.config == PERF_COUNT_HW_CPU_CYCLES);
	CHECK(a.disabled && !a.inherit);
	CHECK(a.read_format == (PERF_FORMAT_TOTAL_TIME_ENABLED |
				PERF_FORMAT_TOTAL_TIME_RUNNING));
	CHECK(strstr(fq, "CPU_CYCLES") != NULL);
	CHECK(!pmu_encode("instructions", &a, fq, sizeof(fq), err, sizeof(err)));
	CHECK(a.type == PERF_TYPE_HARDWARE &&
	      a.config == PERF_COUNT_HW_INSTRUCTIONS);
	CHECK(!pmu_encode("task-clock", &a, fq, sizeof(fq), err, sizeof(err)));
	CHECK(a.type == PERF_TYPE_SOFTWARE &&
	      a.config == PERF_COUNT_SW_TASK_CLOCK);
	CHECK(!pmu_encode("perf::PAGE-FAULTS", &a, fq, sizeof(fq), err,
			  sizeof(err)));
	CHECK(a.type == PERF_TYPE_SOFTWARE &&
	      a.config == PERF_COUNT_SW_PAGE_FAULTS);
	CHECK(pmu_encode("no-such-event", &a, fq, sizeof(fq), err,
			 sizeof(err)) != 0);
	CHECK(strstr(err, "no-such-event") != NULL);

	CHECK(!strcmp(pmu_fallback_for("cycles"), "task-clock"));
	CHECK(!strcmp(pmu_fallback_for("instructions"), "context-switches"));
	CHECK(!strcmp(pmu_fallback_for("cache-misses"), "cpu-migrations"));
	CHECK(!strcmp(pmu_fallback_for("branch-misses"), "page-faults"));
	CHECK(pmu_fallback_for("task-clock") == NULL);
	CHECK(strstr(pmu_refusal_reason(EACCES), "paranoid") != NULL);
	CHECK(strstr(pmu_refusal_reason(ENOENT), "PMU") != NULL);
}

static const char *const defaults[] = {
	"cycles", "instructions", "cache-misses", "branch-misses",
};

/* A machine with a PMU: hardware events count, multiplexed ones scale. */
static void test_hardware_path(void)
{
	int tids[2] = { 101, 102 };
	char err[256];
	struct pmu p;
	double value;
	unsigned long long raw, en, run;
	bool scaled;

	reset(true, 0);
	CHECK(!pmu_open(&p, &fake_ops, defaults, 4, true, tids, 2, err,
			sizeof(err)));
	CHECK(p.nr_events == 4);	/* nothing refused: no fallbacks */
	CHECK(fk.opened == 8);
	CHECK(fk.open_pid[0] == 101 && fk.open_pid[1] == 102);
	CHECK(fk.attr[0].disabled);
	pmu_enable(&p);
	CHECK(fk.enabled == 8);
	pmu_disable(&p);
	pmu_read(&p);
	CHECK(fk.disabled == 8);
	/* cycles: fd 0 (raw 1000, not scaled), fd 1 (raw 2000, half time) */
	CHECK(p.ev[0].ok && !strcmp(p.ev[0].name, "cycles"));
	CHECK_NEAR(p.ev[0].value[0], 1000, 0);
	CHECK_NEAR(p.ev[0].value[1], 4000, 0);
	pmu_event_totals(&p.ev[0], 2, &value, &raw, &en, &run, &scaled);
	CHECK_NEAR(value, 5000, 0);
	CHECK(raw == 3000 && en == 4000000 && run == 3000000 && scaled);
	pmu_close(&p);
	CHECK(fk.closed == 8);
}

/* No PMU: ENOENT for each hardware event, the software fallbacks count. */
static void test_fallback_path(void)
{
	int tids[3] = { 7, 8, 9 };
	const char *explicit_[] = { "cycles", "page-faults" };
	char err[256];
	struct pmu p;

	reset(false, ENOENT);
	CHECK(!pmu_open(&p, &fake_ops, defaults, 4, true, tids, 3, err,
			sizeof(err)));
	CHECK(p.nr_events == 8);
	for (int i = 0; i < 8; i += 2) {
		CHECK(!p.ev[i].ok && p.ev[i].err == ENOENT);
		CHECK(strstr(p.ev[i].reason, "PMU") != NULL);
		CHECK(p.ev[i + 1].ok && p.ev[i + 1].fallback);
		CHECK(!strcmp(p.ev[i + 1].name, pmu_fallback_for(p.ev[i].name)));
	}
	CHECK(fk.opened == 12);
	pmu_read(&p);
	CHECK(p.ev[1].raw[2] > 0);
	pmu_close(&p);

	/* explicit lists get no fallback; EACCES is reported as such */
	reset(false, EACCES);
	CHECK(!pmu_open(&p, &fake_ops, explicit_, 2, false, tids, 3, err,
			sizeof(err)));
	CHECK(p.nr_events == 2);
	CHECK(!p.ev[0].ok && p.ev[0].err == EACCES);
	CHECK(!strcmp(errno_name(p.ev[0].err), "EACCES"));
	CHECK(p.ev[1].ok);
	pmu_close(&p);

	/* a name libpfm4 does not know is an error, not a refusal */
	reset(true, 0);
	CHECK(pmu_open(&p, &fake_ops, (const char *[]){ "bogus" }, 1, true,
		       tids, 3, err, sizeof(err)) == -1);
	pmu_close(&p);
}

void test_pmu(void)
{
	test_scale();
	test_encode();
	test_hardware_path();
	test_fallback_path();
}
