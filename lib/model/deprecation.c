/*
 * lib/model/deprecation.c: the deprecated-KPI classifier of kexts.md §7.6 [proposal], over
 * the table of data/deprecated_kpis.json (Apple's Big Sur table, §7.2-§7.4).
 *
 * Facts in, categories out:
 *   uses function F     an undefined symbol "_F"
 *   uses family X       OSBundleLibraries names X, or an undefined symbol binds to X by
 *                       class name or C prefix (kpi_catalogue.json "classes" and
 *                       "symbol_prefixes"; the longest prefix wins, so IOUSBHostDevice
 *                       binds to IOUSBHostFamily and IOUSBDevice to IOUSBFamily)
 *   IOUserClient IPC    an undefined symbol whose mangled name names IOUserClient
 *   other family        any com.apple.iokit.* family the rule does not itself name
 * A category matches when every group of its "all_of" matches (a group: any of its
 * functions or families), plus the IOUserClient / no-other-family conditions of the USB
 * vendor-specific IPC row. Symbols are bound by name whatever the declared dependencies
 * say: the KC builder binds along the declared libraries (§6.8), but a kext that imports
 * an IOHIDFamily class uses IOHIDFamily whichever library it names for it.
 *
 * Outcome per release (mx_kpi_outcome): before max(policy_start 10.15, deprecated)
 * nothing; then "deprecated" (warning); from 10.15.4 the Legacy System Extension alert as
 * well; from the row's "unsupported" release, refused unless SIP's kext protection is off
 * or an MDM payload approves the kext (seed-000), which the audit reports as a note.
 */
#include "model/deprecation.h"

#include <errno.h>
#include <string.h>

#include "model/catalogue.h"
#include "util/strbuf.h"
#include "util/alloc.h"

/* How many symbols an evidence list names before "and N more". */
#define EVIDENCE_MAX_SYMBOLS 4

void mx_kpi_table_free(struct mx_kpi_table *t)
{
	if (!t)
		return;
	json_decref(t->deprecated);
	json_decref(t->catalogue);
	mx_free(t);
}

static int parse_bound(json_t *j, struct macext_macos_version *ret, bool *present)
{
	*present = json_is_string(j);
	if (!*present)
		return json_is_null(j) || !j ? 0 : -EBADMSG;
	return mx_macos_parse_loose(json_string_value(j), ret) < 0 ? -EBADMSG : 0;
}

int mx_kpi_table_load(struct mx_kpi_table **ret)
{
	struct mx_kpi_table *t;
	bool present;
	int r;

	t = mx_calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = mx_catalogue_load("deprecated_kpis.json", &t->deprecated);
	if (r < 0)
		goto out;
	r = mx_catalogue_load("kpi_catalogue.json", &t->catalogue);
	if (r < 0)
		goto out;
	r = parse_bound(json_object_get(t->deprecated, "policy_start"), &t->policy_start,
			&present);
	if (r == 0 && !present)
		r = -EBADMSG;
	if (r < 0)
		goto out;
	r = parse_bound(json_object_get(t->deprecated, "legacy_alert_since"),
			&t->legacy_alert_since, &present);
	if (r == 0 && !present)
		r = -EBADMSG;
	if (r < 0)
		goto out;
	r = parse_bound(json_object_get(t->deprecated, "legacy_alert_until"),
			&t->legacy_alert_until, &present);
	if (r == 0 && !present)
		r = -EBADMSG;
	if (r < 0)
		goto out;
	*ret = t;
	t = NULL;
out:
	mx_kpi_table_free(t);
	return r;
}

void mx_kpi_matches_free(struct mx_kpi_match *m, size_t n)
{
	if (!m)
		return;
	for (size_t i = 0; i < n; i++)
		mx_free(m[i].evidence);
	mx_free(m);
}

/* What the slice uses, gathered once. */
struct usage {
	const struct macext_import *imports;
	size_t nimports;
	const struct macext_kext_library *libs;
	size_t nlibs;
	const char **bound; /* family id each import binds to, or NULL */
};

static bool uses_function(const struct usage *u, const char *f, const char **ret_sym)
{
	for (size_t i = 0; i < u->nimports; i++) {
		const char *n = u->imports[i].name;

		if (n && n[0] == '_' && strcmp(n + 1, f) == 0) {
			*ret_sym = n;
			return true;
		}
	}
	return false;
}

static bool declares(const struct usage *u, const char *family)
{
	for (size_t i = 0; i < u->nlibs; i++)
		if (u->libs[i].id && strcmp(u->libs[i].id, family) == 0)
			return true;
	return false;
}

static size_t count_bound(const struct usage *u, const char *family)
{
	size_t c = 0;

	for (size_t i = 0; i < u->nimports; i++)
		c += u->bound[i] && strcmp(u->bound[i], family) == 0;
	return c;
}

static bool uses_family(const struct usage *u, const char *family)
{
	return declares(u, family) || count_bound(u, family) > 0;
}

