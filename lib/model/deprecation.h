#pragma once
/*
 * The deprecated-KPI classifier (kexts.md §7.6). It takes facts, not files: the undefined
 * symbols of one executable slice and the kext's effective OSBundleLibraries for that
 * slice's architecture, and returns the categories of data/deprecated_kpis.json the kext
 * falls into, with the evidence. mx_kpi_outcome() turns a match into what a release does.
 */
#include <jansson.h>
#include <stddef.h>

#include "macext/kext.h"
#include "macext/macho.h"

struct mx_kpi_table {
	json_t *deprecated; /* data/deprecated_kpis.json */
	json_t *catalogue;  /* data/kpi_catalogue.json (binds symbols to families) */
	struct macext_macos_version policy_start;
	struct macext_macos_version legacy_alert_since;
	struct macext_macos_version legacy_alert_until; /* first release without the alert */
};

struct mx_kpi_match {
	const char *id;          /* category id, e.g. "kauth" (borrowed from the table) */
	const char *name;        /* "KAUTH" */
	const char *replacement; /* "EndpointSecurity" */
	const char *source;      /* "seed-000" */
	bool has_deprecated, has_unsupported, has_obligatory;
	struct macext_macos_version deprecated, unsupported, obligatory;
	char *evidence; /* "symbols _kauth_listen_scope" / "com.apple.iokit.IOHIDFamily (...)" */
};

enum mx_kpi_outcome {
	MX_KPI_NONE,             /* this release says nothing about it */
	MX_KPI_DEPRECATED,       /* 10.15-10.15.3: deprecated, loads */
	MX_KPI_DEPRECATED_ALERT, /* 10.15.4+: loads, with the Legacy System Extension alert */
	MX_KPI_REFUSED,          /* unsupported on this release: not loaded by default */
	MX_KPI_EXEMPT_SIP,       /* unsupported, but SIP's kext protection is off */
	MX_KPI_EXEMPT_MDM,       /* unsupported, but an MDM payload approves the kext */
	MX_KPI_OBLIGATORY,       /* 12.3+ audio/Bluetooth/SCSI: migration called obligatory
				    by a third-party source; loads (kexts.md §9 P13) */
};

/* Loads both tables. *RET is the caller's (mx_kpi_table_free). 0, -ENOMEM or -EBADMSG. */
int mx_kpi_table_load(struct mx_kpi_table **ret);
void mx_kpi_table_free(struct mx_kpi_table *t);

/* Classifies one slice: IMPORTS (may be NULL with N 0) and the effective libraries. *RET
 * is the caller's (mx_kpi_matches_free), in table order. Returns 0 or -ENOMEM. */
int mx_kpi_classify(const struct mx_kpi_table *t, const struct macext_import *imports,
		    size_t nimports, const struct macext_kext_library *libs, size_t nlibs,
		    struct mx_kpi_match **ret, size_t *ret_n);
void mx_kpi_matches_free(struct mx_kpi_match *m, size_t n);

/* What release V does with a kext in category M; FLAGS are MACEXT_AUDIT_* bits. */
enum mx_kpi_outcome mx_kpi_outcome(const struct mx_kpi_table *t, const struct mx_kpi_match *m,
				   const struct macext_macos_version *v, unsigned flags);

/* The audit sentence for outcome O of M for the kext BUNDLE_ID; NULL on ENOMEM or for
 * MX_KPI_NONE. The caller frees it. */
char *mx_kpi_message(const struct mx_kpi_match *m, enum mx_kpi_outcome o, const char *bundle_id);
