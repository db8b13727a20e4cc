/*
 * lib/model/profile_validate.c: the profile envelope and its payload list
 * (reference/mdm-sysext.md §1.2, §1.3, §1.5, §1.7). Payload contents are checked in
 * profile_payloads.c.
 *
 * The walk reads only what libplist built (the reader has already bounded its depth and
 * size) and descends at most four levels below a payload, so it needs no depth counter of
 * its own. Every finding carries the key path of what it is about, as
 * "PayloadContent[1].AllowedKernelExtensions.UBF8T346G9[0]"; an envelope finding about the
 * whole profile has the path of its key ("PayloadType").
 *
 * Rules and severities come from §1.7; what the reference leaves open is ours [proposal]:
 *   profile.key.unknown is a note (the reference's level; real files carry extra keys);
 *   profile.uuid.duplicate (two PayloadUUIDs equal) is an error, like duplicate ids;
 *   profile.identifier.empty is an error ("error if missing or empty");
 *   profile.payload.too-new warns for a payload type newer than --macos.
 */
#include "macext/profile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/der.h"
#include "model/profile_plist.h"
#include "util/reader.h"

#define NOTE MACEXT_SEVERITY_NOTE
#define WARN MACEXT_SEVERITY_WARNING
#define ERR MACEXT_SEVERITY_ERROR

/* Seconds from 1970-01-01 to 2001-01-01, the epoch of plist dates. */
#define PLIST_EPOCH_OFFSET 978307200LL

/* ---- helpers (profile_plist.h) ---------------------------------------------------------- */

static bool needs_quotes(const char *key)
{
	if (!*key)
		return true;
	for (const char *c = key; *c; c++)
		if (*c == '.' || *c == '[' || *c == ']' || *c == '"' || *c == ' ' || *c == '\t' ||
		    *c == '\n' || *c == '\r')
			return true;
	return false;
}

static void kpath_append(struct mx_kpath *k, const char *s)
{
	size_t n = strlen(s), room = sizeof(k->buf) - k->len;

	if (n < room) {
		memcpy(k->buf + k->len, s, n + 1);
		k->len += n;
		return;
	}
	/* cut, and say so */
	if (room > 4) {
		memcpy(k->buf + k->len, s, room - 4);
		memcpy(k->buf + sizeof(k->buf) - 4, "...", 4);
	}
	k->len = sizeof(k->buf) - 1;
}

size_t mx_kpath_key(struct mx_kpath *k, const char *key)
{
	size_t old = k->len;

	if (k->len)
		kpath_append(k, ".");
	if (!needs_quotes(key)) {
		kpath_append(k, key);
		return old;
	}
	kpath_append(k, "\"");
	for (const char *c = key; *c; c++) {
		char one[3] = {*c, 0, 0};

		if (*c == '"' || *c == '\\') {
			one[0] = '\\';
			one[1] = *c;
		}
		kpath_append(k, one);
	}
	kpath_append(k, "\"");
	return old;
}

size_t mx_kpath_index(struct mx_kpath *k, size_t i)
{
	size_t old = k->len;
	char buf[32];

	snprintf(buf, sizeof(buf), "[%zu]", i);
	kpath_append(k, buf);
	return old;
}

void mx_kpath_pop(struct mx_kpath *k, size_t len)
{
	k->len = len;
	k->buf[len] = '\0';
}

const char *mx_pv_type_name(plist_t node)
{
	switch (plist_get_node_type(node)) {
	case PLIST_BOOLEAN:
		return "boolean";
	case PLIST_UINT:
		return "integer";
	case PLIST_REAL:
		return "real";
	case PLIST_STRING:
		return "string";
	case PLIST_ARRAY:
		return "array";
	case PLIST_DICT:
		return "dictionary";
	case PLIST_DATE:
		return "date";
	case PLIST_DATA:
		return "data";
	default:
		return "other";
	}
}

const char *mx_pv_str(plist_t node)
{
	if (!node || plist_get_node_type(node) != PLIST_STRING)
		return NULL;
	return plist_get_string_ptr(node, NULL);
}