/* Appends "F (OSBundleLibraries; symbols a, b)" for FAMILY to SB. */
static void family_evidence(struct mx_sb *sb, const struct usage *u, const char *family)
{
	size_t nb = count_bound(u, family), shown = 0;

	mx_sb_add(sb, "%s (", family);
	if (declares(u, family))
		mx_sb_add(sb, "OSBundleLibraries%s", nb ? "; " : "");
	if (nb)
		mx_sb_add(sb, "symbols ");
	for (size_t i = 0; i < u->nimports && shown < EVIDENCE_MAX_SYMBOLS; i++) {
		if (!u->bound[i] || strcmp(u->bound[i], family) != 0)
			continue;
		mx_sb_add(sb, "%s%s", shown ? ", " : "", u->imports[i].name);
		shown++;
	}
	if (nb > shown)
		mx_sb_add(sb, " and %zu more", nb - shown);
	mx_sb_add(sb, ")");
}

/* Whether one all_of group matches; appends its evidence. */
static bool group_matches(const struct usage *u, json_t *group, struct mx_sb *sb, bool first)
{
	json_t *x;
	size_t i, nsym = 0;
	bool any = false;

	json_array_foreach(json_object_get(group, "functions"), i, x) {
		const char *sym;

		if (!uses_function(u, json_string_value(x), &sym))
			continue;
		if (nsym < EVIDENCE_MAX_SYMBOLS)
			mx_sb_add(sb, "%s%s", !any ? (first ? "symbols " : "; symbols ") : ", ", sym);
		nsym++;
		any = true;
	}
	if (nsym > EVIDENCE_MAX_SYMBOLS)
		mx_sb_add(sb, " and %zu more", nsym - EVIDENCE_MAX_SYMBOLS);
	json_array_foreach(json_object_get(group, "families"), i, x) {
		if (!uses_family(u, json_string_value(x)))
			continue;
		mx_sb_add(sb, "%s", any || !first ? "; " : "");
		family_evidence(sb, u, json_string_value(x));
		any = true;
	}
	return any;
}

static bool uses_user_client(const struct usage *u, const char **ret_sym)
{
	for (size_t i = 0; i < u->nimports; i++) {
		if (u->imports[i].name && strstr(u->imports[i].name, "12IOUserClient")) {
			*ret_sym = u->imports[i].name;
			return true;
		}
	}
	return false;
}

static bool rule_names_family(json_t *cat, const char *family)
{
	json_t *g, *x;
	size_t i, j;

	json_array_foreach(json_object_get(cat, "all_of"), i, g) {
		json_array_foreach(json_object_get(g, "families"), j, x) {
			if (strcmp(json_string_value(x), family) == 0)
				return true;
		}
	}
	return false;
}

/* True if the slice uses an I/O Kit family the rule does not name. */
static bool uses_other_family(const struct usage *u, json_t *cat)
{
	static const char iokit[] = "com.apple.iokit.";

	for (size_t i = 0; i < u->nlibs; i++) {
		const char *id = u->libs[i].id;

		if (id && strncmp(id, iokit, sizeof(iokit) - 1) == 0 && !rule_names_family(cat, id))
			return true;
	}
	for (size_t i = 0; i < u->nimports; i++) {
		const char *id = u->bound[i];

		if (id && strncmp(id, iokit, sizeof(iokit) - 1) == 0 && !rule_names_family(cat, id))
			return true;
	}
	return false;
}

/* Whether category CAT matches; *RET_EVIDENCE gets the evidence (NULL on ENOMEM). */
static bool category_matches(const struct usage *u, json_t *cat, char **ret_evidence)
{
	struct mx_sb sb = MX_SB_INIT;
	json_t *g;
	size_t i;
	const char *uc;

	*ret_evidence = NULL;
	json_array_foreach(json_object_get(cat, "all_of"), i, g) {
		if (!group_matches(u, g, &sb, i == 0)) {
			mx_sb_free(&sb);
			return false;
		}
	}
	if (json_is_true(json_object_get(cat, "user_client"))) {
		if (!uses_user_client(u, &uc)) {
			mx_sb_free(&sb);
			return false;
		}
		mx_sb_add(&sb, "; IOUserClient (symbol %s)", uc);
	}
	if (json_is_true(json_object_get(cat, "no_other_family")) && uses_other_family(u, cat)) {
		mx_sb_free(&sb);
		return false;
	}
	*ret_evidence = mx_sb_take(&sb);
	return true;
}

static int fill_match(struct mx_kpi_match *m, json_t *cat, char *evidence)
{
	m->evidence = evidence;
	m->id = json_string_value(json_object_get(cat, "id"));
	m->name = json_string_value(json_object_get(cat, "name"));
	m->replacement = json_string_value(json_object_get(cat, "replacement"));
	m->source = json_string_value(json_object_get(cat, "source"));
	if (!m->id || !m->name || !m->replacement)
		return -EBADMSG;
	if (parse_bound(json_object_get(cat, "deprecated"), &m->deprecated, &m->has_deprecated) <
		    0 ||
	    parse_bound(json_object_get(cat, "unsupported"), &m->unsupported,
			&m->has_unsupported) < 0 ||
	    parse_bound(json_object_get(cat, "obligatory"), &m->obligatory, &m->has_obligatory) <
		    0)
		return -EBADMSG;
	return 0;
}

