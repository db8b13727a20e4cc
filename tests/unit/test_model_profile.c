#define _GNU_SOURCE /* asprintf */
/* Unit tests for lib/model/profile_validate.c, profile_payloads.c and profile_check.c:
 * profiles written here, each rule good and bad, and the kext check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/profile.h"

#define KEXT "com.apple.syspolicy.kernel-extension-policy"
#define SYSEXT "com.apple.system-extension-policy"

/* A payload dictionary with its common keys. */
#define PL(type, id, uuid, extra)                                                          \
	"<dict><key>PayloadType</key><string>" type "</string><key>PayloadIdentifier</key>"  \
	"<string>" id "</string><key>PayloadUUID</key><string>" uuid "</string>"               \
	"<key>PayloadVersion</key><integer>1</integer>" extra "</dict>"
#define U1 "11111111-1111-1111-1111-111111111111"
#define U2 "22222222-2222-2222-2222-222222222222"
#define KPL(extra) PL(KEXT, "com.example.p.kext", U1, extra)
#define SPL(extra) PL(SYSEXT, "com.example.p.sysext", U2, extra)
#define ARR(...) "<array>" __VA_ARGS__ "</array>"
#define S(x) "<string>" x "</string>"
#define K(x) "<key>" x "</key>"
/* A team dictionary: {ABCDE12345: [VALUES]}. */
#define TEAM(...) "<dict>" K("ABCDE12345") ARR(__VA_ARGS__) "</dict>"

/* A whole profile: the standard envelope, TOP (extra top-level keys) and PAYLOADS. */
static char *profile_xml(const char *top, const char *payloads)
{
	char *s = NULL;
	int r = asprintf(&s,
			 "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>"
			 "<key>PayloadIdentifier</key><string>com.example.p</string>"
			 "<key>PayloadUUID</key><string>AAAAAAAA-2222-3333-4444-555555555555</string>"
			 "<key>PayloadType</key><string>Configuration</string>"
			 "<key>PayloadVersion</key><integer>1</integer>%s"
			 "<key>PayloadContent</key><array>%s</array></dict></plist>",
			 top, payloads);

	assert_true(r > 0);
	return s;
}

static struct macext_profile *read_xml(const char *xml)
{
	struct macext_profile *p = NULL;
	struct macext_diag diag = {0};

	if (macext_profile_read(&p, xml, strlen(xml), &diag) != 0)
		fail_msg("read: %s", diag.msg);
	return p;
}

static void validate(const char *xml, const char *macos, struct macext_findings *f)
{
	struct macext_macos_version v;
	struct macext_profile_validate_opts o = {.macos = NULL, .now = 1800000000};
	struct macext_profile *p = read_xml(xml);

	if (macos) {
		assert_int_equal(macext_macos_parse(macos, &v), 0);
		o.macos = &v;
	}
	assert_int_equal(macext_profile_validate(p, &o, "t.mobileconfig", f), 0);
	macext_profile_free(p);
}

static size_t count(const struct macext_findings *f, const char *rule, enum macext_severity sev,
		    const char *loc)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].rule, rule) == 0 && f->v[i].severity == sev &&
		    (!loc || (f->v[i].location && strcmp(f->v[i].location, loc) == 0)))
			n++;
	return n;
}

static void dump(const struct macext_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		print_message("  %s %s %s: %s\n", macext_severity_name(f->v[i].severity),
			      f->v[i].rule, f->v[i].location ? f->v[i].location : "-",
			      f->v[i].message);
}

#define E MACEXT_SEVERITY_ERROR
#define W MACEXT_SEVERITY_WARNING
#define N MACEXT_SEVERITY_NOTE

struct rule_case {
	const char *name;
	const char *top;      /* extra envelope keys */
	const char *payloads; /* PayloadContent items */
	const char *macos;    /* --macos or NULL */
	const char *rule;
	enum macext_severity sev;
	const char *location; /* NULL: any */
	size_t n;             /* how many such findings (0: must be absent) */
};

