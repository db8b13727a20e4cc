/*
 * lib/machine/profiles.c: configuration profiles installed on the modeled Mac
 * (reference/mdm-sysext.md §1.6, §4.2, §4.5, §8 U-18 U-20 U-30; kexts.md §9 P9).
 *
 * Layout (U-30): var/db/ConfigurationProfiles/Store/<sha256 of the bytes>.mobileconfig holds
 * each profile exactly as received, one file per installed PayloadIdentifier, and
 * Store/index.plist is an array in install order of {PayloadIdentifier, PayloadUUID,
 * InstallDate, Source (mdm/manual), SignatureStatus, SignerCertificates (subjects), File}.
 * Decisions re-read these files; kext_policy_mdm in KextPolicy is a mirror (P9, U-19).
 *
 * Invariants:
 * 1. index.plist is the commit point. A change writes the new profile file first (a new
 *    name; the bytes decide it), then, inside one store transaction, replaces the
 *    kext_policy_mdm rows, writes index.plist atomically and commits. If the commit fails
 *    the previous index bytes are written back; a file no index names is removed. So any
 *    failure leaves the index, the mirror and the store as they were.
 * 2. Install = MDM InstallProfile (U-18): the profile is verified against .macext/trust/
 *    and validated for the modeled release; error findings refuse it. The two extension
 *    payloads need enrolment user-approved or ade (§1.6, §4.5); a manual install
 *    (double-click) never delivers them. The same identifier replaces (§4.2); a manual
 *    install does not replace a signed profile with another signer's.
 * 3. Remove = MDM RemoveProfile; a user (MANUAL) cannot remove an MDM profile on 10.15+.
 * 4. The replaced or removed file is deleted after the commit; a crash there leaves an
 *    orphan file, never a dangling index entry.
 */
#define _GNU_SOURCE /* DT_REG */
#include "machine/profiles.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "macext/finding.h"
#include "macext/machine.h"
#include "macext/profile.h"
#include "machine/eventlog.h"
#include "machine/machine.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define PROFILE_MAX ((size_t)16 << 20)
#define INDEX_MAX ((size_t)4 << 20)
#define ANCHORS_MAX 16
#define MAC_EPOCH 978307200 /* 2001-01-01T00:00:00Z: plist dates count from here */

static const char *dstr(plist_t dict, const char *key)
{
	plist_t n = dict ? plist_dict_get_item(dict, key) : NULL;

	return n && plist_get_node_type(n) == PLIST_STRING ? plist_get_string_ptr(n, NULL) : NULL;
}

/* ---- the index ------------------------------------------------------------------------ */

struct index {
	plist_t arr;
	char *raw; /* the bytes on disk, to put back after a failed commit; NULL if none */
	size_t raw_len;
};

static void index_free(struct index *ix)
{
	plist_free(ix->arr);
	mx_free(ix->raw);
	memset(ix, 0, sizeof(*ix));
}

static int index_load(const struct macext_ctx *ctx, struct index *ix, struct macext_diag *diag)
{
	char *path;
	int r;

	memset(ix, 0, sizeof(*ix));
	r = mx_machine_check_exists(ctx->root, diag);
	if (r < 0)
		return r;
	path = mx_path_join(ctx->root, MX_PROFILES_INDEX);
	if (!path)
		return -ENOMEM;
	r = mx_read_file(path, INDEX_MAX, &ix->raw, &ix->raw_len, NULL);
	mx_free(path);
	if (r == -ENOENT) {
		ix->arr = plist_new_array();
		return ix->arr ? 0 : -ENOMEM;
	}
	if (r < 0)
		return mx_diag_fail_nopos(diag, r == -ENOMEM ? r : MACEXT_E_BAD_MACHINE,
					  "%s: cannot read: %s", MX_PROFILES_INDEX,
					  macext_strerror(r));
	plist_from_memory(ix->raw, (uint32_t)ix->raw_len, &ix->arr);
	if (!ix->arr || plist_get_node_type(ix->arr) != PLIST_ARRAY) {
		index_free(ix);
		return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s: not an array",
					  MX_PROFILES_INDEX);
	}
	for (uint32_t i = 0; i < plist_array_get_size(ix->arr); i++) {
		plist_t e = plist_array_get_item(ix->arr, i);
		const char *file = dstr(e, "File");

		if (!dstr(e, "PayloadIdentifier") || !file || strchr(file, '/') || file[0] == '.') {
			index_free(ix);
			return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE,
						  "%s: entry %u is malformed", MX_PROFILES_INDEX, i);
		}
	}
	return 0;
}

