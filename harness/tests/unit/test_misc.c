// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "run.h"
#include "unit.h"

void test_misc(void)
{
	const char *mounts =
		"/dev/vda / ext4 rw 0 0\n"
		"tmpfs /tmpfoo tmpfs rw 0 0\n"
		"proc /proc proc rw 0 0\n";
	const char *mounts2 = "/dev/vda / ext4 rw 0 0\n"
			      "tmpfs /tmp tmpfs rw 0 0\n";
	char out[64];

	CHECK(!mount_fstype_for(mounts, "/tmp", out, sizeof(out)));
	CHECK(!strcmp(out, "ext4"));	/* /tmpfoo is not a parent of /tmp */
	CHECK(!mount_fstype_for(mounts2, "/tmp", out, sizeof(out)));
	CHECK(!strcmp(out, "tmpfs"));
	CHECK(mount_fstype_for("", "/tmp", out, sizeof(out)));

	CHECK(count_cpus_in_list("0-3,8,10-11\n") == 7);
	CHECK(count_cpus_in_list("0") == 1);
	CHECK(count_cpus_in_list("x") == -1);

	json_path_for("out.json", 2, true, out, sizeof(out));
	CHECK(!strcmp(out, "out.t2.json"));
	json_path_for("dir.d/out", 4, true, out, sizeof(out));
	CHECK(!strcmp(out, "dir.d/out.t4"));
	json_path_for("a/.hidden", 1, true, out, sizeof(out));
	CHECK(!strcmp(out, "a/.hidden.t1"));
	json_path_for("out.json", 2, false, out, sizeof(out));
	CHECK(!strcmp(out, "out.json"));

	/* no catch-up intervals after a late wakeup */
	CHECK(interval_next_deadline(1000, 1010, 1000) == 2000);
	/* woken 2.5 intervals late: the grid restarts, no 0-length sample */
	CHECK(interval_next_deadline(1000, 3500, 1000) == 4500);
	/* late by more than half: restart too (the next would be < half) */
	CHECK(interval_next_deadline(1000, 1600, 1000) == 2600);
	CHECK(interval_next_deadline(1000, 1400, 1000) == 2000);
	for (unsigned long long d = 0, now = 0; now < 100000; now += 777) {
		unsigned long long n = interval_next_deadline(d, now, 1000);

		CHECK(n >= now + 500);		/* never shorter than half */
		d = n;
	}
	CHECK(interval_flags(1.0, 1.0) == 0);
	CHECK(interval_flags(1.49, 1.0) == 0 && interval_flags(0.51, 1.0) == 0);
	CHECK(interval_flags(2.68, 1.0) == SAMPLE_LONG);
	CHECK(interval_flags(0.0001, 1.0) == SAMPLE_SHORT);
	CHECK(interval_flags(0.31, 0.2) == SAMPLE_LONG);
	CHECK(!strcmp(sample_flag_name(SAMPLE_LONG_BIT), "long"));
	CHECK(!strcmp(sample_flag_name(SAMPLE_SHORT_BIT), "short"));
	CHECK(!sample_flag_name(SAMPLE_NR_FLAGS));
}
