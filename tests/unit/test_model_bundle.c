/* Unit tests for lib/model/bundle.c, deps.c, catalogue.c and audit.c: bundles built on disk
 * in a temporary directory (modern and flat layouts, plug-ins, hand-made thin Mach-O
 * executables) and audited per release; dependency resolution; catalogue loading. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macext/kext.h"
#include "model/deps.h"
#include "test_helpers.h"
#include "util/endian.h"
#include "util/file.h"

static char tmpdir[] = "/tmp/macext-model-XXXXXX";

#define K(k, v) "<key>" k "</key>" v
#define S(v) "<string>" v "</string>"
#define KEXT(id, ver) K("CFBundlePackageType", S("KEXT")) K("CFBundleIdentifier", S(id)) \
	K("CFBundleVersion", S(ver))
#define EXE K("CFBundleExecutable", S("Driver"))
#define LIB1(id, v) K("OSBundleLibraries", "<dict>" K(id, S(v)) "</dict>")

/* A thin x86_64 MH_KEXT_BUNDLE: header, LC_SYMTAB, nlist_64 entries, string table. */
static size_t make_macho(uint8_t *out, const char *const *imports, size_t n, bool kmod)
{
	size_t nsyms = n + (kmod ? 1 : 0), symoff = 32 + 24, stroff = symoff + nsyms * 16;
	size_t strsize = 1, p;
	uint8_t *s;

	memset(out, 0, 4096);
	mx_store_le32(out, 0xfeedfacf);
	mx_store_le32(out + 4, 0x01000007);
	mx_store_le32(out + 8, 3);
	mx_store_le32(out + 12, 0xb);
	mx_store_le32(out + 16, 1);
	mx_store_le32(out + 20, 24);
	mx_store_le32(out + 32, 2); /* LC_SYMTAB */
	mx_store_le32(out + 36, 24);
	mx_store_le32(out + 40, (uint32_t)symoff);
	mx_store_le32(out + 44, (uint32_t)nsyms);
	mx_store_le32(out + 48, (uint32_t)stroff);
	s = out + stroff;
	for (size_t i = 0; i < nsyms; i++) {
		const char *name = i < n ? imports[i] : "_kmod_info";
		uint8_t *e = out + symoff + i * 16;

		mx_store_le32(e, (uint32_t)strsize);
		e[4] = i < n ? 0x01 : 0x03; /* N_UNDF|N_EXT or N_ABS|N_EXT */
		memcpy(s + strsize, name, strlen(name) + 1);
		strsize += strlen(name) + 1;
	}
	mx_store_le32(out + 52, (uint32_t)strsize);
	p = stroff + strsize;
	return p;
}

static char *path_of(const char *rel)
{
	static char buf[8][512];
	static int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, 512, "%s/%s", tmpdir, rel);
	return b;
}

static void put(const char *rel, const void *data, size_t len)
{
	char *p = path_of(rel), dir[512];

	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mx_mkdir_p(dir, 0755), 0);
	assert_int_equal(mx_write_atomic(p, data, len, 0644), 0);
}

static void put_plist(const char *rel, const char *body)
{
	char buf[8192];
	int n = snprintf(buf, sizeof(buf),
			 "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>%s</dict></plist>",
			 body);

	put(rel, buf, (size_t)n);
}

static void put_exe(const char *rel, const char *const *imports, size_t n, bool kmod)
{
	uint8_t buf[4096];

	put(rel, buf, make_macho(buf, imports, n, kmod));
}

/* Kext bundle DIR: Info.plist with BODY and an executable Driver importing IMPORTS[0..N),
 * in the modern layout (Contents/, Contents/MacOS/) or the FLAT one. */
static void put_kext(const char *dir, bool flat, const char *body, const char *const *imports,
		     size_t n, bool kmod)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%sInfo.plist", dir, flat ? "" : "Contents/");
	put_plist(p, body);
	snprintf(p, sizeof(p), "%s/%sDriver", dir, flat ? "" : "Contents/MacOS/");
	put_exe(p, imports, n, kmod);
}

static const struct macext_finding *find(const struct macext_findings *f, const char *rule,
					 const char *path_suffix)
{
	for (size_t i = 0; i < f->n; i++) {
		size_t pl = strlen(f->v[i].path), sl = path_suffix ? strlen(path_suffix) : 0;

		if (strcmp(f->v[i].rule, rule) == 0 &&
		    (!path_suffix || (pl >= sl && strcmp(f->v[i].path + pl - sl, path_suffix) == 0)))
			return &f->v[i];
	}
	return NULL;
}

