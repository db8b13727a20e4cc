/*
 * lib/format/fileset_write.c: writes an Auxiliary Kernel Collection (MH_FILESET) in memory
 * from kext slices and their Info.plists (boot-chain.md §5, docs/formats/kernel-collection.md).
 *
 * File layout, every region on a 16 KiB boundary (§5.4), in the builder's file order:
 *
 *   __TEXT          mach_header_64 + load commands (LC_UUID, LC_BUILD_VERSION, one
 *                   LC_SEGMENT_64 per region in file order, one LC_FILESET_ENTRY per kext
 *                   with an executable: id right after the 32-byte fixed part, cmdsize
 *                   align8(32 + strlen + 1))
 *   __PRELINK_TEXT  each kext's slice copied whole, each at a 16 KiB boundary; the entry's
 *                   fileoff is where its own Mach-O header lands
 *   __RECEIPT_INFO  section __aux_kc_receipt: the kext receipt (our format, §9 row 6)
 *   __PRELINK_INFO  section __info: the prelink info XML plist (§5.5)
 *
 * VM layout: the AuxKC puts data first, so __PRELINK_INFO sits at vmaddr 0 and the other
 * regions follow it in file order (vmaddr = size of __PRELINK_INFO + fileoff). Because the
 * prelink info holds those addresses, its own size is found by iteration: a larger region
 * only makes the numbers in it longer, so the size grows monotonically to a fixed point.
 *
 * The slices are copied, not linked: their load commands keep their image-relative offsets
 * and no fixups are applied. The KC UUID is the first 16 bytes of SHA-256 over the whole
 * file with every copy of it (LC_UUID, _PrelinkKCID, the receipt's AuxKCUUID) zeroed; the
 * two plists are then rendered again with the real UUID, which changes no length (16 bytes
 * of data are always 24 base64 characters, a UUID string always 36).
 *
 * Every size is computed with checked arithmetic and capped by the limits of limits.h
 * before anything is allocated; the writer reads only the first 32 bytes of each slice and
 * the Info.plist bytes until the layout is known to fit.
 */
#include "format/fileset_write.h"

#include <errno.h>
#include <openssl/evp.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/limits.h"
#include "format/macho_internal.h"
#include "format/mobileconfig.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/endian.h"

#define KC_PROT_R 1u
#define KC_PROT_RW 3u
#define KC_PROT_RX 5u
#define KC_MAX_LAYOUT_PASSES 64

struct layout {
	uint32_t ncmds, sizeofcmds;
	uint64_t text_size;		/* header region, aligned */
	uint64_t ptext_off, ptext_size; /* __PRELINK_TEXT */
	uint64_t receipt_off, receipt_size;
	uint64_t info_off, info_size;
	uint64_t total;
	uint64_t vm_base; /* vmaddr of file offset 0 (= info_size) */
	uint64_t *entry_off;
};

struct writer {
	const struct macext_kc_input *in;
	size_t n;
	const struct macext_kc_write_opts *o;
	plist_t *info; /* each input's parsed Info.plist */
	struct layout l;
	uint8_t uuid[16];
	char *receipt_xml, *info_xml;
	uint32_t receipt_len, info_len;
};

int macext_kc_arch_cpu(const char *arch, int32_t *cputype, int32_t *cpusubtype)
{
	if (!arch)
		return -EINVAL;
	if (strcmp(arch, "x86_64") == 0) {
		*cputype = MX_CPU_TYPE_X86_64;
		*cpusubtype = 3; /* CPU_SUBTYPE_X86_64_ALL */
	} else if (strcmp(arch, "arm64") == 0) {
		*cputype = MX_CPU_TYPE_ARM64;
		*cpusubtype = 0;
	} else if (strcmp(arch, "arm64e") == 0) {
		*cputype = MX_CPU_TYPE_ARM64;
		*cpusubtype = 2;
	} else {
		return -EINVAL;
	}
	return 0;
}

static bool is_arm64e(int32_t cputype, int32_t cpusubtype)
{
	return cputype == MX_CPU_TYPE_ARM64 && (cpusubtype & 0xff) == 2;
}

static bool align16k(uint64_t v, uint64_t *ret)
{
	return mx_align_up(v, MACEXT_KC_REGION_ALIGN, ret);
}