static long index_find(const struct index *ix, const char *identifier)
{
	for (uint32_t i = 0; i < plist_array_get_size(ix->arr); i++) {
		const char *id = dstr(plist_array_get_item(ix->arr, i), "PayloadIdentifier");

		if (strcmp(id, identifier) == 0)
			return (long)i;
	}
	return -1;
}

static char *store_path(const struct macext_ctx *ctx, const char *file)
{
	char *dir = mx_path_join(ctx->root, MX_PROFILES_DIR), *p;

	p = dir ? mx_path_join(dir, file) : NULL;
	mx_free(dir);
	return p;
}

/* Reads the stored profile of index entry E and appends its extension payloads. */
static int entry_payloads(const struct macext_ctx *ctx, plist_t e, struct mx_payload **v,
			  size_t *n, plist_t *ret_root, struct macext_diag *diag)
{
	const char *file = dstr(e, "File");
	char *path = store_path(ctx, file), *buf = NULL;
	struct macext_profile *p = NULL;
	struct macext_diag d = {0};
	size_t len = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = mx_read_file(path, PROFILE_MAX, &buf, &len, NULL);
	mx_free(path);
	if (r == 0)
		r = macext_profile_read(&p, buf, len, &d);
	if (r == 0 && v)
		r = mx_payloads_from_plist(p->root, dstr(e, "PayloadIdentifier"), v, n);
	if (r == 0 && ret_root) {
		*ret_root = plist_copy(p->root);
		r = *ret_root ? 0 : -ENOMEM;
	}
	if (r < 0 && r != -ENOMEM)
		r = mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s/%s: %s", MX_PROFILES_DIR,
				       file, d.msg[0] ? d.msg : macext_strerror(r));
	macext_profile_free(p);
	mx_free(buf);
	return r;
}

/* Payloads of every entry but SKIP (-1: none), or of ONLY (>= 0: just that one). */
static int index_payloads(const struct macext_ctx *ctx, const struct index *ix, long skip,
			  long only, struct mx_payload **v, size_t *n, struct macext_diag *diag)
{
	int r = 0;

	*v = NULL;
	*n = 0;
	for (uint32_t i = 0; i < plist_array_get_size(ix->arr) && r == 0; i++) {
		if ((long)i == skip || (only >= 0 && (long)i != only))
			continue;
		r = entry_payloads(ctx, plist_array_get_item(ix->arr, i), v, n, NULL, diag);
	}
	if (r < 0) {
		mx_payloads_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return r;
}

static bool file_referenced(const struct index *ix, const char *file)
{
	for (uint32_t i = 0; i < plist_array_get_size(ix->arr); i++)
		if (strcmp(dstr(plist_array_get_item(ix->arr, i), "File"), file) == 0)
			return true;
	return false;
}

/* ---- machine facts ---------------------------------------------------------------------- */

static int machine_facts(const struct macext_ctx *ctx, struct macext_machine_info **mi,
			 struct macext_diag *diag)
{
	return macext_machine_load(ctx, mi, diag);
}

static bool uamdm(const struct macext_machine_info *mi)
{
	return strcmp(mi->enrollment, "user-approved") == 0 || strcmp(mi->enrollment, "ade") == 0;
}

static int finish_policy(struct macext_effective_policy *p, const struct macext_machine_info *mi)
{
	mx_profiles_machine_fields(p, &mi->macos, mi->enrollment);
	p->enrollment = mx_strdup(mi->enrollment);
	return p->enrollment ? 0 : -ENOMEM;
}

/* ---- the commit ------------------------------------------------------------------------- */

static int open_kextpolicy(const struct macext_ctx *ctx, const struct macext_machine_info *mi,
			   struct macext_store **ret, struct macext_diag *diag)
{
	struct macext_macos_version v11 = {11, 0, 0};
	char *path = mx_path_join(ctx->root, MX_KEXTPOLICY_DB);
	int r;

	if (!path)
		return -ENOMEM;
	r = macext_store_open(ret, "sqlite", path, macext_macos_cmp(&mi->macos, &v11) >= 0
							   ? MACEXT_STORE_CDHASH
							   : 0,
			      diag);
	mx_free(path);
	return r;
}

/* Puts OLD's bytes back at PATH (allocates nothing: it runs when memory may be short). */
static int restore_index(const char *path, const struct index *old)
{
	if (old->raw)
		return mx_write_atomic(path, old->raw, old->raw_len, 0644);
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int write_index(const char *path, plist_t index)
{
	char *xml = NULL;
	uint32_t len = 0;
	int r;

	plist_to_xml(index, &xml, &len);
	if (!xml)
		return -ENOMEM;
	r = mx_write_atomic(path, xml, len, 0644);
	plist_to_xml_free(xml);
	return r;
}

/* Mirrors AFTER into kext_policy_mdm and writes NEW_INDEX, as one step (invariant 1). */
static int commit(const struct macext_ctx *ctx, const struct macext_machine_info *mi,
		  const struct index *old, plist_t new_index,
		  const struct macext_effective_policy *after, size_t *ret_rows,
		  struct macext_diag *diag)
{
	struct macext_kext_policy_mdm *rows = NULL;
	struct macext_store *s = NULL;
	char *index_path = mx_path_join(ctx->root, MX_PROFILES_INDEX);
	size_t n = 0;
	bool index_written = false;
	int r = index_path ? 0 : -ENOMEM;

	if (r == 0)
		r = mx_profiles_mdm_rows(after, &rows, &n);
	if (r == 0)
		r = open_kextpolicy(ctx, mi, &s, diag);
	if (r < 0)
		goto out;
	r = macext_store_begin(s);
	if (r == 0)
		r = macext_store_mdm_policy_replace_all(s, rows, n);
	if (r < 0) {
		*diag = *macext_store_diag(s);
		goto out;
	}
	r = write_index(index_path, new_index);
	if (r < 0) {
		mx_diag_fail_nopos(diag, r, "%s: cannot write: %s", MX_PROFILES_INDEX,
				   macext_strerror(r));
		goto out;
	}
	index_written = true;
	r = macext_store_commit(s);
	if (r < 0)
		*diag = *macext_store_diag(s);
out:
	if (r < 0 && index_written)
		restore_index(index_path, old);
	if (s && s->in_txn)
		macext_store_rollback(s);
	macext_store_close(s);
	mx_free(rows);
	mx_free(index_path);
	*ret_rows = n;
	return r;
}

static void remove_file(const struct macext_ctx *ctx, const char *file)
{
	char *path = store_path(ctx, file);

	if (path)
		unlink(path);
	mx_free(path);
}

static int result_deltas(struct macext_profiles_result *ret)
{
	int r = mx_profiles_diff(&ret->after, &ret->before, &ret->granted, &ret->ngranted);

	return r < 0 ? r : mx_profiles_diff(&ret->before, &ret->after, &ret->revoked, &ret->nrevoked);
}

void macext_profiles_result_clear(struct macext_profiles_result *r)
{
	if (!r)
		return;
	mx_free(r->granted);
	mx_free(r->revoked);
	macext_effective_policy_clear(&r->before);
	macext_effective_policy_clear(&r->after);
	memset(r, 0, sizeof(*r));
}

static json_t *entries_json(const struct macext_effective_entry *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s?}", "kind", v[i].kind, "team_id",
						   v[i].team_id, "item", v[i].item));
	return a;
}

