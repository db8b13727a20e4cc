/*
 * lib/model/infoplist.c: Info.plist validation, rules V1-V12 of kexts.md §6.4.
 *
 * Each Apple diagnostic class is one stable rule id; the message is Apple's string
 * (Appendix A, spelling included) and, where Apple adds a note to the detail, " - <note>";
 * the location is the property path Apple would list ("IOKitPersonalities.Foo.IOClass").
 *
 *   rule id                                   Apple diagnostic                     severity
 *   info-plist.missing-key                    missing required property/value      error
 *   info-plist.illegal-type                   property value is of illegal type    error
 *   info-plist.incorrect-type                 ... of incorrect type (advisory)     warning
 *   info-plist.illegal-value                  property value is illegal            error
 *   info-plist.bundle-id-too-long             CFBundleIdentifier and ... < 64      error
 *   info-plist.bad-version                    illegal value of a version string    error
 *   info-plist.compatible-version             Compatible version must be lower...  error
 *   info-plist.kernel-component-not-interface OSBundleIsInterface set to false     warning
 *   info-plist.shared-executable              declares both CFBundleExecutable...  error
 *   info-plist.deprecated-property            Deprecated property (ignored)        warning
 *   info-plist.os-bundle-required             Boot Level Restrictions (§6.3)       error/warning
 *   info-plist.dext-key                       Driver Extensions may not use ...    error
 *   info-plist.personality                    every IOKitPersonalities diagnostic  as Apple
 *   info-plist.no-libraries                   OSBundleLibraries missing/empty      error
 *   info-plist.system-property                A system kext has a property set ... error
 *   info-plist.codeless-libraries             no executable or compatible version  warning
 *   info-plist.mixed-libraries                both com.apple.kernel* and kpi.*     warning
 *   info-plist.parse                          Can't parse info dictionary XML      error
 *
 * Quirk kept (§6.4): a value outside a legal list (OSBundleRequired) records the
 * diagnostic but the check passes, so it is a warning here. Version strings go through the
 * user-space parse (20-character rule, §4.4) with the grammar of the modeled release; a
 * string only the kernel accepts is reported with a note saying so. Nothing here touches
 * the file system: the executable, symlink and dependency rules live in audit.c / deps.c.
 */
#include "model/infoplist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/plist_walk.h"
#include "model/plist_guard.h"
#include "util/strbuf.h"
#include "util/alloc.h"

/* KMOD_MAX_NAME - 1 (kexts.md §6.1). */
#define INFO_MAX_ID_LEN 63

#define D_MISSING "Info dictionary missing required property/value"
#define D_ILLEGAL_TYPE "Info dictionary property value is of illegal type"
#define D_INCORRECT_TYPE "Info dictionary property value is of incorrect type"
#define D_ILLEGAL_VALUE "Info dictionary property value is illegal"

struct check {
	const struct mx_infoplist_opts *o;
	struct macext_findings *out;
	plist_t info;
	const char *id; /* CFBundleIdentifier if a string */
	bool dext;
	int err;
};

static void add(struct check *c, enum macext_severity sev, const char *rule, const char *loc,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct check *c, enum macext_severity sev, const char *rule, const char *loc,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = macext_findings_add(c->out, sev, rule, c->o->path, loc, c->o->macos, NULL, "%s", msg);
	if (r < 0 && c->err == 0)
		c->err = r;
}

const char *mx_plist_string(plist_t dict, const char *key)
{
	plist_t n = dict ? plist_dict_get_item(dict, key) : NULL;

	if (!n || plist_get_node_type(n) != PLIST_STRING)
		return NULL;
	return plist_get_string_ptr(n, NULL);
}

bool mx_plist_true(plist_t dict, const char *key)
{
	plist_t n = dict ? plist_dict_get_item(dict, key) : NULL;
	uint8_t b = 0;

	if (!n || plist_get_node_type(n) != PLIST_BOOLEAN)
		return false;
	plist_get_bool_val(n, &b);
	return b != 0;
}

bool mx_is_kernel_library(const char *id)
{
	return strcmp(id, "com.apple.kernel") == 0 || strncmp(id, "com.apple.kernel.", 17) == 0;
}

bool mx_is_kpi_library(const char *id)
{
	return strncmp(id, "com.apple.kpi.", 14) == 0;
}