plist_t mx_pv_get(plist_t dict, const char *key)
{
	if (!dict || plist_get_node_type(dict) != PLIST_DICT)
		return NULL;
	return plist_dict_get_item(dict, key);
}

bool mx_pv_true(plist_t node)
{
	uint8_t b = 0;

	if (!node || plist_get_node_type(node) != PLIST_BOOLEAN)
		return false;
	plist_get_bool_val(node, &b);
	return b != 0;
}

bool mx_pv_team_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n == 10;
}

bool mx_pv_bundle_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '.'))
			return false;
	return n > 0 && n <= 63;
}

void mx_pv_add(struct mx_pv *v, enum macext_severity sev, const char *rule, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int r;

	if (v->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = macext_findings_add(v->f, sev, rule, v->file, v->path.len ? v->path.buf : NULL,
				NULL, NULL, "%s", msg);
	if (r < 0)
		v->err = r;
}

bool mx_pv_too_new(const struct mx_pv *v, const char *since)
{
	struct macext_macos_version s = {0};
	unsigned *part[3] = {&s.major, &s.minor, &s.patch};
	unsigned i = 0;

	if (!v->have_macos)
		return false;
	for (const char *c = since; *c && i < 3; c++) {
		if (*c == '.')
			i++;
		else
			*part[i] = *part[i] * 10 + (unsigned)(*c - '0');
	}
	return macext_macos_cmp(&v->macos, &s) < 0;
}

/* ---- the envelope --------------------------------------------------------------------------- */

enum ktype {
	K_STRING,
	K_INT,
	K_BOOL,
	K_NUMBER, /* real, integers accepted */
	K_DATE,
	K_DATA,
	K_ARRAY,
	K_DICT,
};

struct key_spec {
	const char *key;
	enum ktype type;
	bool required;
};

static const struct key_spec top_keys[] = {
	{"PayloadIdentifier", K_STRING, true},	 {"PayloadUUID", K_STRING, true},
	{"PayloadType", K_STRING, true},	 {"PayloadVersion", K_INT, true},
	{"PayloadContent", K_ARRAY, false},	 {"IsEncrypted", K_BOOL, false},
	{"EncryptedPayloadContent", K_DATA, false}, {"PayloadDisplayName", K_STRING, false},
	{"PayloadDescription", K_STRING, false}, {"PayloadOrganization", K_STRING, false},
	{"HasRemovalPasscode", K_BOOL, false},	 {"PayloadRemovalDisallowed", K_BOOL, false},
	{"PayloadScope", K_STRING, false},	 {"RemovalDate", K_DATE, false},
	{"DurationUntilRemoval", K_NUMBER, false}, {"PayloadExpirationDate", K_DATE, false},
	{"TargetDeviceType", K_INT, false},	 {"ConsentText", K_DICT, false},
};

/* Common payload keys (§1.3); the type-specific ones are profile_payloads.c's. */
static const struct key_spec payload_keys[] = {
	{"PayloadType", K_STRING, true},	{"PayloadIdentifier", K_STRING, true},
	{"PayloadUUID", K_STRING, true},	{"PayloadVersion", K_INT, true},
	{"PayloadDisplayName", K_STRING, false}, {"PayloadDescription", K_STRING, false},
	{"PayloadOrganization", K_STRING, false}, {"PayloadEnabled", K_BOOL, false},
};

static bool type_ok(plist_t node, enum ktype t)
{
	plist_type pt = plist_get_node_type(node);

	switch (t) {
	case K_STRING:
		return pt == PLIST_STRING;
	case K_INT:
		return pt == PLIST_UINT;
	case K_BOOL:
		return pt == PLIST_BOOLEAN;
	case K_NUMBER:
		return pt == PLIST_REAL || pt == PLIST_UINT;
	case K_DATE:
		return pt == PLIST_DATE;
	case K_DATA:
		return pt == PLIST_DATA;
	case K_ARRAY:
		return pt == PLIST_ARRAY;
	case K_DICT:
		return pt == PLIST_DICT;
	}
	return false;
}

static const char *const ktype_names[] = {
	[K_STRING] = "string", [K_INT] = "integer", [K_BOOL] = "boolean", [K_NUMBER] = "real",
	[K_DATE] = "date",     [K_DATA] = "data",	[K_ARRAY] = "array", [K_DICT] = "dictionary",
};

/* Type of each known key, profile.key.missing for required ones. Unknown keys are a note
 * when REPORT_UNKNOWN. */
static void check_keys(struct mx_pv *v, plist_t dict, const struct key_spec *specs, size_t n,
		       bool report_unknown)
{
	for (size_t i = 0; i < n; i++) {
		plist_t val = plist_dict_get_item(dict, specs[i].key);
		size_t old = mx_kpath_key(&v->path, specs[i].key);

		if (!val && specs[i].required)
			mx_pv_add(v, ERR, "profile.key.missing", "required key %s is missing",
				  specs[i].key);
		else if (val && !type_ok(val, specs[i].type))
			mx_pv_add(v, ERR, "profile.key.type", "%s must be a %s, not a %s",
				  specs[i].key, ktype_names[specs[i].type], mx_pv_type_name(val));
		mx_kpath_pop(&v->path, old);
	}
	if (!report_unknown)
		return;
	plist_dict_iter it = NULL;
	char *key = NULL;
	plist_t val = NULL;

	plist_dict_new_iter(dict, &it);
	for (;;) {
		bool known = false;

		plist_dict_next_item(dict, it, &key, &val);
		if (!key)
			break;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(key, specs[i].key) == 0;
		if (!known) {
			size_t old = mx_kpath_key(&v->path, key);

			mx_pv_add(v, NOTE, "profile.key.unknown", "unknown key %s (kept)", key);
			mx_kpath_pop(&v->path, old);
		}
		free(key);
		key = NULL;
	}
	free(it);
}

/* A node of the right type at KEY, or NULL (type errors were reported by check_keys). */
static plist_t typed(plist_t dict, const char *key, plist_type t)
{
	plist_t val = plist_dict_get_item(dict, key);

	return val && plist_get_node_type(val) == t ? val : NULL;
}

static bool uuid_shape_ok(const char *s)
{
	static const unsigned groups[] = {8, 4, 4, 4, 12};
	const char *c = s;

	for (unsigned g = 0; g < 5; g++) {
		for (unsigned i = 0; i < groups[g]; i++, c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
			      (*c >= 'A' && *c <= 'F')))
				return false;
		if (g < 4 && *c++ != '-')
			return false;
	}
	return *c == '\0';
}

