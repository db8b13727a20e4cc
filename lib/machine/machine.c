/*
 * lib/machine/machine.c: creating the modeled Mac (`machine init`) and reading its
 * description (`machine show`). ARCHITECTURE.md §2 fixes the layout.
 *
 * Invariants:
 * 1. init never leaves a half-made Mac. macext_machine_init() builds the whole tree in a
 *    fresh sibling "<root>.init.XXXXXX" (mkdtemp), syncs that file system once, and renames
 *    it into place. On any failure the sibling is removed and the root is untouched. With
 *    FORCE an existing root is first renamed aside ("<root>.old.XXXXXX") and removed only
 *    after the new one is in place; if that rename fails the old root is put back.
 * 2. A root that exists and is not an empty directory is refused without FORCE (-EEXIST).
 * 3. Everything init writes comes from its options, the catalogue (macext_catalogue_kexts,
 *    macext_catalogue_exclude_list), the modeled clock (ctx->now) and the OpenSSL CSPRNG
 *    (the boot volume group UUID, the SEP key, password salts). No wall clock, no /System.
 * 4. SIP starts fully enabled: csr-active-config is four zero bytes (a little-endian 0),
 *    as NVRAM holds it on an Intel Mac; the boot state is "normal".
 * 5. The SEP stand-in is a P-256 private key, PEM, mode 0600, in a 0700 directory.
 */
#define _GNU_SOURCE /* syncfs, nftw */
#include "machine/machine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define EXCLUDE_LIST_ID "com.apple.driver.KextExcludeList"
#define TRUST_ANCHOR_MAX ((size_t)1 << 20)
#define KEXT_WALK_DEPTH 4

static const char *const arch_names[] = {"arm64", "x86_64", "x86_64-t2", NULL};
static const char *const enroll_names[] = {"none", "user-approved", "ade", "user-enrollment",
					   NULL};

/* Folders every modeled Mac has, empty at first (ARCHITECTURE.md §2). */
static const char *const skeleton[] = {
	"System/Library/Extensions",
	"Library/Extensions",
	"Library/StagedExtensions",
	"Library/Application Support",
	"Library/SystemExtensions",
	"Library/KernelCollections",
	"Applications",
	"var/db/SystemPolicyConfiguration",
	"var/db/ConfigurationProfiles",
	NULL,
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++) {
		if (strcmp(*list, s) == 0)
			return true;
	}
	return false;
}

void macext_machine_newest_macos(struct macext_macos_version *ret)
{
	/* The catalogue accepts exactly the releases it models; the newest major it accepts
	 * is the newest release. Probing keeps kext.h free of a second source of truth. */
	for (unsigned major = 40; major >= 11; major--) {
		char text[8];

		snprintf(text, sizeof(text), "%u", major);
		if (macext_macos_parse(text, ret) == 0)
			return;
	}
	*ret = (struct macext_macos_version){10, 15, 7};
}

int mx_machine_write_file(const char *dir, const char *rel, const void *data, size_t len,
			  unsigned mode)
{
	char *path = mx_path_join(dir, rel), *slash;
	int fd = -1, r = 0;

	if (!path)
		return -ENOMEM;
	slash = strrchr(path, '/');
	*slash = '\0';
	r = mx_mkdir_p(path, 0755);
	*slash = '/';
	if (r < 0)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = mx_write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
out:
	mx_free(path);
	return r;
}

int mx_machine_write_plist(const char *dir, const char *rel, plist_t plist, unsigned mode,
			   bool atomic)
{
	char *xml = NULL, *path;
	uint32_t len = 0;
	int r;

	plist_to_xml(plist, &xml, &len);
	if (!xml)
		return -ENOMEM;
	if (!atomic) {
		r = mx_machine_write_file(dir, rel, xml, len, mode);
	} else {
		path = mx_path_join(dir, rel);
		r = path ? mx_write_atomic(path, xml, len, (mode_t)mode) : -ENOMEM;
		mx_free(path);
	}
	plist_to_xml_free(xml);
	return r;
}