static const char *type_note(plist_type want, plist_t have)
{
	switch (want) {
	case PLIST_STRING:
		return "should be <string>";
	case PLIST_UINT:
		return have && plist_get_node_type(have) == PLIST_REAL
			       ? "should be <integer> (kexts may not use <real>)"
			       : "should be <integer>";
	case PLIST_BOOLEAN:
		return "should be boolean, <true/> or <false/>";
	case PLIST_DATA:
		return "should be <data>";
	case PLIST_ARRAY:
		return "should be <array>";
	case PLIST_DICT:
		return "should be <dict>";
	default:
		return "has the wrong type";
	}
}

/*
 * The property checker of §6.4: N (may be NULL) at LOC must have type WANT; REQUIRED makes
 * a missing value an error. RULE (NULL: the generic ids) files both under one rule id, as
 * for personalities. Returns the node when it has the right type, else NULL.
 */
static plist_t typed(struct check *c, plist_t n, const char *loc, plist_type want,
		     bool required, const char *rule)
{
	if (!n) {
		if (required)
			add(c, MACEXT_SEVERITY_ERROR, rule ? rule : "info-plist.missing-key", loc,
			    D_MISSING);
		return NULL;
	}
	if (plist_get_node_type(n) != want) {
		add(c, MACEXT_SEVERITY_ERROR, rule ? rule : "info-plist.illegal-type", loc,
		    D_ILLEGAL_TYPE " - %s", type_note(want, n));
		return NULL;
	}
	return n;
}

static plist_t get(struct check *c, const char *key)
{
	return plist_dict_get_item(c->info, key);
}

static const char *str(plist_t n)
{
	return plist_get_string_ptr(n, NULL);
}

/* A version string at LOC: user-space parse with the release's grammar. Returns the
 * packed value or -1 (after adding the finding). */
static int64_t version_value(struct check *c, const char *s, const char *loc)
{
	int64_t v = macext_kver_parse_user(s, c->o->grammar);

	if (v >= 0)
		return v;
	if (macext_kver_parse(s, c->o->grammar) >= 0)
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.bad-version", loc,
		    D_ILLEGAL_VALUE " - user space reads at most 19 ASCII characters of a "
				    "version (the kernel alone would accept '%s')",
		    s);
	else
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.bad-version", loc,
		    D_ILLEGAL_VALUE " - '%s' is not a valid kext version", s);
	return -1;
}

/* V1: returns false when processing must stop. */
static bool check_package_type(struct check *c)
{
	plist_t n = typed(c, get(c, "CFBundlePackageType"), "CFBundlePackageType", PLIST_STRING,
			  true, NULL);

	if (!n)
		return false;
	if (strcmp(str(n), "KEXT") == 0)
		return true;
	if (strcmp(str(n), "DEXT") == 0) {
		c->dext = true;
		return true;
	}
	add(c, MACEXT_SEVERITY_ERROR, "info-plist.illegal-value", "CFBundlePackageType",
	    D_ILLEGAL_VALUE " - '%s' is neither KEXT nor DEXT", str(n));
	return false;
}

/* V2, V3 */
static int64_t check_id_version(struct check *c)
{
	plist_t id = typed(c, get(c, "CFBundleIdentifier"), "CFBundleIdentifier", PLIST_STRING,
			   true, NULL);
	plist_t ver = typed(c, get(c, "CFBundleVersion"), "CFBundleVersion", PLIST_STRING, true,
			    NULL);
	static const char too_long[] =
		"CFBundleIdentifier and CFBundleVersion must be < 64 characters.";

	if (id) {
		c->id = str(id);
		if (c->id[0] == '\0')
			add(c, MACEXT_SEVERITY_ERROR, "info-plist.illegal-value",
			    "CFBundleIdentifier", D_ILLEGAL_VALUE " - empty string");
		else if (strlen(c->id) > INFO_MAX_ID_LEN)
			add(c, MACEXT_SEVERITY_ERROR, "info-plist.bundle-id-too-long",
			    "CFBundleIdentifier", "%s", too_long);
	}
	if (!ver)
		return -1;
	if (strlen(str(ver)) > INFO_MAX_ID_LEN) {
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.bundle-id-too-long", "CFBundleVersion",
		    "%s", too_long);
		return -1;
	}
	return version_value(c, str(ver), "CFBundleVersion");
}

