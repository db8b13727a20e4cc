/* Unit tests for lib/model/infoplist.c: every validation rule V1-V12 of kexts.md §6.4 with
 * a minimal Info.plist built here, one good and one or more bad per rule, asserting the
 * rule id, severity, location and Apple's message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/finding.h"
#include "model/infoplist.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
#define TAIL "</dict></plist>\n"
#define K(k, v) "<key>" k "</key>" v
#define S(v) "<string>" v "</string>"
#define PKG K("CFBundlePackageType", S("KEXT"))
#define ID K("CFBundleIdentifier", S("com.example.driver"))
#define VER K("CFBundleVersion", S("1.0.0"))
#define EXE K("CFBundleExecutable", S("Driver"))
#define LIBS K("OSBundleLibraries", "<dict>" K("com.apple.kpi.iokit", S("19.0")) "</dict>")
#define BASE PKG ID VER EXE LIBS
/* BASE with one personality "Foo" holding the keys BODY. */
#define PERS(body) \
	BASE K("IOKitPersonalities", "<dict>" K("Foo", "<dict>" body "</dict>") "</dict>")
/* A personality's IOClass Drv, IOProviderClass PROVIDER and CFBundleIdentifier ID. */
#define DRV(provider, id) \
	K("IOClass", S("Drv")) K("IOProviderClass", provider) K("CFBundleIdentifier", id)

struct rule_case {
	const char *name;
	const char *body;          /* inside the top dict */
	const char *rule;          /* NULL: no error or warning at all */
	enum macext_severity sev;
	const char *location;      /* NULL: not checked */
	const char *msg_prefix;    /* NULL: not checked */
};

