/*
 * lib/machine/facts.c: gathers struct macext_facts for one kext on the modeled Mac.
 *
 * Machine-wide facts are read once per command (mx_env_open): machine.plist and the
 * accounts (macext_machine_load), NVRAM (SIP, boot state, kext consent), the installed MDM
 * kext payloads, the KextPolicy store, the loaded state and the trust anchors of
 * .macext/trust. Per kext (mx_facts_gather): the bundle (lib/model), its signature
 * (macext_codesign_verify at ctx->now with those anchors, the Info.plist bound in special
 * slot 1), the deprecated-KPI categories and exclude list of the release
 * (macext_kext_classify), the first validation error of the audit (rule 2 of kexts.md
 * §1.11), the kext_policy row and pending block for (Team ID, bundle ID), grandfathering,
 * co-approval scope, loaded state and the booted AuxKC. Nothing here changes state.
 */
#include "machine/kextload_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "machine/machine.h"
#include "model/bundle.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define TRUST_PEM_MAX ((size_t)1 << 20)
#define INFO_PLIST_MAX ((size_t)4 << 20)
#define WALK_DEPTH_MAX 8

static int read_anchors(struct mx_env *e)
{
	char *dir = mx_path_join(e->ctx->root, MX_TRUST_DIR);
	struct dirent *d;
	DIR *dp;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	dp = opendir(dir);
	if (!dp) {
		mx_free(dir);
		return 0;
	}
	while (r == 0 && (d = readdir(dp))) {
		size_t n = strlen(d->d_name), len = 0, cap = e->nanchors, cap2 = e->nanchors;
		char *p, *buf = NULL;

		if (n < 5 || strcmp(d->d_name + n - 4, ".pem") != 0)
			continue;
		p = mx_path_join(dir, d->d_name);
		if (!p) {
			r = -ENOMEM;
			break;
		}
		r = mx_read_file(p, TRUST_PEM_MAX, &buf, &len, NULL);
		mx_free(p);
		if (r < 0)
			break;
		if ((r = mx_grow((void **)&e->anchors, &cap, e->nanchors + 1, sizeof(*e->anchors))) < 0 ||
		    (r = mx_grow((void **)&e->anchor_lens, &cap2, e->nanchors + 1,
				 sizeof(*e->anchor_lens))) < 0) {
			mx_free(buf);
			break;
		}
		e->anchors[e->nanchors] = (uint8_t *)buf;
		e->anchor_lens[e->nanchors++] = len;
	}
	closedir(dp);
	mx_free(dir);
	return r;
}

/* Store statements become test points too ("store.<statement>"), so a kill test can stop
 * the process between two statements of one transaction. */
static void store_point(void *userdata, const char *point)
{
	const struct macext_ctx *ctx = userdata;
	char name[96];

	snprintf(name, sizeof(name), "store.%s", point);
	mx_test_point(ctx, name);
}

int mx_env_open(struct mx_env *e, const struct macext_ctx *ctx, const char *user, bool store_ro,
		struct macext_diag *diag)
{
	char *db = NULL, *dir = NULL;
	unsigned flags = 0;
	int r;