static void dump(const struct macext_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		print_message("  %s %s %s [%s] %s\n", macext_severity_name(f->v[i].severity),
			      f->v[i].rule, f->v[i].arch ? f->v[i].arch : "-",
			      f->v[i].location ? f->v[i].location : "-", f->v[i].message);
}

static void audit(const char *rel, const char *macos, const char *arch, unsigned flags,
		  struct macext_findings *f)
{
	struct macext_audit_opts o = {.arch = arch, .flags = flags};
	struct macext_kext *k = NULL;
	struct macext_diag d = {0};

	assert_int_equal(macext_macos_parse(macos, &o.macos), 0);
	assert_int_equal(macext_kext_open(&k, path_of(rel), &d), 0);
	assert_int_equal(macext_kext_audit(k, &o, f), 0);
	macext_kext_free(k);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return test_rmtree(tmpdir);
}

static void test_open_modern(void **state)
{
	static const char *const imps[] = {"_IOLog", "_kauth_listen_scope"};
	const struct macext_kext_library *libs;
	struct macext_kext *k = NULL;
	struct macext_diag d = {0};

	(void)state;
	put_kext("A.kext", false,
		 KEXT("com.example.a", "1.0") EXE
		 K("OSBundleLibraries", "<dict>" K("com.apple.kpi.libkern", S("19.0"))
		   K("com.apple.kpi.bsd", S("19.0")) "</dict>")
		 K("OSBundleLibraries_arm64e",
		   "<dict>" K("com.apple.kpi.bsd", S("20.0")) "</dict>"),
		 imps, 2, true);
	assert_int_equal(macext_kext_open(&k, path_of("A.kext"), &d), 0);
	assert_string_equal(macext_kext_bundle_id(k), "com.example.a");
	assert_string_equal(macext_kext_version(k), "1.0");
	assert_string_equal(macext_kext_executable_path(k), path_of("A.kext/Contents/MacOS/Driver"));
	assert_non_null(macext_kext_macho(k));
	assert_null(macext_kext_macho_error(k));
	assert_int_equal(macext_kext_macho(k)->slices[0].nimports, 2);
	assert_int_equal(macext_kext_libraries(k, NULL, &libs), 2);
	assert_string_equal(libs[0].id, "com.apple.kpi.bsd"); /* sorted */
	assert_string_equal(libs[1].id, "com.apple.kpi.libkern");
	assert_int_equal(macext_kext_libraries(k, "x86_64", &libs), 2);
	assert_int_equal(macext_kext_libraries(k, "arm64e", &libs), 1);
	assert_string_equal(libs[0].version, "20.0");
	assert_int_equal(macext_kext_nplugins(k), 0);
	macext_kext_free(k);
}

