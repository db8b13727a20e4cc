/*
 * lib/trust/cs_verify.c: verifying the embedded code signature of every slice of a Mach-O
 * file (codesign.md §2.11).
 *
 * Per slice, in order:
 *  1. layout: LC_CODE_SIGNATURE present (else "unsigned"); the signature ends the slice
 *     (no unsigned tail, §6 #6);
 *  2. the SuperBlob (format/superblob.c rejects duplicates, overlaps, offsets into the
 *     header or past the end);
 *  3. the CodeDirectories: slot 0, then alternates 0x1000.. upward without gaps; no two with
 *     one hash type (§6 #9); each CD's codeLimit equals the signature offset and its code
 *     slot count fits codeLimit; the best CD is the strongest hash;
 *  4. every code page of EVERY CD is hashed against the slice (§2.5), and every special slot
 *     of every CD that has a component (Info.plist and CodeResources bytes come from the
 *     caller; requirements and entitlements blobs from the SuperBlob): a non-zero slot for a
 *     missing component and a present component with a zero slot both fail (§2.3);
 *  5. the kind: linker-signed (0x20000), ad-hoc (0x2: no CMS is checked, even if one is
 *     present, §6 #21), else the CMS (cs_cms.c).
 * The file is valid only if every slice is, and all slices carry the same CD Team ID
 * (§2.11 step 10). A malformed signature is a verdict with its reason and file offset.
 */
#include "trust/cs_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>

#include "format/requirement.h"
#include "format/superblob.h"
#include "macext/macho.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"

int mx_cs_error(struct macext_cs_error **errs, size_t *n, const char *code, bool has_offset,
		uint64_t offset, const char *fmt, ...)
{
	struct macext_cs_error *e;
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = mx_reallocarray(*errs, *n + 1, sizeof(**errs));
	if (!e)
		return -ENOMEM;
	*errs = e;
	e = &e[*n];
	e->code = mx_strdup(code);
	e->message = mx_strdup(msg);
	e->has_offset = has_offset;
	e->offset = offset;
	(*n)++;
	return e->code && e->message ? 0 : -ENOMEM;
}

