/* Unit tests for lib/model/deprecation.c: the classifier of kexts.md §7.6 for every
 * category of data/deprecated_kpis.json (the combination rows included), from hand-built
 * facts (imports + libraries), and the outcome on each modeled release with the SIP and
 * MDM exceptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/catalogue.h"
#include "model/deprecation.h"

#define MAXI 4
#define MAXL 3

/* outcome codes in the table: - none, D deprecated, A deprecated + alert (10.15.4-10.15.x
 * only, kexts.md §7.6), R refused, O replacement called obligatory (12.3+, §9 P13) */
struct class_case {
	const char *name;
	const char *imports[MAXI];
	const char *libs[MAXL];
	const char *category; /* expected single category, NULL = none */
	const char *outcomes; /* on 10.14, 10.15.3, 10.15.4, 10.15.7, 11.0, 12.2, 12.3, 14.0 */
};

static const char *const releases[] = {"10.14",  "10.15.3", "10.15.4", "10.15.7",
				       "11.0",   "12.2",    "12.3",    "14.0"};

static const struct class_case cases[] = {
	{"kauth", {"_kauth_listen_scope", "_IOLog"}, {"com.apple.kpi.bsd"}, "kauth", "-DAARRRR"},
	{"socket", {"_sock_socket"}, {"com.apple.kpi.bsd"}, "socket", "-DAADDDD"},
	{"network filter", {"_sflt_register"}, {"com.apple.kpi.bsd"}, "network-filter", "-DAARRRR"},
	{"hid by symbol", {"__ZN11IOHIDDevice9metaClassE"}, {"com.apple.kpi.iokit"}, "hid",
	 "-DAARRRR"},
	{"hid by library", {"_IOLog"}, {"com.apple.iokit.IOHIDFamily"}, "hid", "-DAARRRR"},
	{"iousb", {"__ZN11IOUSBDevice9metaClassE"}, {"com.apple.iokit.IOUSBFamily"}, "iousb",
	 "-DAARRRR"},
	{"usb networking",
	 {"__ZN20IOEthernetController9metaClassE", "__ZN18IOUSBHostInterface9metaClassE"},
	 {"com.apple.iokit.IONetworkingFamily", "com.apple.iokit.IOUSBHostFamily"},
	 "usb-networking", "-DAARRRR"},
	{"usb serial", {"__ZN18IOSerialDriverSync9metaClassE", "__ZN15IOUSBHostDevice9metaClassE"},
	 {"com.apple.iokit.IOSerialFamily", "com.apple.iokit.IOUSBHostFamily"}, "usb-serial",
	 "-DAARRRR"},
	{"usb vendor ipc", {"__ZN12IOUserClient9metaClassE", "__ZN15IOUSBHostDevice9metaClassE"},
	 {"com.apple.iokit.IOUSBHostFamily", "com.apple.kpi.iokit"}, "usb-vendor-ipc", "-DAARRRR"},
	{"pci networking",
	 {"__ZN20IOEthernetController9metaClassE", "__ZN11IOPCIDevice9metaClassE"},
	 {"com.apple.iokit.IONetworkingFamily", "com.apple.iokit.IOPCIFamily"}, "pci-networking",
	 "-DAARRRR"},
	{"audio", {"__ZN13IOAudioDevice9metaClassE"}, {"com.apple.iokit.IOAudioFamily"}, "audio",
	 "------OO"},
	{"bluetooth", {"__ZTV18IOBluetoothHCIController"}, {"com.apple.kpi.iokit"}, "bluetooth",
	 "------OO"},
	{"scsi controller", {"__ZN32IOSCSIParallelInterfaceController9metaClassE"},
	 {"com.apple.iokit.IOSCSIParallelFamily"}, "scsi-controller", "------OO"},
	/* controls */
	{"supported only", {"_IOLog", "_OSMalloc", "__ZN9IOService15registerServiceEj"},
	 {"com.apple.kpi.iokit", "com.apple.kpi.libkern"}, NULL, NULL},
	{"usb host alone", {"__ZN15IOUSBHostDevice9metaClassE"}, {"com.apple.iokit.IOUSBHostFamily"},
	 NULL, NULL},
	{"networking alone", {"__ZN20IOEthernetController9metaClassE"},
	 {"com.apple.iokit.IONetworkingFamily"}, NULL, NULL},
	{"scsi architecture model is not parallel", {"__ZN24IOSCSIProtocolInterface9metaClassE"},
	 {"com.apple.iokit.IOSCSIArchitectureModelFamily"}, NULL, NULL},
	/* IOUserClient with USB but tied into a family: not vendor IPC */
	{"usb user client in a family",
	 {"__ZN12IOUserClient9metaClassE", "__ZN15IOUSBHostDevice9metaClassE"},
	 {"com.apple.iokit.IOUSBHostFamily", "com.apple.iokit.IOStorageFamily"}, NULL, NULL},
	/* a similar name that is not the function */
	{"not sock_socket", {"_sock_socketx", "_xsock_socket"}, {"com.apple.kpi.bsd"}, NULL, NULL},
};