static void uuid_string(const uint8_t u[16], char buf[37])
{
	snprintf(buf, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static int cmp_input_id(const void *a, const void *b)
{
	const struct macext_kc_input *x = *(const struct macext_kc_input *const *)a;
	const struct macext_kc_input *y = *(const struct macext_kc_input *const *)b;

	return strcmp(x->bundle_id, y->bundle_id);
}

static int cmp_left_out_id(const void *a, const void *b)
{
	const struct macext_kc_left_out *x = *(const struct macext_kc_left_out *const *)a;
	const struct macext_kc_left_out *y = *(const struct macext_kc_left_out *const *)b;

	return strcmp(x->bundle_id, y->bundle_id);
}

/* ---- checking the inputs -------------------------------------------------------------- */

static int check_id(const char *id, size_t idx, const char *what, struct macext_diag *diag)
{
	size_t len;

	if (!id || !*id)
		return mx_diag_fail_nopos(diag, -EINVAL, "%s %zu: empty bundle id", what, idx);
	len = strnlen(id, MX_KC_MAX_ID_LEN + 1);
	if (len > MX_KC_MAX_ID_LEN)
		return mx_diag_fail_nopos(diag, -EINVAL, "%s %zu: bundle id longer than %u bytes",
					  what, idx, MX_KC_MAX_ID_LEN);
	return 0;
}

static int check_slice(const struct writer *w, size_t i, struct macext_diag *diag)
{
	const struct macext_kc_input *e = &w->in[i];

	if (e->macho_len < MX_MACH_HEADER64_SIZE || mx_load_le32(e->macho) != MX_MH_MAGIC_64)
		return mx_diag_fail_nopos(
		    diag, -EINVAL, "%s: not a 64-bit little-endian Mach-O slice", e->bundle_id);
	if ((int32_t)mx_load_le32(e->macho + 4) != w->o->cputype)
		return mx_diag_fail_nopos(
		    diag, -EINVAL, "%s: slice cputype 0x%x is not the collection's 0x%x",
		    e->bundle_id, mx_load_le32(e->macho + 4), (uint32_t)w->o->cputype);
	return 0;
}

static int parse_info(struct writer *w, size_t i, struct macext_diag *diag)
{
	const struct macext_kc_input *e = &w->in[i];
	plist_t p = NULL, id;
	const char *s;
	uint64_t slen = 0;
	int r;

	if (!e->info_plist || e->info_plist_len == 0)
		return mx_diag_fail_nopos(diag, -EINVAL, "%s: no Info.plist", e->bundle_id);
	if (e->info_plist_len > MX_KC_MAX_INFO_PLIST)
		return mx_diag_fail_nopos(diag, -E2BIG,
					  "%s: Info.plist of %zu bytes is over the limit of %u",
					  e->bundle_id, e->info_plist_len, MX_KC_MAX_INFO_PLIST);
	if (e->info_plist_len >= 8 && memcmp(e->info_plist, "bplist00", 8) == 0)
		return mx_diag_fail_nopos(diag, -EINVAL,
					  "%s: Info.plist must be XML (convert a binary one first)",
					  e->bundle_id);
	r = mx_plist_precheck(e->info_plist, e->info_plist_len, false, 0, diag);
	if (r < 0) {
		mx_diag_prefix(diag, "%s: Info.plist", e->bundle_id);
		return r;
	}
	plist_from_memory((const char *)e->info_plist, (uint32_t)e->info_plist_len, &p);
	if (!p)
		return mx_diag_fail_nopos(diag, -EBADMSG, "%s: Info.plist is not a property list",
					  e->bundle_id);
	if (plist_get_node_type(p) != PLIST_DICT) {
		plist_free(p);
		return mx_diag_fail_nopos(diag, -EINVAL, "%s: Info.plist is not a dictionary",
					  e->bundle_id);
	}
	id = plist_dict_get_item(p, "CFBundleIdentifier");
	if (id && plist_get_node_type(id) == PLIST_STRING) {
		s = plist_get_string_ptr(id, &slen);
		if (!s || slen != strlen(e->bundle_id) || memcmp(s, e->bundle_id, slen) != 0) {
			plist_free(p);
			return mx_diag_fail_nopos(
			    diag, -EINVAL, "%s: Info.plist names another bundle id", e->bundle_id);
		}
	}
	w->info[i] = p;
	return 0;
}

static int check_inputs(struct writer *w, struct macext_diag *diag)
{
	const struct macext_kc_input **sorted;
	int r = 0;

	for (size_t i = 0; i < w->n && r == 0; i++) {
		r = check_id(w->in[i].bundle_id, i, "kext", diag);
		if (r == 0 && w->in[i].macho)
			r = check_slice(w, i, diag);
	}
	for (size_t i = 0; i < w->o->nleft_out && r == 0; i++) {
		r = check_id(w->o->left_out[i].bundle_id, i, "left-out kext", diag);
		if (r == 0 && !w->o->left_out[i].reason)
			r = mx_diag_fail_nopos(diag, -EINVAL, "left-out kext %zu: no reason", i);
	}
	if (r < 0 || w->n < 2)
		return r;
	sorted = mx_calloc(w->n, sizeof(*sorted));
	if (!sorted)
		return mx_diag_fail_nopos(diag, -ENOMEM, "kernel collection: out of memory");
	for (size_t i = 0; i < w->n; i++)
		sorted[i] = &w->in[i];
	qsort(sorted, w->n, sizeof(*sorted), cmp_input_id);
	for (size_t i = 1; i < w->n && r == 0; i++)
		if (strcmp(sorted[i - 1]->bundle_id, sorted[i]->bundle_id) == 0)
			r = mx_diag_fail_nopos(diag, -EEXIST,
					       "kernel collection already contains bundle-id: %s",
					       sorted[i]->bundle_id);
	mx_free(sorted);
	return r;
}

/* ---- the plists -------------------------------------------------------------------------- */

static plist_t data16(const uint8_t *u)
{
	return plist_new_data((const char *)u, 16);
}

/* Renders P as XML into *RET and *RET_LEN (libplist's allocation, plist_to_xml_free). */
static int render(plist_t p, char **ret, uint32_t *ret_len, const char *what,
		  struct macext_diag *diag)
{
	*ret = NULL;
	*ret_len = 0;
	plist_to_xml(p, ret, ret_len);
	if (!*ret || *ret_len == 0)
		return mx_diag_fail_nopos(diag, -ENOMEM, "%s: cannot render the plist", what);
	return 0;
}

static plist_t receipt_plist(const struct writer *w, const uint8_t uuid[16])
{
	const struct macext_kc_input **in = NULL;
	const struct macext_kc_left_out **lo = NULL;
	plist_t root = plist_new_dict(), kexts = plist_new_array(), excl = plist_new_array();
	char u[37];

	in = mx_calloc(w->n ? w->n : 1, sizeof(*in));
	lo = mx_calloc(w->o->nleft_out ? w->o->nleft_out : 1, sizeof(*lo));
	if (!in || !lo)
		goto fail;
	for (size_t i = 0; i < w->n; i++)
		in[i] = &w->in[i];
	for (size_t i = 0; i < w->o->nleft_out; i++)
		lo[i] = &w->o->left_out[i];
	qsort(in, w->n, sizeof(*in), cmp_input_id);
	qsort(lo, w->o->nleft_out, sizeof(*lo), cmp_left_out_id);

	/* AuxKCUUID first: its rendering is replaced once the UUID is known. */
	uuid_string(uuid, u);
	plist_dict_set_item(root, "AuxKCUUID", plist_new_string(u));
	plist_dict_set_item(root, "ReceiptVersion", plist_new_uint(1));
	if (w->o->boot_kc_uuid) {
		uuid_string(w->o->boot_kc_uuid, u);
		plist_dict_set_item(root, "BootKCUUID", plist_new_string(u));
	}
	if (w->o->uakl_hash)
		plist_dict_set_item(root, "UAKLHash",
				    plist_new_data((const char *)w->o->uakl_hash, 48));
	for (size_t i = 0; i < w->n; i++) {
		const struct macext_kc_input *e = in[i];
		plist_t k = plist_new_dict();
		plist_t v = w->info[e - w->in]
				? plist_dict_get_item(w->info[e - w->in], "CFBundleVersion")
				: NULL;

		plist_dict_set_item(k, "CFBundleIdentifier", plist_new_string(e->bundle_id));
		if (v && plist_get_node_type(v) == PLIST_STRING)
			plist_dict_set_item(k, "CFBundleVersion", plist_copy(v));
		if (e->team_id)
			plist_dict_set_item(k, "TeamIdentifier", plist_new_string(e->team_id));
		if (e->cdhash)
			plist_dict_set_item(k, "CDHash", plist_new_string(e->cdhash));
		plist_dict_set_item(k, "MayAffectApplePay",
				    plist_new_bool(e->may_affect_apple_pay));
		plist_array_append_item(kexts, k);
	}
	for (size_t i = 0; i < w->o->nleft_out; i++) {
		plist_t k = plist_new_dict();

		plist_dict_set_item(k, "CFBundleIdentifier", plist_new_string(lo[i]->bundle_id));
		plist_dict_set_item(k, "Reason", plist_new_string(lo[i]->reason));
		plist_array_append_item(excl, k);
	}
	plist_dict_set_item(root, "Kexts", kexts);
	plist_dict_set_item(root, "Excluded", excl);
	mx_free(in);
	mx_free(lo);
	return root;
fail:
	mx_free(in);
	mx_free(lo);
	plist_free(root);
	plist_free(kexts);
	plist_free(excl);
	return NULL;
}

static plist_t prelink_plist(const struct writer *w, const uint8_t uuid[16], uint64_t vm_base)
{
	plist_t root = plist_new_dict(), arr = plist_new_array();

	/* _PrelinkKCID first: its rendering is replaced once the UUID is known. */
	plist_dict_set_item(root, MX_PRELINK_KCID, data16(uuid));
	if (w->o->boot_kc_uuid)
		plist_dict_set_item(root, MX_PRELINK_BOOT_KCID, data16(w->o->boot_kc_uuid));
	if (w->o->pageable_kc_uuid)
		plist_dict_set_item(root, MX_PRELINK_PAGEABLE_KCID, data16(w->o->pageable_kc_uuid));
	for (size_t i = 0; i < w->n; i++) {
		const struct macext_kc_input *e = &w->in[i];
		plist_t d = plist_copy(w->info[i]);

		if (e->bundle_path)
			plist_dict_set_item(d, "_PrelinkBundlePath",
					    plist_new_string(e->bundle_path));
		if (e->macho) {
			uint64_t a = vm_base + w->l.entry_off[i];

			if (e->executable_relpath)
				plist_dict_set_item(d, "_PrelinkExecutableRelativePath",
						    plist_new_string(e->executable_relpath));
			plist_dict_set_item(d, MX_PRELINK_LOAD_ADDR, plist_new_uint(a));
			plist_dict_set_item(d, "_PrelinkExecutableSourceAddr", plist_new_uint(a));
			plist_dict_set_item(d, "_PrelinkExecutableSize",
					    plist_new_uint(e->macho_len));
			plist_dict_set_item(d, MX_PRELINK_COLLECTION_TYPE,
					    plist_new_string("Auxiliary"));
		} else {
			plist_dict_set_item(d, MX_PRELINK_LOAD_ADDR,
					    plist_new_uint(MACEXT_KC_CODELESS_ADDR));
			plist_dict_set_item(d, MX_PRELINK_COLLECTION_TYPE,
					    plist_new_string("Codeless"));
		}
		plist_array_append_item(arr, d);
	}
	plist_dict_set_item(root, MX_PRELINK_INFO_DICT, arr);
	return root;
}

static int render_receipt(struct writer *w, const uint8_t uuid[16], struct macext_diag *diag)
{
	plist_t p = receipt_plist(w, uuid);
	int r;

	if (!p)
		return mx_diag_fail_nopos(diag, -ENOMEM, "kext receipt: out of memory");
	plist_to_xml_free(w->receipt_xml);
	r = render(p, &w->receipt_xml, &w->receipt_len, "kext receipt", diag);
	plist_free(p);
	return r;
}

static int render_info(struct writer *w, const uint8_t uuid[16], uint64_t vm_base,
		       struct macext_diag *diag)
{
	plist_t p = prelink_plist(w, uuid, vm_base);
	int r;

	plist_to_xml_free(w->info_xml);
	r = render(p, &w->info_xml, &w->info_len, "prelink info", diag);
	plist_free(p);
	return r;
}

/* ---- layout ------------------------------------------------------------------------------ */

static int too_big(const struct writer *w, struct macext_diag *diag)
{
	if (is_arm64e(w->o->cputype, w->o->cpusubtype))
		return mx_diag_fail_nopos(diag, -E2BIG,
					  "kernel collection: over the arm64e AuxKC limit of %llu "
					  "bytes",
					  (unsigned long long)MX_KC_MAX_SIZE_ARM64E_AUX);
	return mx_diag_fail_nopos(diag, -E2BIG, "kernel collection: over the limit of %llu bytes",
				  (unsigned long long)MX_KC_MAX_SIZE);
}

static uint64_t size_limit(const struct writer *w)
{
	return is_arm64e(w->o->cputype, w->o->cpusubtype) ? MX_KC_MAX_SIZE_ARM64E_AUX
							  : MX_KC_MAX_SIZE;
}

static size_t nexecutables(const struct writer *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n; i++)
		k += w->in[i].macho != NULL;
	return k;
}

/* Header and __PRELINK_TEXT: depend only on the inputs. */
static int layout_text(struct writer *w, struct macext_diag *diag)
{
	struct layout *l = &w->l;
	uint64_t cmds, cur, end, limit = size_limit(w);
	size_t nexe = nexecutables(w);

	cmds = MX_KC_UUID_CMD_SIZE + MX_KC_BUILD_VERSION_SIZE + MX_KC_SEGMENT64_SIZE +
	       2 * (MX_KC_SEGMENT64_SIZE + MX_KC_SECTION64_SIZE);
	l->ncmds = 5;
	if (nexe) {
		cmds += MX_KC_SEGMENT64_SIZE;
		l->ncmds++;
	}
	for (size_t i = 0; i < w->n; i++)
		if (w->in[i].macho) {
			cmds += mx_kc_fileset_cmdsize(strlen(w->in[i].bundle_id));
			l->ncmds++;
		}
	/* At most 4096 entries of at most ~1 KiB each: far below both load-command limits. */
	l->sizeofcmds = (uint32_t)cmds;
	if (!align16k(MX_MACH_HEADER64_SIZE + cmds, &l->text_size))
		return too_big(w, diag);
	l->ptext_off = cur = l->text_size;
	for (size_t i = 0; i < w->n; i++) {
		if (!w->in[i].macho)
			continue;
		if (!align16k(cur, &l->entry_off[i]) ||
		    !mx_add_u64(l->entry_off[i], w->in[i].macho_len, &cur) || cur > limit)
			return too_big(w, diag);
	}
	if (!align16k(cur, &end) || end > limit)
		return too_big(w, diag);
	l->ptext_size = end - l->ptext_off;
	l->receipt_off = end;
	return 0;
}

/* The receipt, then the prelink info at the fixed point of its own size. */
static int layout_data(struct writer *w, const uint8_t zero[16], struct macext_diag *diag)
{
	struct layout *l = &w->l;
	uint64_t limit = size_limit(w), guess = MACEXT_KC_REGION_ALIGN, size;
	int r;

	r = render_receipt(w, zero, diag);
	if (r < 0)
		return r;
	if (!align16k(w->receipt_len, &l->receipt_size) ||
	    !mx_add_u64(l->receipt_off, l->receipt_size, &l->info_off) || l->info_off > limit)
		return too_big(w, diag);
	for (int pass = 0; pass < KC_MAX_LAYOUT_PASSES; pass++) {
		r = render_info(w, zero, guess, diag);
		if (r < 0)
			return r;
		if (w->info_len > MX_KC_MAX_PRELINK_INFO || !align16k(w->info_len, &size) ||
		    !mx_add_u64(l->info_off, size, &l->total) || l->total > limit)
			return too_big(w, diag);
		if (size <= guess) {
			/* Only the first pass can come out smaller (a guess of one region). */
			l->info_size = guess;
			l->vm_base = guess;
			return mx_add_u64(l->info_off, guess, &l->total) && l->total <= limit
				   ? 0
				   : too_big(w, diag);
		}
		guess = size;
	}
	return mx_diag_fail_nopos(diag, -E2BIG, "prelink info: its size does not settle");
}

/* ---- emitting ---------------------------------------------------------------------------- */

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	mx_store_le32(p, v);
	return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	mx_store_le64(p, v);
	return p + 8;
}

