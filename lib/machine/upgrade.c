/*
 * lib/machine/upgrade.c: `machine upgrade --macos V` and the 10.13 grandfathering record
 * (kexts.md §1.4 U11, §3.5, §9 P7).
 *
 * macOS 10.13 let kexts installed while the Mac ran 10.12 or earlier keep loading without
 * approval. Apple keeps them in migration.plist, key SignedKernelExtensions: a dictionary
 * Team ID -> array of [bundle ID, developer name] pairs, and sets the KextPolicy setting
 * migrationPerformed = YES. macext writes .macext/migration.plist the same way, with
 * unsigned kexts under the Team ID "" (our extension, P7), and the policy allows any pair
 * found there (macext_machine_grandfathered).
 *
 * Invariants:
 * 1. Forward only: TO must be newer than machine.plist's release (MACEXT_E_USAGE).
 * 2. Nothing the user sees changes until the last step. The new Apple kexts are written
 *    into a staging folder beside System/Library/Extensions; then (only for <= 10.12 ->
 *    >= 10.13) the store transaction and migration.plist (atomic); then the staging folder
 *    and System/Library/Extensions are exchanged in one renameat2(RENAME_EXCHANGE); last,
 *    machine.plist is replaced atomically (the commit point). If that write fails the
 *    folders are exchanged back. A crash between the exchange and the machine.plist write
 *    leaves the new Apple kexts under the old release; upgrading again completes it.
 * 3. The scan follows no symlinks, stops at MIGRATION_MAX_KEXTS kexts and SCAN_MAX_DEPTH
 *    folders, and records only third-party kexts (CFBundleIdentifier not com.apple.*);
 *    plug-in kexts count as kexts. A kext without a bundle identifier is skipped: it could
 *    not load, so there is nothing to grandfather.
 * 4. Team ID: the leaf certificate's (macext_codesign_verify) when the signature is more
 *    than ad hoc, else "" (the same rule as the policy's); the developer name: the
 *    certificate's, else "Unidentified - <CFBundleExecutable>" or the folder name (P6).
 */
#define _GNU_SOURCE /* renameat2 */
#include "machine/machine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macext/codesign.h"
#include "macext/machine_state.h"
#include "macext/store.h"
#include "model/bundle.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define MX_MIGRATION_PLIST ".macext/migration.plist"
#define KEXT_POLICY_DB "var/db/SystemPolicyConfiguration/KextPolicy"
#define SYSTEM_EXTENSIONS "System/Library/Extensions"
#define MIGRATION_MAX_KEXTS 4096u
#define SCAN_MAX_DEPTH 12
#define TRUST_ANCHOR_MAX ((size_t)1 << 20)
#define TRUST_ANCHORS_MAX 64u

/* Where third-party kexts live (TN2459's scopes, kexts.md §1.5). */
static const char *const scan_roots[] = {
	"Library/Extensions",
	"Applications",
	"Library/Application Support",
	NULL,
};

struct gf_kext {
	char *team_id;
	char *bundle_id;
	char *developer;
};

struct scan {
	const struct macext_ctx *ctx;
	struct macext_cs_options cs;
	struct gf_kext *v;
	size_t n, cap;
	struct macext_diag *diag;
};

/* ---- trust anchors (the machine's .macext/trust/<sha256>.pem) ---------------------------------- */

struct anchors {
	uint8_t *data[TRUST_ANCHORS_MAX];
	size_t len[TRUST_ANCHORS_MAX];
	size_t n;
};

static void anchors_free(struct anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		mx_free(a->data[i]);
	a->n = 0;
}

static int anchors_load(const char *root, struct anchors *a)
{
	char *dir = mx_path_join(root, MX_TRUST_DIR);
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	while (d && (e = readdir(d)) && a->n < TRUST_ANCHORS_MAX) {
		size_t nlen = strlen(e->d_name), len = 0;
		char *p, *buf = NULL;

		if (nlen < 5 || strcmp(e->d_name + nlen - 4, ".pem") != 0)
			continue;
		p = mx_path_join(dir, e->d_name);
		if (!p) {
			r = -ENOMEM;
			break;
		}
		r = mx_read_file(p, TRUST_ANCHOR_MAX, &buf, &len, NULL);
		mx_free(p);
		if (r == -ENOMEM)
			break;
		r = 0;
		if (buf) {
			a->data[a->n] = (uint8_t *)buf;
			a->len[a->n++] = len;
		}
	}
	if (d)
		closedir(d);
	mx_free(dir);
	return r;
}

