// SPDX-License-Identifier: GPL-2.0-only
/*
 * json.c - a small streaming JSON writer: commas and nesting are tracked,
 * strings escaped, non-finite numbers written as null.
 */
#include <math.h>

#include "json.h"

void json_init(struct json *j, FILE *f, int pretty_depth)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
	j->pretty_depth = pretty_depth;
}

static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void open_(struct json *j, char c)
{
	before_value(j);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
	if (j->depth > 0 && j->depth <= j->pretty_depth && c == '}') {
		fputc('\n', j->f);
		for (int i = 1; i < j->depth; i++)
			fputc(' ', j->f);
	}
	j->depth--;
	fputc(c, j->f);
}

void json_obj_begin(struct json *j)
{
	open_(j, '{');
}

void json_obj_end(struct json *j)
{
	close_(j, '}');
}

void json_arr_begin(struct json *j)
{
	open_(j, '[');
}

void json_arr_end(struct json *j)
{
	close_(j, ']');
}

void json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	before_value(j);
	if (j->depth <= j->pretty_depth) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputc(' ', j->f);
	}
	json_escape(j->f, key);
	fputc(':', j->f);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	before_value(j);
	if (s)
		json_escape(j->f, s);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, long long v)
{
	before_value(j);
	fprintf(j->f, "%lld", v);
}

void json_uint(struct json *j, unsigned long long v)
{
	before_value(j);
	fprintf(j->f, "%llu", v);
}

void json_num(struct json *j, double v)
{
	before_value(j);
	if (isfinite(v))
		fprintf(j->f, "%.12g", v);
	else
		fputs("null", j->f);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	before_value(j);
	fputs("null", j->f);
}

void json_raw(struct json *j, const char *text)
{
	before_value(j);
	fputs(text, j->f);
}