	memset(e, 0, sizeof(*e));
	e->ctx = ctx;
	r = macext_machine_load(ctx, &e->info, diag);
	if (r < 0)
		return r;
	if (macext_platform_parse(e->info->arch, &e->platform) < 0)
		return mx_diag_fail_nopos(diag, MACEXT_E_USAGE,
					  "kexts on an %s Mac are not modeled yet (Intel only)",
					  e->info->arch);
	if (macext_enrollment_parse(e->info->enrollment, &e->enrollment) < 0)
		return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s: unknown enrollment '%s'",
					  MX_MACHINE_PLIST, e->info->enrollment);
	for (size_t i = 0; i < e->info->naccounts; i++) {
		const struct macext_machine_account *a = &e->info->accounts[i];

		if ((user && strcmp(a->name, user) == 0) || (!user && a->owner)) {
			e->user = a->name;
			e->admin = a->admin;
		}
	}
	if (!e->user)
		return mx_diag_fail_nopos(diag, -EPERM, "no account '%s' on this Mac",
					  user ? user : "(owner)");
	r = macext_nvram_load(ctx, &e->nv, diag);
	if (r < 0)
		return r;
	r = macext_mdm_kext_payloads(ctx, &e->mdm, &e->nmdm, diag);
	if (r < 0)
		return r;
	r = mx_loaded_read(ctx, &e->loaded, diag);
	if (r < 0)
		return r;
	r = read_anchors(e);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, "%s: cannot read the trust anchors", MX_TRUST_DIR);
	db = mx_path_join(ctx->root, MX_KEXTPOLICY);
	dir = mx_path_join(ctx->root, "var/db/SystemPolicyConfiguration");
	if (!db || !dir) {
		r = -ENOMEM;
		goto out;
	}
	if (e->info->macos.major >= 11)
		flags |= MACEXT_STORE_CDHASH;
	/* Commands that only read open the modeled Mac's own store read-write all the same,
	 * so SQLite recovers a journal a killed command left; only a missing store is not
	 * created for them. Forensic read-only mode is for images (macext_store_open). */
	if (store_ro && !mx_exists(db)) {
		r = macext_store_open(&e->store, "memory", NULL, flags, diag);
		goto out;
	} else if (!store_ro && (r = mx_mkdir_p(dir, 0755)) < 0) {
		r = mx_diag_fail_nopos(diag, r, "%s: cannot create", dir);
		goto out;
	}
	r = macext_store_open(&e->store, "sqlite", db, flags, diag);
	if (r < 0)
		mx_diag_prefix(diag, "%s", MX_KEXTPOLICY);
	else if (ctx->test_point)
		macext_store_set_test_hook(e->store, store_point, (void *)ctx);
out:
	mx_free(db);
	mx_free(dir);
	return r;
}

void mx_env_close(struct mx_env *e)
{
	macext_store_close(e->store);
	macext_machine_info_free(e->info);
	macext_nvram_clear(&e->nv);
	macext_mdm_kext_payloads_free(e->mdm, e->nmdm);
	mx_loaded_clear(&e->loaded);
	for (size_t i = 0; i < e->nanchors; i++)
		mx_free(e->anchors[i]);
	mx_free(e->anchors);
	mx_free(e->anchor_lens);
	for (size_t i = 0; i < e->ninv; i++) {
		mx_free(e->inv[i].mac_path);
		mx_free(e->inv[i].host_path);
		mx_free(e->inv[i].bundle_id);
	}
	mx_free(e->inv);
	macext_kc_free(e->auxkc);
	memset(e, 0, sizeof(*e));
}

/* ---- inventory ---------------------------------------------------------------------- */

char *mx_mac_path(const struct macext_ctx *ctx, const char *host)
{
	size_t n = strlen(ctx->root);

	while (n > 1 && ctx->root[n - 1] == '/')
		n--;
	if (strncmp(host, ctx->root, n) != 0 || host[n] != '/')
		return NULL;
	return mx_strdup(host + n);
}

static bool is_kext_name(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".kext") == 0;
}

static int inv_add(struct mx_env *e, const char *host, size_t *cap)
{
	struct macext_kext *k = NULL;
	struct mx_inv_kext *v;
	int r;

	if (e->ninv >= MX_INVENTORY_MAX)
		return -E2BIG;
	r = mx_grow((void **)&e->inv, cap, e->ninv + 1, sizeof(*e->inv));
	if (r < 0)
		return r;
	v = &e->inv[e->ninv];
	memset(v, 0, sizeof(*v));
	v->host_path = mx_strdup(host);
	v->mac_path = mx_mac_path(e->ctx, host);
	if (!v->host_path || !v->mac_path) {
		mx_free(v->host_path);
		mx_free(v->mac_path);
		return -ENOMEM;
	}
	if (macext_kext_open(&k, host, NULL) == 0 && macext_kext_bundle_id(k))
		v->bundle_id = mx_strdup(macext_kext_bundle_id(k));
	macext_kext_free(k);
	e->ninv++;
	return 0;
}

/* Kext bundles below DIR (not inside another kext), sorted by name for a stable order. */
static int walk(struct mx_env *e, const char *dir, int depth, size_t *cap)
{
	struct dirent **names = NULL;
	int n, r = 0;

	if (depth > WALK_DEPTH_MAX)
		return 0;
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat st;
		char *p;

		if (r < 0 || name[0] == '.')
			goto next;
		p = mx_path_join(dir, name);
		if (!p) {
			r = -ENOMEM;
			goto next;
		}
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			r = is_kext_name(name) ? inv_add(e, p, cap) : walk(e, p, depth + 1, cap);
		mx_free(p);
next:
		free(names[i]);
	}
	free(names);
	return r;
}