/* V4: returns the compatible version (0 when absent, -1 when bad). */
static int64_t check_compatible(struct check *c, int64_t version)
{
	plist_t n = typed(c, get(c, "OSBundleCompatibleVersion"), "OSBundleCompatibleVersion",
			  PLIST_STRING, false, NULL);
	int64_t v;

	if (!n)
		return get(c, "OSBundleCompatibleVersion") ? -1 : 0;
	v = version_value(c, str(n), "OSBundleCompatibleVersion");
	if (v >= 0 && version > 0 && v > version)
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.compatible-version",
		    "OSBundleCompatibleVersion",
		    "Compatible version must be lower than current version.");
	return v;
}

/* V5, V7, V11: booleans and deprecated keys. */
static void check_flags(struct check *c)
{
	static const char *const bools[] = {"OSBundleIsInterface", "OSKernelResource",
					    "OSBundleEnableKextLogging", "OSBundleAllowUserLoad"};
	plist_t iface = get(c, "OSBundleIsInterface");
	uint8_t b = 1;

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		typed(c, get(c, bools[i]), bools[i], PLIST_BOOLEAN, false, NULL);
	if (iface && plist_get_node_type(iface) == PLIST_BOOLEAN)
		plist_get_bool_val(iface, &b);
	if (mx_plist_true(c->info, "OSKernelResource") && !b)
		add(c, MACEXT_SEVERITY_WARNING, "info-plist.kernel-component-not-interface",
		    "OSBundleIsInterface",
		    "Kext is a kernel component but OSBundleIsInterface is set to false; "
		    "overriding");
	if (get(c, "OSBundleDebugLevel"))
		add(c, MACEXT_SEVERITY_WARNING, "info-plist.deprecated-property",
		    "OSBundleDebugLevel", "Deprecated property (ignored)");
}

/* V6: returns true when the kext declares an executable. */
static bool check_executable_key(struct check *c)
{
	plist_t n = typed(c, get(c, "CFBundleExecutable"), "CFBundleExecutable", PLIST_STRING,
			  false, NULL);

	if (get(c, "OSBundleSharedExecutableIdentifier") && get(c, "CFBundleExecutable"))
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.shared-executable",
		    "OSBundleSharedExecutableIdentifier",
		    c->dext ? "CFBundlePackageType is DEXT and bundle declares CFBundleExecutable; "
			      "use only one."
			    : "Kext declares both CFBundleExecutable and "
			      "CFBundleSharedExecutableIdentifier; use only one.");
	if (!n)
		return false;
	if (str(n)[0] == '\0') {
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.illegal-value", "CFBundleExecutable",
		    D_ILLEGAL_VALUE " - empty string");
		return false;
	}
	return true;
}

/* V8 (§6.3) */
static void check_os_bundle_required(struct check *c)
{
	static const char *const legal[] = {"Root", "Local-Root", "Network-Root", "Safe Boot",
					    "Console"};
	plist_t n = typed(c, get(c, "OSBundleRequired"), "OSBundleRequired", PLIST_STRING, false,
			  NULL);
	const char *v;

	if (!n)
		return;
	v = str(n);
	if (c->dext) {
		if (!c->id || strncmp(c->id, "com.apple.", 10) != 0)
			add(c, MACEXT_SEVERITY_ERROR, "info-plist.os-bundle-required",
			    "OSBundleRequired",
			    "Third-party Driver Extensions are ineligible to run in Safe Boot, or "
			    "match on devices during early boot. Please remove the "
			    "OSBundleRequired key from your Info.plist.");
		else if (strcmp(v, "DriverKit") != 0 && strcmp(v, "Safe Boot") != 0)
			add(c, MACEXT_SEVERITY_ERROR, "info-plist.os-bundle-required",
			    "OSBundleRequired",
			    "Driver Extension lacks appropriate value for OSBundleRequired, and will "
			    "not be launched without kextd present. Use one of 'DriverKit' or 'Safe "
			    "Boot.'");
		return;
	}
	if (strcmp(v, "DriverKit") == 0) {
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.os-bundle-required", "OSBundleRequired",
		    "Kexts may not use the DriverKit value for OSBundleRequired.");
		return;
	}
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		if (strcmp(v, legal[i]) == 0)
			return;
	add(c, MACEXT_SEVERITY_WARNING, "info-plist.os-bundle-required", "OSBundleRequired",
	    D_ILLEGAL_VALUE " - '%s' is not one of Root, Local-Root, Network-Root, Safe Boot, "
			    "Console",
	    v);
}