static const struct rule_case cases[] = {
	/* envelope */
	{"unknown top key", K("Foo") S("x"), "", NULL, "profile.key.unknown", N, "Foo", 1},
	{"PayloadEnabled is common", "", KPL(K("PayloadEnabled") "<true/>"), NULL,
	 "profile.key.unknown", N, NULL, 0},
	{"PayloadVersion 1 is fine", "", PL("com.example.x", "a.b", U1, ""), NULL, "profile.version",
	 E, NULL, 0},
	{"bad scope", K("PayloadScope") S("Machine"), "", NULL, "profile.scope.value", E,
	 "PayloadScope", 1},
	{"user scope with kext", K("PayloadScope") S("User"), KPL(""), NULL, "profile.scope.user",
	 E, "PayloadScope", 1},
	{"user scope, other payload", K("PayloadScope") S("User"),
	 PL("com.apple.dock", "a.b", U1, ""), NULL, "profile.scope.user", E, NULL, 0},
	{"system scope", K("PayloadScope") S("System"), KPL(""), NULL, "profile.scope.value", E,
	 NULL, 0},
	{"target device 1", K("TargetDeviceType") "<integer>1</integer>", "", NULL,
	 "profile.target-device", E, "TargetDeviceType", 1},
	{"target device 5", K("TargetDeviceType") "<integer>5</integer>", "", NULL,
	 "profile.target-device", E, NULL, 0},
	{"target device 0", K("TargetDeviceType") "<integer>0</integer>", "", NULL,
	 "profile.target-device", E, NULL, 0},
	{"wrong top type", K("IsEncrypted") S("yes"), "", NULL, "profile.key.type", E,
	 "IsEncrypted", 1},
	{"expired", K("PayloadExpirationDate") "<date>2020-01-01T00:00:00Z</date>", "", NULL,
	 "profile.expired", W, "PayloadExpirationDate", 1},
	{"not expired", K("RemovalDate") "<date>2030-01-01T00:00:00Z</date>", "", NULL,
	 "profile.expired", W, NULL, 0},
	{"consent not string", K("ConsentText") "<dict>" K("en") "<integer>1</integer></dict>",
	 "", NULL, "profile.consent.type", W, "ConsentText.en", 1},
	{"removal disallowed with kext", K("PayloadRemovalDisallowed") "<true/>", KPL(""), NULL,
	 "profile.removal-disallowed", N, "PayloadRemovalDisallowed", 1},
	{"manual install note", "", KPL(""), NULL, "profile.manual-install", N, NULL, 1},
	{"no manual note without ext", "", PL("com.apple.dock", "a.b", U1, ""), NULL,
	 "profile.manual-install", N, NULL, 0},
	/* payload common keys */
	{"unknown payload type", "", PL("com.apple.dock", "a.b", U1, K("x") S("y")), NULL,
	 "profile.payload.unknown-type", N, "PayloadContent[0]", 1},
	{"payload missing uuid",  "",
	 "<dict>" K("PayloadType") S(KEXT) K("PayloadIdentifier") S("a") K("PayloadVersion")
	 "<integer>1</integer></dict>", NULL, "profile.key.missing", E,
	 "PayloadContent[0].PayloadUUID", 1},
	{"payload version 2", "",
	 "<dict>" K("PayloadType") S(KEXT) K("PayloadIdentifier") S("a") K("PayloadUUID") S(U1)
	 K("PayloadVersion") "<integer>2</integer></dict>", NULL, "profile.version", E,
	 "PayloadContent[0].PayloadVersion", 1},
	{"payload version string", "",
	 "<dict>" K("PayloadType") S(KEXT) K("PayloadIdentifier") S("a") K("PayloadUUID") S(U1)
	 K("PayloadVersion") S("1") "</dict>", NULL, "profile.key.type", E,
	 "PayloadContent[0].PayloadVersion", 1},
	{"payload uuid shape", "", PL(KEXT, "a", "not-a-uuid", ""), NULL, "profile.uuid.shape",
	 W, "PayloadContent[0].PayloadUUID", 1},
	{"lowercase uuid is fine", "", PL(KEXT, "a", "abcdef01-2345-6789-abcd-ef0123456789", ""),
	 NULL, "profile.uuid.shape", W, NULL, 0},
	{"duplicate payload id", "",
	 PL(KEXT, "same", U1, "") PL(SYSEXT, "same", U2, ""), NULL,
	 "profile.payload.duplicate-id", E, "PayloadContent[1].PayloadIdentifier", 1},
	{"duplicate payload uuid", "", PL(KEXT, "a", U1, "") PL(SYSEXT, "b", U1, ""), NULL,
	 "profile.uuid.duplicate", E, "PayloadContent[1].PayloadUUID", 1},
	{"payload not a dict", "", S("x"), NULL, "profile.key.type", E, "PayloadContent[0]", 1},
	{"kext payload on 10.12.6", "", KPL(""), "10.12.6", "profile.payload.too-new", W,
	 "PayloadContent[0]", 1},
	{"kext payload on 10.13.6", "", KPL(""), "10.13.6", "profile.payload.too-new", W,
	 NULL, 0},
	{"sysext payload on 10.14", "", SPL(""), "10.14.6", "profile.payload.too-new", W,
	 "PayloadContent[0]", 1},
	/* kernel extension policy */
	{"kext team shape", "", KPL(K("AllowedTeamIdentifiers") ARR(S("ABC"))), NULL,
	 "kext.team.shape", W, "PayloadContent[0].AllowedTeamIdentifiers[0]", 1},
	{"kext team lowercase", "", KPL(K("AllowedTeamIdentifiers") ARR(S("abcde12345"))), NULL,
	 "kext.team.lowercase", W, "PayloadContent[0].AllowedTeamIdentifiers[0]", 1},
	{"kext team ok", "", KPL(K("AllowedTeamIdentifiers") ARR(S("ABCDE12345"))), NULL,
	 "kext.team.shape", W, NULL, 0},
	{"kext team not string", "", KPL(K("AllowedTeamIdentifiers") ARR("<integer>1</integer>")),
	 NULL, "kext.value.type", E, "PayloadContent[0].AllowedTeamIdentifiers[0]", 1},
	{"kext teams not array", "", KPL(K("AllowedTeamIdentifiers") S("ABCDE12345")), NULL,
	 "profile.key.type", E, "PayloadContent[0].AllowedTeamIdentifiers", 1},
	{"kext dict value not array", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("UBF8T346G9") S("com.x") "</dict>"), NULL,
	 "kext.value.type", E, "PayloadContent[0].AllowedKernelExtensions.UBF8T346G9", 1},
	{"kext bundle not string", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("UBF8T346G9") ARR("<true/>") "</dict>"),
	 NULL, "kext.value.type", E, "PayloadContent[0].AllowedKernelExtensions.UBF8T346G9[0]",
	 1},
	{"kext bundle shape", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("UBF8T346G9") ARR(S("com.x/y")) "</dict>"),
	 NULL, "kext.bundle-id.shape", W,
	 "PayloadContent[0].AllowedKernelExtensions.UBF8T346G9[0]", 1},
	{"kext bundle 64 chars", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("UBF8T346G9") ARR(S(
		 "com.example.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")) "</dict>"),
	 NULL, "kext.bundle-id.shape", W, NULL, 1},
	{"kext bundle 63 chars", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("UBF8T346G9") ARR(S(
		 "com.example.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")) "</dict>"),
	 NULL, "kext.bundle-id.shape", W, NULL, 0},
	{"kext empty team key exempt", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("") ARR(S("com.x")) "</dict>"), NULL,
	 "kext.team.shape", W, NULL, 0},
	{"kext team key shape", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("TEAM.1") ARR(S("com.x")) "</dict>"), NULL,
	 "kext.team.shape", W, "PayloadContent[0].AllowedKernelExtensions.\"TEAM.1\"", 1},
	{"kext empty list", "",
	 KPL(K("AllowedKernelExtensions") "<dict>" K("UBF8T346G9") "<array/></dict>"), NULL,
	 "kext.list.empty", W, "PayloadContent[0].AllowedKernelExtensions.UBF8T346G9", 1},
	{"kext empty team list", "", KPL(K("AllowedTeamIdentifiers") "<array/>"
					 K("AllowUserOverrides") "<true/>"), NULL,
	 "kext.list.empty", W, "PayloadContent[0].AllowedTeamIdentifiers", 1},
	{"kext shadowed", "",
	 KPL(K("AllowedTeamIdentifiers") ARR(S("UBF8T346G9")) K("AllowedKernelExtensions")
	     "<dict>" K("UBF8T346G9") ARR(S("com.x")) "</dict>"), NULL,
	 "kext.team.shadowed", W, "PayloadContent[0].AllowedTeamIdentifiers[0]", 1},
	{"kext empty payload", "", KPL(""), NULL, "kext.empty", N, "PayloadContent[0]", 1},
	{"kext overrides only", "", KPL(K("AllowUserOverrides") "<true/>"), NULL, "kext.empty",
	 N, NULL, 0},
	{"kext non-admin on 10.15", "", KPL(K("AllowNonAdminUserApprovals") "<true/>"),
	 "10.15.7", "kext.key.too-new", W, "PayloadContent[0].AllowNonAdminUserApprovals", 1},
	{"kext non-admin on 11.0", "", KPL(K("AllowNonAdminUserApprovals") "<true/>"), "11.0",
	 "kext.key.too-new", W, NULL, 0},
	{"kext overrides not bool", "", KPL(K("AllowUserOverrides") S("YES")), NULL,
	 "profile.key.type", E, "PayloadContent[0].AllowUserOverrides", 1},
	{"kext unknown key", "", KPL(K("AllowedExtensions") ARR()), NULL, "profile.key.unknown",
	 N, "PayloadContent[0].AllowedExtensions", 1},
	{"kext multi conflict", "",
	 PL(KEXT, "a", U1, K("AllowUserOverrides") "<true/>")
		 PL(KEXT, "b", U2, K("AllowUserOverrides") "<false/>"), NULL,
	 "kext.multi.conflict", W, "PayloadContent", 1},
	{"kext multi agree", "",
	 PL(KEXT, "a", U1, K("AllowUserOverrides") "<true/>")
		 PL(KEXT, "b", U2, K("AllowUserOverrides") "<true/>"), NULL,
	 "kext.multi.conflict", W, NULL, 0},
	/* system extension policy */
	{"sysext team both", "",
	 SPL(K("AllowedTeamIdentifiers") ARR(S("ABCDE12345")) K("AllowedSystemExtensions")
	     TEAM(S("com.x.ext"))), NULL,
	 "sysext.team.both", E, "PayloadContent[0].AllowedTeamIdentifiers[0]", 1},
	{"sysext type value", "",
	 SPL(K("AllowedTeamIdentifiers") ARR(S("ABCDE12345")) K("AllowedSystemExtensionTypes")
	     TEAM(S("DriverExtension") S("KernelExtension"))),
	 NULL, "sysext.type.value", E,
	 "PayloadContent[0].AllowedSystemExtensionTypes.ABCDE12345[1]", 1},
	{"sysext types only", "",
	 SPL(K("AllowedSystemExtensionTypes") TEAM(S("NetworkExtension"))), NULL,
	 "sysext.types.only", W, "PayloadContent[0].AllowedSystemExtensionTypes.ABCDE12345", 1},
	{"sysext removable conflict", "",
	 SPL(K("AllowedTeamIdentifiers") ARR(S("ABCDE12345")) K("RemovableSystemExtensions")
	     TEAM(S("com.x.ext")) K("NonRemovableSystemExtensions") TEAM(S("com.x.ext"))),
	 NULL, "sysext.removable.conflict", E,
	 "PayloadContent[0].NonRemovableSystemExtensions.ABCDE12345[0]", 1},
	{"sysext removable + from-ui may overlap", "",
	 SPL(K("AllowedTeamIdentifiers") ARR(S("ABCDE12345")) K("RemovableSystemExtensions")
	     TEAM(S("com.x.ext")) K("NonRemovableFromUISystemExtensions") TEAM(S("com.x.ext"))),
	 NULL, "sysext.removable.conflict", E, NULL, 0},
	{"sysext nonremovable not allowed", "",
	 SPL(K("NonRemovableSystemExtensions") TEAM(S("com.x.ext"))), NULL,
	 "sysext.nonremovable.not-allowed", N,
	 "PayloadContent[0].NonRemovableSystemExtensions.ABCDE12345[0]", 1},
	{"sysext removable on 11", "", SPL(K("RemovableSystemExtensions") TEAM(S("com.x.ext"))),
	 "11.7", "sysext.key.too-new", W, "PayloadContent[0].RemovableSystemExtensions", 1},
	{"sysext removable on 12", "", SPL(K("RemovableSystemExtensions") TEAM(S("com.x.ext"))),
	 "12.0", "sysext.key.too-new", W, NULL, 0},
	{"sysext nonremovable on 14", "",
	 SPL(K("NonRemovableFromUISystemExtensions") TEAM(S("com.x"))), "14.6",
	 "sysext.key.too-new", W, "PayloadContent[0].NonRemovableFromUISystemExtensions", 1},
	{"sysext nonremovable on 15", "", SPL(K("NonRemovableSystemExtensions") TEAM(S("com.x"))),
	 "15.0", "sysext.key.too-new", W, NULL, 0},
	{"sysext overrides off", "", SPL(K("AllowUserOverrides") "<false/>"), NULL,
	 "sysext.overrides.off", N, "PayloadContent[0].AllowUserOverrides", 1},
	{"sysext overrides on", "", SPL(K("AllowUserOverrides") "<true/>"), NULL,
	 "sysext.overrides.off", N, NULL, 0},
	{"sysext team shape", "", SPL(K("AllowedTeamIdentifiers") ARR(S("abc"))), NULL,
	 "sysext.team.shape", W, "PayloadContent[0].AllowedTeamIdentifiers[0]", 1},
	{"sysext value type", "",
	 SPL(K("AllowedSystemExtensions") "<dict>" K("ABCDE12345") "<dict/></dict>"), NULL,
	 "sysext.value.type", E, "PayloadContent[0].AllowedSystemExtensions.ABCDE12345", 1},
	{"sysext unknown key (Apple's wrong example)", "", SPL(K("AllowedExtensions") ARR()),
	 NULL, "profile.key.unknown", N, "PayloadContent[0].AllowedExtensions", 1},
	/* encryption */
	{"encrypted missing", K("IsEncrypted") "<true/>", "", NULL, "profile.encrypted.missing",
	 E, "IsEncrypted", 1},
	{"encrypted not enveloped", K("IsEncrypted") "<true/>" K("EncryptedPayloadContent")
	 "<data>AAAA</data>", "", NULL, "profile.encrypted.not-enveloped", E,
	 "EncryptedPayloadContent", 1},
	/* 30 0b 06 09 2a864886f70d010703: ContentInfo(envelopedData) */
	{"encrypted enveloped", K("IsEncrypted") "<true/>" K("EncryptedPayloadContent")
	 "<data>MAsGCSqGSIb3DQEHAw==</data>", "", NULL, "profile.encrypted", N,
	 "EncryptedPayloadContent", 1},
	{"encrypted and content", K("IsEncrypted") "<true/>" K("EncryptedPayloadContent")
	 "<data>MAsGCSqGSIb3DQEHAw==</data>", "", NULL, "profile.encrypted.both", W,
	 "EncryptedPayloadContent", 1},
	{"encrypted flag missing", K("EncryptedPayloadContent")
	 "<data>MAsGCSqGSIb3DQEHAw==</data>", "", NULL, "profile.encrypted.flag", W,
	 "EncryptedPayloadContent", 1},
};

