// SPDX-License-Identifier: GPL-2.0-only
/*
 * runid.c - what tells one run from another: its random id, its UTC time
 * stamp, and the document path of each task when there is one per task.
 * Pure apart from the clock and the entropy source.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

void iso_time_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void json_path_for(const char *path, unsigned long nr, bool list, char *out,
		   size_t len)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');

	if (!list) {
		snprintf(out, len, "%s", path);
		return;
	}
	if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path))
		snprintf(out, len, "%s.t%lu", path, nr);
	else
		snprintf(out, len, "%.*s.t%lu%s", (int)(dot - path), path, nr,
			 dot);
}

/* 128 random bits as hex: tells copies of one document from other runs. */
void run_id_new(char *out, size_t len)
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n <= 0) {
			/* no entropy source: time and pid still differ per run */
			unsigned long long t = now_ns() ^ ((unsigned long long)
							   getpid() << 40);

			memcpy(b, &t, sizeof(t));
			memcpy(b + 8, &t, sizeof(t));
			b[15] ^= 0x5a;
			break;
		}
		got += n;
	}
	for (size_t i = 0; i < sizeof(b) && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}
