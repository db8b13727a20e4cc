/*
 * lib/model/deps.c: OSBundleLibraries resolution (kexts.md §6.7, version rule §4.5).
 *
 * For each requested library I at version R, in order:
 *   1. I = com.apple.kernel                  refused (Apple's "raw kernel" message)
 *   2. I = com.apple.kernel.*, 64-bit slice   refused (64-bit kexts must use kpi.*)
 *   3. I = com.apple.kpi.private, not Apple   refused
 *   4. R unparsable                            skipped (Info.plist validation reports it)
 *   5. no candidate with id I                  "No kexts found for these libraries"
 *   6. candidate without compatible version    "... lack valid OSBundleCompatibleVersion"
 *   7. not compatible <= R <= version          "Only incompatible kexts found ..."
 *   8. a bundle candidate's own libraries fail "Indirect dependencies can't be resolved";
 *      a loop back to a kext being resolved   "Some dependencies are causing circular
 *                                              references"
 * then the kext-wide rules: com.apple.kernel with a com.apple.kernel.* component, an
 * interface kext without exactly one library, and the warning for a kext with an
 * executable that names no com.apple.kpi.* library.
 *
 * A library outside com.apple.* that is not in the audited bundle tree may be installed
 * on its own, so not finding it is a warning there and an error for Apple ids (which the
 * catalogue of the release must hold). Catalogue kexts depend only on the kernel, so their
 * own dependencies are not walked; bundle kexts' are, up to MX_DEPS_MAX_DEPTH levels.
 */
#include "model/deps.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/bundle.h"
#include "model/infoplist.h"

/* Bundle-local dependency chains are short (a plug-in on its parent). */
#define MX_DEPS_MAX_DEPTH 8u

static const char raw_kernel[] =
	"Kexts may not link against com.apple.kernel; use either com.apple.kpi.* libraries "
	"(recommended), or com.apple.kernel.* (for compatiblity with older releases).";

struct walk {
	const struct mx_dep_opts *o;
	struct macext_findings *out;
	const struct macext_kext *stack[MX_DEPS_MAX_DEPTH];
	unsigned depth;
	int err;
};

static void add(struct walk *w, enum macext_severity sev, const char *rule, const char *id,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct walk *w, enum macext_severity sev, const char *rule, const char *id,
		const char *fmt, ...)
{
	char msg[512], loc[300];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(loc, sizeof(loc), "OSBundleLibraries.%s", id);
	r = macext_findings_add(w->out, sev, rule, w->o->path, id ? loc : "OSBundleLibraries",
				w->o->macos, w->o->arch, "%s", msg);
	if (r < 0 && w->err == 0)
		w->err = r;
}

static const struct mx_dep_candidate *find(const struct mx_dep_opts *o, const char *id)
{
	for (size_t i = 0; i < o->ncands; i++)
		if (strcmp(o->cands[i].id, id) == 0)
			return &o->cands[i];
	return NULL;
}

/* Resolves one request quietly; returns the failure's rule id or NULL. */
static const char *resolve(const struct mx_dep_opts *o, const char *id, const char *req,
			   const struct mx_dep_candidate **ret)
{
	const struct mx_dep_candidate *c = find(o, id);
	int64_t r = macext_kver_parse_user(req, o->grammar), v, compat;

	*ret = c;
	if (!c)
		return "dependency.not-found";
	v = macext_kver_parse_user(c->version, o->grammar);
	compat = c->compatible_version ? macext_kver_parse_user(c->compatible_version, o->grammar)
				       : 0;
	if (compat <= 0)
		return "dependency.no-compatible-version";
	if (r < compat || r > v)
		return "dependency.incompatible";
	return NULL;
}

static bool on_stack(const struct walk *w, const struct macext_kext *k)
{
	for (unsigned i = 0; i < w->depth; i++)
		if (w->stack[i] == k)
			return true;
	return false;
}

/* Whether bundle kext K's own libraries all resolve. Sets *RET_LOOP on a cycle. */
static bool indirect_ok(struct walk *w, const struct macext_kext *k, bool *ret_loop)
{
	const struct macext_kext_library *libs;
	size_t n = macext_kext_libraries(k, w->o->arch, &libs);
	bool ok = true;

	if (on_stack(w, k)) {
		*ret_loop = true;
		return false;
	}
	if (w->depth == MX_DEPS_MAX_DEPTH)
		return false;
	w->stack[w->depth++] = k;
	for (size_t i = 0; i < n && ok; i++) {
		const struct mx_dep_candidate *c;

		if (!libs[i].version || macext_kver_parse_user(libs[i].version, w->o->grammar) < 0 ||
		    resolve(w->o, libs[i].id, libs[i].version, &c))
			ok = false;
		else if (c->kext)
			ok = indirect_ok(w, c->kext, ret_loop);
	}
	w->depth--;
	return ok;
}

