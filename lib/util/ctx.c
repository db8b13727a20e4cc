/* lib/util/ctx.c: the context and the modeled clock's text form. */
#include "macext/ctx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

int macext_ctx_new(struct macext_ctx **ret, int64_t now)
{
	struct macext_ctx *c = mx_calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->now = now;
	*ret = c;
	return 0;
}

int macext_ctx_set_root(struct macext_ctx *ctx, const char *root)
{
	char *copy = NULL;

	if (root) {
		copy = mx_strdup(root);
		if (!copy)
			return -ENOMEM;
	}
	mx_free(ctx->root);
	ctx->root = copy;
	return 0;
}

void macext_ctx_free(struct macext_ctx *ctx)
{
	if (!ctx)
		return;
	mx_free(ctx->root);
	mx_free(ctx);
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar (Howard Hinnant's
 * well-known civil-date arithmetic, restated). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int digits(const char *s, int n, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

int macext_time_parse(const char *t, int64_t *ret)
{
	unsigned y, mo, d, h, mi, s, oh = 0, om = 0;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t v;
	int sign = 0;

	if (!t || strlen(t) < 20)
		return -EINVAL;
	if (digits(t, 4, &y) || t[4] != '-' || digits(t + 5, 2, &mo) || t[7] != '-' ||
	    digits(t + 8, 2, &d) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
	    digits(t + 11, 2, &h) || t[13] != ':' || digits(t + 14, 2, &mi) || t[16] != ':' ||
	    digits(t + 17, 2, &s))
		return -EINVAL;
	t += 19;
	if (*t == '.') {
		t++;
		if (*t < '0' || *t > '9')
			return -EINVAL;
		while (*t >= '0' && *t <= '9')
			t++;
	}
	if (*t == 'Z' || *t == 'z') {
		t++;
	} else if (*t == '+' || *t == '-') {
		sign = *t == '+' ? 1 : -1;
		if (digits(t + 1, 2, &oh) || t[3] != ':' || digits(t + 4, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		t += 6;
	} else {
		return -EINVAL;
	}
	if (*t || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
		return -EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	v = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (s == 60 ? 59 : s);
	v -= sign * (int64_t)(oh * 3600 + om * 60);
	*ret = v;
	return 0;
}

void macext_time_format(int64_t t, char buf[static 21])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t y;
	unsigned m, d;

	char tmp[64];

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y, m % 100, d % 100,
		 (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
	memcpy(buf, tmp, 20);
	buf[20] = '\0';
}