/* The event-log line of a change; the log is informational, so its failure is ignored. */
static void log_change(const struct macext_ctx *ctx, const char *event,
		       const struct macext_profiles_result *ret)
{
	mx_eventlog_append(ctx, event,
			   json_pack("{s:s, s:o, s:o, s:s}", "identifier", ret->identifier,
				     "granted", entries_json(ret->granted, ret->ngranted),
				     "revoked", entries_json(ret->revoked, ret->nrevoked),
				     "sysext_changes",
				     macext_sysext_changes_name(ret->after.sysext_changes)));
}

/* ---- install ------------------------------------------------------------------------- */

struct anchors {
	struct macext_profile_anchor v[ANCHORS_MAX];
	char *bufs[ANCHORS_MAX];
	size_t n;
};

static void anchors_free(struct anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		mx_free(a->bufs[i]);
	a->n = 0;
}

/* The test anchors recorded by `machine init --trust-anchor` (.macext/trust/\*.pem). */
static int anchors_load(const struct macext_ctx *ctx, struct anchors *a)
{
	char *dir = mx_path_join(ctx->root, MX_TRUST_DIR);
	DIR *d;
	struct dirent *de;
	int r = 0;

	a->n = 0;
	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	while (d && r == 0 && a->n < ANCHORS_MAX && (de = readdir(d))) {
		size_t l = strlen(de->d_name), len = 0;
		char *p;

		if (l < 5 || strcmp(de->d_name + l - 4, ".pem") != 0)
			continue;
		p = mx_path_join(dir, de->d_name);
		r = p ? mx_read_file(p, (size_t)1 << 20, &a->bufs[a->n], &len, NULL) : -ENOMEM;
		mx_free(p);
		if (r == 0) {
			a->v[a->n].pem = a->bufs[a->n];
			a->v[a->n].len = len;
			a->n++;
		}
	}
	if (d)
		closedir(d);
	mx_free(dir);
	if (r < 0)
		anchors_free(a);
	return r == -ENOMEM ? r : 0;
}

static int sha256_name(const void *buf, size_t len, char out[80])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL))
		return -ENOMEM;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	snprintf(out + 64, 16, ".mobileconfig");
	return 0;
}

