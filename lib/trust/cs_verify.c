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

#include "format/mobileconfig.h"
#include "format/requirement.h"
#include "trust/requirement_eval.h"
#include "util/endian.h"
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

plist_t mx_cs_plist(const void *buf, size_t len)
{
	struct macext_diag d = {0};
	plist_t root = NULL;

	if (!buf || len == 0 || len > UINT32_MAX ||
	    mx_plist_precheck(buf, len, len >= 8 && !memcmp(buf, "bplist00", 8), 0, &d) < 0)
		return NULL;
	plist_from_memory(buf, (uint32_t)len, &root);
	return root;
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

/* Hashes every code page with one digest context and an explicitly fetched digest:
 * EVP_Digest() per 4 KiB page would fetch the algorithm and allocate a context 250 times
 * per MB, which halves the throughput (bench/verify-vs-openssl.sh). */
static int check_pages(struct macext_cs_slice *s, const struct mx_cs_cd *c, const uint8_t *slice)
{
	const struct mx_codedir *cd = &c->cd;
	uint64_t limit = mx_codedir_limit(cd);
	uint64_t page = cd->page_size ? (uint64_t)1 << cd->page_size : limit;
	uint64_t want = page ? (limit + page - 1) / page : 0;
	uint8_t h[EVP_MAX_MD_SIZE];
	uint32_t bad = 0, first = 0;
	EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	int r = 0;

	if (cd->n_code != want)
		return mx_cs_slice_error_at(s, "code-slots-mismatch", cd->offset + 28,
					    "code directory 0x%x: %u code slots for %llu bytes "
					    "(expected %llu)", c->slot, cd->n_code,
					    (unsigned long long)limit, (unsigned long long)want);
	md = EVP_MD_fetch(NULL, EVP_MD_get0_name(mx_cs_md(cd->hash_type)), NULL);
	ctx = EVP_MD_CTX_new();
	if (!md || !ctx) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < cd->n_code; i++) {
		uint64_t off = (uint64_t)i * page;
		uint64_t n = limit - off < page ? limit - off : page;
		unsigned olen = 0;

		if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, slice + off, (size_t)n) != 1 ||
		    EVP_DigestFinal_ex(ctx, h, &olen) != 1 || olen < cd->hash_size ||
		    memcmp(h, mx_codedir_code_hash(cd, i), cd->hash_size) != 0) {
			if (bad++ == 0)
				first = i;
		}
	}
	if (bad)
		r = mx_cs_slice_error_at(s, "page-hash-mismatch",
					 s->offset + (uint64_t)first * page,
					 "code directory 0x%x (%s): %u of %u code pages modified after "
					 "signing, first page %u", c->slot,
					 mx_cs_hash_name(cd->hash_type), bad, cd->n_code, first);
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return r;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* One signature component: bytes, length and file offset (p NULL when absent). */
struct part {
	const uint8_t *p;
	size_t len;
	uint64_t off;
};

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

/* Parses one CD into CDS[N] and rejects a second CD of the same hash type (§6 #9). Returns
 * 1 added, 0 an error was recorded, -ENOMEM. */
static int add_cd(struct macext_cs_slice *s, struct mx_cs_cd *cds, size_t n, uint32_t slot,
		  const uint8_t *p, size_t len, uint64_t off)
{
	struct mx_cs_cd *c = &cds[n];
	struct macext_diag d = {0};

	if (mx_codedir_parse(&c->cd, p, len, off, &d) < 0)
		return malformed(s, &d);
	c->slot = slot;
	if (!EVP_Digest(c->cd.raw, c->cd.len, c->full, &c->full_len, mx_cs_md(c->cd.hash_type),
			NULL))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (cds[i].cd.hash_type == c->cd.hash_type)
			return mx_cs_slice_error_at(s, "duplicate-hash-type", off,
						    "code directories 0x%x and 0x%x both use %s",
						    cds[i].slot, slot,
						    mx_cs_hash_name(c->cd.hash_type));
	return 1;
}

/* Loads slot 0 and the alternates. Returns the count, 0 when an error was recorded, or
 * -ENOMEM. */
