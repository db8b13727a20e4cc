/*
 * lib/model/classify.c: macext_kext_classify(), the two lib/model facts the load policy
 * reads for one kext (lib/machine/facts.c): its deprecated-KPI categories with the
 * release's outcome (deprecation.c, kexts.md §7.6) and the release's exclude list read with
 * both grammars (exclude.c, §5.5, P20). Unlike the audit it looks at the kext alone, not
 * its plug-ins (each plug-in is a kext of its own to the loader), and produces no text.
 */
#include "macext/kext.h"

#include <errno.h>
#include <string.h>

#include "model/bundle.h"
#include "model/deprecation.h"
#include "util/alloc.h"

void macext_kext_class_clear(struct macext_kext_class *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nkpi; i++) {
		mx_free(c->kpi[i].id);
		mx_free(c->kpi[i].evidence);
	}
	mx_free(c->kpi);
	mx_free(c->exclude_rule);
	memset(c, 0, sizeof(*c));
}

static const struct macext_slice *pick_slice(const struct macext_kext *k, const char *arch)
{
	const struct macext_macho *m = k->macho;

	if (!m || m->nslices == 0)
		return NULL;
	for (size_t i = 0; arch && i < m->nslices; i++)
		if (strcmp(m->slices[i].arch, arch) == 0)
			return &m->slices[i];
	return arch ? NULL : &m->slices[0];
}

static int classify_kpi(const struct macext_kext *k, const char *arch,
			const struct macext_macos_version *v, struct macext_kext_class *c)
{
	const struct macext_slice *s = pick_slice(k, arch);
	const struct macext_kext_library *libs;
	size_t nlibs = macext_kext_libraries(k, s ? s->arch : arch, &libs), nm = 0;
	struct mx_kpi_table *t = NULL;
	struct mx_kpi_match *m = NULL;
	int r;

	r = mx_kpi_table_load(&t);
	if (r < 0)
		return r;
	r = mx_kpi_classify(t, s ? s->imports : NULL, s ? s->nimports : 0, libs, nlibs, &m, &nm);
	if (r < 0)
		goto out;
	if (nm) {
		c->kpi = mx_calloc(nm, sizeof(*c->kpi));
		if (!c->kpi) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < nm; i++) {
		enum mx_kpi_outcome o = mx_kpi_outcome(t, &m[i], v, 0);
		struct macext_kext_kpi_class *e = &c->kpi[c->nkpi];

		if (o == MX_KPI_NONE)
			continue;
		e->id = mx_strdup(m[i].id);
		e->evidence = m[i].evidence ? mx_strdup(m[i].evidence) : NULL;
		e->unsupported = o == MX_KPI_REFUSED;
		e->obligatory = o == MX_KPI_OBLIGATORY;
		c->nkpi++;
		if (!e->id || (m[i].evidence && !e->evidence)) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	mx_kpi_matches_free(m, nm);
	mx_kpi_table_free(t);
	return r;
}

static int classify_exclude(const struct macext_kext *k, const struct macext_macos_version *v,
			    struct macext_kext_class *c)
{
	enum macext_kver_grammar g = macext_kver_grammar_for(v);
	struct macext_exclude_entry *e = NULL;
	size_t n = 0;
	int64_t ver;
	int r;

	if (!k->bundle_id || !k->version)
		return 0;
	r = macext_catalogue_exclude_list(v, &e, &n);
	if (r < 0)
		return r;
	ver = macext_kver_parse(k->version, g);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].id, k->bundle_id) != 0)
			continue;
		c->excluded = macext_exclude_match(e[i].rule, ver, MACEXT_EXCLUDE_USER, g);
		c->excluded_kernel = macext_exclude_match(e[i].rule, ver, MACEXT_EXCLUDE_KERNEL, g);
		c->exclude_rule = mx_strdup(e[i].rule);
		if (!c->exclude_rule)
			r = -ENOMEM;
		break;
	}
	macext_exclude_list_free(e, n);
	return r;
}

int macext_kext_classify(const struct macext_kext *k, const char *arch,
			 const struct macext_macos_version *v, struct macext_kext_class *ret)
{
	struct macext_kext_class c = {0};
	int r;

	if (!k || !v || !ret)
		return -EINVAL;
	r = classify_kpi(k, arch, v, &c);
	if (r == 0)
		r = classify_exclude(k, v, &c);
	if (r < 0) {
		macext_kext_class_clear(&c);
		return r;
	}
	*ret = c;
	return 0;
}