static void test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rule_case *c = &cases[i];
		struct macext_findings f = {0};
		char *xml = profile_xml(c->top, c->payloads);
		size_t n;

		validate(xml, c->macos, &f);
		n = count(&f, c->rule, c->sev, c->location);
		if (n != c->n) {
			dump(&f);
			fail_msg("%s: %zu findings %s at %s, want %zu", c->name, n, c->rule,
				 c->location ? c->location : "*", c->n);
		}
		macext_findings_clear(&f);
		free(xml);
	}
}

/* Findings that need an envelope other than the standard one. */
static void test_envelope(void **state)
{
	static const char *const missing[] = {"PayloadIdentifier", "PayloadUUID", "PayloadType",
					      "PayloadVersion", "PayloadContent"};
	struct macext_findings f = {0};
	const char *xml;

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		const char *rest[5];
		char *s = NULL;
		size_t k = 0;
		static const char *const all[] = {
			K("PayloadIdentifier") S("com.example.p"), K("PayloadUUID") S(U1),
			K("PayloadType") S("Configuration"),
			K("PayloadVersion") "<integer>1</integer>",
			K("PayloadContent") "<array/>"};

		for (size_t j = 0; j < 5; j++)
			if (j != i)
				rest[k++] = all[j];
		assert_true(asprintf(&s, "<plist><dict>%s%s%s%s</dict></plist>", rest[0], rest[1],
				     rest[2], rest[3]) > 0);
		validate(s, NULL, &f);
		if (count(&f, "profile.key.missing", E, missing[i]) != 1) {
			dump(&f);
			fail_msg("missing %s not reported", missing[i]);
		}
		assert_int_equal(count(&f, "profile.key.missing", E, NULL), 1);
		macext_findings_clear(&f);
		free(s);
	}
	/* PayloadType Profile, PayloadVersion 2, empty identifier */
	xml = "<plist><dict>" K("PayloadIdentifier") S("") K("PayloadUUID") S(U1)
	      K("PayloadType") S("Profile") K("PayloadVersion") "<integer>2</integer>"
	      K("PayloadContent") "<array/></dict></plist>";
	validate(xml, NULL, &f);
	assert_int_equal(count(&f, "profile.type", E, "PayloadType"), 1);
	assert_int_equal(count(&f, "profile.version", E, "PayloadVersion"), 1);
	assert_int_equal(count(&f, "profile.identifier.empty", E, "PayloadIdentifier"), 1);
	macext_findings_clear(&f);
	/* root an array */
	validate("<plist><array/></plist>", NULL, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(count(&f, "profile.plist.root", E, NULL), 1);
	assert_null(f.v[0].location);
	assert_string_equal(f.v[0].path, "t.mobileconfig");
	macext_findings_clear(&f);
}

