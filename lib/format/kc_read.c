/*
 * lib/format/kc_read.c: reads a kernel collection (MH_FILESET) back: its fileset entries,
 * the UUID in each entry's own Mach-O header, and the prelink info (boot-chain.md §5,
 * docs/formats/kernel-collection.md). What `macext kmutil inspect` shows.
 *
 * The Mach-O reader does the heavy checking (load commands, segment and section ranges,
 * each LC_FILESET_ENTRY's id and that its header lies inside the file). Here each entry's
 * header is walked only as far as its LC_UUID, through a reader bounded by the file, and
 * the __PRELINK_INFO,__info section goes to libplist only after mx_plist_precheck has
 * bounded its nesting. Kexts are matched to prelink records by CFBundleIdentifier; a record
 * with no fileset entry (a codeless kext) is listed after the entries.
 */
#include "format/fileset_write.h"

#include <errno.h>
#include <plist/plist.h>
#include <string.h>

#include "format/limits.h"
#include "format/macho_internal.h"
#include "format/mobileconfig.h"
#include "macext/macho.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/reader.h"

void macext_kc_free(struct macext_kc *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->nkexts; i++) {
		mx_free(kc->kexts[i].bundle_id);
		mx_free(kc->kexts[i].version);
		mx_free(kc->kexts[i].collection_type);
	}
	mx_free(kc->kexts);
	mx_free(kc);
}

/* The LC_UUID of the Mach-O header at OFF, if it has one. */
static int entry_uuid(const uint8_t *buf, size_t len, uint64_t off, struct macext_kc_kext *k,
		      struct macext_diag *diag)
{
	struct mx_reader rd, cmds;
	uint32_t magic, ncmds, sizeofcmds, cmd, cmdsize;
	const uint8_t *u;

	mx_rd_init(&rd, buf, len, 0);
	if (mx_rd_seek(&rd, off) < 0 || mx_rd_u32(&rd, MX_LE, &magic) < 0 ||
	    magic != MX_MH_MAGIC_64)
		return mx_diag_fail_at(diag, off, -EBADMSG,
				       "fileset entry %s: no 64-bit Mach-O header", k->bundle_id);
	if (mx_rd_skip(&rd, 12) < 0 || mx_rd_u32(&rd, MX_LE, &ncmds) < 0 ||
	    mx_rd_u32(&rd, MX_LE, &sizeofcmds) < 0 || mx_rd_skip(&rd, 8) < 0 ||
	    mx_rd_take(&rd, sizeofcmds, &cmds) < 0)
		return mx_diag_fail_at(diag, off, -EBADMSG,
				       "fileset entry %s: load commands run past the file",
				       k->bundle_id);
	if (ncmds > MX_MACHO_MAX_NCMDS)
		return mx_diag_fail_at(diag, off + 16, -E2BIG,
				       "fileset entry %s: %u load commands, over the limit of %u",
				       k->bundle_id, ncmds, MX_MACHO_MAX_NCMDS);
	for (uint32_t i = 0; i < ncmds; i++) {
		uint64_t at = mx_rd_offset(&cmds);
		struct mx_reader c;

		if (mx_rd_u32(&cmds, MX_LE, &cmd) < 0 || mx_rd_u32(&cmds, MX_LE, &cmdsize) < 0 ||
		    cmdsize < 8 || mx_rd_seek(&cmds, cmds.pos - 8) < 0 ||
		    mx_rd_take(&cmds, cmdsize, &c) < 0)
			return mx_diag_fail_at(diag, at, -EBADMSG,
					       "fileset entry %s: load command %u is malformed",
					       k->bundle_id, i);
		if (cmd != MX_LC_UUID)
			continue;
		if (mx_rd_skip(&c, 8) < 0 || mx_rd_bytes(&c, 16, &u) < 0)
			return mx_diag_fail_at(diag, at, -EBADMSG,
					       "fileset entry %s: LC_UUID too small", k->bundle_id);
		memcpy(k->uuid, u, 16);
		k->has_uuid = true;
		return 0;
	}
	return 0;
}

static bool get_uuid(plist_t dict, const char *key, uint8_t out[16])
{
	plist_t v = plist_dict_get_item(dict, key);
	const char *p;
	uint64_t n = 0;

	if (!v || plist_get_node_type(v) != PLIST_DATA)
		return false;
	p = plist_get_data_ptr(v, &n);
	if (!p || n != 16)
		return false;
	memcpy(out, p, 16);
	return true;
}