int mx_inventory(struct mx_env *e)
{
	static const char *const places[] = {"Library/Extensions", "Library/Application Support",
					     "Applications"};
	size_t cap = 0;
	int r = 0;

	if (e->inv_done)
		return 0;
	for (size_t i = 0; r == 0 && i < sizeof(places) / sizeof(places[0]); i++) {
		char *p = mx_path_join(e->ctx->root, places[i]);

		if (!p)
			return -ENOMEM;
		r = walk(e, p, 0, &cap);
		mx_free(p);
	}
	e->inv_done = r == 0;
	return r;
}

static int found(const char *host, const struct macext_ctx *ctx, char **ret_host, char **ret_mac)
{
	*ret_host = mx_strdup(host);
	*ret_mac = mx_mac_path(ctx, host);
	if (!*ret_host || !*ret_mac) {
		mx_free(*ret_host);
		mx_free(*ret_mac);
		return -ENOMEM;
	}
	return 0;
}

int mx_resolve(struct mx_env *e, const char *what, char **ret_host, char **ret_mac,
	       struct macext_diag *diag)
{
	char *host = NULL;
	int r;

	if (strchr(what, '/')) {
		char *mac = mx_mac_path(e->ctx, what);

		host = mac ? mx_strdup(what) : mx_path_join(e->ctx->root, what);
		mx_free(mac);
		if (!host)
			return -ENOMEM;
		if (!mx_is_dir(host)) {
			r = mx_diag_fail_nopos(diag, -ENOENT, "Error: Kext %s - not found/unable to "
							      "create.",
					       what);
			mx_free(host);
			return r;
		}
		r = found(host, e->ctx, ret_host, ret_mac);
		mx_free(host);
		return r;
	}
	r = mx_inventory(e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < e->ninv; i++)
		if (e->inv[i].bundle_id && strcmp(e->inv[i].bundle_id, what) == 0)
			return found(e->inv[i].host_path, e->ctx, ret_host, ret_mac);
	return mx_diag_fail_nopos(diag, -ENOENT, "Error: Kext %s - not found/unable to create.",
				  what);
}

/* ---- one kext ------------------------------------------------------------------------- */

void mx_facts_clear(struct mx_kext_facts *kf)
{
	macext_kext_free(kf->k);
	mx_free(kf->host_path);
	mx_free(kf->mac_path);
	macext_cs_result_free(kf->cs);
	mx_free(kf->uuid);
	macext_kext_class_clear(&kf->cls);
	mx_free(kf->kpi);
	macext_kext_policy_clear(&kf->row);
	mx_free(kf->validation);
	mx_free(kf->dep_paths);
	memset(kf, 0, sizeof(*kf));
}

const char *mx_facts_team(const struct mx_kext_facts *kf)
{
	const struct macext_facts *f = &kf->f;

	if (f->sig.kind <= MACEXT_CS_ADHOC || !f->sig.team_id)
		return "";
	return f->sig.team_id;
}

const char *mx_facts_developer(const struct mx_kext_facts *kf)
{
	return kf->f.sig.developer_name;
}

static const struct macext_cs_slice *x86_slice(const struct macext_cs_result *cs)
{
	for (size_t i = 0; cs && i < cs->nslices; i++)
		if (strcmp(cs->slices[i].arch, "x86_64") == 0)
			return &cs->slices[i];
	return cs && cs->nslices ? &cs->slices[0] : NULL;
}

