/*
 * lib/trust/cs_sign.c: `macext codesign sign` (codesign.md §2, §3.6, §4.1-4.2; fixtures.md
 * §1.8, §2.3). The inverse of cs_verify.c / cs_cms.c, built from the format writers.
 *
 * Steps, in this order:
 *  1. the target: a bundle (Contents/Info.plist names CFBundleIdentifier and
 *     CFBundleExecutable) or a lone Mach-O file (identifier = its file name);
 *  2. the identity: PKCS#12 read with PKCS12_parse (a wrong password is -EACCES); Team ID =
 *     the leaf subject's UID, else its OU (codesign.md §5.4); the digest is SHA-384 for an
 *     EC key of 384 bits or more, else SHA-256;
 *  3. for a bundle, Contents/_CodeSignature/CodeResources (cs_sign_res.c), kept in memory;
 *  4. per slice: the Mach-O edit (LC_CODE_SIGNATURE, __LINKEDIT; format/macho_sign.c) with
 *     room reserved for the whole signature, THEN the CodeDirectory over the edited bytes
 *     (so page 0 hashes the new header), the requirements, the CMS over the CD, and the
 *     SuperBlob (slot 0 CD, 2 requirements, 0x10000 CMS wrapper) copied into the reserve;
 *  5. a fat file is rebuilt with each slice's cputype, cpusubtype and alignment;
 *  6. CodeResources, then the executable, each written with mx_write_atomic().
 * The CMS (libcrypto, fixtures.md §2.3): CMS_sign(CMS_PARTIAL | CMS_DETACHED | CMS_BINARY),
 * CMS_add1_signer(CMS_NOSMIMECAP), signingTime = the modeled clock, 100.9.2 = SEQUENCE {
 * OID sha256, OCTET STRING full CD hash }, 100.9.1 = the XML plist {cdhashes: [cdhash]},
 * then CMS_final, which adds contentType and messageDigest. Ad-hoc: flags 0x2, no Team ID,
 * the empty requirement set (12 bytes) and an empty CMS wrapper (8 bytes).
 */
#include "trust/cs_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/cms.h>
#include <openssl/pkcs12.h>

#include "format/coderesources.h"
#include "format/cs_write.h"
#include "format/superblob.h"
#include "macext/macho.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/file.h"

#define SIGN_MAX_FILE ((uint64_t)4 << 30)
#define SIGN_MAX_SIDE ((size_t)16 << 20)
/* Room for the CMS beyond its certificates: attributes (~600 bytes), the signature (512 for
 * RSA-4096), the SignerInfo and SignedData framing. */
#define SIGN_CMS_SLACK 4096u
#define OID_CDHASHES "1.2.840.113635.100.9.1"
#define OID_CDHASHES2 "1.2.840.113635.100.9.2"

bool mx_cs_unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10
						       : -1;

			if (d < 0)
				return false;
			v = v * 16 + d;
		}
		out[i] = (uint8_t)v;
	}
	return true;
}

struct identity {
	EVP_PKEY *key;
	X509 *leaf;
	STACK_OF(X509) *ca;
	const EVP_MD *md;
	char team[64];
	size_t certs_len; /* DER bytes of every certificate */
};

static void identity_free(struct identity *id)
{
	EVP_PKEY_free(id->key);
	X509_free(id->leaf);
	sk_X509_pop_free(id->ca, X509_free);
}