static uint8_t *put_name(uint8_t *p, const char *name)
{
	memcpy(p, name, strnlen(name, 16));
	return p + 16;
}

struct region {
	const char *seg, *sect;
	uint64_t vmaddr, vmsize, fileoff, filesize;
	uint32_t prot;
	uint64_t sect_size;
};

static uint8_t *put_segment(uint8_t *p, const struct region *g)
{
	uint32_t nsects = g->sect ? 1u : 0u;

	p = put32(p, MX_LC_SEGMENT_64);
	p = put32(p, MX_KC_SEGMENT64_SIZE + nsects * MX_KC_SECTION64_SIZE);
	p = put_name(p, g->seg);
	p = put64(p, g->vmaddr);
	p = put64(p, g->vmsize);
	p = put64(p, g->fileoff);
	p = put64(p, g->filesize);
	p = put32(p, g->prot);
	p = put32(p, g->prot);
	p = put32(p, nsects);
	p = put32(p, 0);
	if (!g->sect)
		return p;
	p = put_name(p, g->sect);
	p = put_name(p, g->seg);
	p = put64(p, g->vmaddr);
	p = put64(p, g->sect_size);
	p = put32(p, (uint32_t)g->fileoff); /* < 1 GiB (MX_KC_MAX_SIZE) */
	p = put32(p, 0);		    /* align 2^0 */
	memset(p, 0, 6 * 4);		    /* reloff, nreloc, flags, reserved1-3 */
	return p + 6 * 4;
}

