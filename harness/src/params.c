// SPDX-License-Identifier: GPL-2.0-only
/*
 * params.c - case parameters (--param name=value).
 *
 * The table lives in the shared area under ctl->lock so that reads from
 * any task (or from the host's testcase_prepare) are seen by the
 * coordinator, which reports every value and refuses parameters the case
 * never read.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

void params_init(const struct options *o)
{
	struct shared_ctl *c = sh.ctl;

	c->nr_params = o->nr_params;
	for (int i = 0; i < o->nr_params; i++) {
		snprintf(c->params[i].name, sizeof(c->params[i].name), "%s",
			 o->param_name[i]);
		snprintf(c->params[i].value, sizeof(c->params[i].value), "%s",
			 o->param_value[i]);
		c->params[i].given = 1;
	}
}

/* Copy the value of name (or def, remembered as read) into out. */
static bool lookup(const char *name, const char *def, char *out, size_t len)
{
	struct shared_ctl *c = sh.ctl;
	bool found = false;
	int i;

	if (!c) {
		snprintf(out, len, "%s", def ? def : "");
		return def != NULL;
	}
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->nr_params; i++)
		if (!strcmp(c->params[i].name, name))
			break;
	if (i < c->nr_params) {
		c->params[i].read = 1;
		snprintf(out, len, "%s", c->params[i].value);
		found = true;
	} else if (def && i < MAX_PARAMS) {
		snprintf(c->params[i].name, sizeof(c->params[i].name), "%s",
			 name);
		snprintf(c->params[i].value, sizeof(c->params[i].value), "%s",
			 def);
		c->params[i].read = 1;
		c->nr_params++;
	}
	pthread_mutex_unlock(&c->lock);
	if (!found)
		snprintf(out, len, "%s", def ? def : "");
	return found || def;
}

static __attribute__((noreturn)) void param_error(const char *name,
						 const char *value,
						 const char *what)
{
	struct shared_ctl *c = sh.ctl;

	if (!c) {
		fprintf(stderr, "slabscale-run: --param %s=%s: %s\n", name,
			value, what);
		exit(EXIT_USAGE);
	}
	/* the coordinator prints usage_msg */
	snprintf(c->usage_msg, sizeof(c->usage_msg), "--param %s=%s: %s",
		 name, value, what);
	__atomic_store_n(&c->usage_error, 1, __ATOMIC_RELEASE);
	fail_record(cur_task < 0 ? -1 : (int)cur_task, cur_helper, 0,
		    EXIT_USAGE, "--param %s=%s: %s", name, value, what);
	fflush(NULL);
	_exit(EXIT_USAGE);
}

/* Returned strings stay valid for the life of the process. */
const char *harness_param(const char *name, const char *def)
{
	char buf[256];

	if (!lookup(name, def, buf, sizeof(buf)))
		return NULL;
	return strdup(buf);
}

/*
 * Values are decimal, the whole string: the JSON records the string as
 * given, so "010" (octal to strtoul(.., 0)), "0x40" or " 64" would be
 * reported as something other than what was used.
 */
static bool decimal_digits(const char *s)
{
	if (!*s || (s[0] == '0' && s[1]))	/* no leading zeros */
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

unsigned long harness_param_ulong(const char *name, unsigned long def)
{
	char d[32], buf[256];
	unsigned long v;

	snprintf(d, sizeof(d), "%lu", def);
	lookup(name, d, buf, sizeof(buf));
	if (!decimal_digits(buf))
		param_error(name, buf, "not an unsigned integer (decimal "
			    "digits only: no sign, blanks or leading zeros)");
	errno = 0;
	v = strtoul(buf, NULL, 10);
	if (errno)
		param_error(name, buf, "out of range for an unsigned long");
	return v;
}

/* [-]digits[.digits][e[+-]digits]: strtod's decimal form, nothing else */
static bool decimal_number(const char *s)
{
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits = true;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits = true;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

double harness_param_double(const char *name, double def)
{
	char d[64], buf[256];
	double v;

	snprintf(d, sizeof(d), "%g", def);
	lookup(name, d, buf, sizeof(buf));
	if (!decimal_number(buf))
		param_error(name, buf, "not a decimal number");
	errno = 0;
	v = strtod(buf, NULL);
	if (errno || !isfinite(v))
		param_error(name, buf, "out of range for a double");
	return v;
}

void harness_param_error(const char *name, const char *fmt, ...)
{
	char buf[256], what[256];
	va_list ap;

	if (!lookup(name, NULL, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "(unset)");
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	param_error(name, buf, what);
}

/* After testcase_prepare(): every --param must have been read. */
int params_check_unread(char *err, size_t len)
{
	struct shared_ctl *c = sh.ctl;
	int bad = 0;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nr_params; i++)
		if (c->params[i].given && !c->params[i].read) {
			snprintf(err, len, "--param %s: case '%s' has no such "
				 "parameter", c->params[i].name, sh.cs->name);
			bad = 1;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return bad ? -1 : 0;
}