static void leaf_team(struct identity *id)
{
	const X509_NAME *n = X509_get_subject_name(id->leaf);
	int i = X509_NAME_get_index_by_NID(n, NID_userId, -1);
	const ASN1_STRING *s;

	if (i < 0)
		i = X509_NAME_get_index_by_NID(n, NID_organizationalUnitName, -1);
	if (i < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	if (s && (size_t)ASN1_STRING_length(s) < sizeof(id->team)) {
		memcpy(id->team, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		id->team[ASN1_STRING_length(s)] = '\0';
	}
}

static int load_identity(struct identity *id, const struct macext_cs_sign_options *opt,
			 struct macext_diag *diag)
{
	const unsigned char *p = opt->identity;
	const char *pw = opt->password && *opt->password ? opt->password : NULL;
	PKCS12 *p12 = NULL;
	int r = -EBADMSG;

	if (opt->identity_len > INT32_MAX ||
	    !(p12 = d2i_PKCS12(NULL, &p, (long)opt->identity_len)))
		return mx_diag_fail_nopos(diag, -EBADMSG, "identity: not a PKCS#12 file");
	if (!pw && !PKCS12_verify_mac(p12, NULL, 0) && PKCS12_verify_mac(p12, "", 0))
		pw = "";
	if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, pw, -1)) {
		r = mx_diag_fail_nopos(diag, -EACCES, "identity: wrong password");
		goto out;
	}
	if (!PKCS12_parse(p12, pw, &id->key, &id->leaf, &id->ca) || !id->key || !id->leaf) {
		r = mx_diag_fail_nopos(diag, -EBADMSG,
				       "identity: the PKCS#12 file holds no key and certificate");
		goto out;
	}
	if (X509_check_private_key(id->leaf, id->key) != 1) {
		r = mx_diag_fail_nopos(diag, -EBADMSG,
				       "identity: the key does not match the certificate");
		goto out;
	}
	leaf_team(id);
	id->md = EVP_PKEY_get_base_id(id->key) == EVP_PKEY_EC && EVP_PKEY_get_bits(id->key) >= 384
			 ? EVP_sha384()
			 : EVP_sha256();
	id->certs_len = (size_t)i2d_X509(id->leaf, NULL);
	for (int i = 0; i < sk_X509_num(id->ca); i++)
		id->certs_len += (size_t)i2d_X509(sk_X509_value(id->ca, i), NULL);
	r = 0;
out:
	PKCS12_free(p12);
	return r;
}

/* The 100.9.1 value: an XML plist {cdhashes: [<20-byte cdhash>]} (codesign.md §4.2). */
static int cdhashes_plist(char **ret, uint32_t *ret_len, const uint8_t *cdhash)
{
	plist_t root = plist_new_dict(), arr = plist_new_array();

	plist_array_append_item(arr, plist_new_data((const char *)cdhash, MX_CDHASH_LEN));
	plist_dict_set_item(root, "cdhashes", arr);
	*ret = NULL;
	plist_to_xml(root, ret, ret_len);
	plist_free(root);
	return *ret ? 0 : -ENOMEM;
}

static int add_attr(CMS_SignerInfo *si, const char *oid, int type, const void *p, int len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int ok = o && CMS_signed_add1_attr_by_OBJ(si, o, type, p, len) == 1;

	ASN1_OBJECT_free(o);
	return ok ? 0 : -ENOMEM;
}