int mx_machine_read_plist(const char *dir, const char *rel, plist_t *ret,
			  struct macext_diag *diag)
{
	char *path = mx_path_join(dir, rel), *buf = NULL;
	plist_t p = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return -ENOMEM;
	r = mx_read_file(path, MX_MACHINE_PLIST_MAX, &buf, &len, NULL);
	mx_free(path);
	if (r == -ENOENT)
		return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s: missing", rel);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r == -ENOMEM ? r : MACEXT_E_BAD_MACHINE,
					  "%s: cannot read: %s", rel, macext_strerror(r));
	plist_from_memory(buf, (uint32_t)len, &p);
	mx_free(buf);
	if (!p || plist_get_node_type(p) != PLIST_DICT) {
		plist_free(p);
		return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE,
					  "%s: not a property list dictionary", rel);
	}
	*ret = p;
	return 0;
}

int mx_machine_check_exists(const char *root, struct macext_diag *diag)
{
	char *p = mx_path_join(root, ".macext");
	int r;

	if (!p)
		return -ENOMEM;
	r = mx_is_dir(p);
	mx_free(p);
	if (!r)
		return mx_diag_fail_nopos(diag, -ENOENT,
					  "no modeled Mac here (run 'macext machine init')");
	return 0;
}

/* ---- init: the pieces ---------------------------------------------------------------- */

static int write_kext(const char *ext, const struct macext_catalogue_kext *k)
{
	/* System.kext and its KPI plug-ins are flat bundles (Info.plist at the top), as xnu
	 * ships them; every other Apple kext has the Contents/ layout. */
	bool flat = k->parent || k->kernel_resource;
	char *rel, *name = mx_strndup(k->bundle_name, strcspn(k->bundle_name, "."));
	plist_t d;
	int r;

	if (k->parent)
		rel = mx_asprintf("%s/PlugIns/%s/Info.plist", k->parent, k->bundle_name);
	else
		rel = mx_asprintf("%s/%sInfo.plist", k->bundle_name, flat ? "" : "Contents/");
	if (!rel || !name) {
		mx_free(rel);
		mx_free(name);
		return -ENOMEM;
	}
	d = plist_new_dict();
	plist_dict_set_item(d, "CFBundleIdentifier", plist_new_string(k->id));
	plist_dict_set_item(d, "CFBundleName", plist_new_string(name));
	plist_dict_set_item(d, "CFBundleInfoDictionaryVersion", plist_new_string("6.0"));
	plist_dict_set_item(d, "CFBundlePackageType", plist_new_string("KEXT"));
	plist_dict_set_item(d, "CFBundleSignature", plist_new_string("????"));
	plist_dict_set_item(d, "CFBundleVersion", plist_new_string(k->version));
	if (k->compatible_version)
		plist_dict_set_item(d, "OSBundleCompatibleVersion",
				    plist_new_string(k->compatible_version));
	if (k->kernel_resource) {
		plist_dict_set_item(d, "OSKernelResource", plist_new_bool(1));
		plist_dict_set_item(d, "OSBundleRequired", plist_new_string("Root"));
		plist_dict_set_item(d, "OSBundleAllowUserLoad", plist_new_bool(1));
	}
	r = mx_machine_write_plist(ext, rel, d, 0644, false);
	plist_free(d);
	mx_free(rel);
	mx_free(name);
	return r;
}

static int write_exclude_list(const char *ext, const struct macext_macos_version *v)
{
	struct macext_exclude_entry *ex = NULL;
	plist_t d, list;
	char version[24];
	size_t n = 0;
	int r;

	r = macext_catalogue_exclude_list(v, &ex, &n);
	if (r < 0)
		return r;
	/* The kernel takes a new list only from a strictly newer bundle version (kexts.md
	 * §5.1), so the version follows the release: Darwin major . minor . patch. */
	snprintf(version, sizeof(version), "%u.%u.%u", macext_macos_darwin_major(v), v->minor,
		 v->patch);
	list = plist_new_dict();
	for (size_t i = 0; i < n; i++)
		plist_dict_set_item(list, ex[i].id, plist_new_string(ex[i].rule));
	macext_exclude_list_free(ex, n);
	d = plist_new_dict();
	plist_dict_set_item(d, "CFBundleIdentifier", plist_new_string(EXCLUDE_LIST_ID));
	plist_dict_set_item(d, "CFBundleName", plist_new_string("AppleKextExcludeList"));
	plist_dict_set_item(d, "CFBundleInfoDictionaryVersion", plist_new_string("6.0"));
	plist_dict_set_item(d, "CFBundlePackageType", plist_new_string("KEXT"));
	plist_dict_set_item(d, "CFBundleVersion", plist_new_string(version));
	plist_dict_set_item(d, "OSKextExcludeList", list);
	r = mx_machine_write_plist(ext, "AppleKextExcludeList.kext/Contents/Info.plist", d, 0644,
				   false);
	plist_free(d);
	return r;
}