/* A profile using every key of both payloads correctly gives no error and no warning. */
static void test_good_profile(void **state)
{
	struct macext_findings f = {0};
	char *xml = profile_xml(
		K("PayloadScope") S("System") K("PayloadDisplayName") S("Ext policy")
			K("TargetDeviceType") "<integer>5</integer>",
		KPL(K("AllowUserOverrides") "<true/>" K("AllowNonAdminUserApprovals") "<false/>"
		    K("AllowedTeamIdentifiers") ARR(S("ABCDE12345"))
		    K("AllowedKernelExtensions") "<dict>" K("UBF8T346G9") ARR(S("com.ms.driver"))
		    K("") ARR(S("com.example.legacy")) "</dict>")
		SPL(K("AllowUserOverrides") "<true/>" K("AllowedTeamIdentifiers")
		    ARR(S("ABCDE12345")) K("AllowedSystemExtensions") "<dict>" K("FGHIJ67890")
		    ARR(S("com.x.ne")) "</dict>" K("AllowedSystemExtensionTypes") "<dict>"
		    K("ABCDE12345") ARR(S("DriverExtension") S("NetworkExtension")
					S("EndpointSecurityExtension")) "</dict>"
		    K("RemovableSystemExtensions") "<dict>" K("FGHIJ67890") ARR(S("com.x.ne"))
		    "</dict>" K("NonRemovableFromUISystemExtensions") "<dict>" K("FGHIJ67890")
		    ARR(S("com.x.ne")) "</dict>" K("NonRemovableSystemExtensions") "<dict>"
		    K("ABCDE12345") ARR(S("com.y.es")) "</dict>"));

	(void)state;
	validate(xml, "15.0", &f);
	if (macext_findings_count(&f, E) || macext_findings_count(&f, W)) {
		dump(&f);
		fail_msg("a good profile gave errors or warnings");
	}
	assert_int_equal(count(&f, "profile.manual-install", N, NULL), 1);
	assert_int_equal(f.n, 1);
	macext_findings_clear(&f);
	free(xml);
}