static int make_cms(uint8_t **ret, size_t *ret_len, const struct identity *id, const uint8_t *cd,
		    size_t cd_len, int64_t now)
{
	static const uint8_t sha256_seq[] = {0x30, 0x2d, 0x06, 0x09, 0x60, 0x86, 0x48,
					     0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20};
	uint8_t full[32], seq[sizeof(sha256_seq) + 32];
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	ASN1_TIME *t = NULL;
	BIO *in = NULL;
	char *xml = NULL;
	uint32_t xml_len = 0;
	unsigned char *der = NULL;
	int r = -ENOMEM, n;

	if (EVP_Digest(cd, cd_len, full, NULL, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	memcpy(seq, sha256_seq, sizeof(sha256_seq));
	memcpy(seq + sizeof(sha256_seq), full, 32);
	if (cdhashes_plist(&xml, &xml_len, full) < 0)
		goto out;
	cms = CMS_sign(NULL, NULL, id->ca, NULL, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
	si = cms ? CMS_add1_signer(cms, id->leaf, id->key, id->md, CMS_BINARY | CMS_NOSMIMECAP)
		 : NULL;
	t = ASN1_TIME_set(NULL, (time_t)now);
	in = BIO_new_mem_buf(cd, (int)cd_len);
	if (!si || !t || !in ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, ASN1_STRING_type(t), t, -1) != 1)
		goto out;
	if (add_attr(si, OID_CDHASHES2, V_ASN1_SEQUENCE, seq, (int)sizeof(seq)) < 0 ||
	    add_attr(si, OID_CDHASHES, V_ASN1_OCTET_STRING, xml, (int)xml_len) < 0)
		goto out;
	if (CMS_final(cms, in, NULL, CMS_DETACHED | CMS_BINARY) != 1)
		goto out;
	n = i2d_CMS_ContentInfo(cms, &der);
	if (n <= 0)
		goto out;
	*ret = mx_malloc((size_t)n);
	if (!*ret)
		goto out;
	memcpy(*ret, der, (size_t)n);
	*ret_len = (size_t)n;
	r = 0;
out:
	OPENSSL_free(der);
	BIO_free(in);
	ASN1_TIME_free(t);
	CMS_ContentInfo_free(cms);
	plist_to_xml_free(xml);
	return r;
}

struct sign_ctx {
	const struct identity *id; /* NULL: ad-hoc */
	const char *ident, *team;
	const uint8_t *reqs;
	size_t reqs_len;
	const uint8_t *info, *res; /* special slots 1 and 3, or NULL */
	size_t info_len, res_len;
	int64_t now;
};

/* Signs one slice; *RET (the signed slice) is the caller's. */
static int sign_slice(uint8_t **ret, size_t *ret_len, const struct sign_ctx *sc,
		      const uint8_t *p, size_t len, uint64_t file_off, struct macext_diag *diag)
{
	struct mx_cd_spec spec = {.ident = sc->ident, .team = sc->team,
				  .flags = sc->id ? 0 : MX_CS_ADHOC,
				  .hash_type = MX_CS_HASHTYPE_SHA256,
				  .special = {sc->info, sc->reqs, sc->res},
				  .special_len = {sc->info_len, sc->reqs_len, sc->res_len}};
	struct mx_sign_layout lay = {0};
	uint8_t *cd = NULL, *cms = NULL, *wrap = NULL;
	size_t cd_len, cms_len = 0, wrap_len, reserve;
	uint64_t sig_size;
	long w;
	int r;

	spec.code_limit = ((uint64_t)len + 15) & ~(uint64_t)15;
	cd_len = mx_codedir_size(&spec);
	if (cd_len == 0)
		return mx_diag_fail_at(diag, file_off, -E2BIG,
				       "identifier or slice too large for a code directory");
	reserve = sc->id ? sc->id->certs_len + SIGN_CMS_SLACK : 0;
	if (!mx_align_up(12 + 3 * 8 + cd_len + sc->reqs_len + 8 + reserve, 16, &sig_size) ||
	    sig_size > UINT32_MAX)
		return -E2BIG;
	r = mx_macho_sign_layout(&lay, p, len, file_off, (uint32_t)sig_size, diag);
	if (r < 0)
		return r;
	spec.code = lay.data;
	spec.code_limit = lay.sig_off;
	spec.exec_seg_limit = lay.text_filesize;
	spec.exec_seg_flags = lay.filetype == MACEXT_MH_EXECUTE ? MX_CS_EXECSEG_MAIN_BINARY : 0;
	cd_len = mx_codedir_size(&spec);
	r = -ENOMEM;
	cd = mx_malloc(cd_len);
	if (!cd)
		goto out;
	r = mx_codedir_write(&spec, cd, cd_len);
	if (r == 0 && sc->id)
		r = make_cms(&cms, &cms_len, sc->id, cd, cd_len, sc->now);
	if (r == 0)
		r = mx_blob_wrap(&wrap, &wrap_len, MX_CSMAGIC_BLOBWRAPPER, cms, cms_len);
	if (r < 0)
		goto out;
	const struct mx_blob_in blobs[] = {
		{MX_CSSLOT_CODEDIRECTORY, cd, cd_len},
		{MX_CSSLOT_REQUIREMENTS, sc->reqs, sc->reqs_len},
		{MX_CSSLOT_SIGNATURE, wrap, wrap_len},
	};
	w = mx_superblob_write(lay.data + lay.sig_off, (size_t)sig_size, MX_CSMAGIC_EMBEDDED_SIGNATURE,
			       blobs, 3);
	if (w < 0) {
		r = mx_diag_fail_at(diag, file_off + lay.sig_off, -E2BIG,
				    "the signature (%zu bytes) outgrew its reserve (%llu)",
				    mx_superblob_size(blobs, 3), (unsigned long long)sig_size);
		goto out;
	}
	*ret = lay.data;
	*ret_len = lay.len;
	lay.data = NULL;
out:
	free(lay.data);
	free(cd);
	free(cms);
	free(wrap);
	return r;
}

/* The target: bundle directory and executable, or a lone file. */
struct target {
	char *bundle;   /* NULL for a lone file */
	char *contents; /* BUNDLE/Contents */
	char *exe;
	char *exe_rel;  /* relative to Contents/ */
	char *ident;
	char *info;     /* Info.plist bytes */
	size_t info_len;
};

static void target_free(struct target *t)
{
	free(t->bundle);
	free(t->contents);
	free(t->exe);
	free(t->exe_rel);
	free(t->ident);
	free(t->info);
}

static char *plist_str(plist_t root, const char *key)
{
	plist_t v = root ? plist_dict_get_item(root, key) : NULL;
	char *s = NULL, *copy;

	if (!v || plist_get_node_type(v) != PLIST_STRING)
		return NULL;
	plist_get_string_val(v, &s);
	copy = s ? mx_strdup(s) : NULL;
	free(s);
	return copy;
}

/* Is PATH .../X/Contents/MacOS/NAME with X/Contents/Info.plist? Returns X or NULL. */
static char *bundle_of(const char *path)
{
	char *b = mx_strdup(path), *s;
	struct stat st;

	if (!b)
		return NULL;
	for (int i = 0; i < 3; i++) {
		s = strrchr(b, '/');
		if (!s || (i == 1 && strcmp(s, "/MacOS")) || (i == 2 && strcmp(s, "/Contents")))
			goto no;
		*s = '\0';
	}
	s = mx_asprintf("%s/Contents/Info.plist", *b ? b : "/");
	if (s && stat(s, &st) == 0) {
		free(s);
		return b;
	}
	free(s);
no:
	free(b);
	return NULL;
}

static int find_target(struct target *t, const char *path, struct macext_diag *diag)
{
	struct stat st;
	plist_t root;
	char *exe, *ip;
	const char *base;
	int r;

	if (stat(path, &st) < 0)
		return mx_diag_fail_nopos(diag, -ENOENT, "no such file or directory");
	t->bundle = S_ISDIR(st.st_mode) ? mx_strdup(path) : bundle_of(path);
	if (!t->bundle) {
		base = strrchr(path, '/');
		t->exe = mx_strdup(path);
		t->ident = mx_strdup(base ? base + 1 : path);
		return t->exe && t->ident ? 0 : -ENOMEM;
	}
	t->contents = mx_path_join(t->bundle, "Contents");
	ip = t->contents ? mx_path_join(t->contents, "Info.plist") : NULL;
	if (!ip)
		return -ENOMEM;
	r = mx_read_file(ip, SIGN_MAX_SIDE, &t->info, &t->info_len, diag);
	free(ip);
	if (r < 0)
		return r;
	root = mx_cs_plist(t->info, t->info_len);
	t->ident = plist_str(root, "CFBundleIdentifier");
	exe = plist_str(root, "CFBundleExecutable");
	plist_free(root);
	if (!t->ident || !exe || !*exe || strchr(exe, '/')) {
		free(exe);
		return mx_diag_fail_nopos(diag, -ENOEXEC,
					  "Contents/Info.plist names no CFBundleIdentifier and "
					  "CFBundleExecutable (codeless bundles need a detached "
					  "signature, which macext does not write)");
	}
	t->exe_rel = mx_asprintf("MacOS/%s", exe);
	t->exe = t->exe_rel ? mx_path_join(t->contents, t->exe_rel) : NULL;
	free(exe);
	return t->exe ? 0 : -ENOMEM;
}

/* Signs every slice of the mapped executable into *RET (thin or a rebuilt fat file). */
static int sign_file(uint8_t **ret, size_t *ret_len, size_t *ret_n, const struct sign_ctx *sc,
		     const uint8_t *buf, size_t len, struct macext_diag *diag)
{
	struct macext_macho *m = NULL;
	struct mx_fat_in *fat = NULL;
	uint8_t **outs = NULL;
	int r = macext_macho_parse(&m, buf, len, MACEXT_MACHO_NO_SYMBOLS, diag);

	if (r < 0)
		return r;
	r = -ENOMEM;
	outs = mx_calloc(m->nslices, sizeof(*outs));
	fat = mx_calloc(m->nslices, sizeof(*fat));
	if (!outs || !fat)
		goto out;
	for (size_t i = 0; i < m->nslices; i++) {
		const struct macext_slice *s = &m->slices[i];

		r = sign_slice(&outs[i], &fat[i].len, sc, (const uint8_t *)buf + s->offset,
			       (size_t)s->size, s->offset, diag);
		if (r < 0) {
			mx_diag_prefix(diag, "slice %s", s->arch);
			goto out;
		}
		fat[i] = (struct mx_fat_in){s->cputype, s->cpusubtype, s->align, outs[i], fat[i].len};
	}
	if (m->fat) {
		r = mx_fat_write(ret, ret_len, fat, m->nslices);
	} else {
		*ret = outs[0];
		*ret_len = fat[0].len;
		outs[0] = NULL;
	}
	*ret_n = m->nslices;
out:
	for (size_t i = 0; outs && i < m->nslices; i++)
		free(outs[i]);
	free(outs);
	free(fat);
	macext_macho_free(m);
	return r;
}

static int write_resources(const struct target *t, const char *cr, size_t cr_len,
			   struct macext_diag *diag)
{
	char *dir = mx_path_join(t->contents, "_CodeSignature");
	char *file = dir ? mx_path_join(dir, "CodeResources") : NULL;
	int r = file ? mx_mkdir_p(dir, 0755) : -ENOMEM;

	if (r == 0)
		r = mx_write_atomic(file, cr, cr_len, 0644);
	if (r < 0 && r != -ENOMEM)
		mx_diag_fail_nopos(diag, r, "%s: cannot write", file ? file : "CodeResources");
	free(dir);
	free(file);
	return r;
}

int macext_codesign_sign(struct macext_cs_signed *ret, const char *path,
			 const struct macext_cs_sign_options *opt, struct macext_diag *diag)
{
	struct identity id = {0};
	struct target t = {0};
	struct mx_map map = MX_MAP_INIT;
	struct sign_ctx sc = {0};
	uint8_t *reqs = NULL, *out = NULL;
	char *cr = NULL;
	size_t reqs_len = 0, out_len = 0, cr_len = 0, ncr = 0, nslices = 0;
	struct stat st;
	int r;

	if (!path || !opt || (!opt->adhoc && !opt->identity))
		return -EINVAL;
	r = find_target(&t, path, diag);
	if (r == 0 && !opt->adhoc)
		r = load_identity(&id, opt, diag);
	if (r < 0)
		goto out;
	sc = (struct sign_ctx){.id = opt->adhoc ? NULL : &id, .ident = t.ident,
			       .team = !opt->adhoc && id.team[0] ? id.team : NULL,
			       .info = (const uint8_t *)t.info, .info_len = t.info_len,
			       .now = opt->now};
	r = mx_requirements_write(&reqs, &reqs_len, t.ident, sc.team);
	if (r == 0 && t.bundle)
		r = mx_cs_sign_resources(&cr, &cr_len, &ncr, t.contents, t.exe_rel, diag);
	if (r == 0)
		r = mx_map_file(&map, t.exe, SIGN_MAX_FILE, diag);
	if (r < 0)
		goto out;
	sc.reqs = reqs;
	sc.reqs_len = reqs_len;
	sc.res = (const uint8_t *)cr;
	sc.res_len = cr_len;
	r = sign_file(&out, &out_len, &nslices, &sc, map.data, map.len, diag);
	if (r == 0 && t.bundle)
		r = write_resources(&t, cr, cr_len, diag);
	if (r < 0)
		goto out;
	r = mx_write_atomic(t.exe, out, out_len,
			    stat(t.exe, &st) == 0 ? (mode_t)(st.st_mode & 07777) : 0755);
	if (r < 0) {
		mx_diag_fail_nopos(diag, r, "%s: cannot write", t.exe);
		goto out;
	}
	if (ret) {
		memset(ret, 0, sizeof(*ret));
		snprintf(ret->identifier, sizeof(ret->identifier), "%s", t.ident);
		snprintf(ret->team_id, sizeof(ret->team_id), "%s", sc.team ? sc.team : "");
		snprintf(ret->executable, sizeof(ret->executable), "%s", t.exe);
		ret->nslices = nslices;
		ret->bundle = t.bundle != NULL;
		ret->resources = ncr;
	}
out:
	mx_unmap(&map);
	free(out);
	free(cr);
	free(reqs);
	identity_free(&id);
	target_free(&t);
	return r;
}