int mx_machine_write_system_kexts(const char *ext, const struct macext_macos_version *v,
				  struct macext_diag *diag)
{
	struct macext_catalogue_kext *kexts = NULL;
	size_t n = 0;
	int r;

	r = macext_catalogue_kexts(v, &kexts, &n);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r == -EINVAL ? MACEXT_E_USAGE : r,
					  "macOS %u.%u.%u: no kext catalogue", v->major, v->minor,
					  v->patch);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (strcmp(kexts[i].id, EXCLUDE_LIST_ID) != 0)
			r = write_kext(ext, &kexts[i]);
	}
	macext_catalogue_free(kexts, n);
	if (r == 0)
		r = write_exclude_list(ext, v);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, "System/Library/Extensions: cannot write: %s",
					  macext_strerror(r));
	return 0;
}

static void uuid_v4(char out[37])
{
	uint8_t u[16];

	if (RAND_bytes(u, sizeof(u)) != 1)
		memset(u, 0, sizeof(u));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static int write_machine_plists(const char *tmp, const struct macext_ctx *ctx,
				const struct macext_machine_init_opts *o,
				const struct macext_macos_version *v)
{
	static const uint8_t csr_enabled[4] = {0, 0, 0, 0};
	char version[16], created[21], vgid[37];
	plist_t m = plist_new_dict(), nv = plist_new_dict();
	int r;

	macext_macos_format(v, version);
	macext_time_format(ctx->now, created);
	uuid_v4(vgid);
	plist_dict_set_item(m, "format", plist_new_uint(1));
	plist_dict_set_item(m, "arch", plist_new_string(o->arch ? o->arch : "arm64"));
	plist_dict_set_item(m, "macos_version", plist_new_string(version));
	plist_dict_set_item(m, "enrollment",
			    plist_new_string(o->enrollment ? o->enrollment : "none"));
	plist_dict_set_item(m, "volume_group_uuid", plist_new_string(vgid));
	plist_dict_set_item(m, "created", plist_new_string(created));
	plist_dict_set_item(nv, "csr-active-config",
			    plist_new_data((const char *)csr_enabled, sizeof(csr_enabled)));
	plist_dict_set_item(nv, "boot-state", plist_new_string("normal"));
	r = mx_machine_write_plist(tmp, MX_MACHINE_PLIST, m, 0644, false);
	if (r == 0)
		r = mx_machine_write_plist(tmp, MX_NVRAM_PLIST, nv, 0644, false);
	plist_free(m);
	plist_free(nv);
	return r;
}

static int write_pem(const char *tmp, const char *rel, EVP_PKEY *key, bool priv, unsigned mode)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int r = -ENOMEM;

	if (!bio)
		return -ENOMEM;
	if (priv ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
		 : PEM_write_bio_PUBKEY(bio, key)) {
		len = BIO_get_mem_data(bio, &data);
		r = len > 0 ? mx_machine_write_file(tmp, rel, data, (size_t)len, mode) : -ENOMEM;
	}
	BIO_free(bio);
	return r;
}

static int write_sep_key(const char *tmp, struct macext_diag *diag)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	char *dir = mx_path_join(tmp, ".macext/sep");
	int r;

	if (!key || !dir) {
		r = -ENOMEM;
		goto out;
	}
	r = mx_mkdir_p(dir, 0700);
	if (r == 0)
		r = write_pem(tmp, MX_SEP_KEY, key, true, 0600);
	if (r == 0)
		r = write_pem(tmp, MX_SEP_PUBKEY, key, false, 0644);
out:
	EVP_PKEY_free(key);
	mx_free(dir);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, ".macext/sep: cannot make the SEP key");
	return 0;
}

/* Validates the PEM certificate at PATH and stores it, re-encoded, as
 * .macext/trust/<sha256 of its DER, lower-case hex>.pem. */