static const struct rule_case cases[] = {
	{"good kext", BASE, NULL, 0, NULL, NULL},
	{"good codeless", PKG ID VER, NULL, 0, NULL, NULL},
	{"good library", BASE K("OSBundleCompatibleVersion", S("1.0")), NULL, 0, NULL, NULL},
	/* V1 */
	{"no package type", ID VER EXE LIBS, "info-plist.missing-key", MACEXT_SEVERITY_ERROR,
	 "CFBundlePackageType", "Info dictionary missing required property/value"},
	{"package type APPL", K("CFBundlePackageType", S("APPL")) ID VER, "info-plist.illegal-value",
	 MACEXT_SEVERITY_ERROR, "CFBundlePackageType", "Info dictionary property value is illegal"},
	{"package type int", K("CFBundlePackageType", "<integer>1</integer>") ID VER,
	 "info-plist.illegal-type", MACEXT_SEVERITY_ERROR, "CFBundlePackageType",
	 "Info dictionary property value is of illegal type - should be <string>"},
	/* V2 */
	{"no identifier", PKG VER EXE LIBS, "info-plist.missing-key", MACEXT_SEVERITY_ERROR,
	 "CFBundleIdentifier", NULL},
	{"empty identifier", PKG K("CFBundleIdentifier", S("")) VER, "info-plist.illegal-value",
	 MACEXT_SEVERITY_ERROR, "CFBundleIdentifier", NULL},
	{"identifier 64 chars",
	 PKG K("CFBundleIdentifier",
	       S("com.example.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")) VER,
	 "info-plist.bundle-id-too-long", MACEXT_SEVERITY_ERROR, "CFBundleIdentifier",
	 "CFBundleIdentifier and CFBundleVersion must be < 64 characters."},
	/* V3 */
	{"no version", PKG ID EXE LIBS, "info-plist.missing-key", MACEXT_SEVERITY_ERROR,
	 "CFBundleVersion", NULL},
	{"four-part version", PKG ID K("CFBundleVersion", S("2.0.215.216")),
	 "info-plist.bad-version", MACEXT_SEVERITY_ERROR, "CFBundleVersion",
	 "Info dictionary property value is illegal - '2.0.215.216' is not a valid kext version"},
	{"version 20 chars", PKG ID K("CFBundleVersion", S("1.0 (build 2023-01-01)")),
	 "info-plist.bad-version", MACEXT_SEVERITY_ERROR, "CFBundleVersion",
	 "Info dictionary property value is illegal - user space"},
	/* V4 */
	{"compat above version", BASE K("OSBundleCompatibleVersion", S("2.0")),
	 "info-plist.compatible-version", MACEXT_SEVERITY_ERROR, "OSBundleCompatibleVersion",
	 "Compatible version must be lower than current version."},
	{"compat unparsable", BASE K("OSBundleCompatibleVersion", S("x")), "info-plist.bad-version",
	 MACEXT_SEVERITY_ERROR, "OSBundleCompatibleVersion", NULL},
	/* V5 */
	{"interface not bool", BASE K("OSBundleIsInterface", S("yes")), "info-plist.illegal-type",
	 MACEXT_SEVERITY_ERROR, "OSBundleIsInterface",
	 "Info dictionary property value is of illegal type - should be boolean"},
	{"component not interface",
	 PKG ID VER K("OSKernelResource", "<true/>") K("OSBundleIsInterface", "<false/>"),
	 "info-plist.kernel-component-not-interface", MACEXT_SEVERITY_WARNING,
	 "OSBundleIsInterface",
	 "Kext is a kernel component but OSBundleIsInterface is set to false; overriding"},
	/* V6 */
	{"empty executable", PKG ID VER K("CFBundleExecutable", S("")), "info-plist.illegal-value",
	 MACEXT_SEVERITY_ERROR, "CFBundleExecutable", NULL},
	{"shared executable", BASE K("OSBundleSharedExecutableIdentifier", S("com.x")),
	 "info-plist.shared-executable", MACEXT_SEVERITY_ERROR, NULL,
	 "Kext declares both CFBundleExecutable and CFBundleSharedExecutableIdentifier; use only "
	 "one."},
	/* V7 */
	{"debug level", BASE K("OSBundleDebugLevel", "<integer>1</integer>"),
	 "info-plist.deprecated-property", MACEXT_SEVERITY_WARNING, "OSBundleDebugLevel",
	 "Deprecated property (ignored)"},
	{"kext logging not bool", BASE K("OSBundleEnableKextLogging", S("1")),
	 "info-plist.illegal-type", MACEXT_SEVERITY_ERROR, "OSBundleEnableKextLogging", NULL},
	/* V8 */
	{"required Root", BASE K("OSBundleRequired", S("Root")), NULL, 0, NULL, NULL},
	{"required Safe Boot", BASE K("OSBundleRequired", S("Safe Boot")), NULL, 0, NULL, NULL},
	{"required DriverKit", BASE K("OSBundleRequired", S("DriverKit")),
	 "info-plist.os-bundle-required", MACEXT_SEVERITY_ERROR, "OSBundleRequired",
	 "Kexts may not use the DriverKit value for OSBundleRequired."},
	{"required bogus", BASE K("OSBundleRequired", S("Sometimes")),
	 "info-plist.os-bundle-required", MACEXT_SEVERITY_WARNING, "OSBundleRequired",
	 "Info dictionary property value is illegal"},
	{"third-party dext required",
	 K("CFBundlePackageType", S("DEXT")) ID VER K("OSBundleRequired", S("DriverKit")),
	 "info-plist.os-bundle-required", MACEXT_SEVERITY_ERROR, "OSBundleRequired",
	 "Third-party Driver Extensions are ineligible"},
	/* V9 */
	{"dext kernel resource", K("CFBundlePackageType", S("DEXT")) ID VER
	 K("OSKernelResource", "<false/>"), "info-plist.dext-key", MACEXT_SEVERITY_ERROR,
	 "OSKernelResource", "Driver Extensions may not use the OSKernelResource key; please remove."},
	/* V10 */
	{"good personality",
	 PERS(DRV(S("IOPCIDevice"), S("com.example.driver"))
	      K("IOProbeScore", "<integer>1000</integer>")),
	 NULL, 0, NULL, NULL},
	{"personality no IOClass",
	 PERS(K("IOProviderClass", S("IOPCIDevice"))
	      K("CFBundleIdentifier", S("com.example.driver"))),
	 "info-plist.personality", MACEXT_SEVERITY_ERROR, "IOKitPersonalities.Foo.IOClass",
	 "Info dictionary missing required property/value"},
	{"personality not dict",
	 BASE K("IOKitPersonalities", "<dict>" K("Foo", S("x")) "</dict>"),
	 "info-plist.personality", MACEXT_SEVERITY_ERROR, "IOKitPersonalities.Foo", NULL},
	{"personality other id", PERS(DRV(S("IOPCIDevice"), S("com.other"))),
	 "info-plist.personality", MACEXT_SEVERITY_WARNING,
	 "IOKitPersonalities.Foo.CFBundleIdentifier", "Personality CFBundleIdentifier differs"},
	{"personality no id", PERS(K("IOClass", S("Drv")) K("IOProviderClass", S("IOPCIDevice"))),
	 "info-plist.personality", MACEXT_SEVERITY_WARNING,
	 "IOKitPersonalities.Foo.CFBundleIdentifier", "Personality has no CFBundleIdentifier"},
	{"personality IOResources", PERS(DRV(S("IOResources"), S("com.example.driver"))),
	 "info-plist.personality", MACEXT_SEVERITY_WARNING,
	 "IOKitPersonalities.Foo.IOMatchCategory", "Personality matches on IOResources"},
	{"personality real probe score",
	 PERS(DRV(S("IOPCIDevice"), S("com.example.driver")) K("IOKitDebug", "<real>1.5</real>")),
	 "info-plist.personality", MACEXT_SEVERITY_ERROR, "IOKitPersonalities.Foo.IOKitDebug",
	 "Info dictionary property value is of illegal type - should be <integer> (kexts may not "
	 "use <real>)"},
	/* V11 */
	{"allow user load not bool", BASE K("OSBundleAllowUserLoad", S("true")),
	 "info-plist.illegal-type", MACEXT_SEVERITY_ERROR, "OSBundleAllowUserLoad", NULL},
	/* V12 */
	{"no libraries", PKG ID VER EXE, "info-plist.no-libraries", MACEXT_SEVERITY_ERROR,
	 "OSBundleLibraries", "Info dictionary missing required property/value"},
	{"empty libraries", PKG ID VER EXE K("OSBundleLibraries", "<dict/>"),
	 "info-plist.no-libraries", MACEXT_SEVERITY_ERROR, "OSBundleLibraries", NULL},
	{"arch libraries only",
	 PKG ID VER EXE K("OSBundleLibraries_x86_64", "<dict>" K("com.apple.kpi.bsd", S("19.0"))
	 "</dict>"), NULL, 0, NULL, NULL},
	{"libraries on component",
	 PKG ID VER K("OSKernelResource", "<true/>") LIBS, "info-plist.system-property",
	 MACEXT_SEVERITY_ERROR, "OSBundleLibraries",
	 "A system kext has a property set that it shouldn't"},
	{"codeless with libraries", PKG ID VER LIBS, "info-plist.codeless-libraries",
	 MACEXT_SEVERITY_WARNING, "OSBundleLibraries",
	 "Kext has no executable or compatible version, so it should not declare any "
	 "OSBundleLibraries."},
	{"library version bad",
	 PKG ID VER EXE K("OSBundleLibraries", "<dict>" K("com.apple.kpi.bsd", S("1.0b")) "</dict>"),
	 "info-plist.bad-version", MACEXT_SEVERITY_ERROR, "OSBundleLibraries.com.apple.kpi.bsd",
	 NULL},
	{"library version not string",
	 PKG ID VER EXE K("OSBundleLibraries", "<dict>" K("com.apple.kpi.bsd", "<true/>") "</dict>"),
	 "info-plist.illegal-type", MACEXT_SEVERITY_ERROR, "OSBundleLibraries.com.apple.kpi.bsd",
	 NULL},
	{"libraries not dict", PKG ID VER EXE K("OSBundleLibraries", S("x")),
	 "info-plist.illegal-type", MACEXT_SEVERITY_ERROR, "OSBundleLibraries",
	 "Info dictionary property value is of illegal type - should be <dict>"},
	{"kernel and kpi",
	 PKG ID VER EXE K("OSBundleLibraries", "<dict>" K("com.apple.kpi.bsd", S("19.0"))
	 K("com.apple.kernel.6.0", S("7.9.9")) "</dict>"), "info-plist.mixed-libraries",
	 MACEXT_SEVERITY_WARNING, "OSBundleLibraries",
	 "Kexts should declare dependencies on either com.apple.kernel* or com.apple.kpi.* "
	 "libraries, not both."},
};