static int verify(struct mx_env *e, const struct macext_kext *k, struct macext_cs_result **ret)
{
	const char *exe = macext_kext_executable_path(k);
	struct macext_cs_options o = {
		.now = e->ctx->now,
		.anchors = (const uint8_t *const *)e->anchors,
		.anchor_lens = e->anchor_lens,
		.nanchors = e->nanchors,
	};
	struct mx_map m = MX_MAP_INIT;
	char *info = NULL, *res = NULL, *ip, *rp;
	size_t ilen = 0, rlen = 0;
	int r;

	*ret = NULL;
	if (!exe)
		return 0;
	ip = mx_path_join(macext_kext_path(k), k->flat ? "Info.plist" : "Contents/Info.plist");
	rp = mx_path_join(macext_kext_path(k), k->flat ? "_CodeSignature/CodeResources"
						       : "Contents/_CodeSignature/CodeResources");
	if (!ip || !rp) {
		r = -ENOMEM;
		goto out;
	}
	if (mx_read_file(ip, INFO_PLIST_MAX, &info, &ilen, NULL) == 0)
		o.info_plist = (const uint8_t *)info, o.info_plist_len = ilen;
	if (mx_read_file(rp, INFO_PLIST_MAX, &res, &rlen, NULL) == 0)
		o.resources = (const uint8_t *)res, o.resources_len = rlen;
	if (mx_map_file(&m, exe, MX_KEXT_MAX_EXECUTABLE, NULL) < 0 || !m.data) {
		r = 0; /* a missing executable is a validation error, not a signature */
		goto out;
	}
	r = macext_codesign_verify(ret, m.data, m.len, &o, NULL);
	if (r == -ENOEXEC || r == -EBADMSG)
		r = 0;
out:
	mx_unmap(&m);
	mx_free(info);
	mx_free(res);
	mx_free(ip);
	mx_free(rp);
	return r;
}

int mx_kext_team_of(struct mx_env *e, const char *host_path, char **ret_team)
{
	struct macext_kext *k = NULL;
	struct macext_cs_result *cs = NULL;
	const struct macext_cs_slice *s;
	int r;

	*ret_team = NULL;
	r = macext_kext_open(&k, host_path, NULL);
	if (r == 0)
		r = verify(e, k, &cs);
	s = x86_slice(cs);
	if (r == 0)
		*ret_team = mx_strdup(cs && cs->valid && s && s->team_id &&
						      cs->kind > MACEXT_CS_ADHOC
					      ? s->team_id
					      : "");
	if (r == 0 && !*ret_team)
		r = -ENOMEM;
	macext_cs_result_free(cs);
	macext_kext_free(k);
	return r;
}

/* The audit resolves OSBundleLibraries against the release's catalogue and the bundle
 * itself; a third-party library installed elsewhere on the Mac is found by the loader
 * (kext.c loads it first, through its own checks), so its "not found" is no error here. */
static bool installed_dependency(struct mx_env *e, const struct macext_finding *x)
{
	const char *id;

	if (strcmp(x->rule, "dependency.not-found") != 0 || !x->location ||
	    strncmp(x->location, "OSBundleLibraries.", 18) != 0)
		return false;
	id = x->location + 18;
	if (strncmp(id, "com.apple.", 10) == 0 || mx_inventory(e) < 0)
		return false;
	for (size_t i = 0; i < e->ninv; i++)
		if (e->inv[i].bundle_id && strcmp(e->inv[i].bundle_id, id) == 0)
			return true;
	return false;
}

/* Rule 2: the first error of the audit that is about the bundle itself (validation,
 * executable, dependencies); the exclude list, deprecated KPIs and the signature are rules
 * of their own. */
static int validation(struct mx_env *e, struct mx_kext_facts *kf)
{
	struct macext_audit_opts o = {.macos = e->info->macos, .arch = "x86_64"};
	struct macext_findings fs = {0};
	int r;

	r = macext_kext_audit(kf->k, &o, &fs);
	for (size_t i = 0; r == 0 && i < fs.n; i++) {
		const struct macext_finding *x = &fs.v[i];

		if (x->severity != MACEXT_SEVERITY_ERROR || strncmp(x->rule, "exclude-list.", 13) == 0 ||
		    strncmp(x->rule, "deprecated-kpi.", 15) == 0 ||
		    strncmp(x->rule, "signature.", 10) == 0 || strcmp(x->path, kf->host_path) != 0 ||
		    installed_dependency(e, x))
			continue;
		kf->validation = mx_asprintf("%s [%s]", x->message, x->rule);
		if (!kf->validation)
			r = -ENOMEM;
		break;
	}
	macext_findings_clear(&fs);
	return r;
}