static int write_trust_anchor(const char *tmp, const char *path, struct macext_diag *diag)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *buf = NULL, *rel = NULL, hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t len = 0;
	X509 *x = NULL;
	BIO *in = NULL, *out = NULL;
	char *pem = NULL;
	long pemlen;
	int r;

	r = mx_read_file(path, TRUST_ANCHOR_MAX, &buf, &len, diag);
	if (r < 0) {
		mx_diag_prefix(diag, "%s", path);
		return r;
	}
	in = BIO_new_mem_buf(buf, (int)len);
	x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
	if (!x || X509_digest(x, EVP_sha256(), md, &mdlen) != 1) {
		r = mx_diag_fail_nopos(diag, -EBADMSG, "%s: not a PEM X.509 certificate", path);
		goto out;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rel = mx_asprintf("%s/%s.pem", MX_TRUST_DIR, hex);
	out = BIO_new(BIO_s_mem());
	if (!rel || !out || !PEM_write_bio_X509(out, x)) {
		r = -ENOMEM;
		goto out;
	}
	pemlen = BIO_get_mem_data(out, &pem);
	r = mx_machine_write_file(tmp, rel, pem, (size_t)pemlen, 0644);
	if (r < 0)
		mx_diag_fail_nopos(diag, r, "%s: cannot write", MX_TRUST_DIR);
out:
	X509_free(x);
	BIO_free(in);
	BIO_free(out);
	mx_free(rel);
	mx_free(buf);
	return r;
}

static int build_tree(const char *tmp, const struct macext_ctx *ctx,
		      const struct macext_machine_init_opts *o, const struct macext_macos_version *v,
		      struct macext_diag *diag)
{
	plist_t accounts = NULL;
	char *ext;
	int r = 0;

	for (size_t i = 0; skeleton[i] && r == 0; i++) {
		char *p = mx_path_join(tmp, skeleton[i]);

		r = p ? mx_mkdir_p(p, 0755) : -ENOMEM;
		mx_free(p);
	}
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, "cannot make folders: %s", macext_strerror(r));
	ext = mx_path_join(tmp, "System/Library/Extensions");
	r = ext ? mx_machine_write_system_kexts(ext, v, diag) : -ENOMEM;
	mx_free(ext);
	if (r < 0)
		return r;
	r = write_machine_plists(tmp, ctx, o, v);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, ".macext: cannot write: %s", macext_strerror(r));
	r = mx_accounts_new(&accounts, o->admin ? o->admin : "admin", o->password, true, true, diag);
	if (r < 0)
		return r;
	r = mx_machine_write_plist(tmp, MX_ACCOUNTS_PLIST, accounts, 0600, false);
	plist_free(accounts);
	if (r == 0)
		r = mx_machine_write_file(tmp, MX_LOG, "", 0, 0644);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, ".macext: cannot write: %s", macext_strerror(r));
	r = write_sep_key(tmp, diag);
	if (r == 0 && o->trust_anchor)
		r = write_trust_anchor(tmp, o->trust_anchor, diag);
	return r;
}

/* ---- init: the transaction ------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

void mx_machine_rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 if PATH exists and is something other than an empty directory, 0 if it is missing or
 * an empty directory. */
static int occupied(const char *path)
{
	struct dirent *e;
	DIR *d;
	int busy = 0;

	if (!mx_exists(path))
		return 0;
	d = opendir(path);
	if (!d)
		return 1;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			busy = 1;
			break;
		}
	}
	closedir(d);
	return busy;
}

static int check_opts(const struct macext_machine_init_opts *o, struct macext_diag *diag)
{
	if (!o || !o->password)
		return -EINVAL;
	if (o->arch && !in_list(arch_names, o->arch))
		return mx_diag_fail_nopos(diag, MACEXT_E_USAGE,
					  "arch '%s': expected arm64, x86_64 or x86_64-t2", o->arch);
	if (o->enrollment && !in_list(enroll_names, o->enrollment))
		return mx_diag_fail_nopos(diag, MACEXT_E_USAGE,
					  "enrollment '%s': expected none, user-approved, ade or "
					  "user-enrollment",
					  o->enrollment);
	return mx_account_name_check(o->admin ? o->admin : "admin", diag);
}