struct check_case {
	const char *name;
	const char *payloads;
	const char *team, *bundle;
	enum macext_profile_verdict verdict;
	const char *location;
	bool non_admin;
};

#define AKE(team, bundle) K("AllowedKernelExtensions") "<dict>" K(team) ARR(S(bundle)) "</dict>"

static const struct check_case checks[] = {
	{"no kext payload", SPL(""), "ABCDE12345", "com.x", MACEXT_PROFILE_NO_KEXT_PAYLOAD, "",
	 false},
	{"listed kext", KPL(AKE("ABCDE12345", "com.x")), "ABCDE12345", "com.x",
	 MACEXT_PROFILE_ALLOWED_KEXT, "PayloadContent[0].AllowedKernelExtensions.ABCDE12345[0]",
	 false},
	{"other bundle of the listed team", KPL(AKE("ABCDE12345", "com.x")), "ABCDE12345",
	 "com.y", MACEXT_PROFILE_BLOCKED, "", false},
	{"other team", KPL(AKE("ABCDE12345", "com.x")), "FGHIJ67890", "com.x",
	 MACEXT_PROFILE_BLOCKED, "", false},
	{"team allowed", KPL(K("AllowedTeamIdentifiers") ARR(S("ZZZZZ99999") S("ABCDE12345"))),
	 "ABCDE12345", "com.any", MACEXT_PROFILE_ALLOWED_TEAM,
	 "PayloadContent[0].AllowedTeamIdentifiers[1]", false},
	{"team shadowed by its kext list",
	 KPL(K("AllowedTeamIdentifiers") ARR(S("ABCDE12345")) AKE("ABCDE12345", "com.x")),
	 "ABCDE12345", "com.y", MACEXT_PROFILE_BLOCKED, "", false},
	{"team shadowed in one payload, allowed in another",
	 PL(KEXT, "a", U1, K("AllowedTeamIdentifiers") ARR(S("ABCDE12345"))
	    AKE("ABCDE12345", "com.x"))
		 PL(KEXT, "b", U2, K("AllowedTeamIdentifiers") ARR(S("ABCDE12345"))),
	 "ABCDE12345", "com.y", MACEXT_PROFILE_ALLOWED_TEAM,
	 "PayloadContent[1].AllowedTeamIdentifiers[0]", false},
	{"unsigned kext under the empty key", KPL(AKE("", "com.legacy")), "", "com.legacy",
	 MACEXT_PROFILE_ALLOWED_KEXT, "PayloadContent[0].AllowedKernelExtensions.\"\"[0]", false},
	{"unsigned kext never by team", KPL(K("AllowedTeamIdentifiers") ARR(S(""))), "",
	 "com.legacy", MACEXT_PROFILE_BLOCKED, "", false},
	{"case matters", KPL(AKE("ABCDE12345", "com.x")), "abcde12345", "com.x",
	 MACEXT_PROFILE_BLOCKED, "", false},
	{"user may approve", KPL(K("AllowUserOverrides") "<true/>"), "ABCDE12345", "com.x",
	 MACEXT_PROFILE_USER_MAY_APPROVE, "", false},
	{"user may approve, non-admin",
	 KPL(K("AllowUserOverrides") "<true/>" K("AllowNonAdminUserApprovals") "<true/>"),
	 "ABCDE12345", "com.x", MACEXT_PROFILE_USER_MAY_APPROVE, "", true},
	{"false wins over true",
	 PL(KEXT, "a", U1, K("AllowUserOverrides") "<true/>")
		 PL(KEXT, "b", U2, K("AllowUserOverrides") "<false/>"),
	 "ABCDE12345", "com.x", MACEXT_PROFILE_BLOCKED, "", false},
};

static void test_check(void **state)
{
	struct macext_profile_check c;

	(void)state;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		char *xml = profile_xml("", checks[i].payloads);
		struct macext_profile *p = read_xml(xml);

		assert_int_equal(macext_profile_check_kext(&c, p, checks[i].team, checks[i].bundle),
				 0);
		if (c.verdict != checks[i].verdict || strcmp(c.location, checks[i].location) != 0 ||
		    c.non_admin != checks[i].non_admin)
			fail_msg("%s: %s at '%s' (%s)", checks[i].name,
				 macext_profile_verdict_name(c.verdict), c.location, c.reason);
		assert_true(c.reason[0] != '\0');
		macext_profile_free(p);
		free(xml);
	}
	assert_int_equal(macext_profile_check_kext(&c, NULL, "A", "b"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_good_profile),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