static void fill_sig(struct mx_kext_facts *kf)
{
	const struct macext_cs_slice *s = x86_slice(kf->cs);
	struct macext_facts *f = &kf->f;

	f->sig.kind = kf->cs ? kf->cs->kind : MACEXT_CS_UNSIGNED;
	f->sig.valid = kf->cs && kf->cs->valid;
	if (!s)
		return;
	f->sig.kext_marker = s->kext_requirement;
	f->sig.team_id = s->team_id;
	f->sig.developer_name = s->developer_name;
	if (s->ncds && s->best < s->ncds) {
		memcpy(kf->cdhash, s->cds[s->best].cdhash, sizeof(kf->cdhash));
		f->sig.cdhash = kf->cdhash;
	}
}

static int fill_uuid(struct mx_kext_facts *kf)
{
	const struct macext_macho *m = macext_kext_macho(kf->k);

	for (size_t i = 0; m && i < m->nslices; i++) {
		const uint8_t *u = m->slices[i].uuid;

		if (strcmp(m->slices[i].arch, "x86_64") != 0 || !m->slices[i].has_uuid)
			continue;
		kf->uuid = mx_asprintf("%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
				       "%02X%02X%02X%02X%02X%02X",
				       u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
				       u[10], u[11], u[12], u[13], u[14], u[15]);
		return kf->uuid ? 0 : -ENOMEM;
	}
	return 0;
}

/* Another kext of the same team in the same co-approval scope is approved (trace only). */
static int scope_fact(struct mx_env *e, struct mx_kext_facts *kf)
{
	const char *team = mx_facts_team(kf);
	int r;

	if (!*team)
		return 0;
	r = mx_inventory(e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < e->ninv && !kf->f.team_approved_in_scope; i++) {
		struct macext_coapproval_candidate c = {team, e->inv[i].bundle_id,
							 e->inv[i].mac_path};
		struct macext_kext_policy p = {0};
		bool sel = false;

		if (!c.bundle_id || strcmp(c.path, kf->mac_path) == 0)
			continue;
		if (macext_policy_coapprove(&kf->f, &c, 1, &sel) <= 0)
			continue;
		if (macext_store_kext_policy_get(e->store, team, c.bundle_id, &p) == 0) {
			char *t = NULL;

			if (p.allowed && mx_kext_team_of(e, e->inv[i].host_path, &t) == 0 &&
			    strcmp(t, team) == 0)
				kf->f.team_approved_in_scope = true;
			mx_free(t);
		}
		macext_kext_policy_clear(&p);
	}
	return 0;
}

static int store_facts(struct mx_env *e, struct mx_kext_facts *kf, struct macext_diag *diag)
{
	const char *team = mx_facts_team(kf), *id = kf->f.kext.bundle_id;
	struct macext_pending_approval p = {0};
	int r;

	r = macext_store_kext_policy_get(e->store, team, id, &kf->row);
	if (r == 0) {
		kf->row_present = true;
		kf->f.approval = (struct macext_approval_row){true, kf->row.team_id,
							       kf->row.bundle_id, kf->row.allowed,
							       kf->row.developer_name};
	} else if (r != -ENOENT) {
		goto fail;
	}
	r = macext_store_pending_get(e->store, team, id, &p);
	if (r == 0) {
		kf->f.pending.present = true;
		kf->f.pending.blocked_at = p.blocked_at;
		macext_pending_approval_clear(&p);
	} else if (r != -ENOENT) {
		goto fail;
	}
	return 0;
fail:
	*diag = *macext_store_diag(e->store);
	return r;
}

/* P18: an update is allowed once the AuxKC file (what the next boot maps) holds the
 * executable now on disk (the same LC_UUID in its fileset entry). */
static bool next_auxkc_has(struct mx_env *e, const char *bundle_id, const char *uuid)
{
	if (!e->auxkc_read) {
		struct mx_map m = MX_MAP_INIT;
		char *p = mx_path_join(e->ctx->root, MX_AUXKC);

		e->auxkc_read = true;
		if (p && mx_map_file(&m, p, (uint64_t)1 << 31, NULL) == 0 && m.data &&
		    macext_kc_parse(&e->auxkc, m.data, m.len, NULL) < 0)
			e->auxkc = NULL;
		mx_unmap(&m);
		mx_free(p);
	}
	for (size_t i = 0; e->auxkc && uuid && i < e->auxkc->nkexts; i++) {
		const struct macext_kc_kext *k = &e->auxkc->kexts[i];
		const uint8_t *u = k->uuid;
		char text[37];

		if (strcmp(k->bundle_id, bundle_id) != 0 || !k->has_uuid)
			continue;
		snprintf(text, sizeof(text),
			 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", u[0],
			 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
			 u[13], u[14], u[15]);
		return strcmp(text, uuid) == 0;
	}
	return false;
}

