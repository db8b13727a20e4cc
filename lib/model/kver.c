/*
 * lib/model/kver.c: kext version strings (kexts.md §4).
 *
 * A kext version is packed into a signed 64-bit integer so versions compare as integers:
 *
 *     value = major * M + minor * m + revision * 10^4 + stage * 10^3 + level
 *
 *     grammar          M        m      digits in minor / revision
 *     10.14 and later  10^12    10^8   4 / 4
 *     10.13 and before 10^8     10^6   2 / 2
 *
 * stage: d = 1, a = 3, b = 5, f and fc = 7, release = 9 (level 0). 0 means "no version"
 * and any negative value "invalid"; the parsers return -1 for a bad string.
 *
 * The parse is a small state machine over the string, one part at a time, with the quirks
 * of Apple's implementation kept on purpose (§4.1): whitespace ends the parse and the rest
 * is ignored; an empty minor or revision is 0; a '.' after exactly the maximum number of
 * revision digits is swallowed; "fc" is "f"; f/fc need a level above 0; levels are at
 * most 255 and 3 digits. User space reads these strings through a 20-byte ASCII buffer,
 * so macext_kver_parse_user() rejects strings of 20 or more characters or with non-ASCII
 * bytes even where the kernel's parse accepts them (§4.4).
 */
#include "macext/kext.h"

#include <stdio.h>
#include <string.h>

enum {
	STAGE_INVALID = 0,
	STAGE_DEV = 1,
	STAGE_ALPHA = 3,
	STAGE_BETA = 5,
	STAGE_FC = 7,
	STAGE_RELEASE = 9,
};

/* The longest string user space accepts is 19 characters: "9999.9999.9999fc255". */
#define KVER_USER_BUFFER 20
#define KVER_MAX_LEVEL 255

struct grammar_info {
	int64_t major_mul, minor_mul;
	unsigned part_digits[3]; /* major, minor, revision */
	int64_t part_mod;        /* 10^digits of minor/revision, for formatting */
};

static const struct grammar_info grammars[] = {
	[MACEXT_KVER_GRAMMAR_1013] = {100000000LL, 1000000LL, {4, 2, 2}, 100},
	[MACEXT_KVER_GRAMMAR_1014] = {1000000000000LL, 100000000LL, {4, 4, 4}, 10000},
};

static const struct grammar_info *grammar_get(enum macext_kver_grammar g)
{
	return g == MACEXT_KVER_GRAMMAR_1013 ? &grammars[MACEXT_KVER_GRAMMAR_1013]
					     : &grammars[MACEXT_KVER_GRAMMAR_1014];
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses "<letter>[c]<level>" at *P (P points at the stage letter). Returns the packed
 * stage * 1000 + level, or -1. */
static int64_t parse_stage(const char *p)
{
	int stage;
	unsigned level = 0, n = 0;

	switch (*p) {
	case 'd':
		stage = STAGE_DEV;
		break;
	case 'a':
		stage = STAGE_ALPHA;
		break;
	case 'b':
		stage = STAGE_BETA;
		break;
	case 'f':
		stage = STAGE_FC;
		if (p[1] == 'c')
			p++;
		break;
	default:
		return -1;
	}
	p++;
	if (!is_digit(*p))
		return -1;
	for (; is_digit(*p); p++) {
		if (++n > 3)
			return -1;
		level = level * 10 + (unsigned)(*p - '0');
	}
	if (*p != '\0' && !is_ws(*p))
		return -1;
	if (level > KVER_MAX_LEVEL || (stage == STAGE_FC && level == 0))
		return -1;
	return (int64_t)stage * 1000 + level;
}

int64_t macext_kver_parse(const char *text, enum macext_kver_grammar g)
{
	const struct grammar_info *gi = grammar_get(g);
	int64_t parts[3] = {0, 0, 0};
	int64_t tail = (int64_t)STAGE_RELEASE * 1000;
	const char *p = text;
	unsigned idx = 0, ndig = 0;

	if (!p || !is_digit(*p))
		return -1;
	for (;;) {
		char c = *p;

		if (is_digit(c)) {
			if (ndig == gi->part_digits[idx])
				return -1;
			parts[idx] = parts[idx] * 10 + (c - '0');
			ndig++;
			p++;
			continue;
		}
		if (c == '\0' || is_ws(c))
			break;
		if (c == '.') {
			if (idx < 2) {
				idx++;
				ndig = 0;
				p++;
				continue;
			}
			/* Revision: only one '.' right after its last allowed digit. */
			if (ndig != gi->part_digits[2])
				return -1;
			p++;
			if (*p == '\0' || is_ws(*p))
				break;
			tail = parse_stage(p);
			if (tail < 0)
				return -1;
			break;
		}
		tail = parse_stage(p);
		if (tail < 0)
			return -1;
		break;
	}
	return parts[0] * gi->major_mul + parts[1] * gi->minor_mul + parts[2] * 10000 + tail;
}

int64_t macext_kver_parse_user(const char *text, enum macext_kver_grammar g)
{
	size_t n;

	if (!text)
		return -1;
	for (n = 0; text[n]; n++) {
		if (n + 1 >= KVER_USER_BUFFER || (unsigned char)text[n] > 0x7f)
			return -1;
	}
	return macext_kver_parse(text, g);
}

void macext_kver_format(int64_t v, enum macext_kver_grammar g, char buf[static 20])
{
	const struct grammar_info *gi = grammar_get(g);
	static const char stage_letters[10] = {0, 'd', 0, 'a', 0, 'b', 0, 'f', 0, 0};
	int64_t major, minor, rev, stage, level;
	int n;

	if (v == 0) {
		snprintf(buf, 20, "(missing)");
		return;
	}
	major = v / gi->major_mul;
	minor = (v / gi->minor_mul) % gi->part_mod;
	rev = (v / 10000) % gi->part_mod;
	stage = (v / 1000) % 10;
	level = v % 1000;
	if (v < 0 || major > 9999 || level > KVER_MAX_LEVEL ||
	    (stage != STAGE_RELEASE && !stage_letters[stage]) ||
	    (stage == STAGE_RELEASE && level != 0)) {
		snprintf(buf, 20, "(invalid)");
		return;
	}
	n = snprintf(buf, 20, "%lld.%lld", (long long)major, (long long)minor);
	if (rev != 0 && n > 0 && n < 20)
		n += snprintf(buf + n, (size_t)(20 - n), ".%lld", (long long)rev);
	if (stage != STAGE_RELEASE && n > 0 && n < 20)
		snprintf(buf + n, (size_t)(20 - n), "%c%lld", stage_letters[stage], (long long)level);
}

enum macext_kver_grammar macext_kver_grammar_for(const struct macext_macos_version *v)
{
	if (v && v->major == 10 && v->minor <= 13)
		return MACEXT_KVER_GRAMMAR_1013;
	return MACEXT_KVER_GRAMMAR_1014;
}
