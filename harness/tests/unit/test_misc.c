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
}
