/*
 * lib/model/audit.c: macext_kext_audit(), everything that would stop a kext loading on
 * one release and architecture, gathered as findings (kexts.md §5-§7).
 *
 * For the kext and, recursively, each plug-in:
 *   1. Info.plist: missing (info-plist.missing), unreadable or not a dictionary
 *      (info-plist.parse), else rules V1-V12 (infoplist.c).
 *   2. The executable (V13, V14, V16): executable.missing, executable.unreadable,
 *      executable.not-macho, executable.no-arch, executable.no-kmod-info.
 *   3. Per selected slice (or once for a codeless kext): OSBundleLibraries (the _<arch>
 *      variant first, §6.2) against the release's catalogue and the bundle tree (deps.c),
 *      and the deprecated-KPI classifier with the release's outcome (deprecation.c).
 *   4. The exclude list of the release: the user-space grammar decides
 *      (exclude-list.excluded, error); a kernel grammar that disagrees is a note
 *      (exclude-list.grammar-disagreement), kexts.md §5.6 and P20.
 *   5. Signatures are audited by lib/machine/audit_signature.c (signature.*), which can
 *      verify them; this file only reads the bundle.
 * Findings carry the bundle path, the formatted release, the arch for per-slice ones and
 * the property path as location.
 */
#include "macext/kext.h"

#include <errno.h>
#include <string.h>

#include "model/bundle.h"
#include "model/symlinks.h"
#include "model/deprecation.h"
#include "model/deps.h"
#include "model/infoplist.h"
#include "util/alloc.h"

struct audit {
	const struct macext_audit_opts *o;
	struct macext_findings *out;
	char macos[16];
	enum macext_kver_grammar grammar;
	struct macext_catalogue_kext *cat;
	size_t ncat;
	struct mx_dep_candidate *cands; /* catalogue + every kext of the tree */
	size_t ncands;
	struct mx_kpi_table *kpi;
	struct macext_exclude_entry *excl;
	size_t nexcl;
};

static int add_tree_candidates(struct audit *a, const struct macext_kext *k, size_t *cap)
{
	int r;

	if (k->bundle_id && k->version) {
		r = mx_grow((void **)&a->cands, cap, a->ncands + 1, sizeof(*a->cands));
		if (r < 0)
			return r;
		a->cands[a->ncands++] = (struct mx_dep_candidate){
			k->bundle_id, k->version,
			mx_plist_string(k->info, "OSBundleCompatibleVersion"), k};
	}
	for (size_t i = 0; i < k->nplugins; i++) {
		r = add_tree_candidates(a, k->plugins[i], cap);
		if (r < 0)
			return r;
	}
	return 0;
}

static int audit_setup(struct audit *a, const struct macext_kext *k)
{
	size_t cap = 0;
	int r;

	macext_macos_format(&a->o->macos, a->macos);
	a->grammar = macext_kver_grammar_for(&a->o->macos);
	r = macext_catalogue_kexts(&a->o->macos, &a->cat, &a->ncat);
	if (r < 0)
		return r;
	r = macext_catalogue_exclude_list(&a->o->macos, &a->excl, &a->nexcl);
	if (r < 0)
		return r;
	r = mx_kpi_table_load(&a->kpi);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a->ncat; i++) {
		r = mx_grow((void **)&a->cands, &cap, a->ncands + 1, sizeof(*a->cands));
		if (r < 0)
			return r;
		a->cands[a->ncands++] = (struct mx_dep_candidate){
			a->cat[i].id, a->cat[i].version, a->cat[i].compatible_version, NULL};
	}
	return add_tree_candidates(a, k, &cap);
}

static void audit_teardown(struct audit *a)
{
	macext_catalogue_free(a->cat, a->ncat);
	macext_exclude_list_free(a->excl, a->nexcl);
	mx_kpi_table_free(a->kpi);
	mx_free(a->cands);
}

static bool is_apple(const struct macext_kext *k)
{
	return k->bundle_id && strncmp(k->bundle_id, "com.apple.", 10) == 0 &&
	       (mx_is_apple_copyright(mx_plist_string(k->info, "CFBundleGetInfoString")) ||
		mx_is_apple_copyright(mx_plist_string(k->info, "NSHumanReadableCopyright")));
}