static const struct macext_finding *find_rule(const struct macext_findings *f, const char *rule,
					      const char *loc)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].rule, rule) == 0 &&
		    (!loc || (f->v[i].location && strcmp(f->v[i].location, loc) == 0)))
			return &f->v[i];
	return NULL;
}

static void dump(const struct macext_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		print_message("  %s %s [%s] %s\n", macext_severity_name(f->v[i].severity),
			      f->v[i].rule, f->v[i].location ? f->v[i].location : "-",
			      f->v[i].message);
}

static void test_rules(void **state)
{
	struct mx_infoplist_opts o = {"/b/Foo.kext", "11.0", MACEXT_KVER_GRAMMAR_1014};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rule_case *c = &cases[i];
		struct macext_findings f = {0};
		char buf[4096];
		int n = snprintf(buf, sizeof(buf), HEAD "%s" TAIL, c->body);
		const struct macext_finding *hit;

		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(mx_infoplist_validate(buf, (size_t)n, &o, &f), 0);
		if (!c->rule) {
			if (f.n != 0) {
				dump(&f);
				fail_msg("%s: expected no findings", c->name);
			}
			continue;
		}
		hit = find_rule(&f, c->rule, c->location);
		if (!hit || hit->severity != c->sev ||
		    (c->msg_prefix && strncmp(hit->message, c->msg_prefix, strlen(c->msg_prefix)))) {
			dump(&f);
			fail_msg("%s: expected %s at %s", c->name, c->rule,
				 c->location ? c->location : "-");
		}
		assert_string_equal(hit->path, "/b/Foo.kext");
		assert_string_equal(hit->macos, "11.0");
		macext_findings_clear(&f);
	}
}