static void test_audit_deprecated_per_release(void **state)
{
	static const struct {
		const char *macos;
		unsigned flags;
		enum macext_severity sev;
	} rows[] = {
		{"10.15.3", 0, MACEXT_SEVERITY_WARNING},
		{"10.15.7", 0, MACEXT_SEVERITY_WARNING},
		{"11.0", 0, MACEXT_SEVERITY_ERROR},
		{"14.0", 0, MACEXT_SEVERITY_ERROR},
		{"11.0", MACEXT_AUDIT_SIP_DISABLED, MACEXT_SEVERITY_NOTE},
		{"11.0", MACEXT_AUDIT_MDM_APPROVED, MACEXT_SEVERITY_NOTE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct macext_findings f = {0};
		const struct macext_finding *x;

		audit("A.kext", rows[i].macos, NULL, rows[i].flags, &f);
		x = find(&f, "deprecated-kpi.kauth", NULL);
		if (!x || x->severity != rows[i].sev) {
			dump(&f);
			fail_msg("%s flags %u", rows[i].macos, rows[i].flags);
		}
		assert_string_equal(x->arch, "x86_64");
		assert_string_equal(x->macos, rows[i].macos);
		macext_findings_clear(&f);
	}
	{
		struct macext_findings f = {0};

		audit("A.kext", "10.14", NULL, 0, &f);
		assert_null(find(&f, "deprecated-kpi.kauth", NULL));
		/* kpi 19.0 requested on 10.14 (Darwin 18): too new */
		assert_non_null(find(&f, "dependency.incompatible", NULL));
		assert_null(find(&f, "signature.unsigned", NULL)); /* lib/machine now */
		macext_findings_clear(&f);
	}
}

static void test_executable_states(void **state)
{
	static const char *const imps[] = {"_IOLog"};
	struct macext_findings f = {0};

	(void)state;
	put_plist("Miss.kext/Contents/Info.plist", KEXT("com.example.m", "1.0") EXE
		  LIB1("com.apple.kpi.iokit", "19.0"));
	put_plist("Junk.kext/Contents/Info.plist", KEXT("com.example.j", "1.0") EXE
		  LIB1("com.apple.kpi.iokit", "19.0"));
	put("Junk.kext/Contents/MacOS/Driver", "#!/bin/sh\necho hi\n", 18);
	put_kext("NoKmod.kext", false,
		 KEXT("com.example.n", "1.0") EXE LIB1("com.apple.kpi.iokit", "19.0"), imps, 1,
		 false);
	put_plist("NoPlist.kext/Contents/Resources/x.plist", "");

	audit("Miss.kext", "11.0", NULL, 0, &f);
	assert_non_null(find(&f, "executable.missing", NULL));
	assert_string_equal(find(&f, "executable.missing", NULL)->location, "Contents/MacOS/Driver");
	macext_findings_clear(&f);
	audit("Junk.kext", "11.0", NULL, 0, &f);
	assert_non_null(find(&f, "executable.not-macho", NULL));
	macext_findings_clear(&f);
	audit("NoKmod.kext", "11.0", NULL, 0, &f);
	assert_non_null(find(&f, "executable.no-kmod-info", NULL));
	assert_non_null(strstr(find(&f, "executable.no-kmod-info", NULL)->message,
			       "kexts must have a _kmod_info symbol"));
	macext_findings_clear(&f);
	audit("NoKmod.kext", "11.0", "arm64e", 0, &f);
	assert_non_null(find(&f, "executable.no-arch", NULL));
	macext_findings_clear(&f);
	audit("NoPlist.kext", "11.0", NULL, 0, &f);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "info-plist.missing");
	macext_findings_clear(&f);
}

static void test_flat_and_plugins(void **state)
{
	static const char *const imps[] = {"_IOLog"};
	struct macext_kext *k = NULL;
	struct macext_diag d = {0};
	struct macext_findings f = {0};

	(void)state;
	put_kext("Flat.kext", true,
		 KEXT("com.example.flat", "2.0") EXE K("OSBundleCompatibleVersion", S("1.0"))
		 LIB1("com.apple.kpi.iokit", "16.0"), imps, 1, true);
	/* a plug-in that depends on its parent, and one that asks for a newer parent */
	put_kext("Flat.kext/PlugIns/B.kext", true,
		 KEXT("com.example.b", "1.0") EXE
		 K("OSBundleLibraries", "<dict>" K("com.example.flat", S("1.5"))
		   K("com.apple.kpi.iokit", S("16.0")) "</dict>"),
		 imps, 1, true);
	put_kext("Flat.kext/PlugIns/C.kext", true,
		 KEXT("com.example.c", "1.0") EXE
		 K("OSBundleLibraries", "<dict>" K("com.example.flat", S("3.0"))
		   K("com.apple.kpi.iokit", S("16.0")) "</dict>"),
		 imps, 1, true);
	assert_int_equal(macext_kext_open(&k, path_of("Flat.kext"), &d), 0);
	assert_string_equal(macext_kext_executable_path(k), path_of("Flat.kext/Driver"));
	assert_int_equal(macext_kext_nplugins(k), 2);
	assert_string_equal(macext_kext_bundle_id(macext_kext_plugin(k, 0)), "com.example.b");
	assert_null(macext_kext_plugin(k, 2));
	macext_kext_free(k);

	audit("Flat.kext", "10.12", NULL, 0, &f);
	assert_null(find(&f, "dependency.incompatible", "B.kext"));
	assert_non_null(find(&f, "dependency.incompatible", "C.kext"));
	assert_null(find(&f, "dependency.not-found", NULL));
	macext_findings_clear(&f);
}