/* Dependencies and deprecated KPIs for one slice S (NULL: a codeless kext). */
static int audit_slice(struct audit *a, const struct macext_kext *k, const struct macext_slice *s)
{
	const struct macext_kext_library *libs;
	const char *arch = s ? s->arch : NULL;
	size_t nlibs = macext_kext_libraries(k, arch, &libs), nm = 0;
	struct mx_dep_opts d = {
		.cands = a->cands,
		.ncands = a->ncands,
		.grammar = a->grammar,
		.path = k->path,
		.macos = a->macos,
		.arch = arch,
		.bundle_id = k->bundle_id,
		.apple = is_apple(k),
		.is64 = s ? s->is64 : true,
		.has_executable = k->exe_state != MX_EXE_NONE,
		.kernel_component = mx_plist_true(k->info, "OSKernelResource"),
		.interface = mx_plist_true(k->info, "OSBundleIsInterface"),
	};
	struct mx_kpi_match *m = NULL;
	int r;

	r = mx_deps_check(libs, nlibs, &d, a->out);
	if (r < 0 || d.apple)
		return r;
	r = mx_kpi_classify(a->kpi, s ? s->imports : NULL, s ? s->nimports : 0, libs, nlibs, &m,
			    &nm);
	for (size_t i = 0; r == 0 && i < nm; i++) {
		enum mx_kpi_outcome oc = mx_kpi_outcome(a->kpi, &m[i], &a->o->macos, a->o->flags);
		char rule[64], *msg;

		if (oc == MX_KPI_NONE)
			continue;
		msg = mx_kpi_message(&m[i], oc, k->bundle_id);
		if (!msg) {
			r = -ENOMEM;
			break;
		}
		if (oc == MX_KPI_OBLIGATORY)
			snprintf(rule, sizeof(rule), "kext.replacement-obligatory");
		else
			snprintf(rule, sizeof(rule), "deprecated-kpi.%s", m[i].id);
		r = macext_findings_add(a->out,
					oc == MX_KPI_REFUSED	  ? MACEXT_SEVERITY_ERROR
					: oc == MX_KPI_EXEMPT_SIP || oc == MX_KPI_EXEMPT_MDM
						? MACEXT_SEVERITY_NOTE
						: MACEXT_SEVERITY_WARNING,
					rule, k->path, NULL, a->macos, arch, "%s", msg);
		mx_free(msg);
	}
	mx_kpi_matches_free(m, nm);
	return r;
}

static int add(struct audit *a, const struct macext_kext *k, enum macext_severity sev,
	       const char *rule, const char *loc, const char *arch, const char *msg,
	       const char *detail)
{
	if (detail)
		return macext_findings_add(a->out, sev, rule, k->path, loc, a->macos, arch,
					   "%s - %s", msg, detail);
	return macext_findings_add(a->out, sev, rule, k->path, loc, a->macos, arch, "%s", msg);
}

static const char exe_bad[] = "Executable file doesn't contain kernel extension code (no "
			      "kmod_info symbol or bad Mach-O layout).";

/* The executable's own state; returns 1 when its slices can be audited. */
static int audit_executable(struct audit *a, const struct macext_kext *k)
{
	const char *loc = k->exe_path + strlen(k->path) + (k->exe_path[strlen(k->path)] == '/');

	switch (k->exe_state) {
	case MX_EXE_MISSING:
		return add(a, k, MACEXT_SEVERITY_ERROR, "executable.missing", loc, NULL,
			   "Kext has a CFBundleExecutable property but the executable can't be found",
			   NULL);
	case MX_EXE_UNREADABLE:
		return add(a, k, MACEXT_SEVERITY_ERROR, "executable.unreadable", loc, NULL,
			   "File access failure; can't open, or I/O error", k->exe_diag.msg);
	case MX_EXE_BAD:
		return add(a, k, MACEXT_SEVERITY_ERROR, "executable.not-macho", loc, NULL, exe_bad,
			   k->exe_diag.msg);
	case MX_EXE_NONE:
	case MX_EXE_OK:
		break;
	}
	return k->exe_state == MX_EXE_OK ? 1 : 0;
}

static int audit_slices(struct audit *a, const struct macext_kext *k)
{
	const struct macext_macho *m = k->macho;
	bool found = false;
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->nslices; i++) {
		const struct macext_slice *s = &m->slices[i];

		if (a->o->arch && strcmp(s->arch, a->o->arch) != 0)
			continue;
		found = true;
		if (!s->defines_kmod_info)
			r = add(a, k, MACEXT_SEVERITY_ERROR, "executable.no-kmod-info", NULL, s->arch,
				exe_bad,
				a->o->macos.major >= 11
					? "cannot be placed in kernel collection because: kexts "
					  "must have a _kmod_info symbol"
					: NULL);
		if (r == 0)
			r = audit_slice(a, k, s);
	}
	if (r == 0 && !found)
		r = add(a, k, MACEXT_SEVERITY_ERROR, "executable.no-arch", NULL, a->o->arch,
			"Executable does not contain code for architecture", a->o->arch);
	return r;
}

