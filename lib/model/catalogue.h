#pragma once
/*
 * The catalogues of data/ (embedded with mx_data_get), read with jansson. Each lookup
 * parses the small JSON document it needs, so the library keeps no global state.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/kext.h"

/* Parses the embedded data file NAME ("kpi_catalogue.json") into *RET (the caller's,
 * json_decref). Returns 0, -ENOENT (not embedded), -EBADMSG (not valid JSON) or -ENOMEM. */
int mx_catalogue_load(const char *name, json_t **ret);

/* Parses a macOS version written in a data file ("10.15.4", "11.0") without checking it
 * against the release table. Returns 0 or -EINVAL. */
int mx_macos_parse_loose(const char *text, struct macext_macos_version *ret);

/* The Darwin version of release V ("19.6.0" for 10.15.7) into BUF. Returns 0 or -EINVAL
 * for an unknown release. */
int mx_macos_darwin_version(const struct macext_macos_version *v, char buf[static 16]);

/* An I/O Kit family or KPI kext with the class-name and C-symbol prefixes that bind a
 * symbol to it (kpi_catalogue.json). Strings point into the JSON document. */
struct mx_family {
	const char *id;
	json_t *classes;         /* array of strings, or NULL */
	json_t *symbol_prefixes; /* array of strings, or NULL */
};

/* The family a symbol binds to, by the longest matching class or symbol prefix among the
 * catalogue's kexts, or NULL. CAT is the parsed kpi_catalogue.json. */
const char *mx_catalogue_bind_symbol(json_t *cat, const char *symbol);

/* The class name a mangled C++ symbol is about: "__ZN11IOHIDDevice9metaClassE" ->
 * "IOHIDDevice" (length 11 in *RET_LEN). Handles __ZN, __ZNK, __ZTV, __ZTS, __ZTI and the
 * constructor/destructor forms. Returns false for anything else. */
bool mx_cxx_class_name(const char *symbol, const char **ret, size_t *ret_len);