/* PayloadIdentifier, PayloadUUID, PayloadVersion and PayloadType of the envelope or a
 * payload (the checks they share). */
static void check_ids(struct mx_pv *v, plist_t dict)
{
	plist_t n;
	const char *s;
	size_t old;

	s = mx_pv_str(plist_dict_get_item(dict, "PayloadIdentifier"));
	old = mx_kpath_key(&v->path, "PayloadIdentifier");
	if (s && !*s)
		mx_pv_add(v, ERR, "profile.identifier.empty", "PayloadIdentifier is empty");
	mx_kpath_pop(&v->path, old);
	s = mx_pv_str(plist_dict_get_item(dict, "PayloadUUID"));
	old = mx_kpath_key(&v->path, "PayloadUUID");
	if (s && !uuid_shape_ok(s))
		mx_pv_add(v, WARN, "profile.uuid.shape",
			  "PayloadUUID '%s' is not 8-4-4-4-12 hexadecimal digits", s);
	mx_kpath_pop(&v->path, old);
	n = typed(dict, "PayloadVersion", PLIST_UINT);
	old = mx_kpath_key(&v->path, "PayloadVersion");
	if (n && plist_uint_val_compare(n, 1) != 0) {
		uint64_t val = 0;

		plist_get_uint_val(n, &val);
		mx_pv_add(v, ERR, "profile.version", "PayloadVersion is %lld; the only version is 1",
			  (long long)val);
	}
	mx_kpath_pop(&v->path, old);
}

/* Earlier seen values of one key across the payloads, to find duplicates. */
struct seen {
	const char *v[512];
	size_t n;
};

static long seen_index(struct seen *s, const char *val)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], val) == 0)
			return (long)i;
	if (s->n < sizeof(s->v) / sizeof(s->v[0]))
		s->v[s->n++] = val;
	return -1;
}

