/*
 * The one string table of each policy enum (STYLE.md §3.2): JSON, --help and docs/why.md
 * all read these words.
 */
#include "policy/rules.h"

#include <errno.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const decisions[] = {
	[MACEXT_DECISION_ALLOW] = "allow",
	[MACEXT_DECISION_DENY] = "deny",
	[MACEXT_DECISION_NEEDS_APPROVAL] = "needs-approval",
	[MACEXT_DECISION_NEEDS_RESTART] = "needs-restart",
};

static const char *const platforms[] = {
	[MACEXT_PLATFORM_X86_64] = "x86_64",
	[MACEXT_PLATFORM_X86_64_T2] = "x86_64-t2",
};

static const char *const enrollments[] = {
	[MACEXT_ENROLL_NONE] = "none",
	[MACEXT_ENROLL_USER_APPROVED] = "user-approved",
	[MACEXT_ENROLL_ADE] = "ade",
	[MACEXT_ENROLL_USER_ENROLLMENT] = "user-enrollment",
};

static const char *const locations[] = {
	[MACEXT_KEXT_LOC_OTHER] = "other",
	[MACEXT_KEXT_LOC_SYSTEM] = "system",
	[MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS] = "library-extensions",
	[MACEXT_KEXT_LOC_APP_BUNDLE] = "app-bundle",
	[MACEXT_KEXT_LOC_APP_SUPPORT] = "app-support",
};

static const char *name(const char *const *table, size_t n, unsigned v)
{
	return v < n ? table[v] : NULL;
}

static int parse(const char *const *table, size_t n, const char *text, unsigned *ret)
{
	if (!text)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i], text) == 0) {
			*ret = (unsigned)i;
			return 0;
		}
	return -EINVAL;
}

const char *macext_decision_name(enum macext_decision d)
{
	return name(decisions, N(decisions), (unsigned)d);
}

const char *macext_platform_name(enum macext_platform p)
{
	return name(platforms, N(platforms), (unsigned)p);
}

const char *macext_enrollment_name(enum macext_enrollment e)
{
	return name(enrollments, N(enrollments), (unsigned)e);
}

const char *macext_kext_location_name(enum macext_kext_location l)
{
	return name(locations, N(locations), (unsigned)l);
}

int macext_platform_parse(const char *text, enum macext_platform *ret)
{
	unsigned v;
	int r = parse(platforms, N(platforms), text, &v);

	if (r == 0)
		*ret = (enum macext_platform)v;
	return r;
}

int macext_enrollment_parse(const char *text, enum macext_enrollment *ret)
{
	unsigned v;
	int r = parse(enrollments, N(enrollments), text, &v);

	if (r == 0)
		*ret = (enum macext_enrollment)v;
	return r;
}