const EVP_MD *mx_cs_md(uint32_t hash_type)
{
	switch (hash_type) {
	case MX_CS_HASHTYPE_SHA1:
		return EVP_sha1();
	case MX_CS_HASHTYPE_SHA256:
	case MX_CS_HASHTYPE_SHA256_TRUNCATED:
		return EVP_sha256();
	case MX_CS_HASHTYPE_SHA384:
		return EVP_sha384();
	case MX_CS_HASHTYPE_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

void mx_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *macext_cs_kind_name(enum macext_cs_kind kind)
{
	static const char *const names[] = {"unsigned",    "linker-signed", "adhoc",
					    "other",       "development",   "app-store",
					    "developer-id", "apple"};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

const char *macext_cs_time_source_name(enum macext_cs_time_source s)
{
	static const char *const names[] = {"none", "timestamp", "signing-time", "now"};

	return (unsigned)s < 4 ? names[s] : "unknown";
}

/* Hash of N bytes with a CD's hash type, truncated to the CD's hash size. */
static bool cd_hash(const struct mx_codedir *cd, const uint8_t *p, size_t n,
		    uint8_t out[EVP_MAX_MD_SIZE])
{
	unsigned olen = 0;

	return EVP_Digest(p, n, out, &olen, mx_cs_md(cd->hash_type), NULL) == 1 &&
	       olen >= cd->hash_size;
}

static int check_pages(struct macext_cs_slice *s, const struct mx_cs_cd *c, const uint8_t *slice)
{
	const struct mx_codedir *cd = &c->cd;
	uint64_t limit = mx_codedir_limit(cd);
	uint64_t page = cd->page_size ? (uint64_t)1 << cd->page_size : limit;
	uint64_t want = page ? (limit + page - 1) / page : 0;
	uint8_t h[EVP_MAX_MD_SIZE];
	uint32_t bad = 0, first = 0;

	if (cd->n_code != want)
		return mx_cs_slice_error_at(s, "code-slots-mismatch", cd->offset + 28,
					    "code directory 0x%x: %u code slots for %llu bytes "
					    "(expected %llu)", c->slot, cd->n_code,
					    (unsigned long long)limit, (unsigned long long)want);
	for (uint32_t i = 0; i < cd->n_code; i++) {
		uint64_t off = (uint64_t)i * page;
		uint64_t n = limit - off < page ? limit - off : page;

		if (!cd_hash(cd, slice + off, (size_t)n, h) ||
		    memcmp(h, mx_codedir_code_hash(cd, i), cd->hash_size) != 0) {
			if (bad++ == 0)
				first = i;
		}
	}
	if (bad == 0)
		return 0;
	return mx_cs_slice_error_at(s, "page-hash-mismatch", s->offset + (uint64_t)first * page,
				    "code directory 0x%x (%s): %u of %u code pages modified after "
				    "signing, first page %u", c->slot, mx_cs_hash_name(cd->hash_type),
				    bad, cd->n_code, first);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

struct component {
	uint32_t slot;
	const char *code; /* error code for a mismatch */
	const char *name;
	const uint8_t *p;
	size_t len;
};

static int check_special(struct macext_cs_slice *s, const struct mx_cs_cd *c,
			 const struct component *comps, size_t ncomps)
{
	const struct mx_codedir *cd = &c->cd;
	uint8_t h[EVP_MAX_MD_SIZE];
	int r = 0;

	for (size_t i = 0; r == 0 && i < ncomps; i++) {
		const struct component *k = &comps[i];
		bool has_slot = k->slot <= cd->n_special &&
				!all_zero(mx_codedir_special_hash(cd, k->slot), cd->hash_size);

		if (!has_slot && !k->p)
			continue;
		if (has_slot && !k->p)
			r = mx_cs_slice_error(s, k->code,
					      "code directory 0x%x: special slot %u seals %s, "
					      "which is missing", c->slot, k->slot, k->name);
		else if (!has_slot)
			r = mx_cs_slice_error(s, k->code,
					      "code directory 0x%x: %s is present but not sealed "
					      "(special slot %u)", c->slot, k->name, k->slot);
		else if (!cd_hash(cd, k->p, k->len, h) ||
			 memcmp(h, mx_codedir_special_hash(cd, k->slot), cd->hash_size))
			r = mx_cs_slice_error(s, k->code,
					      "code directory 0x%x: %s does not match special "
					      "slot %u", c->slot, k->name, k->slot);
	}
	return r;
}

static int malformed(struct macext_cs_slice *s, const struct macext_diag *d)
{
	return mx_cs_error(&s->errors, &s->nerrors, d->code == -ENOTSUP ? "unsupported-hash"
									: "malformed-signature",
			   d->has_offset, d->offset, "%s", d->msg);
}

static int describe_cd(struct macext_cs_codedir *o, const struct mx_cs_cd *c)
{
	const struct mx_codedir *cd = &c->cd;

	*o = (struct macext_cs_codedir){
		.slot = c->slot, .version = cd->version, .flags = cd->flags,
		.length = (uint32_t)cd->len, .hash_type = cd->hash_type,
		.hash_name = mx_cs_hash_name(cd->hash_type), .n_special = cd->n_special,
		.n_code = cd->n_code, .page_size = cd->page_size ? 1u << cd->page_size : 0,
		.code_limit = mx_codedir_limit(cd), .platform = cd->platform,
		.exec_seg_base = cd->exec_seg_base, .exec_seg_limit = cd->exec_seg_limit,
		.exec_seg_flags = cd->exec_seg_flags, .runtime = cd->runtime, .offset = cd->offset};
	mx_hex(c->full, MX_CDHASH_LEN, o->cdhash);
	o->identifier = mx_strdup(cd->ident);
	o->team_id = cd->team ? mx_strdup(cd->team) : NULL;
	return o->identifier && (!cd->team || o->team_id) ? 0 : -ENOMEM;
}

/* Loads slot 0 and the alternates. Returns the count, 0 when an error was recorded, or
 * -ENOMEM. */
static int load_cds(struct macext_cs_slice *s, const struct mx_superblob *sb, struct mx_cs_cd *cds)
{
	struct macext_diag d = {0};
	size_t n = 0;

	for (uint32_t slot = 0; slot < MX_CSSLOT_ALTERNATE_CD + MX_CSSLOT_ALTERNATE_CD_MAX;
	     slot = slot ? slot + 1 : MX_CSSLOT_ALTERNATE_CD) {
		const struct mx_cs_blob *b = mx_superblob_find(sb, slot);
		struct mx_cs_cd *c = &cds[n];

		if (!b && slot == 0)
			return mx_cs_slice_error(s, "malformed-signature",
						 "the signature has no code directory");
		if (!b)
			break;
		if (mx_codedir_parse(&c->cd, b->data, b->len, b->offset, &d) < 0)
			return malformed(s, &d);
		c->slot = slot;
		if (!EVP_Digest(c->cd.raw, c->cd.len, c->full, &c->full_len,
				mx_cs_md(c->cd.hash_type), NULL))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (cds[i].cd.hash_type == c->cd.hash_type)
				return mx_cs_slice_error_at(s, "duplicate-hash-type", b->offset,
							    "code directories 0x%x and 0x%x both "
							    "use %s", cds[i].slot, slot,
							    mx_cs_hash_name(c->cd.hash_type));
		n++;
	}
	for (size_t i = 0; i < sb->count; i++) {
		uint32_t t = sb->blobs[i].type;

		/* n CDs fill slot 0 and 0x1000 .. 0x1000 + n - 2; anything above is past a gap. */
		if (t >= MX_CSSLOT_ALTERNATE_CD + (n - 1) &&
		    t < MX_CSSLOT_ALTERNATE_CD + MX_CSSLOT_ALTERNATE_CD_MAX)
			return mx_cs_slice_error_at(s, "malformed-signature", sb->blobs[i].offset,
						    "alternate code directory 0x%x after a gap", t);
	}
	return (int)n;
}

static int fill_cds(struct macext_cs_slice *s, const struct mx_cs_cd *cds, size_t n)
{
	size_t best = 0;
	int r;

	s->cds = mx_calloc(n, sizeof(*s->cds));
	if (!s->cds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = describe_cd(&s->cds[i], &cds[i]);
		s->ncds++;
		if (r < 0)
			return r;
		if (mx_cs_hash_rank(cds[i].cd.hash_type) > mx_cs_hash_rank(cds[best].cd.hash_type))
			best = i;
	}
	s->best = best;
	s->flags = cds[best].cd.flags;
	s->identifier = mx_strdup(cds[best].cd.ident);
	s->cd_team_id = cds[best].cd.team ? mx_strdup(cds[best].cd.team) : NULL;
	if (!s->identifier || (cds[best].cd.team && !s->cd_team_id))
		return -ENOMEM;
	return 0;
}

static int blob_payloads(struct macext_cs_slice *s, const struct mx_superblob *sb)
{
	const struct mx_cs_blob *req = mx_superblob_find(sb, MX_CSSLOT_REQUIREMENTS);
	const struct mx_cs_blob *ent = mx_superblob_find(sb, MX_CSSLOT_ENTITLEMENTS);
	const struct mx_cs_blob *der = mx_superblob_find(sb, MX_CSSLOT_DER_ENTITLEMENTS);
	struct macext_diag d = {0};

	if (req && mx_requirements_text(&s->requirements, req->data, req->len, req->offset, &d) < 0) {
		if (d.code == -ENOMEM)
			return -ENOMEM;
		return mx_cs_error(&s->errors, &s->nerrors, "malformed-requirements", d.has_offset,
				   d.offset, "%s", d.msg);
	}
	if (ent) {
		s->entitlements_xml = mx_strndup((const char *)ent->data + 8, ent->len - 8);
		if (!s->entitlements_xml)
			return -ENOMEM;
	}
	if (der) {
		s->has_entitlements_der = true;
		s->entitlements_der_len = der->len - 8;
	}
	return 0;
}

struct slice_in {
	const uint8_t *p; /* the slice */
	uint64_t size;
	uint32_t sig_off, sig_size;
};

static int verify_signed(struct macext_cs_slice *s, const struct slice_in *in,
			 const struct macext_cs_options *opt, const struct mx_cs_anchors *a)
{
	struct mx_superblob *sb = mx_calloc(1, sizeof(*sb));
	struct mx_cs_cd *cds = mx_calloc(MX_CS_MAX_CDS, sizeof(*cds));
	struct macext_diag d = {0};
	const struct mx_cs_blob *req, *ent, *der, *cms;
	int r = -ENOMEM, n;

	if (!sb || !cds)
		goto out;
	if (!mx_range_ok(in->sig_off, in->sig_size, in->size)) {
		r = mx_cs_slice_error(s, "malformed-signature", "signature outside the slice");
		goto out;
	}
	if ((uint64_t)in->sig_off + in->sig_size != in->size) {
		r = mx_cs_slice_error_at(s, "unsigned-tail", s->offset + in->sig_off + in->sig_size,
					 "%llu bytes after the signature are not signed",
					 (unsigned long long)(in->size - in->sig_off - in->sig_size));
		goto out;
	}
	if (mx_superblob_parse(sb, in->p + in->sig_off, in->sig_size, s->offset + in->sig_off,
			       MX_CSMAGIC_EMBEDDED_SIGNATURE, &d) < 0) {
		r = malformed(s, &d);
		goto out;
	}
	n = load_cds(s, sb, cds);
	if (n <= 0) {
		r = n;
		goto out;
	}
	r = fill_cds(s, cds, (size_t)n);
	if (r == 0)
		r = blob_payloads(s, sb);
	if (r < 0)
		goto out;
	req = mx_superblob_find(sb, MX_CSSLOT_REQUIREMENTS);
	ent = mx_superblob_find(sb, MX_CSSLOT_ENTITLEMENTS);
	der = mx_superblob_find(sb, MX_CSSLOT_DER_ENTITLEMENTS);
	const struct component comps[] = {
		{MX_CSSLOT_INFOSLOT, "info-plist-mismatch", "Info.plist", opt->info_plist,
		 opt->info_plist_len},
		{MX_CSSLOT_REQUIREMENTS, "requirements-mismatch", "the requirements",
		 req ? req->data : NULL, req ? req->len : 0},
		{MX_CSSLOT_RESOURCEDIR, "resources-mismatch", "_CodeSignature/CodeResources",
		 opt->resources, opt->resources_len},
		{MX_CSSLOT_ENTITLEMENTS, "entitlements-mismatch", "the entitlements",
		 ent ? ent->data : NULL, ent ? ent->len : 0},
		{MX_CSSLOT_DER_ENTITLEMENTS, "entitlements-mismatch", "the DER entitlements",
		 der ? der->data : NULL, der ? der->len : 0},
	};
	for (int i = 0; r == 0 && i < n; i++) {
		if (mx_codedir_limit(&cds[i].cd) != in->sig_off)
			r = mx_cs_slice_error_at(s, "code-limit-mismatch", cds[i].cd.offset + 32,
						 "code directory 0x%x covers %llu bytes but the "
						 "signature starts at %u", cds[i].slot,
						 (unsigned long long)mx_codedir_limit(&cds[i].cd),
						 in->sig_off);
		else
			r = check_pages(s, &cds[i], in->p);
		if (r == 0)
			r = check_special(s, &cds[i], comps, sizeof(comps) / sizeof(comps[0]));
	}
	if (r < 0)
		goto out;
	if (s->flags & MX_CS_LINKER_SIGNED) {
		s->kind = MACEXT_CS_LINKER_SIGNED;
		goto out;
	}
	if (cds[0].cd.flags & MX_CS_ADHOC) {
		s->kind = MACEXT_CS_ADHOC;
		goto out;
	}
	s->kind = MACEXT_CS_OTHER;
	cms = mx_superblob_find(sb, MX_CSSLOT_SIGNATURE);
	if (!cms || cms->len <= 8) {
		r = mx_cs_slice_error(s, "cms-missing",
				      "not ad-hoc, but the signature holds no CMS signature");
		goto out;
	}
	r = mx_cs_verify_cms(s, cms->data + 8, cms->len - 8, cms->offset + 8, cds, (size_t)n, opt, a);
out:
	free(cds);
	free(sb);
	return r;
}

static int verify_slice(struct macext_cs_slice *s, const uint8_t *file,
			const struct macext_slice *ms, const struct macext_cs_options *opt,
			const struct mx_cs_anchors *a)
{
	struct slice_in in = {file + ms->offset, ms->size, ms->codesig_offset, ms->codesig_size};
	int r;

	s->arch = ms->arch;
	s->offset = ms->offset;
	s->size = ms->size;
	s->kind = MACEXT_CS_UNSIGNED;
	if (!ms->has_code_signature) {
		r = mx_cs_slice_error(s, "unsigned", "slice %s is not signed", ms->arch);
	} else {
		r = verify_signed(s, &in, opt, a);
		if (r == 0 && s->kind != MACEXT_CS_LINKER_SIGNED && s->kind != MACEXT_CS_ADHOC &&
		    s->kind != MACEXT_CS_UNSIGNED)
			s->kext_requirement = s->kext_requirement && s->nerrors == 0;
		else
			s->kext_requirement = false;
	}
	s->valid = r == 0 && s->nerrors == 0;
	return r;
}

static void free_anchors(struct mx_cs_anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		X509_free(a->certs[i]);
	free(a->certs);
}

static int load_anchors(struct mx_cs_anchors *a, const struct macext_cs_options *opt,
			struct macext_diag *diag)
{
	if (opt->nanchors == 0)
		return 0;
	a->certs = mx_calloc(opt->nanchors, sizeof(*a->certs));
	if (!a->certs)
		return -ENOMEM;
	for (size_t i = 0; i < opt->nanchors; i++) {
		const unsigned char *p = opt->anchors[i];
		BIO *b = NULL;
		X509 *x = NULL;

		if (opt->anchor_lens[i] > 0 && p[0] == 0x30) {
			x = d2i_X509(NULL, &p, (long)opt->anchor_lens[i]);
		} else if (opt->anchor_lens[i] <= INT32_MAX) {
			b = BIO_new_mem_buf(opt->anchors[i], (int)opt->anchor_lens[i]);
			x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
			BIO_free(b);
		}
		if (!x)
			return mx_diag_fail_nopos(diag, -EINVAL, "trust anchor %zu: not a certificate",
						  i + 1);
		a->certs[a->n++] = x;
	}
	return 0;
}

/* Slices must agree on the CD Team ID (both absent or equal), §2.11 step 10. */
static int file_checks(struct macext_cs_result *res)
{
	const struct macext_cs_slice *first = NULL;

	res->valid = res->nslices > 0;
	res->kind = MACEXT_CS_APPLE;
	for (size_t i = 0; i < res->nslices; i++) {
		const struct macext_cs_slice *s = &res->slices[i];

		res->valid = res->valid && s->valid;
		if (s->kind < res->kind)
			res->kind = s->kind;
		if (s->kind <= MACEXT_CS_UNSIGNED)
			continue;
		if (!first) {
			first = s;
			continue;
		}
		if ((first->cd_team_id == NULL) != (s->cd_team_id == NULL) ||
		    (first->cd_team_id && strcmp(first->cd_team_id, s->cd_team_id))) {
			res->valid = false;
			return mx_cs_error(&res->errors, &res->nerrors, "slice-team-mismatch", false, 0,
					   "slices %s and %s carry different team ids (%s, %s)",
					   first->arch, s->arch,
					   first->cd_team_id ? first->cd_team_id : "none",
					   s->cd_team_id ? s->cd_team_id : "none");
		}
	}
	return 0;
}

int macext_codesign_verify(struct macext_cs_result **ret, const void *buf, size_t len,
			   const struct macext_cs_options *opt, struct macext_diag *diag)
{
	struct macext_cs_result *res = NULL;
	struct mx_cs_anchors anchors = {0};
	struct macext_macho *m = NULL;
	int r;

	if (!ret || !buf || !opt)
		return -EINVAL;
	r = macext_macho_parse(&m, buf, len, MACEXT_MACHO_NO_SYMBOLS, diag);
	if (r < 0)
		return r;
	r = load_anchors(&anchors, opt, diag);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	res = mx_calloc(1, sizeof(*res));
	if (!res)
		goto out;
	res->slices = mx_calloc(m->nslices, sizeof(*res->slices));
	if (!res->slices)
		goto out;
	for (size_t i = 0; i < m->nslices; i++) {
		res->nslices++;
		r = verify_slice(&res->slices[i], buf, &m->slices[i], opt, &anchors);
		if (r < 0)
			goto out;
	}
	r = file_checks(res);
	if (r < 0)
		goto out;
	*ret = res;
	res = NULL;
out:
	macext_cs_result_free(res);
	free_anchors(&anchors);
	macext_macho_free(m);
	return r;
}

static void free_errors(struct macext_cs_error *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].code);
		free(e[i].message);
	}
	free(e);
}

void macext_cs_result_free(struct macext_cs_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nslices; i++) {
		struct macext_cs_slice *s = &res->slices[i];

		for (size_t j = 0; j < s->ncds; j++) {
			free(s->cds[j].identifier);
			free(s->cds[j].team_id);
		}
		free(s->cds);
		for (size_t j = 0; j < s->nchain; j++) {
			free(s->chain[j].common_name);
			free(s->chain[j].subject);
			free(s->chain[j].issuer);
		}
		free(s->chain);
		free(s->identifier);
		free(s->cd_team_id);
		free(s->team_id);
		free(s->developer_name);
		free(s->requirements);
		free(s->entitlements_xml);
		free_errors(s->errors, s->nerrors);
	}
	free(res->slices);
	free_errors(res->errors, res->nerrors);
	free(res);
}