struct payload_summary {
	size_t n_kext, n_sysext;
	int overrides, non_admin; /* -1 unset, else the first value; 2 = conflicting */
};

static void merge_flag(int *acc, plist_t node)
{
	int val;

	if (!node || plist_get_node_type(node) != PLIST_BOOLEAN)
		return;
	val = mx_pv_true(node) ? 1 : 0;
	if (*acc == -1)
		*acc = val;
	else if (*acc != val)
		*acc = 2;
}

static void check_payload(struct mx_pv *v, plist_t pl, struct payload_summary *sum)
{
	const char *type = mx_pv_str(plist_dict_get_item(pl, "PayloadType"));
	bool kext = type && strcmp(type, MX_PROFILE_KEXT_TYPE) == 0;
	bool sysext = type && strcmp(type, MX_PROFILE_SYSEXT_TYPE) == 0;

	check_keys(v, pl, payload_keys, sizeof(payload_keys) / sizeof(payload_keys[0]), false);
	check_ids(v, pl);
	if (kext) {
		sum->n_kext++;
		merge_flag(&sum->overrides, plist_dict_get_item(pl, "AllowUserOverrides"));
		merge_flag(&sum->non_admin, plist_dict_get_item(pl, "AllowNonAdminUserApprovals"));
		if (mx_pv_too_new(v, "10.13.2"))
			mx_pv_add(v, WARN, "profile.payload.too-new",
				  "%s needs macOS 10.13.2 or later", type);
		mx_pv_kext_payload(v, pl);
	} else if (sysext) {
		sum->n_sysext++;
		if (mx_pv_too_new(v, "10.15"))
			mx_pv_add(v, WARN, "profile.payload.too-new",
				  "%s needs macOS 10.15 or later", type);
		mx_pv_sysext_payload(v, pl);
	} else if (type) {
		mx_pv_add(v, NOTE, "profile.payload.unknown-type",
			  "payload type %s is not modeled by macext; only its common keys were "
			  "checked",
			  type);
	}
}

static void check_payloads(struct mx_pv *v, plist_t content, struct payload_summary *sum)
{
	struct seen ids = {.n = 0}, uuids = {.n = 0};
	uint32_t n = plist_array_get_size(content);
	size_t base = mx_kpath_key(&v->path, "PayloadContent");

	for (uint32_t i = 0; i < n; i++) {
		plist_t pl = plist_array_get_item(content, i);
		size_t old = mx_kpath_index(&v->path, i);
		const char *s;

		if (plist_get_node_type(pl) != PLIST_DICT) {
			mx_pv_add(v, ERR, "profile.key.type",
				  "a PayloadContent item must be a dictionary, not a %s",
				  mx_pv_type_name(pl));
			mx_kpath_pop(&v->path, old);
			continue;
		}
		check_payload(v, pl, sum);
		s = mx_pv_str(plist_dict_get_item(pl, "PayloadIdentifier"));
		if (s && seen_index(&ids, s) >= 0) {
			size_t o2 = mx_kpath_key(&v->path, "PayloadIdentifier");

			mx_pv_add(v, ERR, "profile.payload.duplicate-id",
				  "PayloadIdentifier %s is already used by another payload", s);
			mx_kpath_pop(&v->path, o2);
		}
		s = mx_pv_str(plist_dict_get_item(pl, "PayloadUUID"));
		if (s && seen_index(&uuids, s) >= 0) {
			size_t o2 = mx_kpath_key(&v->path, "PayloadUUID");

			mx_pv_add(v, ERR, "profile.uuid.duplicate",
				  "PayloadUUID %s is already used by another payload", s);
			mx_kpath_pop(&v->path, o2);
		}
		mx_kpath_pop(&v->path, old);
	}
	mx_kpath_pop(&v->path, base);
}