int mx_facts_gather(struct mx_env *e, const char *host_path, const char *mac_path,
		    struct mx_kext_facts *kf, struct macext_diag *diag)
{
	struct macext_facts *f = &kf->f;
	struct mx_loaded_kext *lk, *bk = NULL;
	int r;

	memset(kf, 0, sizeof(*kf));
	kf->host_path = mx_strdup(host_path);
	kf->mac_path = mx_strdup(mac_path);
	if (!kf->host_path || !kf->mac_path)
		return -ENOMEM;
	r = macext_kext_open(&kf->k, host_path, diag);
	if (r < 0)
		return r;
	if (!macext_kext_bundle_id(kf->k))
		return mx_diag_fail_nopos(diag, -EBADMSG, "%s: no CFBundleIdentifier", mac_path);
	f->macos = e->info->macos;
	f->platform = e->platform;
	f->csr_active_config = e->nv.csr_active_config;
	f->boot_state = e->nv.boot_state;
	f->enrollment = e->enrollment;
	f->now = e->ctx->now;
	f->kext.bundle_id = macext_kext_bundle_id(kf->k);
	f->kext.version = macext_kext_version(kf->k);
	f->kext.path = kf->mac_path;
	f->kext.location = macext_kext_location_classify(kf->mac_path, NULL);
	f->kext.codeless = macext_kext_executable_path(kf->k) == NULL;
	if ((r = verify(e, kf->k, &kf->cs)) < 0 || (r = fill_uuid(kf)) < 0)
		return r;
	fill_sig(kf);
	r = macext_kext_classify(kf->k, "x86_64", &e->info->macos, &kf->cls);
	if (r < 0)
		return r;
	if (kf->cls.nkpi) {
		kf->kpi = mx_calloc(kf->cls.nkpi, sizeof(*kf->kpi));
		if (!kf->kpi)
			return -ENOMEM;
	}
	for (size_t i = 0; i < kf->cls.nkpi; i++)
		kf->kpi[i] = (struct macext_kpi_fact){kf->cls.kpi[i].id, kf->cls.kpi[i].unsupported,
						      kf->cls.kpi[i].obligatory,
						      kf->cls.kpi[i].evidence};
	f->kpi = kf->kpi;
	f->nkpi = kf->cls.nkpi;
	f->excluded = kf->cls.excluded;
	f->excluded_kernel = kf->cls.excluded_kernel;
	f->exclude_rule = kf->cls.exclude_rule;
	if ((r = validation(e, kf)) < 0 || (r = store_facts(e, kf, diag)) < 0)
		return r;
	r = macext_machine_grandfathered(e->ctx, mx_facts_team(kf), f->kext.bundle_id,
					 &f->grandfathered, diag);
	if (r < 0)
		return r;
	f->consent.enabled = e->nv.kext_consent_enabled;
	f->consent.teams = (const char *const *)e->nv.kext_consent_teams;
	f->consent.nteams = e->nv.nkext_consent_teams;
	f->mdm = e->mdm;
	f->nmdm = e->nmdm;
	f->user.name = e->user;
	f->user.admin = e->admin;
	lk = mx_loaded_find(&e->loaded, f->kext.bundle_id);
	f->loaded = lk != NULL;
	for (size_t i = 0; i < e->loaded.nbooted; i++)
		if (strcmp(e->loaded.booted[i].bundle_id, f->kext.bundle_id) == 0)
			bk = &e->loaded.booted[i];
	f->auxkc.in_booted = bk != NULL;
	f->auxkc.booted_cdhash = bk ? bk->cdhash : NULL;
	f->auxkc.update_allowed = bk && e->info->macos.major >= 11 &&
				  next_auxkc_has(e, f->kext.bundle_id, kf->uuid);
	return scope_fact(e, kf);
}
