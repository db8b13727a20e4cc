/*
 * lib/format/coderesources_write.c: writes _CodeSignature/CodeResources (codesign.md §2.10,
 * fixtures.md §1.8) with libplist, the inverse of coderesources.c.
 *
 *   files   path -> <data> SHA-1, or {hash, optional} for v1-sealed paths
 *   files2  path -> {hash (SHA-1), hash2 (SHA-256), optional?} | {symlink} |
 *           {cdhash, requirement} (nested code)
 *   rules / rules2: Apple's standard rules, as codesign writes them (observed on osxfuse).
 * Which paths are sealed, and how, is the caller's decision (lib/trust/cs_sign.c matches
 * them against mx_coderesources_standard()); this file only serialises.
 */
#include "format/coderesources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <plist/plist.h>

#include "util/alloc.h"

struct std_rule {
	const char *pattern;
	bool omit, optional, nested;
	double weight; /* 0: plain `true` */
};

static const struct std_rule rules1[] = {
	{"^Resources/", false, false, false, 0},
	{"^Resources/.*\\.lproj/", false, true, false, 1000},
	{"^Resources/.*\\.lproj/locversion.plist$", true, false, false, 1100},
	{"^Resources/Base\\.lproj/", false, false, false, 1010},
	{"^version.plist$", false, false, false, 0},
};

static const struct std_rule rules2[] = {
	{".*\\.dSYM($|/)", false, false, false, 11},
	{"^(.*/)?\\.DS_Store$", true, false, false, 2000},
	{"^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|Library/"
	 "(Automator|Spotlight|LoginItems))/",
	 false, false, true, 10},
	{"^.*", false, false, false, 0},
	{"^Info\\.plist$", true, false, false, 20},
	{"^PkgInfo$", true, false, false, 20},
	{"^Resources/", false, false, false, 20},
	{"^Resources/.*\\.lproj/", false, true, false, 1000},
	{"^Resources/.*\\.lproj/locversion.plist$", true, false, false, 1100},
	{"^Resources/Base\\.lproj/", false, false, false, 1010},
	{"^[^/]+$", false, false, true, 10},
	{"^embedded\\.provisionprofile$", false, false, false, 20},
	{"^version\\.plist$", false, false, false, 20},
};

static plist_t rules_dict(const struct std_rule *r, size_t n)
{
	plist_t d = plist_new_dict();

	for (size_t i = 0; d && i < n; i++) {
		plist_t v;

		if (r[i].weight == 0 && !r[i].omit && !r[i].optional && !r[i].nested) {
			v = plist_new_bool(1);
		} else {
			v = plist_new_dict();
			if (r[i].nested)
				plist_dict_set_item(v, "nested", plist_new_bool(1));
			if (r[i].omit)
				plist_dict_set_item(v, "omit", plist_new_bool(1));
			if (r[i].optional)
				plist_dict_set_item(v, "optional", plist_new_bool(1));
			if (r[i].weight != 0)
				plist_dict_set_item(v, "weight", plist_new_real(r[i].weight));
		}
		plist_dict_set_item(d, r[i].pattern, v);
	}
	return d;
}

static plist_t data(const uint8_t *p, size_t n)
{
	return plist_new_data((const char *)p, n);
}

static plist_t entry2(const struct mx_cr_out *e)
{
	plist_t d = plist_new_dict();

	if (e->symlink) {
		plist_dict_set_item(d, "symlink", plist_new_string(e->symlink));
	} else if (e->cdhash) {
		plist_dict_set_item(d, "cdhash", data(e->cdhash, 20));
		plist_dict_set_item(d, "requirement",
				    plist_new_string(e->requirement ? e->requirement : ""));
	} else {
		plist_dict_set_item(d, "hash", data(e->hash, 20));
		plist_dict_set_item(d, "hash2", data(e->hash2, 32));
		if (e->optional)
			plist_dict_set_item(d, "optional", plist_new_bool(1));
	}
	return d;
}

static plist_t build(const struct mx_cr_out *e, size_t n)
{
	plist_t root = plist_new_dict(), files = plist_new_dict(), files2 = plist_new_dict();

	for (size_t i = 0; i < n; i++) {
		if (e[i].v1 && e[i].hash && !e[i].symlink && !e[i].cdhash) {
			plist_t v = data(e[i].hash, 20);

			if (e[i].optional) {
				plist_t d = plist_new_dict();

				plist_dict_set_item(d, "hash", v);
				plist_dict_set_item(d, "optional", plist_new_bool(1));
				v = d;
			}
			plist_dict_set_item(files, e[i].path, v);
		}
		plist_dict_set_item(files2, e[i].path, entry2(&e[i]));
	}
	plist_dict_set_item(root, "files", files);
	plist_dict_set_item(root, "files2", files2);
	plist_dict_set_item(root, "rules", rules_dict(rules1, sizeof(rules1) / sizeof(rules1[0])));
	plist_dict_set_item(root, "rules2", rules_dict(rules2, sizeof(rules2) / sizeof(rules2[0])));
	return root;
}

int mx_coderesources_write(char **ret, size_t *ret_len, const struct mx_cr_out *e, size_t n)
{
	plist_t root = build(e, n);
	char *xml = NULL, *copy;
	uint32_t len = 0;

	if (!root)
		return -ENOMEM;
	plist_to_xml(root, &xml, &len);
	plist_free(root);
	if (!xml)
		return -ENOMEM;
	copy = mx_malloc(len ? len : 1);
	if (copy)
		memcpy(copy, xml, len);
	plist_to_xml_free(xml);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	*ret_len = len;
	return 0;
}

int mx_coderesources_standard(struct mx_coderesources *ret, struct macext_diag *diag)
{
	char *xml = NULL;
	size_t len = 0;
	int r = mx_coderesources_write(&xml, &len, NULL, 0);

	if (r < 0)
		return r;
	r = mx_coderesources_parse(ret, (const uint8_t *)xml, len, diag);
	free(xml);
	return r;
}