/* EncryptedPayloadContent must be a DER ContentInfo of type envelopedData (§1.5). */
static bool enveloped_shape(plist_t data)
{
	static const uint8_t oid_env[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
	struct mx_reader rd, in;
	struct mx_der ci, oid;
	uint64_t len = 0;
	const char *p = plist_get_data_ptr(data, &len);

	if (!p)
		return false;
	mx_rd_init(&rd, p, (size_t)len, 0);
	if (mx_der_expect(&rd, MX_DER_SEQUENCE, &ci, NULL) < 0)
		return false;
	mx_der_enter(&ci, &in);
	return mx_der_expect(&in, MX_DER_OID, &oid, NULL) == 0 &&
	       mx_der_is_oid(&oid, oid_env, sizeof(oid_env));
}

static void check_encryption(struct mx_pv *v, plist_t root, plist_t content)
{
	plist_t enc = typed(root, "EncryptedPayloadContent", PLIST_DATA);
	bool is_enc = mx_pv_true(plist_dict_get_item(root, "IsEncrypted"));
	size_t old;

	if (!enc && !plist_dict_get_item(root, "EncryptedPayloadContent")) {
		old = mx_kpath_key(&v->path, "IsEncrypted");
		if (is_enc)
			mx_pv_add(v, ERR, "profile.encrypted.missing",
				  "IsEncrypted is true but EncryptedPayloadContent is missing");
		mx_kpath_pop(&v->path, old);
		if (!content && !is_enc && !plist_dict_get_item(root, "PayloadContent")) {
			old = mx_kpath_key(&v->path, "PayloadContent");
			mx_pv_add(v, ERR, "profile.key.missing",
				  "required key PayloadContent is missing");
			mx_kpath_pop(&v->path, old);
		}
		return;
	}
	old = mx_kpath_key(&v->path, "EncryptedPayloadContent");
	if (enc && !enveloped_shape(enc))
		mx_pv_add(v, ERR, "profile.encrypted.not-enveloped",
			  "EncryptedPayloadContent is not a cms enveloped-data structure");
	else if (enc)
		mx_pv_add(v, NOTE, "profile.encrypted",
			  "the payloads are encrypted (cms enveloped data); they cannot be checked "
			  "without the recipient's private key");
	if (plist_dict_get_item(root, "PayloadContent"))
		mx_pv_add(v, WARN, "profile.encrypted.both",
			  "both PayloadContent and EncryptedPayloadContent are present; "
			  "PayloadContent is used only when IsEncrypted is false");
	if (!is_enc)
		mx_pv_add(v, WARN, "profile.encrypted.flag",
			  "EncryptedPayloadContent is present but IsEncrypted is not true");
	mx_kpath_pop(&v->path, old);
}

static void check_dates(struct mx_pv *v, plist_t root, int64_t now)
{
	static const char *const keys[] = {"PayloadExpirationDate", "RemovalDate"};

	for (size_t i = 0; i < 2; i++) {
		plist_t d = typed(root, keys[i], PLIST_DATE);
		int32_t sec = 0, usec = 0;
		size_t old;

		if (!d)
			continue;
		plist_get_date_val(d, &sec, &usec);
		if ((int64_t)sec + PLIST_EPOCH_OFFSET > now)
			continue;
		old = mx_kpath_key(&v->path, keys[i]);
		mx_pv_add(v, WARN, "profile.expired", "%s is in the past at the modeled time",
			  keys[i]);
		mx_kpath_pop(&v->path, old);
	}
}

static void check_scalars(struct mx_pv *v, plist_t root, bool ext)
{
	const char *s;
	plist_t n;
	size_t old;

	s = mx_pv_str(plist_dict_get_item(root, "PayloadType"));
	old = mx_kpath_key(&v->path, "PayloadType");
	if (s && strcmp(s, "Configuration") != 0)
		mx_pv_add(v, ERR, "profile.type",
			  "PayloadType is '%s'; a profile's type must be Configuration", s);
	mx_kpath_pop(&v->path, old);

	s = mx_pv_str(plist_dict_get_item(root, "PayloadScope"));
	old = mx_kpath_key(&v->path, "PayloadScope");
	if (s && strcmp(s, "System") != 0 && strcmp(s, "User") != 0)
		mx_pv_add(v, ERR, "profile.scope.value",
			  "PayloadScope is '%s'; it must be System or User", s);
	else if (s && strcmp(s, "User") == 0 && ext)
		mx_pv_add(v, ERR, "profile.scope.user",
			  "kernel and system extension payloads are device-channel only; "
			  "PayloadScope User cannot carry them");
	mx_kpath_pop(&v->path, old);

	n = typed(root, "TargetDeviceType", PLIST_UINT);
	old = mx_kpath_key(&v->path, "TargetDeviceType");
	if (n && plist_uint_val_compare(n, 0) != 0 && plist_uint_val_compare(n, 5) != 0)
		mx_pv_add(v, ERR, "profile.target-device",
			  "TargetDeviceType is not 0 (any) or 5 (Mac): a Mac refuses the profile");
	mx_kpath_pop(&v->path, old);

	old = mx_kpath_key(&v->path, "PayloadRemovalDisallowed");
	if (ext && mx_pv_true(plist_dict_get_item(root, "PayloadRemovalDisallowed")))
		mx_pv_add(v, NOTE, "profile.removal-disallowed",
			  "PayloadRemovalDisallowed has no effect on a profile installed by MDM, "
			  "which users can never remove (macOS 10.15+)");
	mx_kpath_pop(&v->path, old);
}

static void check_consent(struct mx_pv *v, plist_t root)
{
	plist_t ct = typed(root, "ConsentText", PLIST_DICT);
	plist_dict_iter it = NULL;
	char *key = NULL;
	plist_t val = NULL;
	size_t base;

	if (!ct)
		return;
	base = mx_kpath_key(&v->path, "ConsentText");
	plist_dict_new_iter(ct, &it);
	for (;;) {
		plist_dict_next_item(ct, it, &key, &val);
		if (!key)
			break;
		if (plist_get_node_type(val) != PLIST_STRING) {
			size_t old = mx_kpath_key(&v->path, key);

			mx_pv_add(v, WARN, "profile.consent.type",
				  "consent text for '%s' is a %s, not a string", key,
				  mx_pv_type_name(val));
			mx_kpath_pop(&v->path, old);
		}
		free(key);
		key = NULL;
	}
	free(it);
	mx_kpath_pop(&v->path, base);
}

int macext_profile_validate(const struct macext_profile *p,
			    const struct macext_profile_validate_opts *opts, const char *file,
			    struct macext_findings *findings)
{
	struct mx_pv v = {.file = file, .f = findings};
	struct payload_summary sum = {.overrides = -1, .non_admin = -1};
	plist_t root, content;
	int64_t now = opts ? opts->now : 0;

	if (!p || !findings)
		return -EINVAL;
	if (opts && opts->macos) {
		v.have_macos = true;
		v.macos = *opts->macos;
	}
	root = p->root;
	if (p->form == MACEXT_PROFILE_BINARY || (p->form == MACEXT_PROFILE_CMS && p->plist_binary))
		mx_pv_add(&v, NOTE, "profile.plist.binary",
			  "the profile is a binary plist; macOS documents only xml (accepted)");
	if (!root || plist_get_node_type(root) != PLIST_DICT) {
		mx_pv_add(&v, ERR, "profile.plist.root",
			  "the root of a profile must be a dictionary, not a %s",
			  root ? mx_pv_type_name(root) : "nothing");
		return v.err;
	}
	check_keys(&v, root, top_keys, sizeof(top_keys) / sizeof(top_keys[0]), true);
	check_ids(&v, root);
	content = typed(root, "PayloadContent", PLIST_ARRAY);
	check_encryption(&v, root, content);
	if (content)
		check_payloads(&v, content, &sum);
	check_scalars(&v, root, sum.n_kext + sum.n_sysext > 0);
	check_dates(&v, root, now);
	check_consent(&v, root);
	if (sum.n_kext + sum.n_sysext > 0)
		mx_pv_add(&v, NOTE, "profile.manual-install",
			  "installable only by MDM on a Mac with user-approved or ADE enrolment");
	if (sum.overrides == 2 || sum.non_admin == 2) {
		size_t old = mx_kpath_key(&v.path, "PayloadContent");

		mx_pv_add(&v, WARN, "kext.multi.conflict",
			  "kernel extension payloads set %s differently; an explicit false wins",
			  sum.overrides == 2 ? "AllowUserOverrides" : "AllowNonAdminUserApprovals");
		mx_kpath_pop(&v.path, old);
	}
	return v.err;
}