static int refuse(struct macext_profiles_result *ret, const char *why, const char *type)
{
	ret->status = MACEXT_PROFILES_REFUSED;
	if (type)
		snprintf(ret->reason, sizeof(ret->reason), "%s %s", type, why);
	else
		snprintf(ret->reason, sizeof(ret->reason), "%s", why);
	return 0;
}

/* §1.6 / §4.5 / U-18 / U-17: may this profile be installed this way on this Mac? */
static int admissible(plist_t root, const struct macext_machine_info *mi, unsigned flags,
		      struct macext_profiles_result *ret)
{
	plist_t content = plist_dict_get_item(root, "PayloadContent");
	plist_t enc = plist_dict_get_item(root, "IsEncrypted");
	uint8_t b = 0;

	if (enc && plist_get_node_type(enc) == PLIST_BOOLEAN)
		plist_get_bool_val(enc, &b);
	if (b || plist_dict_get_item(root, "EncryptedPayloadContent"))
		return refuse(ret, "encrypted profiles cannot be installed: decrypting needs the "
				   "device identity, which macext does not model (U-17)", NULL);
	for (uint32_t i = 0; content && i < plist_array_get_size(content); i++) {
		const char *type = dstr(plist_array_get_item(content, i), "PayloadType");

		if (!type || (strcmp(type, "com.apple.syspolicy.kernel-extension-policy") != 0 &&
			      strcmp(type, "com.apple.system-extension-policy") != 0))
			continue;
		if ((flags & MACEXT_PROFILES_MANUAL) || !uamdm(mi))
			return refuse(ret, "can only be installed by a user-approved MDM", type);
	}
	return 0;
}

static bool same_signers(plist_t old_entry, const struct macext_profile_sig *sig)
{
	plist_t arr = plist_dict_get_item(old_entry, "SignerCertificates");
	uint32_t n = arr && plist_get_node_type(arr) == PLIST_ARRAY ? plist_array_get_size(arr) : 0;

	if (n != sig->n_signers)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		const char *s = plist_get_string_ptr(plist_array_get_item(arr, i), NULL);
		const char *t = sig->signers[i].subject;

		if (!s || !t || strcmp(s, t) != 0)
			return false;
	}
	return true;
}

static plist_t new_entry(const struct macext_ctx *ctx, plist_t root, const char *file,
			 unsigned flags, const struct macext_profile_sig *sig)
{
	plist_t e = plist_new_dict(), signers = plist_new_array();
	int64_t t = ctx->now - MAC_EPOCH;

	if (t > INT32_MAX)
		t = INT32_MAX;
	if (t < INT32_MIN)
		t = INT32_MIN;
	plist_dict_set_item(e, "PayloadIdentifier",
			    plist_new_string(dstr(root, "PayloadIdentifier")));
	plist_dict_set_item(e, "PayloadUUID", plist_new_string(dstr(root, "PayloadUUID")));
	plist_dict_set_item(e, "InstallDate", plist_new_date((int32_t)t, 0));
	plist_dict_set_item(e, "Source",
			    plist_new_string(flags & MACEXT_PROFILES_MANUAL ? "manual" : "mdm"));
	plist_dict_set_item(e, "SignatureStatus",
			    plist_new_string(macext_profile_sig_status_name(sig->status)));
	for (size_t i = 0; i < sig->n_signers; i++)
		if (sig->signers[i].subject)
			plist_array_append_item(signers, plist_new_string(sig->signers[i].subject));
	plist_dict_set_item(e, "SignerCertificates", signers);
	plist_dict_set_item(e, "File", plist_new_string(file));
	return e;
}

struct install {
	struct macext_machine_info *mi;
	struct macext_profile *p;
	struct macext_profile_sig sig;
	struct anchors anchors;
	struct index ix;
	plist_t new_index;
	struct mx_payload *pl;
	size_t npl;
	char file[80];
	char *new_path; /* the stored copy, when this install created it */
	bool file_created;
};

/* Verify and validate; true in *OK when no error finding was added. */
static int check(const struct macext_ctx *ctx, struct install *in, const char *file,
		 struct macext_findings *f, bool *ok)
{
	struct macext_profile_validate_opts vo = {.macos = &in->mi->macos, .now = ctx->now};
	size_t before = macext_findings_count(f, MACEXT_SEVERITY_ERROR);
	int r = anchors_load(ctx, &in->anchors);

	if (r == 0)
		r = macext_profile_verify(&in->sig, in->p, in->anchors.v, in->anchors.n, ctx->now,
					  file, f);
	if (r == 0)
		r = macext_profile_validate(in->p, &vo, file, f);
	*ok = macext_findings_count(f, MACEXT_SEVERITY_ERROR) == before;
	return r;
}