static int audit_exclude(struct audit *a, const struct macext_kext *k)
{
	int64_t v;

	if (!k->bundle_id || !k->version)
		return 0;
	v = macext_kver_parse(k->version, a->grammar);
	for (size_t i = 0; i < a->nexcl; i++) {
		bool user, kern;

		if (strcmp(a->excl[i].id, k->bundle_id) != 0)
			continue;
		user = macext_exclude_match(a->excl[i].rule, v, MACEXT_EXCLUDE_USER, a->grammar);
		kern = macext_exclude_match(a->excl[i].rule, v, MACEXT_EXCLUDE_KERNEL, a->grammar);
		if (user) {
			int r = macext_findings_add(
				a->out, MACEXT_SEVERITY_ERROR, "exclude-list.excluded", k->path,
				"CFBundleVersion", a->macos, NULL,
				"Kext %s is in exclude list, not loadable - version %s matches '%s'",
				k->bundle_id, k->version, a->excl[i].rule);
			if (r < 0)
				return r;
		}
		if (user != kern) {
			int r = macext_findings_add(
				a->out, MACEXT_SEVERITY_NOTE, "exclude-list.grammar-disagreement",
				k->path, "CFBundleVersion", a->macos, NULL,
				"the kernel's reading of exclude rule '%s' %s version %s, user space's "
				"%s it; user space decides the load",
				a->excl[i].rule, kern ? "excludes" : "does not exclude", k->version,
				user ? "excludes" : "does not exclude");
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static const char symlink_bad[] = "The kext contains a symlink which is either not readable "
				  "or points outside of its bundle; please remove";

/* V17 (kexts.md §6.4): one warning per offending link, located at the link. */
static int audit_symlinks(struct audit *a, const struct macext_kext *k)
{
	char **bad = NULL;
	size_t n = 0;
	int r;

	r = mx_bundle_bad_symlinks(k->path, &bad, &n);
	if (r == -E2BIG)
		return add(a, k, MACEXT_SEVERITY_ERROR, "bundle.too-large", NULL, NULL,
			   "bundle folders nest or count over macext's limits", NULL);
	if (r == -ENOENT)
		return 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add(a, k, MACEXT_SEVERITY_WARNING, "bundle.symlink-outside", bad[i], NULL,
			symlink_bad, NULL);
	for (size_t i = 0; i < n; i++)
		mx_free(bad[i]);
	mx_free(bad);
	return r;
}

static int audit_kext(struct audit *a, const struct macext_kext *k)
{
	struct mx_infoplist_opts io = {k->path, a->macos, a->grammar};
	int r = 0;

	if (k->info_state == MX_INFO_MISSING)
		r = add(a, k, MACEXT_SEVERITY_ERROR, "info-plist.missing",
			k->flat ? "Info.plist" : "Contents/Info.plist", NULL, "File not found",
			"the bundle has no Info.plist");
	else if (k->info_state == MX_INFO_BAD)
		r = add(a, k, MACEXT_SEVERITY_ERROR, "info-plist.parse",
			k->flat ? "Info.plist" : "Contents/Info.plist", NULL,
			"Can't parse info dictionary XML", k->info_diag.msg);
	else {
		r = mx_infoplist_check(k->info, &io, a->out);
		if (r == 0 && k->exe_state != MX_EXE_NONE)
			r = audit_executable(a, k);
		if (r == 1)
			r = audit_slices(a, k);
		else if (r == 0 && k->exe_state == MX_EXE_NONE)
			r = audit_slice(a, k, NULL);
		if (r == 0)
			r = audit_exclude(a, k);
		if (r == 0)
			r = audit_symlinks(a, k);
	}
	for (size_t i = 0; r >= 0 && i < k->nplugins; i++)
		r = audit_kext(a, k->plugins[i]);
	return r < 0 ? r : 0;
}

int macext_kext_audit(const struct macext_kext *k, const struct macext_audit_opts *opts,
		      struct macext_findings *out)
{
	struct audit a = {.o = opts, .out = out};
	int r;

	if (!k || !opts || !out)
		return -EINVAL;
	r = audit_setup(&a, k);
	if (r == 0)
		r = audit_kext(&a, k);
	audit_teardown(&a);
	return r;
}