static void emit(const struct writer *w, uint8_t *buf)
{
	const struct layout *l = &w->l;
	uint8_t *p = buf;
	const struct region regions[] = {
	    {MX_KC_SEG_TEXT, NULL, l->vm_base, l->text_size, 0, l->text_size, KC_PROT_R, 0},
	    {MX_KC_SEG_PRELINK_TEXT, NULL, l->vm_base + l->ptext_off, l->ptext_size, l->ptext_off,
	     l->ptext_size, KC_PROT_RX, 0},
	    {MX_KC_SEG_RECEIPT, MX_KC_SECT_RECEIPT, l->vm_base + l->receipt_off, l->receipt_size,
	     l->receipt_off, l->receipt_size, KC_PROT_R, w->receipt_len},
	    {MX_KC_SEG_PRELINK_INFO, MX_KC_SECT_PRELINK_INFO, 0, l->info_size, l->info_off,
	     l->info_size, KC_PROT_RW, w->info_len},
	};

	p = put32(p, MX_MH_MAGIC_64);
	p = put32(p, (uint32_t)w->o->cputype);
	p = put32(p, (uint32_t)w->o->cpusubtype);
	p = put32(p, MACEXT_MH_FILESET);
	p = put32(p, l->ncmds);
	p = put32(p, l->sizeofcmds);
	p = put32(p, 0); /* flags: the builder writes 0 (§5.2) */
	p = put32(p, 0);

	p = put32(p, MX_LC_UUID);
	p = put32(p, MX_KC_UUID_CMD_SIZE);
	p += 16; /* zero until the UUID is known */

	p = put32(p, MX_LC_BUILD_VERSION);
	p = put32(p, MX_KC_BUILD_VERSION_SIZE);
	p = put32(p, w->o->platform);
	p = put32(p, w->o->minos);
	p = put32(p, w->o->sdk);
	p = put32(p, 0); /* ntools */

	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (regions[i].filesize)
			p = put_segment(p, &regions[i]);

	for (size_t i = 0; i < w->n; i++) {
		const struct macext_kc_input *e = &w->in[i];
		size_t idlen;
		uint32_t cmdsize;

		if (!e->macho)
			continue;
		idlen = strlen(e->bundle_id);
		cmdsize = mx_kc_fileset_cmdsize(idlen);
		put32(p, MX_LC_FILESET_ENTRY);
		put32(p + 4, cmdsize);
		put64(p + 8, l->vm_base + l->entry_off[i]);
		put64(p + 16, l->entry_off[i]);
		put32(p + 24, MX_KC_FILESET_ENTRY_FIXED);
		put32(p + 28, 0);
		memcpy(p + MX_KC_FILESET_ENTRY_FIXED, e->bundle_id, idlen); /* NUL + pad: zeroed */
		p += cmdsize;
		memcpy(buf + l->entry_off[i], e->macho, e->macho_len);
	}
	memcpy(buf + l->receipt_off, w->receipt_xml, w->receipt_len);
	memcpy(buf + l->info_off, w->info_xml, w->info_len);
}