static int write_profile(const struct macext_ctx *ctx, struct install *in, const void *buf,
			 size_t len, struct macext_diag *diag)
{
	char *dir = mx_path_join(ctx->root, MX_PROFILES_DIR), *path = NULL;
	int r = dir ? mx_mkdir_p(dir, 0755) : -ENOMEM;

	if (r == 0)
		r = sha256_name(buf, len, in->file);
	if (r == 0) {
		path = mx_path_join(dir, in->file);
		r = path ? 0 : -ENOMEM;
	}
	if (r == 0 && !mx_exists(path)) {
		r = mx_write_atomic(path, buf, len, 0644);
		in->file_created = r == 0;
		if (r == 0) {
			in->new_path = path;
			path = NULL;
		}
	}
	if (r < 0 && r != -ENOMEM)
		mx_diag_fail_nopos(diag, r, "%s: cannot write: %s", MX_PROFILES_DIR,
				   macext_strerror(r));
	mx_free(path);
	mx_free(dir);
	return r;
}

static int install_apply(const struct macext_ctx *ctx, struct install *in, const void *buf,
			 size_t len, long old, unsigned flags, struct macext_profiles_result *ret,
			 struct macext_diag *diag)
{
	const char *id = dstr(in->p->root, "PayloadIdentifier");
	char *old_file = NULL;
	int r;

	r = index_payloads(ctx, &in->ix, -1, -1, &in->pl, &in->npl, diag);
	if (r == 0)
		r = mx_profiles_merge(in->pl, in->npl, &ret->before);
	mx_payloads_free(in->pl, in->npl);
	in->pl = NULL;
	in->npl = 0;
	if (r == 0)
		r = index_payloads(ctx, &in->ix, old, -1, &in->pl, &in->npl, diag);
	if (r == 0)
		r = mx_payloads_from_plist(in->p->root, id, &in->pl, &in->npl);
	if (r == 0)
		r = mx_profiles_merge(in->pl, in->npl, &ret->after);
	if (r == 0)
		r = finish_policy(&ret->before, in->mi);
	if (r == 0)
		r = finish_policy(&ret->after, in->mi);
	if (r == 0)
		r = result_deltas(ret);
	if (r == 0)
		r = write_profile(ctx, in, buf, len, diag);
	if (r < 0)
		return r;
	in->new_index = plist_copy(in->ix.arr);
	if (!in->new_index)
		return -ENOMEM;
	if (old >= 0) {
		old_file = mx_strdup(dstr(plist_array_get_item(in->ix.arr, (uint32_t)old), "File"));
		if (!old_file)
			return -ENOMEM;
		plist_array_remove_item(in->new_index, (uint32_t)old);
	}
	plist_array_append_item(in->new_index, new_entry(ctx, in->p->root, in->file, flags,
							 &in->sig));
	r = commit(ctx, in->mi, &in->ix, in->new_index, &ret->after, &ret->kext_rows, diag);
	if (r == 0 && old_file && strcmp(old_file, in->file) != 0) {
		plist_t keep = in->ix.arr;

		in->ix.arr = in->new_index;
		if (!file_referenced(&in->ix, old_file))
			remove_file(ctx, old_file);
		in->ix.arr = keep;
	}
	mx_free(old_file);
	return r;
}

int macext_profiles_install(const struct macext_ctx *ctx, const void *buf, size_t len,
			    const char *file, unsigned flags, struct macext_findings *findings,
			    struct macext_profiles_result *ret, struct macext_diag *diag)
{
	struct install in;
	bool ok = false;
	long old;
	int r;