static void not_found(struct walk *w, const char *id)
{
	bool apple = strncmp(id, "com.apple.", 10) == 0;

	if (apple)
		add(w, MACEXT_SEVERITY_ERROR, "dependency.not-found", id,
		    "No kexts found for these libraries - %s is not part of macOS %s", id,
		    w->o->macos ? w->o->macos : "");
	else
		add(w, MACEXT_SEVERITY_WARNING, "dependency.not-found", id,
		    "No kexts found for these libraries - %s is not in the audited bundles; it "
		    "must be installed for this kext to load",
		    id);
}

static void check_one(struct walk *w, const struct macext_kext_library *lib)
{
	const struct mx_dep_opts *o = w->o;
	const struct mx_dep_candidate *c;
	const char *fail;
	bool loop = false;

	if (strcmp(lib->id, "com.apple.kernel") == 0) {
		add(w, MACEXT_SEVERITY_ERROR, "dependency.kernel-forbidden", lib->id, raw_kernel);
		return;
	}
	if (mx_is_kernel_library(lib->id) && o->is64) {
		add(w, MACEXT_SEVERITY_ERROR, "dependency.kernel-component", lib->id,
		    "64-bit kexts must use com.apple.kpi.* libraries, not com.apple.kernel* "
		    "libraries.");
		return;
	}
	if (strcmp(lib->id, "com.apple.kpi.private") == 0 && !o->apple) {
		add(w, MACEXT_SEVERITY_ERROR, "dependency.private-kpi", lib->id,
		    "Only Apple kexts may link against com.apple.kpi.private.");
		return;
	}
	if (!lib->version || macext_kver_parse_user(lib->version, o->grammar) < 0)
		return;
	fail = resolve(o, lib->id, lib->version, &c);
	if (fail && strcmp(fail, "dependency.not-found") == 0) {
		not_found(w, lib->id);
	} else if (fail && strcmp(fail, "dependency.no-compatible-version") == 0) {
		add(w, MACEXT_SEVERITY_ERROR, fail, lib->id,
		    "Kexts found for these libraries lack valid OSBundleCompatibleVersion - %s %s",
		    lib->id, c->version);
	} else if (fail) {
		add(w, MACEXT_SEVERITY_ERROR, fail, lib->id,
		    "Only incompatible kexts found for these libraries - %s %s requested; %s has "
		    "version %s, compatible back to %s",
		    lib->id, lib->version, c->kext ? "the bundle" : "the release", c->version,
		    c->compatible_version);
	} else if (c->kext && !indirect_ok(w, c->kext, &loop)) {
		if (loop)
			add(w, MACEXT_SEVERITY_ERROR, "dependency.circular", lib->id,
			    "Some dependencies are causing circular references - %s", lib->id);
		else
			add(w, MACEXT_SEVERITY_ERROR, "dependency.indirect", lib->id,
			    "Indirect dependencies can't be resolved - %s", lib->id);
	}
}

int mx_deps_check(const struct macext_kext_library *libs, size_t n, const struct mx_dep_opts *o,
		  struct macext_findings *out)
{
	struct walk w = {.o = o, .out = out};
	bool raw = false, component = false, kpi = false;

	for (size_t i = 0; i < n; i++) {
		check_one(&w, &libs[i]);
		raw |= strcmp(libs[i].id, "com.apple.kernel") == 0;
		component |= strncmp(libs[i].id, "com.apple.kernel.", 17) == 0;
		kpi |= mx_is_kpi_library(libs[i].id);
	}
	if (raw && component)
		add(&w, MACEXT_SEVERITY_ERROR, "dependency.raw-and-component", NULL,
		    "Libraries declared for both com.apple.kernel and a com.apple.kernel.* "
		    "component.");
	if (o->interface && !o->kernel_component && n != 1)
		add(&w, MACEXT_SEVERITY_ERROR, "dependency.interface-count", NULL,
		    "Interface kext must have exactly one dependency.");
	if (o->has_executable && !o->kernel_component && n > 0 && !kpi)
		add(&w, MACEXT_SEVERITY_WARNING, "dependency.no-kpi", NULL,
		    o->is64 ? "Kext declares no com.apple.kpi.* libraries; if it references any "
			      "kernel symbols, it may fail to link."
			    : "Kext declares no kernel/KPI libraries; if it references any kernel "
			      "symbols, it may fail to link.");
	return w.err;
}

static bool year_list(const char **pp)
{
	const char *p = *pp;

	for (;;) {
		for (int i = 0; i < 4; i++, p++)
			if (*p < '0' || *p > '9')
				return false;
		if (*p == '-') {
			p++;
			for (int i = 0; i < 4; i++, p++)
				if (*p < '0' || *p > '9')
					return false;
		}
		if (*p != ',')
			break;
		p++;
		if (*p == ' ')
			p++;
	}
	*pp = p;
	return true;
}

bool mx_is_apple_copyright(const char *text)
{
	static const char head[] = "Copyright \xc2\xa9 ", tail[] = " Apple Inc. All rights reserved.";
	const char *p = text ? strstr(text, head) : NULL;

	/* CFBundleGetInfoString often reads "Foo 1.0, Copyright © ...": look for the head */
	if (!p)
		return false;
	p += sizeof(head) - 1;
	if (!year_list(&p))
		return false;
	return strcmp(p, tail) == 0;
}