static size_t count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n])
		n++;
	return n;
}

static void classify(struct mx_kpi_table *t, const struct class_case *c, struct mx_kpi_match **m,
		     size_t *nm)
{
	struct macext_import imps[MAXI] = {{0}};
	struct macext_kext_library libs[MAXL] = {{0}};
	size_t ni = count(c->imports, MAXI), nl = count(c->libs, MAXL);

	for (size_t i = 0; i < ni; i++)
		imps[i].name = c->imports[i];
	for (size_t i = 0; i < nl; i++) {
		libs[i].id = c->libs[i];
		libs[i].version = "1.0";
	}
	assert_int_equal(mx_kpi_classify(t, imps, ni, libs, nl, m, nm), 0);
}

static char code(enum mx_kpi_outcome o)
{
	switch (o) {
	case MX_KPI_NONE:
		return '-';
	case MX_KPI_DEPRECATED:
		return 'D';
	case MX_KPI_DEPRECATED_ALERT:
		return 'A';
	case MX_KPI_REFUSED:
		return 'R';
	case MX_KPI_EXEMPT_SIP:
		return 'S';
	case MX_KPI_EXEMPT_MDM:
		return 'M';
	case MX_KPI_OBLIGATORY:
		return 'O';
	}
	return '?';
}

static void test_categories(void **state)
{
	struct mx_kpi_table *t = NULL;

	(void)state;
	assert_int_equal(mx_kpi_table_load(&t), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct class_case *c = &cases[i];
		struct mx_kpi_match *m = NULL;
		size_t nm = 0;

		classify(t, c, &m, &nm);
		if (!c->category) {
			if (nm != 0)
				fail_msg("%s: matched %s", c->name, m[0].id);
			mx_kpi_matches_free(m, nm);
			continue;
		}
		if (nm != 1 || strcmp(m[0].id, c->category) != 0)
			fail_msg("%s: %zu matches, first %s", c->name, nm, nm ? m[0].id : "-");
		for (size_t r = 0; r < sizeof(releases) / sizeof(releases[0]); r++) {
			struct macext_macos_version v;
			char got;

			assert_int_equal(macext_macos_parse(releases[r], &v), 0);
			got = code(mx_kpi_outcome(t, &m[0], &v, 0));
			if (got != c->outcomes[r])
				fail_msg("%s on %s: %c, want %c", c->name, releases[r], got,
					 c->outcomes[r]);
		}
		mx_kpi_matches_free(m, nm);
	}
	mx_kpi_table_free(t);
}

