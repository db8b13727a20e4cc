/*
 * lib/model/exclude.c: the exclude ("banned") list's version rules (kexts.md §5.3-§5.5).
 *
 * A rule string names versions of a kext that must not load: "LT 5.2.14", "1.0, 2.0",
 * "LE 1.5.0, 2.0.0 thru 3.1.4, 4.2.2". The kernel and user space read the same string with
 * different grammars, and macext keeps both:
 *
 *   kernel (xnu)                          user space (IOKitUser)
 *   string of <= 31 bytes, else ignored   any length
 *   ws and ',' skipped; an item ends at   ws skipped; ',' separates; "thru" makes an
 *   a character followed by ',' or end    inclusive range A thru B
 *   "LT"/"LE" apply to the first item     same; ranges ignore the mode
 *
 * so "1.0 ,2.0" is one kernel item "1.02.0" (= 1.2.0) but two user-space items. Items are
 * parsed with the kernel's version parse (exclude-list items have their own 32-byte
 * buffers, §4.4). An unparsable item is -1, which matches only a kext whose version is
 * itself invalid (Apple's quirk, §5.4 point 9).
 */
#include "macext/kext.h"

#include <string.h>

#define EXCLUDE_KERNEL_MAX_LEN 31 /* the kernel ignores longer rule strings (§5.3) */
#define EXCLUDE_ITEM_MAX 31       /* user space item buffer, 32 bytes with the NUL */

enum mode {
	MODE_EQ,
	MODE_LT,
	MODE_LE,
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum mode read_mode(const char **p)
{
	if (strncmp(*p, "LT", 2) == 0) {
		*p += 2;
		return MODE_LT;
	}
	if (strncmp(*p, "LE", 2) == 0) {
		*p += 2;
		return MODE_LE;
	}
	return MODE_EQ;
}

static bool item_matches(const char *item, enum mode m, int64_t version,
			 enum macext_kver_grammar g)
{
	int64_t v = macext_kver_parse(item, g);

	switch (m) {
	case MODE_LT:
		return version < v;
	case MODE_LE:
		return version <= v;
	case MODE_EQ:
		break;
	}
	return version == v;
}

static bool match_kernel(const char *rule, int64_t version, enum macext_kver_grammar g)
{
	char item[EXCLUDE_KERNEL_MAX_LEN + 1];
	size_t n = 0;
	const char *p = rule;
	enum mode m;

	if (strlen(rule) > EXCLUDE_KERNEL_MAX_LEN)
		return false;
	m = read_mode(&p);
	for (; *p; p++) {
		if (is_space(*p) || *p == ',')
			continue;
		item[n++] = *p;
		if (p[1] != ',' && p[1] != '\0')
			continue;
		item[n] = '\0';
		if (item_matches(item, m, version, g))
			return true;
		m = MODE_EQ;
		n = 0;
	}
	return false;
}

/* User space: evaluates one finished item (with a pending range start in LOW). */
static bool user_item(const char *item, bool in_range, const char *low, enum mode m,
		      int64_t version, enum macext_kver_grammar g)
{
	if (in_range) {
		int64_t a = macext_kver_parse(low, g), b = macext_kver_parse(item, g);

		return a <= version && version <= b;
	}
	return item_matches(item, m, version, g);
}

static bool match_user(const char *rule, int64_t version, enum macext_kver_grammar g)
{
	char item[EXCLUDE_ITEM_MAX + 1], low[EXCLUDE_ITEM_MAX + 1];
	size_t n = 0;
	bool in_range = false;
	const char *p = rule;
	enum mode m = MODE_EQ;

	if (version == 0)
		return false;
	if (strlen(rule) >= 2)
		m = read_mode(&p);
	for (;; p++) {
		if (*p != '\0' && is_space(*p))
			continue;
		if (*p == ',' || *p == '\0') {
			item[n] = '\0';
			if ((n > 0 || *p == ',') &&
			    user_item(item, in_range, low, m, version, g))
				return true;
			if (*p == '\0')
				return false;
			m = MODE_EQ;
			in_range = false;
			n = 0;
			continue;
		}
		if (strncmp(p, "thru", 4) == 0 && !in_range) {
			item[n] = '\0';
			memcpy(low, item, n + 1);
			in_range = true;
			n = 0;
			p += 3;
			continue;
		}
		if (n == EXCLUDE_ITEM_MAX)
			return false; /* Apple stops the walk at an overlong item (§5.4 point 7) */
		item[n++] = *p;
	}
}

bool macext_exclude_match(const char *rule, int64_t version, enum macext_exclude_grammar eg,
			  enum macext_kver_grammar g)
{
	if (!rule)
		return false;
	return eg == MACEXT_EXCLUDE_KERNEL ? match_kernel(rule, version, g)
					   : match_user(rule, version, g);
}