	memset(&in, 0, sizeof(in));
	memset(ret, 0, sizeof(*ret));
	if (!ctx || !ctx->root || !buf || !file || !findings)
		return -EINVAL;
	r = machine_facts(ctx, &in.mi, diag);
	if (r == 0)
		r = macext_profile_read(&in.p, buf, len, diag);
	if (r == 0)
		r = check(ctx, &in, file, findings, &ok);
	if (r < 0)
		goto out;
	if (!ok) {
		ret->status = MACEXT_PROFILES_INVALID;
		goto out;
	}
	snprintf(ret->identifier, sizeof(ret->identifier), "%s",
		 dstr(in.p->root, "PayloadIdentifier"));
	r = admissible(in.p->root, in.mi, flags, ret);
	if (r < 0 || ret->status != MACEXT_PROFILES_DONE)
		goto out;
	r = index_load(ctx, &in.ix, diag);
	if (r < 0)
		goto out;
	old = index_find(&in.ix, ret->identifier);
	ret->replaced = old >= 0;
	if (old >= 0 && (flags & MACEXT_PROFILES_MANUAL)) {
		plist_t e = plist_array_get_item(in.ix.arr, (uint32_t)old);
		const char *st = dstr(e, "SignatureStatus");

		if (st && strcmp(st, "unsigned") != 0 && !same_signers(e, &in.sig)) {
			refuse(ret, "a signed profile is replaced only by the same signer, unless "
				    "MDM sends it (mdm-sysext.md §4.2)", NULL);
			goto out;
		}
	}
	r = install_apply(ctx, &in, buf, len, old, flags, ret, diag);
	if (r == 0)
		log_change(ctx, ret->replaced ? "profile.replaced" : "profile.installed", ret);
out:
	/* a failed commit: the file did not exist before, so no index names it (inv. 1) */
	if (r < 0 && in.file_created)
		unlink(in.new_path);
	mx_free(in.new_path);
	if (r < 0)
		macext_profiles_result_clear(ret);
	plist_free(in.new_index);
	index_free(&in.ix);
	mx_payloads_free(in.pl, in.npl);
	anchors_free(&in.anchors);
	macext_profile_sig_clear(&in.sig);
	macext_profile_free(in.p);
	macext_machine_info_free(in.mi);
	return r;
}

/* ---- remove --------------------------------------------------------------------------- */

int macext_profiles_remove(const struct macext_ctx *ctx, const char *identifier, unsigned flags,
			   struct macext_profiles_result *ret, struct macext_diag *diag)
{
	struct macext_macos_version v1015 = {10, 15, 0};
	struct macext_machine_info *mi = NULL;
	struct mx_payload *pl = NULL;
	struct index ix;
	plist_t new_index = NULL;
	char *file = NULL;
	const char *src;
	size_t npl = 0;
	long at;
	int r;

	memset(&ix, 0, sizeof(ix));
	memset(ret, 0, sizeof(*ret));
	if (!ctx || !ctx->root || !identifier)
		return -EINVAL;
	snprintf(ret->identifier, sizeof(ret->identifier), "%s", identifier);
	r = machine_facts(ctx, &mi, diag);
	if (r == 0)
		r = index_load(ctx, &ix, diag);
	if (r < 0)
		goto out;
	at = index_find(&ix, identifier);
	if (at < 0) {
		r = mx_diag_fail_nopos(diag, -ENOENT, "no installed profile '%s'", identifier);
		goto out;
	}
	src = dstr(plist_array_get_item(ix.arr, (uint32_t)at), "Source");
	if ((flags & MACEXT_PROFILES_MANUAL) && (!src || strcmp(src, "manual") != 0) &&
	    macext_macos_cmp(&mi->macos, &v1015) >= 0) {
		refuse(ret, "installed by MDM: users cannot remove it on macOS 10.15 and later "
			    "(mdm-sysext.md §4.2)", NULL);
		goto out;
	}
	r = index_payloads(ctx, &ix, -1, -1, &pl, &npl, diag);
	if (r == 0)
		r = mx_profiles_merge(pl, npl, &ret->before);
	mx_payloads_free(pl, npl);
	pl = NULL;
	npl = 0;
	if (r == 0)
		r = index_payloads(ctx, &ix, at, -1, &pl, &npl, diag);
	if (r == 0)
		r = mx_profiles_merge(pl, npl, &ret->after);
	if (r == 0)
		r = finish_policy(&ret->before, mi);
	if (r == 0)
		r = finish_policy(&ret->after, mi);
	if (r == 0)
		r = result_deltas(ret);
	if (r < 0)
		goto out;
	file = mx_strdup(dstr(plist_array_get_item(ix.arr, (uint32_t)at), "File"));
	new_index = plist_copy(ix.arr);
	if (!file || !new_index) {
		r = -ENOMEM;
		goto out;
	}
	plist_array_remove_item(new_index, (uint32_t)at);
	r = commit(ctx, mi, &ix, new_index, &ret->after, &ret->kext_rows, diag);
	if (r == 0) {
		plist_t keep = ix.arr;

		ix.arr = new_index;
		if (!file_referenced(&ix, file))
			remove_file(ctx, file);
		ix.arr = keep;
	}
	if (r == 0)
		log_change(ctx, "profile.removed", ret);
out:
	if (r < 0)
		macext_profiles_result_clear(ret);
	mx_free(file);
	plist_free(new_index);
	mx_payloads_free(pl, npl);
	index_free(&ix);
	macext_machine_info_free(mi);
	return r;
}

/* ---- list, effective ---------------------------------------------------------------- */