/* V9 */
static void check_dext_keys(struct check *c)
{
	static const char *const keys[] = {"OSKernelResource", "AppleSecurityExtension",
					   "AppleKernelExternalComponent",
					   "OSBundleSharedExecutableIdentifier",
					   "OSBundleIsInterface"};

	if (!c->dext)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (get(c, keys[i]))
			add(c, MACEXT_SEVERITY_ERROR, "info-plist.dext-key", keys[i],
			    "Driver Extensions may not use the %s key; please remove.", keys[i]);
}

static bool is_integer(plist_t n)
{
	return n && plist_get_node_type(n) == PLIST_UINT;
}

/* "IOKitPersonalities.<name>[.<key>]" into LOC (512 bytes). */
static const char *ploc(char loc[static 512], const char *name, const char *key)
{
	snprintf(loc, 512, "IOKitPersonalities.%s%s%s", name, *key ? "." : "", key);
	return loc;
}

/* V10 for one personality P named NAME. */
static void check_personality(struct check *c, plist_t p, const char *name)
{
	static const char rule[] = "info-plist.personality";
	char loc[512];
	plist_t cls, prov, bid, n;

	if (!typed(c, p, ploc(loc, name, ""), PLIST_DICT, false, rule))
		return;
	cls = typed(c, plist_dict_get_item(p, "IOClass"), ploc(loc, name, "IOClass"), PLIST_STRING, true,
		    rule);
	prov = typed(c, plist_dict_get_item(p, "IOProviderClass"), ploc(loc, name, "IOProviderClass"),
		     PLIST_STRING, true, rule);
	n = plist_dict_get_item(p, "IOKitDebug");
	if (n && !is_integer(n))
		add(c, MACEXT_SEVERITY_ERROR, rule, ploc(loc, name, "IOKitDebug"), D_ILLEGAL_TYPE " - %s",
		    type_note(PLIST_UINT, n));
	n = plist_dict_get_item(p, "IOProbeScore");
	if (n && !is_integer(n))
		add(c, MACEXT_SEVERITY_WARNING, rule, ploc(loc, name, "IOProbeScore"), D_INCORRECT_TYPE " - %s",
		    type_note(PLIST_UINT, n));
	bid = plist_dict_get_item(p, "CFBundleIdentifier");
	if (!bid)
		add(c, MACEXT_SEVERITY_WARNING, rule, ploc(loc, name, "CFBundleIdentifier"),
		    "Personality has no CFBundleIdentifier; the kext's identifier will be "
		    "inserted when sending to the IOCatalogue");
	else if (typed(c, bid, ploc(loc, name, "CFBundleIdentifier"), PLIST_STRING, false, rule) && c->id &&
		 strcmp(str(bid), c->id) != 0)
		add(c, MACEXT_SEVERITY_WARNING, rule, ploc(loc, name, "CFBundleIdentifier"),
		    "Personality CFBundleIdentifier differs from containing kext's (not "
		    "necessarily a mistake, but rarely done)");
	if (cls && prov && strcmp(str(prov), "IOResources") == 0) {
		const char *cat = mx_plist_string(p, "IOMatchCategory");

		if (!cat || strcmp(cat, str(cls)) != 0)
			add(c, MACEXT_SEVERITY_WARNING, rule, ploc(loc, name, "IOMatchCategory"),
			    "Personality matches on IOResources but IOMatchCategory is missing or "
			    "not equal to its IOClass; driver may be blocked from matching or may "
			    "block others");
	}
	if (c->dext && !plist_dict_get_item(p, "CFBundleIdentifierKernel"))
		add(c, MACEXT_SEVERITY_ERROR, rule, ploc(loc, name, "CFBundleIdentifierKernel"),
		    "The 'CFBundleIdentifierKernel' key is required in your personality to specify "
		    "the base kext to load when your kext is instantiated.");
}