static void test_exceptions_and_messages(void **state)
{
	struct mx_kpi_table *t = NULL;
	struct mx_kpi_match *m = NULL;
	struct macext_macos_version v11, v1015;
	size_t nm = 0;
	char *msg;

	(void)state;
	assert_int_equal(mx_kpi_table_load(&t), 0);
	classify(t, &cases[0], &m, &nm); /* kauth */
	assert_int_equal(nm, 1);
	assert_int_equal(macext_macos_parse("11.0", &v11), 0);
	assert_int_equal(macext_macos_parse("10.15.7", &v1015), 0);
	assert_int_equal(mx_kpi_outcome(t, &m[0], &v11, MACEXT_AUDIT_SIP_DISABLED),
			 MX_KPI_EXEMPT_SIP);
	assert_int_equal(mx_kpi_outcome(t, &m[0], &v11, MACEXT_AUDIT_MDM_APPROVED),
			 MX_KPI_EXEMPT_MDM);
	/* the exceptions change nothing before the refusal */
	assert_int_equal(mx_kpi_outcome(t, &m[0], &v1015, MACEXT_AUDIT_SIP_DISABLED),
			 MX_KPI_DEPRECATED_ALERT);
	assert_string_equal(m[0].evidence, "symbols _kauth_listen_scope");
	msg = mx_kpi_message(&m[0], MX_KPI_REFUSED, "com.example.k");
	assert_string_equal(msg, "kext uses KAUTH KPIs (symbols _kauth_listen_scope), unsupported "
				 "since macOS 11.0: not loaded by default (Extension with "
				 "identifiers com.example.k unsupported to load.); replacement: "
				 "EndpointSecurity");
	free(msg);
	msg = mx_kpi_message(&m[0], MX_KPI_DEPRECATED_ALERT, "com.example.k");
	assert_non_null(strstr(msg, "Legacy System Extension alert"));
	assert_non_null(strstr(msg, "deprecated since macOS 10.15"));
	free(msg);
	msg = mx_kpi_message(&m[0], MX_KPI_EXEMPT_SIP, "com.example.k");
	assert_non_null(strstr(msg, "not enforced because System Integrity Protection"));
	free(msg);
	assert_null(mx_kpi_message(&m[0], MX_KPI_NONE, "x"));
	mx_kpi_matches_free(m, nm);

	/* evidence of a combination row names both families and their symbols */
	classify(t, &cases[6], &m, &nm);
	assert_int_equal(nm, 1);
	assert_string_equal(m[0].evidence,
			    "com.apple.iokit.IONetworkingFamily (OSBundleLibraries; symbols "
			    "__ZN20IOEthernetController9metaClassE); com.apple.iokit.IOUSBHostFamily "
			    "(OSBundleLibraries; symbols __ZN18IOUSBHostInterface9metaClassE)");
	mx_kpi_matches_free(m, nm);
	mx_kpi_table_free(t);
}

static void test_binding(void **state)
{
	static const struct {
		const char *sym, *family;
	} rows[] = {
		{"__ZN11IOHIDDevice9metaClassE", "com.apple.iokit.IOHIDFamily"},
		{"__ZTV11IOHIDDevice", "com.apple.iokit.IOHIDFamily"},
		{"__ZNK11IOHIDDevice12getMetaClassEv", "com.apple.iokit.IOHIDFamily"},
		{"__ZN11IOUSBDevice9metaClassE", "com.apple.iokit.IOUSBFamily"},
		{"__ZN15IOUSBHostDevice9metaClassE", "com.apple.iokit.IOUSBHostFamily"},
		{"__ZN11IOPCIDevice9metaClassE", "com.apple.iokit.IOPCIFamily"},
		{"__ZN32IOSCSIParallelInterfaceController9metaClassE",
		 "com.apple.iokit.IOSCSIParallelFamily"},
		{"__ZN9IOService15registerServiceEj", NULL},
		{"__ZN12IOUserClient9metaClassE", NULL},
		{"_IOLog", NULL},
		{"__ZN99", NULL},
		{"__ZN", NULL},
	};
	json_t *cat = NULL;

	(void)state;
	assert_int_equal(mx_catalogue_load("kpi_catalogue.json", &cat), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = mx_catalogue_bind_symbol(cat, rows[i].sym);

		if ((got == NULL) != (rows[i].family == NULL) ||
		    (got && strcmp(got, rows[i].family) != 0))
			fail_msg("%s bound to %s", rows[i].sym, got ? got : "(none)");
	}
	json_decref(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_exceptions_and_messages),
		cmocka_unit_test(test_binding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