/* ---- the scan ---------------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Team ID and developer name of the kext K (see invariant 4). */
static int identify(struct scan *s, const struct macext_kext *k, struct gf_kext *g)
{
	const char *exe = macext_kext_executable_path(k), *slash;
	struct macext_cs_result *res = NULL;
	struct mx_map map = MX_MAP_INIT;
	const char *team = "", *dev = NULL;
	char *folder = NULL;
	int r = 0;

	if (exe)
		r = mx_map_file(&map, exe, MX_KEXT_MAX_EXECUTABLE, NULL);
	if (r == -ENOMEM)
		goto out;
	r = 0;
	if (map.data) {
		r = macext_codesign_verify(&res, map.data, map.len, &s->cs, NULL);
		if (r == -ENOMEM)
			goto out;
		r = 0;
		if (res && res->nslices > 0 && res->kind > MACEXT_CS_ADHOC &&
		    res->slices[0].team_id) {
			team = res->slices[0].team_id;
			dev = res->slices[0].developer_name;
		}
	}
	g->team_id = mx_strdup(team);
	if (*team) {
		g->developer = mx_strdup(dev ? dev : team);
	} else if (exe) {
		slash = strrchr(exe, '/');
		g->developer = mx_asprintf("Unidentified - %s", slash ? slash + 1 : exe);
	} else {
		slash = strrchr(macext_kext_path(k), '/');
		folder = mx_strdup(slash ? slash + 1 : macext_kext_path(k));
		if (folder && ends_with(folder, ".kext"))
			folder[strlen(folder) - 5] = '\0';
		g->developer = folder ? mx_asprintf("Unidentified - %s", folder) : NULL;
	}
	if (!g->team_id || !g->developer)
		r = -ENOMEM;
out:
	mx_free(folder);
	macext_cs_result_free(res);
	mx_unmap(&map);
	return r;
}

static int record(struct scan *s, const struct macext_kext *k)
{
	const char *id = macext_kext_bundle_id(k);
	struct gf_kext *g;
	int r;

	if (id && strncmp(id, "com.apple.", 10) != 0) {
		if (s->n >= MIGRATION_MAX_KEXTS)
			return mx_diag_fail_nopos(s->diag, -E2BIG,
						  "more than %u third-party kexts to grandfather",
						  MIGRATION_MAX_KEXTS);
		if (mx_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0)
			return -ENOMEM;
		g = &s->v[s->n];
		memset(g, 0, sizeof(*g));
		g->bundle_id = mx_strdup(id);
		s->n++;
		if (!g->bundle_id)
			return -ENOMEM;
		r = identify(s, k, g);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < macext_kext_nplugins(k); i++) {
		r = record(s, macext_kext_plugin(k, i));
		if (r < 0)
			return r;
	}
	return 0;
}

static int scan_dir(struct scan *s, const char *dir, int depth)
{
	struct dirent **names = NULL;
	int n, r = 0;

	if (depth > SCAN_MAX_DEPTH)
		return 0;
	n = scandir(dir, &names, NULL, alphasort); /* sorted: the plist is deterministic */
	if (n < 0)
		return errno == ENOMEM ? -ENOMEM : 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct macext_kext *k = NULL;
		struct stat st;
		char *p;

		if (r < 0 || name[0] == '.')
			continue;
		p = mx_path_join(dir, name);
		if (!p) {
			r = -ENOMEM;
			continue;
		}
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (ends_with(name, ".kext")) {
				r = macext_kext_open(&k, p, NULL);
				if (r == 0)
					r = record(s, k);
				else if (r != -ENOMEM && r != -E2BIG)
					r = 0; /* unreadable bundle: not a kext that could load */
				macext_kext_free(k);
			} else {
				r = scan_dir(s, p, depth + 1);
			}
		}
		mx_free(p);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static void gf_free(struct gf_kext *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mx_free(v[i].team_id);
		mx_free(v[i].bundle_id);
		mx_free(v[i].developer);
	}
	mx_free(v);
}