static void installed_clear(struct macext_installed_profile *p)
{
	mx_free(p->identifier);
	mx_free(p->uuid);
	mx_free(p->display_name);
	mx_free(p->organization);
	mx_free(p->file);
	mx_free(p->source);
	mx_free(p->signature);
	for (size_t i = 0; i < p->nsigners; i++)
		mx_free(p->signers[i]);
	mx_free(p->signers);
	for (size_t i = 0; i < p->npayloads; i++) {
		mx_free(p->payloads[i].type);
		mx_free(p->payloads[i].identifier);
		mx_free(p->payloads[i].uuid);
	}
	mx_free(p->payloads);
}

void macext_installed_profiles_free(struct macext_installed_profile *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		installed_clear(&v[i]);
	mx_free(v);
}

/* A copy of S, or NULL for NULL; *BAD set when a copy failed. */
static char *dup_opt(const char *s, bool *bad)
{
	char *c = s ? mx_strdup(s) : NULL;

	if (s && !c)
		*bad = true;
	return c;
}

static int installed_fill(plist_t e, plist_t root, struct macext_installed_profile *p)
{
	plist_t signers = plist_dict_get_item(e, "SignerCertificates");
	plist_t content = plist_dict_get_item(root, "PayloadContent");
	plist_t date = plist_dict_get_item(e, "InstallDate");
	uint32_t ns = signers && plist_get_node_type(signers) == PLIST_ARRAY
			      ? plist_array_get_size(signers)
			      : 0;
	uint32_t np = content && plist_get_node_type(content) == PLIST_ARRAY
			      ? plist_array_get_size(content)
			      : 0;
	const char *file = dstr(e, "File");
	char rel[400];
	bool bad = false;

	snprintf(rel, sizeof(rel), "%s/%s", MX_PROFILES_DIR, file ? file : "");
	p->identifier = dup_opt(dstr(e, "PayloadIdentifier"), &bad);
	p->uuid = dup_opt(dstr(e, "PayloadUUID") ? dstr(e, "PayloadUUID") : "", &bad);
	p->display_name = dup_opt(dstr(root, "PayloadDisplayName"), &bad);
	p->organization = dup_opt(dstr(root, "PayloadOrganization"), &bad);
	p->file = dup_opt(rel, &bad);
	p->source = dup_opt(dstr(e, "Source") ? dstr(e, "Source") : "mdm", &bad);
	p->signature = dup_opt(dstr(e, "SignatureStatus") ? dstr(e, "SignatureStatus")
							   : "unsigned",
			       &bad);
	if (date && plist_get_node_type(date) == PLIST_DATE) {
		int32_t sec = 0, usec = 0;

		plist_get_date_val(date, &sec, &usec);
		p->install_date = (int64_t)sec + MAC_EPOCH;
	}
	p->signers = ns ? mx_calloc(ns, sizeof(*p->signers)) : NULL;
	p->payloads = np ? mx_calloc(np, sizeof(*p->payloads)) : NULL;
	if ((ns && !p->signers) || (np && !p->payloads) || bad)
		return -ENOMEM;
	for (uint32_t i = 0; i < ns; i++) {
		plist_t s = plist_array_get_item(signers, i);

		if (plist_get_node_type(s) != PLIST_STRING)
			continue;
		p->signers[p->nsigners] = dup_opt(plist_get_string_ptr(s, NULL), &bad);
		p->nsigners += !bad;
	}
	for (uint32_t i = 0; i < np && !bad; i++) {
		plist_t pl = plist_array_get_item(content, i);
		struct macext_installed_payload *q = &p->payloads[p->npayloads++];

		q->type = dup_opt(dstr(pl, "PayloadType") ? dstr(pl, "PayloadType") : "", &bad);
		q->identifier = dup_opt(dstr(pl, "PayloadIdentifier"), &bad);
		q->uuid = dup_opt(dstr(pl, "PayloadUUID"), &bad);
	}
	return bad ? -ENOMEM : 0;
}