static void test_parse_failures(void **state)
{
	static const char *const bad[] = {
		"not a plist at all",
		HEAD "<key>a</key><string>unterminated",
		"<plist><array><string>x</string></array></plist>",
	};
	struct mx_infoplist_opts o = {"/b/Foo.kext", NULL, MACEXT_KVER_GRAMMAR_1014};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct macext_findings f = {0};

		assert_int_equal(mx_infoplist_validate(bad[i], strlen(bad[i]), &o, &f), 0);
		if (f.n != 1 || strcmp(f.v[0].rule, "info-plist.parse") != 0) {
			dump(&f);
			fail_msg("case %zu: expected one info-plist.parse", i);
		}
		assert_int_equal(f.v[0].severity, MACEXT_SEVERITY_ERROR);
		assert_true(strncmp(f.v[0].message, "Can't parse info dictionary XML", 31) == 0);
		macext_findings_clear(&f);
	}
}

static void test_deep_nesting(void **state)
{
	struct mx_infoplist_opts o = {"/b/Foo.kext", NULL, MACEXT_KVER_GRAMMAR_1014};
	struct macext_findings f = {0};
	size_t depth = 100000, len = 0;
	char *buf = malloc(depth * 15 + 64);

	(void)state;
	assert_non_null(buf);
	memcpy(buf, "<plist>", 7), len = 7;
	for (size_t i = 0; i < depth; i++)
		memcpy(buf + len, "<array>", 7), len += 7;
	for (size_t i = 0; i < depth; i++)
		memcpy(buf + len, "</array>", 8), len += 8;
	memcpy(buf + len, "</plist>", 8), len += 8;
	/* libplist 2.2 alone would overflow the stack here */
	assert_int_equal(mx_infoplist_validate(buf, len, &o, &f), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "info-plist.parse");
	assert_non_null(strstr(f.v[0].message, "nested deeper"));
	macext_findings_clear(&f);
	free(buf);
}

static void test_grammar_1013(void **state)
{
	static const char body[] = HEAD PKG ID K("CFBundleVersion", S("1.100")) TAIL;
	struct mx_infoplist_opts o = {"/b", "10.13.6", MACEXT_KVER_GRAMMAR_1013};
	struct macext_findings f = {0};

	(void)state;
	assert_int_equal(mx_infoplist_validate(body, sizeof(body) - 1, &o, &f), 0);
	assert_non_null(find_rule(&f, "info-plist.bad-version", "CFBundleVersion"));
	macext_findings_clear(&f);
	o.grammar = MACEXT_KVER_GRAMMAR_1014;
	assert_int_equal(mx_infoplist_validate(body, sizeof(body) - 1, &o, &f), 0);
	assert_int_equal(f.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_parse_failures),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_grammar_1013),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