/* Renders both plists again with the real UUID and puts them over the zeroed ones. */
static int stamp_uuid(struct writer *w, uint8_t *buf, struct macext_diag *diag)
{
	uint32_t rlen = w->receipt_len, ilen = w->info_len;
	int r;

	r = render_receipt(w, w->uuid, diag);
	if (r == 0)
		r = render_info(w, w->uuid, w->l.vm_base, diag);
	if (r < 0)
		return r;
	if (w->receipt_len != rlen || w->info_len != ilen)
		return mx_diag_fail_nopos(diag, -EINVAL,
					  "kernel collection: the UUID changed a plist's length");
	memcpy(buf + w->l.receipt_off, w->receipt_xml, rlen);
	memcpy(buf + w->l.info_off, w->info_xml, ilen);
	memcpy(buf + MX_MACH_HEADER64_SIZE + 8, w->uuid, 16);
	return 0;
}

int macext_kc_write(const struct macext_kc_input *inputs, size_t n,
		    const struct macext_kc_write_opts *opts, uint8_t **ret, size_t *ret_len,
		    struct macext_diag *diag)
{
	static const uint8_t zero[16];
	struct writer w = {.in = inputs, .n = n, .o = opts};
	uint8_t md[EVP_MAX_MD_SIZE], *buf = NULL;
	unsigned mdlen = 0;
	int r;