/* Syncs the file system holding DIR once, so the renamed tree is on disk whole. */
static int sync_tree(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (syncfs(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Puts TMP at ROOT; an occupied ROOT (FORCE) goes aside first and is removed last. */
static int swap_in(const char *tmp, const char *root, struct macext_diag *diag)
{
	char *old = NULL;
	int r = 0;

	if (occupied(root)) {
		old = mx_asprintf("%s.old.XXXXXX", root);
		if (!old || !mkdtemp(old)) {
			r = old ? -errno : -ENOMEM;
			goto out;
		}
		if (rename(root, old) < 0) {
			r = -errno;
			rmdir(old);
			goto out;
		}
	}
	if (rename(tmp, root) < 0) {
		r = -errno;
		if (old && rename(old, root) < 0)
			r = mx_diag_fail_nopos(diag, r, "%s: cannot restore from %s", root, old);
		goto out;
	}
	if (old)
		mx_machine_rm_tree(old);
out:
	if (r < 0 && diag && diag->code == 0)
		mx_diag_fail_nopos(diag, r, "%s: cannot move into place: %s", root,
				   macext_strerror(r));
	mx_free(old);
	return r;
}

int macext_machine_init(const struct macext_ctx *ctx, const struct macext_machine_init_opts *o,
			struct macext_diag *diag)
{
	struct macext_macos_version v;
	char *tmp = NULL, *parent = NULL;
	bool made = false;
	int r;

	if (!ctx || !ctx->root || !*ctx->root)
		return -EINVAL;
	r = check_opts(o, diag);
	if (r < 0)
		return r;
	if (o->macos)
		v = *o->macos;
	else
		macext_machine_newest_macos(&v);
	if (!(o->flags & MACEXT_MACHINE_INIT_FORCE) && occupied(ctx->root))
		return mx_diag_fail_nopos(diag, -EEXIST, "a modeled Mac already exists here "
							 "(use --force to replace it)");
	parent = mx_strdup(ctx->root);
	tmp = mx_asprintf("%s.init.XXXXXX", ctx->root);
	if (!parent || !tmp) {
		r = -ENOMEM;
		goto out;
	}
	if (strrchr(parent, '/') && strrchr(parent, '/') != parent) {
		*strrchr(parent, '/') = '\0';
		r = mx_mkdir_p(parent, 0755);
		if (r < 0) {
			mx_diag_fail_nopos(diag, r, "%s: %s", parent, macext_strerror(r));
			goto out;
		}
	}
	if (!mkdtemp(tmp)) {
		r = mx_diag_fail_nopos(diag, -errno, "%s: %s", tmp, macext_strerror(-errno));
		goto out;
	}
	made = true;
	if (chmod(tmp, 0755) < 0) {
		r = mx_diag_fail_nopos(diag, -errno, "%s: %s", tmp, macext_strerror(-errno));
		goto out;
	}
	r = build_tree(tmp, ctx, o, &v, diag);
	if (r == 0)
		r = sync_tree(tmp);
	if (r == 0)
		r = swap_in(tmp, ctx->root, diag);
	if (r == 0)
		made = false;
out:
	if (made)
		mx_machine_rm_tree(tmp);
	mx_free(tmp);
	mx_free(parent);
	return r;
}

/* ---- show ------------------------------------------------------------------------------ */

static int dup_string(plist_t dict, const char *key, char **ret)
{
	plist_t n = plist_dict_get_item(dict, key);

	if (plist_get_node_type(n) != PLIST_STRING)
		return -EBADMSG;
	*ret = mx_strdup(plist_get_string_ptr(n, NULL));
	return *ret ? 0 : -ENOMEM;
}

static size_t count_kexts(const char *dir, int depth)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	if (depth > KEXT_WALK_DEPTH || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *sub;

		if (e->d_name[0] == '.')
			continue;
		sub = mx_path_join(dir, e->d_name);
		if (!sub)
			break;
		if (len > 5 && strcmp(e->d_name + len - 5, ".kext") == 0 && mx_is_dir(sub)) {
			n++;
			n += count_kexts(sub, depth + 1);
		} else if (strcmp(e->d_name, "PlugIns") == 0 || strcmp(e->d_name, "Contents") == 0) {
			n += count_kexts(sub, depth + 1);
		}
		mx_free(sub);
	}
	closedir(d);
	return n;
}

static size_t count_pem(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		n += len > 4 && strcmp(e->d_name + len - 4, ".pem") == 0;
	}
	closedir(d);
	return n;
}

static int load_accounts(const char *root, struct macext_machine_info *info,
			 struct macext_diag *diag)
{
	plist_t top = NULL, users;
	uint32_t n;
	int r;

	r = mx_machine_read_plist(root, MX_ACCOUNTS_PLIST, &top, diag);
	if (r < 0)
		return r;
	users = plist_dict_get_item(top, "users");
	n = plist_get_node_type(users) == PLIST_ARRAY ? plist_array_get_size(users) : 0;
	info->accounts = mx_calloc(n, sizeof(*info->accounts));
	if (!info->accounts) {
		plist_free(top);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		plist_t u = plist_array_get_item(users, i), b;
		struct macext_machine_account *a = &info->accounts[info->naccounts];
		uint8_t flag = 0;

		r = dup_string(u, "name", &a->name);
		if (r < 0)
			break;
		info->naccounts++;
		if (plist_get_node_type(b = plist_dict_get_item(u, "admin")) == PLIST_BOOLEAN)
			plist_get_bool_val(b, &flag);
		a->admin = flag;
		flag = 0;
		if (plist_get_node_type(b = plist_dict_get_item(u, "owner")) == PLIST_BOOLEAN)
			plist_get_bool_val(b, &flag);
		a->owner = flag;
	}
	plist_free(top);
	if (r == -EBADMSG)
		return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s: an account has no name",
					  MX_ACCOUNTS_PLIST);
	return r;
}