static void test_dependencies(void **state)
{
	static const struct {
		const char *lib, *ver, *macos, *rule;
		enum macext_severity sev;
	} rows[] = {
		{"com.apple.kernel", "19.0", "10.15.7", "dependency.kernel-forbidden",
		 MACEXT_SEVERITY_ERROR},
		{"com.apple.kernel.6.0", "7.9.9", "10.15.7", "dependency.kernel-component",
		 MACEXT_SEVERITY_ERROR},
		{"com.apple.kpi.private", "19.0", "10.15.7", "dependency.private-kpi",
		 MACEXT_SEVERITY_ERROR},
		{"com.apple.iokit.IONope", "1.0", "10.15.7", "dependency.not-found",
		 MACEXT_SEVERITY_ERROR},
		{"org.thirdparty.lib", "1.0", "10.15.7", "dependency.not-found",
		 MACEXT_SEVERITY_WARNING},
		{"com.apple.iokit.IOUSBFamily", "1.8", "10.15.7", NULL, 0},
		{"com.apple.iokit.IOUSBFamily", "1.8", "11.0", "dependency.not-found",
		 MACEXT_SEVERITY_ERROR},
		{"com.apple.kpi.bsd", "19.6", "10.15.7", NULL, 0},
		{"com.apple.kpi.bsd", "19.7", "10.15.7", "dependency.incompatible",
		 MACEXT_SEVERITY_ERROR},
		{"com.apple.kpi.bsd", "8.0.0b1", "10.15.7", NULL, 0},
		{"com.apple.kpi.bsd", "8.0.0d9", "10.15.7", "dependency.incompatible",
		 MACEXT_SEVERITY_ERROR},
		{"com.apple.driver.AppleNMI", "1.0", "10.15.7", "dependency.no-compatible-version",
		 MACEXT_SEVERITY_ERROR},
		{"com.apple.kpi.kcov", "19.0", "10.15.7", "dependency.not-found",
		 MACEXT_SEVERITY_ERROR},
	};
	static const char *const imps[] = {"_IOLog"};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char body[1024], rel[64];
		struct macext_findings f = {0};
		const struct macext_finding *x = NULL;

		snprintf(rel, sizeof(rel), "D%zu.kext", i);
		snprintf(body, sizeof(body),
			 KEXT("com.example.d", "1.0") EXE
			 K("OSBundleLibraries", "<dict>" K("com.apple.kpi.iokit", S("16.0"))
			   K("%s", S("%s")) "</dict>"),
			 rows[i].lib, rows[i].ver);
		put_kext(rel, false, body, imps, 1, true);
		audit(rel, rows[i].macos, NULL, 0, &f);
		for (size_t j = 0; j < f.n; j++)
			if (strncmp(f.v[j].rule, "dependency.", 11) == 0)
				x = &f.v[j];
		if ((rows[i].rule == NULL) != (x == NULL) ||
		    (x && (strcmp(x->rule, rows[i].rule) != 0 || x->severity != rows[i].sev))) {
			dump(&f);
			fail_msg("%s %s on %s", rows[i].lib, rows[i].ver, rows[i].macos);
		}
		if (x) {
			char loc[128];

			snprintf(loc, sizeof(loc), "OSBundleLibraries.%s", rows[i].lib);
			assert_string_equal(x->location, loc);
		}
		macext_findings_clear(&f);
	}
}

static void test_exclude_list(void **state)
{
	static const char *const imps[] = {"_IOLog"};
	struct macext_findings f = {0};

	(void)state;
	put_kext("VBox.kext", false,
		 KEXT("org.virtualbox.kext.VBoxDrv", "5.2.13") EXE
		 LIB1("com.apple.kpi.iokit", "16.0"), imps, 1, true);
	put_kext("VBox2.kext", false,
		 KEXT("org.virtualbox.kext.VBoxDrv", "5.2.14") EXE
		 LIB1("com.apple.kpi.iokit", "16.0"), imps, 1, true);
	audit("VBox.kext", "10.14", NULL, 0, &f);
	assert_non_null(find(&f, "exclude-list.excluded", NULL));
	assert_int_equal(find(&f, "exclude-list.excluded", NULL)->severity, MACEXT_SEVERITY_ERROR);
	assert_null(find(&f, "exclude-list.grammar-disagreement", NULL));
	macext_findings_clear(&f);
	audit("VBox2.kext", "10.14", NULL, 0, &f);
	assert_null(find(&f, "exclude-list.excluded", NULL));
	macext_findings_clear(&f);
	audit("VBox.kext", "10.13", NULL, 0, &f); /* the entry arrives with 10.14 */
	assert_null(find(&f, "exclude-list.excluded", NULL));
	macext_findings_clear(&f);
}