int mx_kpi_classify(const struct mx_kpi_table *t, const struct macext_import *imports,
		    size_t nimports, const struct macext_kext_library *libs, size_t nlibs,
		    struct mx_kpi_match **ret, size_t *ret_n)
{
	struct usage u = {imports, nimports, libs, nlibs, NULL};
	json_t *cats = json_object_get(t->deprecated, "categories"), *cat;
	struct mx_kpi_match *out = NULL;
	size_t i, n = 0;
	int r = -ENOMEM;

	u.bound = mx_calloc(nimports + 1, sizeof(*u.bound));
	out = mx_calloc(json_array_size(cats) + 1, sizeof(*out));
	if (!u.bound || !out)
		goto out;
	for (i = 0; i < nimports; i++)
		u.bound[i] = imports[i].name ? mx_catalogue_bind_symbol(t->catalogue, imports[i].name)
					     : NULL;
	json_array_foreach(cats, i, cat) {
		char *ev;

		if (!category_matches(&u, cat, &ev))
			continue;
		if (!ev) {
			r = -ENOMEM;
			goto out;
		}
		r = fill_match(&out[n++], cat, ev);
		if (r < 0)
			goto out;
	}
	*ret = out;
	*ret_n = n;
	out = NULL;
	r = 0;
out:
	mx_kpi_matches_free(out, n);
	mx_free(u.bound);
	return r;
}

enum mx_kpi_outcome mx_kpi_outcome(const struct mx_kpi_table *t, const struct mx_kpi_match *m,
				   const struct macext_macos_version *v, unsigned flags)
{
	const struct macext_macos_version *start = &t->policy_start;

	if (m->has_unsupported && macext_macos_cmp(v, &m->unsupported) >= 0) {
		if (flags & MACEXT_AUDIT_SIP_DISABLED)
			return MX_KPI_EXEMPT_SIP;
		if (flags & MACEXT_AUDIT_MDM_APPROVED)
			return MX_KPI_EXEMPT_MDM;
		return MX_KPI_REFUSED;
	}
	if (m->has_obligatory && macext_macos_cmp(v, &m->obligatory) >= 0)
		return MX_KPI_OBLIGATORY;
	if (!m->has_deprecated)
		return MX_KPI_NONE;
	if (macext_macos_cmp(&m->deprecated, start) > 0)
		start = &m->deprecated;
	if (macext_macos_cmp(v, start) < 0)
		return MX_KPI_NONE;
	if (macext_macos_cmp(v, &t->legacy_alert_since) >= 0 &&
	    macext_macos_cmp(v, &t->legacy_alert_until) < 0)
		return MX_KPI_DEPRECATED_ALERT;
	return MX_KPI_DEPRECATED;
}

char *mx_kpi_message(const struct mx_kpi_match *m, enum mx_kpi_outcome o, const char *bundle_id)
{
	struct mx_sb sb = MX_SB_INIT;
	char dep[16], uns[16];

	if (o == MX_KPI_NONE)
		return NULL;
	if (m->has_deprecated)
		macext_macos_format(&m->deprecated, dep);
	if (m->has_unsupported)
		macext_macos_format(&m->unsupported, uns);
	mx_sb_add(&sb, "kext uses %s KPIs (%s)", m->name, m->evidence ? m->evidence : "");
	switch (o) {
	case MX_KPI_DEPRECATED:
	case MX_KPI_DEPRECATED_ALERT:
		mx_sb_add(&sb, ", deprecated since macOS %s", dep);
		if (m->has_unsupported)
			mx_sb_add(&sb, " and not loaded by default from macOS %s", uns);
		if (o == MX_KPI_DEPRECATED_ALERT)
			mx_sb_add(&sb, "; loading it shows the Legacy System Extension alert");
		break;
	case MX_KPI_REFUSED:
		mx_sb_add(&sb, ", unsupported since macOS %s: not loaded by default "
			       "(Extension with identifiers %s unsupported to load.)",
			  uns, bundle_id ? bundle_id : "__unknown__");
		break;
	case MX_KPI_EXEMPT_SIP:
	case MX_KPI_EXEMPT_MDM:
		mx_sb_add(&sb, ", unsupported since macOS %s; the refusal is not enforced because %s",
			  uns,
			  o == MX_KPI_EXEMPT_SIP
				  ? "System Integrity Protection's kext protection is disabled"
				  : "an MDM kernel-extension policy approves the kext");
		break;
	case MX_KPI_OBLIGATORY:
		macext_macos_format(&m->obligatory, uns);
		mx_sb_add(&sb, ", whose replacement is said to be obligatory from macOS %s; "
			       "macOS still loads it",
			  uns);
		break;
	case MX_KPI_NONE:
		break;
	}
	mx_sb_add(&sb, "; replacement: %s", m->replacement);
	if (m->source && strstr(m->source, "unconfirmed"))
		mx_sb_add(&sb, " (source: %s)", m->source);
	return mx_sb_take(&sb);
}