int macext_profiles_list(const struct macext_ctx *ctx, struct macext_installed_profile **ret,
			 size_t *ret_n, struct macext_diag *diag)
{
	struct macext_installed_profile *v = NULL;
	struct index ix;
	size_t n = 0;
	uint32_t count;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = index_load(ctx, &ix, diag);
	if (r < 0)
		return r;
	count = plist_array_get_size(ix.arr);
	v = count ? mx_calloc(count, sizeof(*v)) : NULL;
	if (count && !v)
		r = -ENOMEM;
	for (uint32_t i = 0; i < count && r == 0; i++) {
		plist_t e = plist_array_get_item(ix.arr, i), root = NULL;

		r = entry_payloads(ctx, e, NULL, NULL, &root, diag);
		if (r == 0) {
			n++;
			r = installed_fill(e, root, &v[i]);
		}
		plist_free(root);
	}
	index_free(&ix);
	if (r < 0) {
		macext_installed_profiles_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int macext_profiles_effective(const struct macext_ctx *ctx, const char *identifier,
			      struct macext_effective_policy *ret, struct macext_diag *diag)
{
	struct macext_machine_info *mi = NULL;
	struct mx_payload *pl = NULL;
	struct index ix;
	size_t npl = 0;
	long only = -1;
	int r;

	memset(ret, 0, sizeof(*ret));
	memset(&ix, 0, sizeof(ix));
	r = machine_facts(ctx, &mi, diag);
	if (r == 0)
		r = index_load(ctx, &ix, diag);
	if (r == 0 && identifier) {
		only = index_find(&ix, identifier);
		if (only < 0)
			r = mx_diag_fail_nopos(diag, -ENOENT, "no installed profile '%s'",
					       identifier);
	}
	if (r == 0)
		r = index_payloads(ctx, &ix, -1, only, &pl, &npl, diag);
	if (r == 0)
		r = mx_profiles_merge(pl, npl, ret);
	if (r == 0) {
		r = finish_policy(ret, mi);
		if (r < 0)
			macext_effective_policy_clear(ret);
	}
	mx_payloads_free(pl, npl);
	index_free(&ix);
	macext_machine_info_free(mi);
	return r;
}

/* ---- the kext decisions' view ------------------------------------------------------- */

static void kext_payload_clear(struct macext_mdm_kext_payload *k)
{
	mx_free((void *)(uintptr_t)k->profile_id);
	mx_free((void *)(uintptr_t)k->payload_uuid);
	for (size_t i = 0; i < k->nallowed_teams; i++)
		mx_free((void *)(uintptr_t)k->allowed_teams[i]);
	mx_free((void *)(uintptr_t)k->allowed_teams);
	for (size_t i = 0; i < k->nallowed_kexts; i++) {
		const struct macext_mdm_kext_team *t = &k->allowed_kexts[i];

		mx_free((void *)(uintptr_t)t->team_id);
		for (size_t j = 0; j < t->nbundle_ids; j++)
			mx_free((void *)(uintptr_t)t->bundle_ids[j]);
		mx_free((void *)(uintptr_t)t->bundle_ids);
	}
	mx_free((void *)(uintptr_t)k->allowed_kexts);
}

void macext_mdm_kext_payloads_free(struct macext_mdm_kext_payload *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		kext_payload_clear(&v[i]);
	mx_free(v);
}

/* Moves the strings of P into K (P keeps NULLs and zero counts). */
static int kext_payload_take(struct mx_payload *p, struct macext_mdm_kext_payload *k)
{
	struct macext_mdm_kext_team *teams = NULL;

	if (p->allowed.n) {
		teams = mx_calloc(p->allowed.n, sizeof(*teams));
		if (!teams)
			return -ENOMEM;
	}
	k->profile_id = p->profile_id;
	k->payload_uuid = p->payload_uuid;
	k->allowed_teams = (const char *const *)p->teams;
	k->nallowed_teams = p->nteams;
	for (size_t i = 0; i < p->allowed.n; i++) {
		teams[i].team_id = p->allowed.v[i].team_id;
		teams[i].bundle_ids = (const char *const *)p->allowed.v[i].items;
		teams[i].nbundle_ids = p->allowed.v[i].nitems;
	}
	k->allowed_kexts = teams;
	k->nallowed_kexts = p->allowed.n;
	k->allow_user_overrides = p->user_overrides;
	k->allow_non_admin_user_approvals = p->non_admin;
	mx_free(p->allowed.v);
	p->allowed.v = NULL;
	p->allowed.n = 0;
	p->profile_id = p->payload_uuid = NULL;
	p->teams = NULL;
	p->nteams = 0;
	return 0;
}

int macext_mdm_kext_payloads(const struct macext_ctx *ctx, struct macext_mdm_kext_payload **ret,
			     size_t *ret_n, struct macext_diag *diag)
{
	struct macext_mdm_kext_payload *v = NULL;
	struct mx_payload *pl = NULL;
	struct index ix;
	size_t npl = 0, n = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = index_load(ctx, &ix, diag);
	if (r == 0)
		r = index_payloads(ctx, &ix, -1, -1, &pl, &npl, diag);
	if (r == 0 && npl) {
		v = mx_calloc(npl, sizeof(*v));
		r = v ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < npl && r == 0; i++) {
		if (pl[i].sysext)
			continue;
		r = kext_payload_take(&pl[i], &v[n]);
		n += r == 0;
	}
	mx_payloads_free(pl, npl);
	index_free(&ix);
	if (r < 0) {
		macext_mdm_kext_payloads_free(v, n);
		return r;
	}
	if (n == 0) {
		mx_free(v);
		v = NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