static void test_open_errors(void **state)
{
	struct macext_kext *k = NULL;
	struct macext_diag d = {0};
	char rel[256] = "Deep.kext";

	(void)state;
	assert_int_equal(macext_kext_open(&k, path_of("Nope.kext"), &d), -ENOENT);
	assert_null(k);
	put("file.kext", "x", 1);
	assert_int_equal(macext_kext_open(&k, path_of("file.kext"), &d), -ENOTDIR);
	/* plug-ins nested one level deeper than the limit */
	for (int i = 0; i < 6; i++) {
		char p[300];

		snprintf(p, sizeof(p), "%s/Contents/Info.plist", rel);
		put_plist(p, KEXT("com.example.deep", "1.0"));
		snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "/Contents/PlugIns/P.kext");
	}
	memset(&d, 0, sizeof(d));
	assert_int_equal(macext_kext_open(&k, path_of("Deep.kext"), &d), -E2BIG);
	assert_int_equal(d.code, -E2BIG);
	assert_null(k);
}

static void test_catalogue(void **state)
{
	struct macext_macos_version v;
	struct macext_catalogue_kext *c = NULL;
	size_t n = 0;
	bool bsd = false, usb = false, kcov = false;

	(void)state;
	assert_int_equal(macext_macos_parse("10.15.7", &v), 0);
	assert_int_equal(macext_catalogue_kexts(&v, &c, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(c[i].id, "com.apple.kpi.bsd") == 0) {
			bsd = true;
			assert_string_equal(c[i].version, "19.6.0");
			assert_string_equal(c[i].compatible_version, "8.0.0b1");
			assert_string_equal(c[i].parent, "System.kext");
			assert_string_equal(c[i].bundle_name, "BSDKernel.kext");
			assert_true(c[i].kernel_resource);
		}
		if (strcmp(c[i].id, "com.apple.kernel") == 0) {
			assert_string_equal(c[i].compatible_version, "19.6.0");
			assert_null(c[i].parent);
			assert_false(c[i].executable);
		}
		usb |= strcmp(c[i].id, "com.apple.iokit.IOUSBFamily") == 0;
		kcov |= strcmp(c[i].id, "com.apple.kpi.kcov") == 0;
	}
	assert_true(bsd && usb && !kcov);
	macext_catalogue_free(c, n);
	assert_int_equal(macext_macos_parse("11.0", &v), 0);
	assert_int_equal(macext_catalogue_kexts(&v, &c, &n), 0);
	usb = kcov = false;
	for (size_t i = 0; i < n; i++) {
		usb |= strcmp(c[i].id, "com.apple.iokit.IOUSBFamily") == 0;
		kcov |= strcmp(c[i].id, "com.apple.kpi.kcov") == 0;
		if (strcmp(c[i].id, "com.apple.kpi.iokit") == 0)
			assert_string_equal(c[i].version, "20.1.0");
	}
	assert_true(!usb && kcov);
	macext_catalogue_free(c, n);
	v.major = 9;
	assert_int_equal(macext_catalogue_kexts(&v, &c, &n), -EINVAL);
}

static void test_copyright(void **state)
{
	(void)state;
	assert_true(mx_is_apple_copyright("Copyright \xc2\xa9 2019 Apple Inc. All rights reserved."));
	assert_true(mx_is_apple_copyright(
		"Foo 1.0, Copyright \xc2\xa9 2002-2019, 2021 Apple Inc. All rights reserved."));
	assert_false(mx_is_apple_copyright("Copyright \xc2\xa9 19 Apple Inc. All rights reserved."));
	assert_false(mx_is_apple_copyright("Copyright \xc2\xa9 2019 Example Inc. All rights reserved."));
	assert_false(mx_is_apple_copyright(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_modern),
		cmocka_unit_test(test_audit_deprecated_per_release),
		cmocka_unit_test(test_executable_states),
		cmocka_unit_test(test_flat_and_plugins),
		cmocka_unit_test(test_dependencies),
		cmocka_unit_test(test_exclude_list),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_copyright),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