/* migration.plist: SignedKernelExtensions = { TeamID: [[bundle ID, developer], ...] }. */
static int write_migration(const char *root, const struct gf_kext *v, size_t n)
{
	plist_t top = plist_new_dict(), teams = plist_new_dict();
	int r;

	for (size_t i = 0; i < n; i++) {
		plist_t list = plist_dict_get_item(teams, v[i].team_id), pair;

		if (!list) {
			list = plist_new_array();
			plist_dict_set_item(teams, v[i].team_id, list);
		}
		pair = plist_new_array();
		plist_array_append_item(pair, plist_new_string(v[i].bundle_id));
		plist_array_append_item(pair, plist_new_string(v[i].developer));
		plist_array_append_item(list, pair);
	}
	plist_dict_set_item(top, "SignedKernelExtensions", teams);
	r = mx_machine_write_plist(root, MX_MIGRATION_PLIST, top, 0644, true);
	plist_free(top);
	return r;
}

static int mark_store(const struct macext_ctx *ctx, const struct macext_macos_version *to,
		      struct macext_diag *diag)
{
	static const struct macext_macos_version big_sur = {11, 0, 0};
	struct macext_store *st = NULL;
	char *path = mx_path_join(ctx->root, KEXT_POLICY_DB);
	unsigned flags = macext_macos_cmp(to, &big_sur) >= 0 ? MACEXT_STORE_CDHASH : 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = macext_store_open(&st, "sqlite", path, flags, diag);
	if (r < 0) {
		mx_diag_prefix(diag, "%s", KEXT_POLICY_DB);
		goto out;
	}
	r = macext_store_begin(st);
	if (r == 0)
		r = macext_store_setting_set(st, "migrationPerformed", "YES");
	if (r == 0)
		r = macext_store_commit(st);
	if (r < 0) {
		if (diag && diag->code == 0)
			*diag = *macext_store_diag(st);
		mx_diag_prefix(diag, "%s", KEXT_POLICY_DB);
	}
out:
	macext_store_close(st);
	mx_free(path);
	return r;
}

static int grandfather(const struct macext_ctx *ctx, const struct macext_macos_version *to,
		       size_t *ret_n, struct macext_diag *diag)
{
	struct scan s = {.ctx = ctx, .diag = diag};
	struct anchors a = {0};
	int r;

	r = anchors_load(ctx->root, &a);
	s.cs.now = ctx->now;
	s.cs.anchors = (const uint8_t *const *)a.data;
	s.cs.anchor_lens = a.len;
	s.cs.nanchors = a.n;
	for (size_t i = 0; scan_roots[i] && r == 0; i++) {
		char *p = mx_path_join(ctx->root, scan_roots[i]);

		r = p ? scan_dir(&s, p, 0) : -ENOMEM;
		mx_free(p);
	}
	if (r == 0)
		r = mark_store(ctx, to, diag);
	if (r == 0) {
		r = write_migration(ctx->root, s.v, s.n);
		if (r < 0)
			mx_diag_fail_nopos(diag, r, "%s: cannot write: %s", MX_MIGRATION_PLIST,
					   macext_strerror(r));
	}
	*ret_n = s.n;
	gf_free(s.v, s.n);
	anchors_free(&a);
	return r;
}

/* ---- the upgrade ---------------------------------------------------------------------- */

static int read_release(const char *root, plist_t *ret_m, struct macext_macos_version *ret,
			struct macext_diag *diag)
{
	plist_t m = NULL, v;
	int r;

	r = mx_machine_read_plist(root, MX_MACHINE_PLIST, &m, diag);
	if (r < 0)
		return r;
	v = plist_dict_get_item(m, "macos_version");
	if (plist_get_node_type(v) != PLIST_STRING ||
	    macext_macos_parse(plist_get_string_ptr(v, NULL), ret) < 0) {
		plist_free(m);
		return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE,
					  "%s: macos_version is missing or malformed",
					  MX_MACHINE_PLIST);
	}
	*ret_m = m;
	return 0;
}

/* Exchanges A and B (two existing directories) in one step. */
static int exchange(const char *a, const char *b)
{
	if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0)
		return -errno;
	return 0;
}

int macext_machine_upgrade(const struct macext_ctx *ctx, const struct macext_macos_version *to,
			   struct macext_machine_upgrade_result *ret, struct macext_diag *diag)
{
	static const struct macext_macos_version high_sierra = {10, 13, 0};
	struct macext_machine_upgrade_result res = {0};
	char *ext = NULL, *stage = NULL, text[16], from_text[16];
	bool staged = false, swapped = false;
	plist_t m = NULL;
	int r;

