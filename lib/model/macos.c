/*
 * lib/model/macos.c: macOS release numbers and their Darwin versions.
 *
 * The table of releases is data/macos_versions.json. A version the user gives is accepted
 * when its major.minor is in the table and its patch is not above the highest listed
 * patch of that major.minor (so "10.15.5" works even if only some updates are listed);
 * it takes the Darwin version of the nearest listed update at or below it. Releases before
 * 10.12 and after the newest modeled one are refused (-EINVAL): the rules macext models
 * are not known for them.
 */
#include "macext/kext.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/catalogue.h"

/* A component of a release number: "10", "15", "7". Bounded so nothing overflows. */
#define MACOS_PART_MAX 999

int mx_macos_parse_loose(const char *text, struct macext_macos_version *ret)
{
	unsigned parts[3] = {0, 0, 0};
	unsigned idx = 0, ndig = 0;
	const char *p;

	if (!text || !*text)
		return -EINVAL;
	for (p = text; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			parts[idx] = parts[idx] * 10 + (unsigned)(*p - '0');
			if (parts[idx] > MACOS_PART_MAX)
				return -EINVAL;
			ndig++;
			continue;
		}
		if (*p != '.' || ndig == 0 || idx == 2)
			return -EINVAL;
		idx++;
		ndig = 0;
	}
	if (ndig == 0)
		return -EINVAL;
	ret->major = parts[0];
	ret->minor = parts[1];
	ret->patch = parts[2];
	return 0;
}

int macext_macos_cmp(const struct macext_macos_version *a, const struct macext_macos_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return 0;
}

void macext_macos_format(const struct macext_macos_version *v, char buf[static 16])
{
	if (v->patch)
		snprintf(buf, 16, "%u.%u.%u", v->major, v->minor, v->patch);
	else
		snprintf(buf, 16, "%u.%u", v->major, v->minor);
}

/* Finds the listed update for V: the greatest entry with V's major.minor that is <= V,
 * provided some entry of that major.minor has a patch >= V's (nothing says a later update
 * exists). *RET_DARWIN gets its Darwin string (borrowed from ROOT). Returns 0 or -EINVAL. */
static int lookup(json_t *root, const struct macext_macos_version *v, const char **ret_darwin)
{
	json_t *rels = json_object_get(root, "releases"), *e;
	const char *best = NULL;
	bool reaches = false;
	size_t i;

	json_array_foreach(rels, i, e) {
		struct macext_macos_version ev;
		const char *mv = json_string_value(json_object_get(e, "macos"));
		const char *dv = json_string_value(json_object_get(e, "darwin"));

		if (!mv || !dv || mx_macos_parse_loose(mv, &ev) < 0)
			return -EINVAL;
		if (ev.major != v->major || ev.minor != v->minor)
			continue;
		if (ev.patch <= v->patch)
			best = dv;
		if (ev.patch >= v->patch)
			reaches = true;
	}
	if (!best || !reaches)
		return -EINVAL;
	*ret_darwin = best;
	return 0;
}

int mx_macos_darwin_version(const struct macext_macos_version *v, char buf[static 16])
{
	json_t *root = NULL;
	const char *d;
	int r;

	r = mx_catalogue_load("macos_versions.json", &root);
	if (r < 0)
		return r;
	r = lookup(root, v, &d);
	if (r == 0)
		snprintf(buf, 16, "%s", d);
	json_decref(root);
	return r;
}

int macext_macos_parse(const char *text, struct macext_macos_version *ret)
{
	struct macext_macos_version v;
	char darwin[16];
	int r;

	r = mx_macos_parse_loose(text, &v);
	if (r < 0)
		return r;
	/* "11" means 11.0 */
	r = mx_macos_darwin_version(&v, darwin);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	*ret = v;
	return 0;
}

unsigned macext_macos_darwin_major(const struct macext_macos_version *v)
{
	char darwin[16];
	unsigned major = 0;

	if (mx_macos_darwin_version(v, darwin) == 0) {
		for (const char *p = darwin; *p >= '0' && *p <= '9'; p++)
			major = major * 10 + (unsigned)(*p - '0');
		return major;
	}
	/* Not in the table: the public numbering rule (10.x -> x + 4, 11+ -> major + 9). */
	if (v->major == 10)
		return v->minor + 4;
	return v->major + 9;
}