	*ret = NULL;
	*ret_len = 0;
	if (n > MX_KC_MAX_ENTRIES)
		return mx_diag_fail_nopos(diag, -E2BIG,
					  "kernel collection: %zu kexts, over the limit of %u", n,
					  MX_KC_MAX_ENTRIES);
	if (opts->nleft_out > MX_KC_MAX_ENTRIES)
		return mx_diag_fail_nopos(
		    diag, -E2BIG,
		    "kernel collection: %zu left-out kexts, over the limit of "
		    "%u",
		    opts->nleft_out, MX_KC_MAX_ENTRIES);
	r = check_inputs(&w, diag);
	if (r < 0)
		return r;
	w.info = mx_calloc(n ? n : 1, sizeof(*w.info));
	w.l.entry_off = mx_calloc(n ? n : 1, sizeof(*w.l.entry_off));
	if (!w.info || !w.l.entry_off) {
		r = mx_diag_fail_nopos(diag, -ENOMEM, "kernel collection: out of memory");
		goto out;
	}
	r = layout_text(&w, diag);
	for (size_t i = 0; i < n && r == 0; i++)
		r = parse_info(&w, i, diag);
	if (r == 0)
		r = layout_data(&w, zero, diag);
	if (r < 0)
		goto out;
	buf = mx_calloc(1, (size_t)w.l.total);
	if (!buf) {
		r = mx_diag_fail_nopos(diag, -ENOMEM, "kernel collection: out of memory");
		goto out;
	}
	emit(&w, buf);
	if (EVP_Digest(buf, (size_t)w.l.total, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16) {
		r = mx_diag_fail_nopos(diag, -ENOMEM, "kernel collection: SHA-256 failed");
		goto out;
	}
	memcpy(w.uuid, md, 16);
	r = stamp_uuid(&w, buf, diag);
	if (r < 0)
		goto out;
	*ret = buf;
	*ret_len = (size_t)w.l.total;
	buf = NULL;
out:
	mx_free(buf);
	if (w.info)
		for (size_t i = 0; i < n; i++)
			plist_free(w.info[i]);
	mx_free(w.info);
	mx_free(w.l.entry_off);
	plist_to_xml_free(w.receipt_xml);
	plist_to_xml_free(w.info_xml);
	return r;
}