static int load_cds(struct macext_cs_slice *s, const struct mx_superblob *sb, struct mx_cs_cd *cds)
{
	size_t n = 0;
	int r;

	for (uint32_t slot = 0; slot < MX_CSSLOT_ALTERNATE_CD + MX_CSSLOT_ALTERNATE_CD_MAX;
	     slot = slot ? slot + 1 : MX_CSSLOT_ALTERNATE_CD) {
		const struct mx_cs_blob *b = mx_superblob_find(sb, slot);

		if (!b && slot == 0)
			return mx_cs_slice_error(s, "malformed-signature",
						 "the signature has no code directory");
		if (!b)
			break;
		r = add_cd(s, cds, n, slot, b->data, b->len, b->offset);
		if (r <= 0)
			return r;
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

static int blob_payloads(struct macext_cs_slice *s, struct part req, struct part ent,
			 struct part der)
{
	struct macext_diag d = {0};

	if (req.p && mx_requirements_text(&s->requirements, req.p, req.len, req.off, &d) < 0) {
		if (d.code == -ENOMEM)
			return -ENOMEM;
		return mx_cs_error(&s->errors, &s->nerrors, "malformed-requirements", d.has_offset,
				   d.offset, "%s", d.msg);
	}
	if (ent.p) {
		if (ent.len < 8 || mx_load_be32(ent.p) != MX_CSMAGIC_ENTITLEMENTS)
			return mx_cs_error(&s->errors, &s->nerrors, "malformed-signature", true,
					   ent.off, "the entitlements blob is not 0xfade7171");
		s->entitlements_xml = mx_strndup((const char *)ent.p + 8, ent.len - 8);
		if (!s->entitlements_xml)
			return -ENOMEM;
	}
	if (der.p) {
		s->has_entitlements_der = true;
		s->entitlements_der_len = der.len >= 8 ? der.len - 8 : 0;
	}
	return 0;
}

/* A signature taken apart, embedded or detached. */
struct sig_parts {
	struct mx_cs_cd *cds; /* slot 0 first */
	size_t ncds;
	struct part req, ent, der, cms; /* cms: the bare CMS (no BlobWrapper) */
	bool cms_present;               /* a (possibly empty) CMS component exists */
};

static struct part blob_part(const struct mx_superblob *sb, uint32_t slot)
{
	const struct mx_cs_blob *b = mx_superblob_find(sb, slot);

	return b ? (struct part){b->data, b->len, b->offset} : (struct part){NULL, 0, 0};
}

/* Evaluates the designated requirement and the kext signing requirement (§3.7) with the
 * requirement interpreter. A certificate signature that fails its own designated
 * requirement is invalid; ad-hoc code (CHAIN NULL) is valid by definition (§2.8), so there
 * the verdict is only reported. */
static int requirements(struct macext_cs_slice *s, const struct sig_parts *sp,
			STACK_OF(X509) *chain, const struct macext_cs_options *opt)
{
	const uint8_t *hashes[MX_CS_MAX_CDS];
	size_t lens[MX_CS_MAX_CDS];
	struct mx_req_ctx ctx = {.identifier = s->identifier, .cdhashes = hashes,
				 .cdhash_lens = lens, .ncdhashes = sp->ncds, .chain = chain,
				 .anchor_apple = s->anchor_apple, .anchor_test = s->anchor_test,
				 .platform = sp->cds[0].cd.platform};
	struct macext_diag d = {0};
	uint8_t kext[160];
	const uint8_t *dr;
	size_t dr_len, kl;
	uint64_t dr_off;
	bool ok = false;
	int r = 0;

	for (size_t i = 0; i < sp->ncds; i++) {
		hashes[i] = sp->cds[i].full;
		lens[i] = sp->cds[i].full_len;
	}
	ctx.info = mx_cs_plist(opt->info_plist, opt->info_plist_len);
	if (s->entitlements_xml)
		ctx.entitlements = mx_cs_plist(s->entitlements_xml, strlen(s->entitlements_xml));
	kl = mx_req_kext(kext, sizeof(kext), s->identifier);
	if (mx_req_eval(kext, kl, 0, &ctx, &ok, &d) == 0)
		s->kext_requirement = ok && chain;
	if (sp->req.p) {
		int f = mx_req_find(sp->req.p, sp->req.len, sp->req.off, 3, &dr, &dr_len, &dr_off, &d);

		if (f == -ENOMEM) {
			r = -ENOMEM;
			goto out;
		}
		if (f == 1) {
			s->has_designated = true;
			f = mx_req_eval(dr, dr_len, dr_off, &ctx, &s->designated_ok, &d);
			if (f < 0)
				r = mx_cs_error(&s->errors, &s->nerrors, f == -ENOTSUP
						? "requirement-unsupported" : "malformed-requirements",
						d.has_offset, d.offset, "designated requirement: %s",
						d.msg);
			else if (!s->designated_ok && s->nerrors == 0 && chain)
				r = mx_cs_slice_error_at(s, "designated-requirement-failed", dr_off,
							 "the signature does not satisfy its own "
							 "designated requirement");
		}
	}
out:
	plist_free(ctx.info);
	plist_free(ctx.entitlements);
	return r;
}

/* Everything after the CDs were loaded: payloads, page and special-slot hashes of every CD
 * over CODE (LIMIT bytes covered), the kind, the CMS, requirements. */
static int verify_parts(struct macext_cs_slice *s, const struct sig_parts *sp, const uint8_t *code,
			uint64_t limit, const char *limit_what, const struct macext_cs_options *opt,
			const struct mx_cs_anchors *a)
{
	STACK_OF(X509) *chain = NULL;
	int r = fill_cds(s, sp->cds, sp->ncds);

	if (r == 0)
		r = blob_payloads(s, sp->req, sp->ent, sp->der);
	if (r < 0)
		return r;
	const struct component comps[] = {
		{MX_CSSLOT_INFOSLOT, "info-plist-mismatch", "Info.plist", opt->info_plist,
		 opt->info_plist_len},
		{MX_CSSLOT_REQUIREMENTS, "requirements-mismatch", "the requirements", sp->req.p,
		 sp->req.len},
		{MX_CSSLOT_RESOURCEDIR, "resources-mismatch", "_CodeSignature/CodeResources",
		 opt->resources, opt->resources_len},
		{MX_CSSLOT_ENTITLEMENTS, "entitlements-mismatch", "the entitlements", sp->ent.p,
		 sp->ent.len},
		{MX_CSSLOT_DER_ENTITLEMENTS, "entitlements-mismatch", "the DER entitlements",
		 sp->der.p, sp->der.len},
	};
	for (size_t i = 0; r == 0 && i < sp->ncds; i++) {
		const struct mx_cs_cd *c = &sp->cds[i];

		if (mx_codedir_limit(&c->cd) != limit)
			r = mx_cs_slice_error_at(s, "code-limit-mismatch", c->cd.offset + 32,
						 "code directory 0x%x covers %llu bytes but %s is "
						 "at %llu", c->slot,
						 (unsigned long long)mx_codedir_limit(&c->cd),
						 limit_what, (unsigned long long)limit);
		else
			r = check_pages(s, c, code);
		if (r == 0)
			r = check_special(s, c, comps, sizeof(comps) / sizeof(comps[0]));
	}
	if (r < 0)
		return r;
	if (s->flags & MX_CS_LINKER_SIGNED) {
		s->kind = MACEXT_CS_LINKER_SIGNED;
		return 0;
	}
	if (sp->cds[0].cd.flags & MX_CS_ADHOC) {
		s->kind = MACEXT_CS_ADHOC;
		return requirements(s, sp, NULL, opt);
	}
	s->kind = MACEXT_CS_OTHER;
	if (!sp->cms.p || sp->cms.len == 0)
		return mx_cs_slice_error(s, "cms-missing",
					 "not ad-hoc, but the signature holds no CMS signature");
	r = mx_cs_verify_cms(s, sp->cms.p, sp->cms.len, sp->cms.off, sp->cds, sp->ncds, opt, a,
			     &chain);
	if (r == 0)
		r = requirements(s, sp, chain, opt);
	sk_X509_pop_free(chain, X509_free);
	return r;
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
	struct sig_parts sp = {0};
	struct part w;
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
	sp.cds = cds;
	sp.ncds = (size_t)n;
	sp.req = blob_part(sb, MX_CSSLOT_REQUIREMENTS);
	sp.ent = blob_part(sb, MX_CSSLOT_ENTITLEMENTS);
	sp.der = blob_part(sb, MX_CSSLOT_DER_ENTITLEMENTS);
	w = blob_part(sb, MX_CSSLOT_SIGNATURE);
	if (w.p && w.len > 8)
		sp.cms = (struct part){w.p + 8, w.len - 8, w.off + 8};
	r = verify_parts(s, &sp, in->p, in->sig_off, "the signature", opt, a);
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
	if (!ms->has_code_signature)
		r = mx_cs_slice_error(s, "unsigned", "slice %s is not signed", ms->arch);
	else
		r = verify_signed(s, &in, opt, a);
	if (s->nerrors)
		s->kext_requirement = false;
	s->valid = r == 0 && s->nerrors == 0;
	return r;
}

void mx_cs_free_anchors(struct mx_cs_anchors *a)
{
	for (size_t i = 0; i < a->n; i++)
		X509_free(a->certs[i]);
	free(a->certs);
}

int mx_cs_load_anchors(struct mx_cs_anchors *a, const struct macext_cs_options *opt,
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
	r = mx_cs_load_anchors(&anchors, opt, diag);
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
	mx_cs_free_anchors(&anchors);
	macext_macho_free(m);
	return r;
}

/* The CDs of a detached signature: CodeDirectory, then CodeRequirements-1.. (§2.9). */
static int load_detached_cds(struct macext_cs_slice *s, const struct macext_cs_detached *det,
			     struct mx_cs_cd *cds)
{
	size_t n = 0;
	int r;

	if (!det->code_directory)
		return mx_cs_slice_error(s, "unsigned",
					 "_CodeSignature/ holds no CodeDirectory: not signed");
	r = add_cd(s, cds, n++, 0, det->code_directory, det->code_directory_len, 0);
	for (uint32_t i = 0; r > 0 && i < MX_CSSLOT_ALTERNATE_CD_MAX; i++) {
		if (!det->alternates[i])
			continue;
		if (n != i + 1)
			return mx_cs_slice_error(s, "malformed-signature",
						 "alternate code directory CodeRequirements-%u "
						 "after a gap", i + 1);
		r = add_cd(s, cds, n++, MX_CSSLOT_ALTERNATE_CD + i, det->alternates[i],
			   det->alternate_lens[i], 0);
	}
	return r <= 0 ? r : (int)n;
}

int macext_codesign_verify_detached(struct macext_cs_result **ret, const void *code,
				    size_t code_len, const struct macext_cs_detached *det,
				    const struct macext_cs_options *opt, struct macext_diag *diag)
{
	struct macext_cs_result *res = NULL;
	struct mx_cs_anchors anchors = {0};
	struct mx_cs_cd *cds = NULL;
	struct macext_cs_slice *s;
	struct sig_parts sp = {0};
	int r, n;

	if (!ret || !det || !opt || (!code && code_len))
		return -EINVAL;
	r = mx_cs_load_anchors(&anchors, opt, diag);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	res = mx_calloc(1, sizeof(*res));
	cds = mx_calloc(MX_CS_MAX_CDS, sizeof(*cds));
	if (!res || !cds || !(res->slices = mx_calloc(1, sizeof(*res->slices))))
		goto out;
	res->nslices = 1;
	res->detached = true;
	s = &res->slices[0];
	s->arch = "detached";
	s->size = code_len;
	s->kind = MACEXT_CS_UNSIGNED;
	n = load_detached_cds(s, det, cds);
	r = n < 0 ? n : 0;
	if (n > 0) {
		sp.cds = cds;
		sp.ncds = (size_t)n;
		sp.req = (struct part){det->requirements, det->requirements_len, 0};
		sp.ent = (struct part){det->entitlements, det->entitlements_len, 0};
		sp.cms = (struct part){det->signature, det->signature_len, 0};
		r = verify_parts(s, &sp, code ? code : (const uint8_t *)"", code_len,
				 "the end of the code", opt, &anchors);
	}
	if (r < 0)
		goto out;
	if (s->nerrors)
		s->kext_requirement = false;
	s->valid = s->nerrors == 0;
	r = file_checks(res);
	if (r < 0)
		goto out;
	*ret = res;
	res = NULL;
out:
	free(cds);
	macext_cs_result_free(res);
	mx_cs_free_anchors(&anchors);
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
	for (size_t i = 0; i < res->nnested; i++) {
		free(res->nested[i].path);
		free(res->nested[i].team_id);
		free(res->nested[i].first_error);
	}
	free(res->nested);
	free(res->main_executable);
	free(res);
}
