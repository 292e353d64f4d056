/* SPDX-License-Identifier: GPL-2.0-only */
/* json.h - a small streaming JSON writer. */
#ifndef SLABSCALE_JSON_H
#define SLABSCALE_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	32

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
	int pretty_depth;	/* newline before keys up to this depth */
};

void json_init(struct json *j, FILE *f, int pretty_depth);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
void json_num(struct json *j, double v);	/* NaN/inf -> null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
void json_raw(struct json *j, const char *text);
void json_escape(FILE *f, const char *s);

#endif