/* V10 */
static void check_personalities(struct check *c)
{
	plist_t ps = typed(c, get(c, "IOKitPersonalities"), "IOKitPersonalities", PLIST_DICT,
			   false, "info-plist.personality");
	struct mx_dict_walk w = {.dict = ps};

	while (mx_dict_next(&w))
		check_personality(c, w.val, w.key);
}

/* One OSBundleLibraries dictionary (plain or _<arch>) at KEY. Returns its entry count. */
static uint32_t check_library_dict(struct check *c, plist_t libs, const char *key,
				   bool *ret_kernel, bool *ret_kpi)
{
	struct mx_dict_walk w = {.dict = libs};
	uint32_t n = 0;

	if (!typed(c, libs, key, PLIST_DICT, false, NULL))
		return 0;
	while (mx_dict_next(&w)) {
		char loc[512];

		n++;
		snprintf(loc, sizeof(loc), "%s.%s", key, w.key);
		*ret_kernel |= mx_is_kernel_library(w.key);
		*ret_kpi |= mx_is_kpi_library(w.key);
		if (typed(c, w.val, loc, PLIST_STRING, false, NULL))
			version_value(c, str(w.val), loc);
	}
	return n;
}

/* V12 */
static void check_libraries(struct check *c, bool has_exe, int64_t compat)
{
	bool kernel = false, kpi = false, component = mx_plist_true(c->info, "OSKernelResource");
	struct mx_dict_walk w = {.dict = c->info};
	uint32_t total = 0, plain;

	plain = check_library_dict(c, get(c, "OSBundleLibraries"), "OSBundleLibraries", &kernel,
				   &kpi);
	total = plain;
	while (mx_dict_next(&w))
		if (strncmp(w.key, "OSBundleLibraries_", 18) == 0)
			total += check_library_dict(c, w.val, w.key, &kernel, &kpi);
	if (component && get(c, "OSBundleLibraries"))
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.system-property", "OSBundleLibraries",
		    "A system kext has a property set that it shouldn't");
	else if (has_exe && !component && total == 0)
		add(c, MACEXT_SEVERITY_ERROR, "info-plist.no-libraries", "OSBundleLibraries",
		    D_MISSING);
	else if (!has_exe && compat <= 0 && total > 0)
		add(c, MACEXT_SEVERITY_WARNING, "info-plist.codeless-libraries",
		    "OSBundleLibraries",
		    "Kext has no executable or compatible version, so it should not declare any "
		    "OSBundleLibraries.");
	if (kernel && kpi)
		add(c, MACEXT_SEVERITY_WARNING, "info-plist.mixed-libraries", "OSBundleLibraries",
		    "Kexts should declare dependencies on either com.apple.kernel* or "
		    "com.apple.kpi.* libraries, not both.");
}

int mx_infoplist_check(plist_t info, const struct mx_infoplist_opts *o,
		       struct macext_findings *out)
{
	struct check c = {o, out, info, NULL, false, 0};
	int64_t version, compat;
	bool has_exe;

	if (!info || plist_get_node_type(info) != PLIST_DICT) {
		add(&c, MACEXT_SEVERITY_ERROR, "info-plist.parse", NULL,
		    "Can't parse info dictionary XML - the top level is not a dictionary");
		return c.err;
	}
	if (!check_package_type(&c))
		return c.err;
	version = check_id_version(&c);
	compat = check_compatible(&c, version);
	check_flags(&c);
	has_exe = check_executable_key(&c);
	check_os_bundle_required(&c);
	check_dext_keys(&c);
	check_personalities(&c);
	check_libraries(&c, has_exe, compat);
	return c.err;
}

int mx_infoplist_validate(const void *buf, size_t len, const struct mx_infoplist_opts *o,
			  struct macext_findings *out)
{
	struct macext_diag diag = {0};
	plist_t p = NULL;
	int r;

	r = mx_plist_parse(buf, len, &p, &diag);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return macext_findings_add(out, MACEXT_SEVERITY_ERROR, "info-plist.parse", o->path,
					   NULL, o->macos, NULL,
					   "Can't parse info dictionary XML - %s", diag.msg);
	r = mx_infoplist_check(p, o, out);
	plist_free(p);
	return r;
}