	if (!ctx || !ctx->root || !to)
		return -EINVAL;
	r = mx_machine_check_exists(ctx->root, diag);
	if (r < 0)
		return r;
	r = read_release(ctx->root, &m, &res.from, diag);
	if (r < 0)
		return r;
	res.to = *to;
	macext_macos_format(to, text);
	macext_macos_format(&res.from, from_text);
	if (macext_macos_cmp(to, &res.from) <= 0) {
		r = mx_diag_fail_nopos(diag, MACEXT_E_USAGE,
				       "macOS %s is not newer than the installed %s (upgrades go "
				       "forward only)",
				       text, from_text);
		goto out;
	}
	ext = mx_path_join(ctx->root, SYSTEM_EXTENSIONS);
	stage = mx_asprintf("%s/System/Library/.Extensions.upgrade.XXXXXX", ctx->root);
	if (!ext || !stage) {
		r = -ENOMEM;
		goto out;
	}
	r = mx_mkdir_p(ext, 0755);
	if (r == 0 && !mkdtemp(stage))
		r = -errno;
	if (r < 0) {
		mx_diag_fail_nopos(diag, r, "%s: %s", SYSTEM_EXTENSIONS, macext_strerror(r));
		goto out;
	}
	staged = true;
	if (chmod(stage, 0755) < 0) {
		r = mx_diag_fail_nopos(diag, -errno, "%s: %s", stage, macext_strerror(-errno));
		goto out;
	}
	r = mx_machine_write_system_kexts(stage, to, diag);
	if (r < 0)
		goto out;
	res.migrated = macext_macos_cmp(&res.from, &high_sierra) < 0 &&
		       macext_macos_cmp(to, &high_sierra) >= 0;
	if (res.migrated) {
		r = grandfather(ctx, to, &res.ngrandfathered, diag);
		if (r < 0)
			goto out;
	}
	r = exchange(stage, ext);
	if (r < 0) {
		mx_diag_fail_nopos(diag, r, "%s: cannot replace: %s", SYSTEM_EXTENSIONS,
				   macext_strerror(r));
		goto out;
	}
	swapped = true;
	plist_dict_set_item(m, "macos_version", plist_new_string(text));
	r = mx_machine_write_plist(ctx->root, MX_MACHINE_PLIST, m, 0644, true);
	if (r < 0) {
		mx_diag_fail_nopos(diag, r, "%s: cannot write: %s", MX_MACHINE_PLIST,
				   macext_strerror(r));
		if (exchange(stage, ext) == 0)
			swapped = false;
		goto out;
	}
	if (ret)
		*ret = res;
out:
	/* After a successful exchange the staging name holds the old folder. */
	if (staged && (r == 0 || !swapped))
		mx_machine_rm_tree(stage);
	plist_free(m);
	mx_free(ext);
	mx_free(stage);
	return r;
}

int macext_machine_grandfathered(const struct macext_ctx *ctx, const char *team_id,
				 const char *bundle_id, bool *ret, struct macext_diag *diag)
{
	plist_t top = NULL, teams, list;
	char *path;
	int r;

	if (!ctx || !ctx->root || !team_id || !bundle_id || !ret)
		return -EINVAL;
	*ret = false;
	r = mx_machine_check_exists(ctx->root, diag);
	if (r < 0)
		return r;
	path = mx_path_join(ctx->root, MX_MIGRATION_PLIST);
	if (!path)
		return -ENOMEM;
	r = mx_exists(path);
	mx_free(path);
	if (!r)
		return 0; /* the migration never ran: nothing is grandfathered */
	r = mx_machine_read_plist(ctx->root, MX_MIGRATION_PLIST, &top, diag);
	if (r < 0)
		return r;
	teams = plist_dict_get_item(top, "SignedKernelExtensions");
	if (plist_get_node_type(teams) != PLIST_DICT) {
		r = mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE,
				       "%s: SignedKernelExtensions is missing or not a dictionary",
				       MX_MIGRATION_PLIST);
		goto out;
	}
	list = plist_dict_get_item(teams, team_id);
	if (list && plist_get_node_type(list) != PLIST_ARRAY) {
		r = mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s: team \"%s\" is not an array",
				       MX_MIGRATION_PLIST, team_id);
		goto out;
	}
	for (uint32_t i = 0; list && i < plist_array_get_size(list); i++) {
		plist_t pair = plist_array_get_item(list, i), id;

		if (plist_get_node_type(pair) != PLIST_ARRAY || plist_array_get_size(pair) < 1)
			continue;
		id = plist_array_get_item(pair, 0);
		if (plist_get_node_type(id) == PLIST_STRING &&
		    strcmp(plist_get_string_ptr(id, NULL), bundle_id) == 0) {
			*ret = true;
			break;
		}
	}
out:
	plist_free(top);
	return r;
}