static int load_machine(const char *root, struct macext_machine_info *info,
			struct macext_diag *diag)
{
	plist_t m = NULL, nv = NULL, csr;
	char *version = NULL, *created = NULL;
	int r;

	r = mx_machine_read_plist(root, MX_MACHINE_PLIST, &m, diag);
	if (r < 0)
		return r;
	r = mx_machine_read_plist(root, MX_NVRAM_PLIST, &nv, diag);
	if (r < 0)
		goto out;
	if ((r = dup_string(m, "arch", &info->arch)) < 0 ||
	    (r = dup_string(m, "macos_version", &version)) < 0 ||
	    (r = dup_string(m, "enrollment", &info->enrollment)) < 0 ||
	    (r = dup_string(m, "volume_group_uuid", &info->volume_group_uuid)) < 0 ||
	    (r = dup_string(m, "created", &created)) < 0 ||
	    (r = dup_string(nv, "boot-state", &info->boot_state)) < 0)
		goto bad;
	if (macext_macos_parse(version, &info->macos) < 0 ||
	    macext_time_parse(created, &info->created) < 0) {
		r = -EBADMSG;
		goto bad;
	}
	csr = plist_dict_get_item(nv, "csr-active-config");
	if (plist_get_node_type(csr) == PLIST_DATA) {
		char *b = NULL;
		uint64_t len = 0;

		plist_get_data_val(csr, &b, &len);
		for (uint64_t i = 0; b && i < len && i < 4; i++)
			info->csr_active_config |= (uint32_t)(uint8_t)b[i] << (8 * i);
		free(b);
	}
	goto out;
bad:
	if (r == -EBADMSG)
		r = mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE,
				       "%s or %s: a field is missing or malformed", MX_MACHINE_PLIST,
				       MX_NVRAM_PLIST);
out:
	mx_free(version);
	mx_free(created);
	plist_free(m);
	plist_free(nv);
	return r;
}

int macext_machine_load(const struct macext_ctx *ctx, struct macext_machine_info **ret,
			struct macext_diag *diag)
{
	struct macext_machine_info *info;
	char *p;
	int r;

	if (!ctx || !ctx->root)
		return -EINVAL;
	r = mx_machine_check_exists(ctx->root, diag);
	if (r < 0)
		return r;
	info = mx_calloc(1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	r = load_machine(ctx->root, info, diag);
	if (r == 0)
		r = load_accounts(ctx->root, info, diag);
	if (r < 0) {
		macext_machine_info_free(info);
		return r;
	}
	p = mx_path_join(ctx->root, MX_TRUST_DIR);
	info->ntrust_anchors = p ? count_pem(p) : 0;
	mx_free(p);
	p = mx_path_join(ctx->root, "System/Library/Extensions");
	info->nsystem_kexts = p ? count_kexts(p, 0) : 0;
	mx_free(p);
	*ret = info;
	return 0;
}

void macext_machine_info_free(struct macext_machine_info *info)
{
	if (!info)
		return;
	for (size_t i = 0; i < info->naccounts; i++)
		mx_free(info->accounts[i].name);
	mx_free(info->accounts);
	mx_free(info->arch);
	mx_free(info->enrollment);
	mx_free(info->volume_group_uuid);
	mx_free(info->boot_state);
	mx_free(info);
}