static char *dict_string(plist_t dict, const char *key)
{
	plist_t v = plist_dict_get_item(dict, key);
	const char *s;
	uint64_t n = 0;

	if (!v || plist_get_node_type(v) != PLIST_STRING)
		return NULL;
	s = plist_get_string_ptr(v, &n);
	return s ? mx_strndup(s, (size_t)n) : NULL;
}

static const struct macext_section *find_section(const struct macext_slice *s, const char *seg,
						 const char *sect)
{
	for (size_t i = 0; i < s->nsections; i++)
		if (strcmp(s->sections[i].segname, seg) == 0 &&
		    strcmp(s->sections[i].sectname, sect) == 0)
			return &s->sections[i];
	return NULL;
}

/* Fills version, type and load address of K from the prelink record R. */
static int fill_from_record(struct macext_kc_kext *k, plist_t r)
{
	plist_t a = plist_dict_get_item(r, MX_PRELINK_LOAD_ADDR);

	mx_free(k->version);
	mx_free(k->collection_type);
	k->version = dict_string(r, "CFBundleVersion");
	k->collection_type = dict_string(r, MX_PRELINK_COLLECTION_TYPE);
	if (a && plist_get_node_type(a) == PLIST_UINT)
		plist_get_uint_val(a, &k->load_addr);
	if ((plist_dict_get_item(r, "CFBundleVersion") && !k->version) ||
	    (plist_dict_get_item(r, MX_PRELINK_COLLECTION_TYPE) && !k->collection_type))
		return -ENOMEM;
	return 0;
}

static int add_prelink(struct macext_kc *kc, const uint8_t *buf, const struct macext_section *sec,
		       size_t *cap, struct macext_diag *diag)
{
	const uint8_t *p = buf + sec->offset;
	plist_t root = NULL, arr;
	int r;

	if (sec->size > MX_KC_MAX_PRELINK_INFO)
		return mx_diag_fail_at(diag, sec->offset, -E2BIG,
				       "prelink info of %llu bytes is over the limit of %u",
				       (unsigned long long)sec->size, MX_KC_MAX_PRELINK_INFO);
	r = mx_plist_precheck(p, (size_t)sec->size, sec->size >= 8 && memcmp(p, "bplist00", 8) == 0,
			      sec->offset, diag);
	if (r < 0) {
		mx_diag_prefix(diag, "prelink info");
		return r;
	}
	if (sec->size >= 8 && memcmp(p, "bplist00", 8) == 0)
		return mx_diag_fail_at(diag, sec->offset, -EBADMSG,
				       "prelink info: a binary plist (only XML is read)");
	plist_from_memory((const char *)p, (uint32_t)sec->size, &root);
	if (!root || plist_get_node_type(root) != PLIST_DICT) {
		plist_free(root);
		return mx_diag_fail_at(diag, sec->offset, -EBADMSG,
				       "prelink info: not a property-list dictionary");
	}
	kc->has_prelink_info = true;
	kc->has_prelink_kc_uuid = get_uuid(root, MX_PRELINK_KCID, kc->prelink_kc_uuid);
	kc->has_boot_kc_uuid = get_uuid(root, MX_PRELINK_BOOT_KCID, kc->boot_kc_uuid);
	kc->has_pageable_kc_uuid = get_uuid(root, MX_PRELINK_PAGEABLE_KCID, kc->pageable_kc_uuid);
	arr = plist_dict_get_item(root, MX_PRELINK_INFO_DICT);
	if (!arr || plist_get_node_type(arr) != PLIST_ARRAY)
		goto done;
	/* Records are matched to entries by id (quadratic), so bound them first. */
	if (plist_array_get_size(arr) > MX_KC_MAX_ENTRIES) {
		r = mx_diag_fail_at(diag, sec->offset, -E2BIG,
				    "prelink info: %u kexts, over the limit of %u",
				    plist_array_get_size(arr), MX_KC_MAX_ENTRIES);
		goto done;
	}
	for (uint32_t i = 0; i < plist_array_get_size(arr) && r == 0; i++) {
		plist_t rec = plist_array_get_item(arr, i);
		char *id;
		size_t j;

		if (plist_get_node_type(rec) != PLIST_DICT)
			continue;
		id = dict_string(rec, "CFBundleIdentifier");
		if (!id)
			continue;
		for (j = 0; j < kc->nkexts; j++)
			if (strcmp(kc->kexts[j].bundle_id, id) == 0)
				break;
		if (j == kc->nkexts) {
			if (kc->nkexts >= 2 * MX_KC_MAX_ENTRIES) {
				mx_free(id);
				r = mx_diag_fail_at(diag, sec->offset, -E2BIG,
						    "prelink info: over %u kexts",
						    2 * MX_KC_MAX_ENTRIES);
				break;
			}
			if (mx_grow((void **)&kc->kexts, cap, kc->nkexts + 1, sizeof(*kc->kexts)) <
			    0) {
				mx_free(id);
				r = mx_diag_fail_nopos(diag, -ENOMEM,
						       "prelink info: out of memory");
				break;
			}
			memset(&kc->kexts[j], 0, sizeof(kc->kexts[j]));
			kc->kexts[j].bundle_id = id;
			kc->nkexts++;
		} else {
			mx_free(id);
		}
		if (fill_from_record(&kc->kexts[j], rec) < 0)
			r = mx_diag_fail_nopos(diag, -ENOMEM, "prelink info: out of memory");
	}
done:
	plist_free(root);
	return r;
}

static int read_kc(struct macext_kc *kc, const uint8_t *buf, size_t len,
		   const struct macext_slice *s, struct macext_diag *diag)
{
	const struct macext_section *sec;
	size_t cap = 0;
	int r = 0;

	kc->cputype = s->cputype;
	kc->cpusubtype = s->cpusubtype;
	kc->arch = s->arch;
	kc->has_uuid = s->has_uuid;
	memcpy(kc->uuid, s->uuid, 16);
	if (s->nfileset > MX_KC_MAX_ENTRIES)
		return mx_diag_fail_at(diag, 16, -E2BIG,
				       "%zu fileset entries, over the limit of %u", s->nfileset,
				       MX_KC_MAX_ENTRIES);
	if (s->nfileset && mx_grow((void **)&kc->kexts, &cap, s->nfileset, sizeof(*kc->kexts)) < 0)
		return mx_diag_fail_nopos(diag, -ENOMEM, "kernel collection: out of memory");
	for (size_t i = 0; i < s->nfileset && r == 0; i++) {
		struct macext_kc_kext *k = &kc->kexts[i];

		memset(k, 0, sizeof(*k));
		k->bundle_id = mx_strdup(s->fileset[i].id);
		if (!k->bundle_id)
			return mx_diag_fail_nopos(diag, -ENOMEM,
						  "kernel collection: out of memory");
		kc->nkexts++;
		k->has_entry = true;
		k->vmaddr = s->fileset[i].vmaddr;
		k->fileoff = s->fileset[i].fileoff;
		r = entry_uuid(buf, len, k->fileoff, k, diag);
	}
	kc->nentries = kc->nkexts;
	if (r < 0)
		return r;
	sec = find_section(s, MX_KC_SEG_RECEIPT, MX_KC_SECT_RECEIPT);
	if (sec && sec->offset) {
		kc->has_receipt = true;
		kc->receipt_offset = sec->offset;
		kc->receipt_size = sec->size;
	}
	sec = find_section(s, MX_KC_SEG_PRELINK_INFO, MX_KC_SECT_PRELINK_INFO);
	if (sec && sec->offset && sec->size)
		r = add_prelink(kc, buf, sec, &cap, diag);
	return r;
}

int macext_kc_parse(struct macext_kc **ret, const void *buf, size_t len, struct macext_diag *diag)
{
	struct macext_macho *m = NULL;
	struct macext_kc *kc = NULL;
	int r;

	*ret = NULL;
	r = macext_macho_parse(&m, buf, len, MACEXT_MACHO_NO_SYMBOLS, diag);
	if (r < 0)
		return r;
	if (m->fat || m->nslices != 1 || m->slices[0].filetype != MACEXT_MH_FILESET) {
		r = mx_diag_fail_at(diag, m->fat ? 0 : 12, -ENOEXEC,
				    "not a kernel collection (a thin MH_FILESET Mach-O)");
		goto out;
	}
	kc = mx_calloc(1, sizeof(*kc));
	if (!kc) {
		r = mx_diag_fail_nopos(diag, -ENOMEM, "kernel collection: out of memory");
		goto out;
	}
	r = read_kc(kc, buf, len, &m->slices[0], diag);
	if (r < 0)
		goto out;
	*ret = kc;
	kc = NULL;
out:
	macext_kc_free(kc);
	macext_macho_free(m);
	return r;
}
