/* Unit tests for lib/format/fileset_write.c and kc_read.c: write a kernel collection, read
 * it back with macext_macho_parse and macext_kc_parse, recompute its UUID, and refuse
 * hostile parameters (counts and sizes at and over the limits). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/fileset_write.h"
#include "format/limits.h"
#include "macext/kc.h"
#include "macext/macho.h"
#include "util/alloc.h"
#include "util/endian.h"

#define CPU_X86_64 0x01000007
#define CPU_ARM64 0x0100000c

/* A minimal 64-bit kext image: header + LC_UUID (all bytes U), padded with FILL to LEN. */
static uint8_t *make_slice(int32_t cputype, uint8_t u, size_t len, uint8_t fill)
{
	uint8_t *b = malloc(len);

	assert_non_null(b);
	memset(b, fill, len);
	memset(b, 0, 56);
	mx_store_le32(b, 0xfeedfacf);
	mx_store_le32(b + 4, (uint32_t)cputype);
	mx_store_le32(b + 8, 3);
	mx_store_le32(b + 12, MACEXT_MH_KEXT_BUNDLE);
	mx_store_le32(b + 16, 1);
	mx_store_le32(b + 20, 24);
	mx_store_le32(b + 32, 0x1b);
	mx_store_le32(b + 36, 24);
	memset(b + 40, u, 16);
	return b;
}

static char *info_plist(const char *id, const char *version)
{
	char *s = NULL;
	int n = asprintf(&s,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n"
			 "<dict><key>CFBundleIdentifier</key><string>%s</string>"
			 "<key>CFBundleVersion</key><string>%s</string></dict></plist>\n",
			 id, version);

	assert_true(n > 0);
	return s;
}

struct fx {
	uint8_t *slice[2];
	size_t slice_len[2];
	char *plist[3];
	struct macext_kc_input in[3];
	struct macext_kc_left_out lo[1];
	struct macext_kc_write_opts o;
	uint8_t boot[16];
};

static const char *const ids[] = {"com.example.alpha", "com.example.beta.driver",
				  "com.example.codeless"};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->slice_len[0] = 5000;
	f->slice_len[1] = 20000; /* spans two 16 KiB pages */
	f->slice[0] = make_slice(CPU_X86_64, 0xa1, f->slice_len[0], 0x11);
	f->slice[1] = make_slice(CPU_X86_64, 0xb2, f->slice_len[1], 0x22);
	f->plist[0] = info_plist(ids[0], "1.2.3");
	f->plist[1] = info_plist(ids[1], "4.5");
	f->plist[2] = info_plist(ids[2], "7.0.1");
	for (int i = 0; i < 3; i++) {
		f->in[i].bundle_id = ids[i];
		f->in[i].info_plist = (const uint8_t *)f->plist[i];
		f->in[i].info_plist_len = strlen(f->plist[i]);
		f->in[i].bundle_path = "/Library/Extensions/X.kext";
	}
	for (int i = 0; i < 2; i++) {
		f->in[i].macho = f->slice[i];
		f->in[i].macho_len = f->slice_len[i];
		f->in[i].executable_relpath = "Contents/MacOS/X";
	}
	f->in[0].team_id = "ABCDE12345";
	f->in[0].cdhash = "00112233445566778899aabbccddeeff00112233";
	f->lo[0] = (struct macext_kc_left_out){"org.virtualbox.kext.VBoxDrv", "exclude-list"};
	memset(f->boot, 0x5a, 16);
	f->o.cputype = CPU_X86_64;
	f->o.cpusubtype = 3;
	f->o.platform = 1;
	f->o.minos = f->o.sdk = 11u << 16;
	f->o.boot_kc_uuid = f->boot;
	f->o.left_out = f->lo;
	f->o.nleft_out = 1;
}

static void fx_free(struct fx *f)
{
	for (int i = 0; i < 2; i++)
		free(f->slice[i]);
	for (int i = 0; i < 3; i++)
		free(f->plist[i]);
}

static const uint8_t *find(const uint8_t *buf, size_t len, const char *needle)
{
	return memmem(buf, len, needle, strlen(needle));
}

static void test_write_read(void **state)
{
	struct macext_diag diag = {0};
	struct macext_macho *m = NULL;
	struct macext_kc *kc = NULL;
	const struct macext_slice *s;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	struct fx f;
	(void)state;

	fx_init(&f);
	assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag), 0);
	assert_int_equal(len % MACEXT_KC_REGION_ALIGN, 0);

	/* The generic Mach-O reader sees a fileset with our two entries, in input order. */
	assert_int_equal(macext_macho_parse(&m, buf, len, MACEXT_MACHO_NO_SYMBOLS, &diag), 0);
	assert_int_equal(m->nslices, 1);
	s = &m->slices[0];
	assert_int_equal(s->filetype, MACEXT_MH_FILESET);
	assert_int_equal(s->cputype, CPU_X86_64);
	assert_int_equal(s->flags, 0);
	assert_true(s->has_uuid);
	assert_int_equal(s->nfileset, 2);
	/* LC_UUID, LC_BUILD_VERSION, 4 segments, 2 entries */
	assert_int_equal(s->ncmds, 8);
	assert_int_equal(s->nsegments, 4);
	assert_string_equal(s->segments[0].name, "__TEXT");
	assert_string_equal(s->segments[1].name, "__PRELINK_TEXT");
	assert_string_equal(s->segments[2].name, "__RECEIPT_INFO");
	assert_string_equal(s->segments[3].name, "__PRELINK_INFO");
	/* The AuxKC's data-first VM order: __PRELINK_INFO at 0, the header above it. */
	assert_int_equal(s->segments[3].vmaddr, 0);
	assert_int_equal(s->segments[0].vmaddr, s->segments[3].vmsize);
	for (size_t i = 0; i < s->nsegments; i++) {
		assert_int_equal(s->segments[i].fileoff % MACEXT_KC_REGION_ALIGN, 0);
		assert_int_equal(s->segments[i].filesize % MACEXT_KC_REGION_ALIGN, 0);
	}
	assert_int_equal(s->segments[3].fileoff + s->segments[3].filesize, len);
	for (int i = 0; i < 2; i++) {
		const struct macext_fileset_entry *e = &s->fileset[i];

		assert_string_equal(e->id, ids[i]);
		assert_int_equal(e->fileoff % MACEXT_KC_REGION_ALIGN, 0);
		assert_int_equal(e->vmaddr, e->fileoff + s->segments[0].vmaddr);
		assert_memory_equal(buf + e->fileoff, f.slice[i], f.slice_len[i]);
	}
	assert_int_equal(s->fileset[0].fileoff, 16384); /* right after the header region */
	assert_int_equal(s->fileset[1].fileoff, 32768);
	assert_int_equal(s->segments[1].filesize, 32768 + 16384); /* 20000 bytes: 2 pages */

	/* Each LC_FILESET_ENTRY: id at 32, cmdsize align8(32 + strlen + 1), zero padding. */
	{
		uint32_t off = 32;
		int seen = 0;

		for (uint32_t c = 0; c < s->ncmds; c++) {
			uint32_t cmd = mx_load_le32(buf + off), size = mx_load_le32(buf + off + 4);

			if (cmd == 0x80000035) {
				size_t idlen = strlen(ids[seen]);

				assert_int_equal(size, (32 + idlen + 1 + 7) / 8 * 8);
				assert_int_equal(mx_load_le32(buf + off + 24), 32);
				assert_int_equal(mx_load_le32(buf + off + 28), 0);
				for (size_t k = 32 + idlen; k < size; k++)
					assert_int_equal(buf[off + k], 0);
				seen++;
			}
			off += size;
		}
		assert_int_equal(seen, 2);
		assert_int_equal(off, 32 + s->sizeofcmds);
	}

	/* The KC reader: entries, their own UUIDs, the prelink info, the codeless kext. */
	assert_int_equal(macext_kc_parse(&kc, buf, len, &diag), 0);
	assert_int_equal(kc->nentries, 2);
	assert_int_equal(kc->nkexts, 3);
	assert_string_equal(kc->arch, "x86_64");
	assert_memory_equal(kc->uuid, s->uuid, 16);
	assert_true(kc->has_prelink_kc_uuid);
	assert_memory_equal(kc->prelink_kc_uuid, kc->uuid, 16);
	assert_true(kc->has_boot_kc_uuid);
	assert_memory_equal(kc->boot_kc_uuid, f.boot, 16);
	assert_false(kc->has_pageable_kc_uuid);
	assert_true(kc->has_receipt);
	assert_int_equal(kc->receipt_offset, s->segments[2].fileoff);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(kc->kexts[i].bundle_id, ids[i]);
		assert_true(kc->kexts[i].has_uuid);
		assert_int_equal(kc->kexts[i].uuid[0], i == 0 ? 0xa1 : 0xb2);
		assert_int_equal(kc->kexts[i].load_addr, kc->kexts[i].vmaddr);
		assert_string_equal(kc->kexts[i].collection_type, "Auxiliary");
	}
	assert_string_equal(kc->kexts[0].version, "1.2.3");
	assert_string_equal(kc->kexts[1].version, "4.5");
	assert_string_equal(kc->kexts[2].bundle_id, ids[2]);
	assert_false(kc->kexts[2].has_entry);
	assert_string_equal(kc->kexts[2].version, "7.0.1");
	assert_string_equal(kc->kexts[2].collection_type, "Codeless");
	assert_true(kc->kexts[2].load_addr == MACEXT_KC_CODELESS_ADDR);

	/* The receipt lists the kexts in, sorted, and the one left out with its reason. */
	{
		const uint8_t *r = buf + kc->receipt_offset;
		size_t rn = (size_t)kc->receipt_size;

		assert_non_null(find(r, rn, "<key>ReceiptVersion</key>"));
		assert_non_null(find(r, rn, "<string>ABCDE12345</string>"));
		assert_non_null(find(r, rn, "<string>exclude-list</string>"));
		assert_non_null(find(r, rn, "<key>BootKCUUID</key>"));
		assert_true(find(r, rn, ids[0]) < find(r, rn, ids[2]));
	}

	/* The UUID is SHA-256 over the file with every copy of it zeroed. */
	{
		uint8_t *z = malloc(len), md[EVP_MAX_MD_SIZE];
		unsigned char b64[32];
		char us[37];
		uint8_t *p;
		unsigned mdlen = 0;

		assert_non_null(z);
		memcpy(z, buf, len);
		memset(z + 40, 0, 16);
		assert_int_equal(EVP_EncodeBlock(b64, kc->uuid, 16), 24);
		p = memmem(z, len, b64, 24);
		assert_non_null(p);
		memcpy(p, "AAAAAAAAAAAAAAAAAAAAAA==", 24);
		assert_null(memmem(z, len, b64, 24)); /* exactly one copy */
		snprintf(us, sizeof(us),
			 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
			 kc->uuid[0], kc->uuid[1], kc->uuid[2], kc->uuid[3], kc->uuid[4],
			 kc->uuid[5], kc->uuid[6], kc->uuid[7], kc->uuid[8], kc->uuid[9],
			 kc->uuid[10], kc->uuid[11], kc->uuid[12], kc->uuid[13], kc->uuid[14],
			 kc->uuid[15]);
		p = memmem(z, len, us, 36);
		assert_non_null(p);
		memcpy(p, "00000000-0000-0000-0000-000000000000", 36);
		assert_int_equal(EVP_Digest(z, len, md, &mdlen, EVP_sha256(), NULL), 1);
		assert_memory_equal(md, kc->uuid, 16);
		free(z);
	}

	/* Deterministic: the same inputs give the same bytes. */
	assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf2, &len2, &diag), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(buf2, buf, len);

	macext_kc_free(kc);
	macext_macho_free(m);
	free(buf);
	free(buf2);
	fx_free(&f);
}

static void test_empty(void **state)
{
	struct macext_kc_write_opts o = {.cputype = CPU_X86_64, .cpusubtype = 3, .platform = 1};
	struct macext_diag diag = {0};
	struct macext_kc *kc = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	(void)state;

	assert_int_equal(macext_kc_write(NULL, 0, &o, &buf, &len, &diag), 0);
	/* header, receipt, prelink info: one region each, no __PRELINK_TEXT */
	assert_int_equal(len, 3 * MACEXT_KC_REGION_ALIGN);
	assert_int_equal(macext_kc_parse(&kc, buf, len, &diag), 0);
	assert_int_equal(kc->nkexts, 0);
	assert_true(kc->has_prelink_info);
	macext_kc_free(kc);
	free(buf);
}

struct bad_case {
	const char *name;
	int field; /* what to break */
	int code;
};

enum {
	BAD_DUP_ID,
	BAD_EMPTY_ID,
	BAD_LONG_ID,
	BAD_CPUTYPE,
	BAD_MAGIC,
	BAD_SHORT_SLICE,
	BAD_PLIST_OTHER_ID,
	BAD_PLIST_NOT_DICT,
	BAD_PLIST_BINARY,
	BAD_PLIST_GARBAGE,
	BAD_PLIST_DEEP,
	BAD_PLIST_HUGE,
	BAD_LEFT_OUT_NO_REASON,
};

static const struct bad_case bad_cases[] = {
    {"bundle id twice", BAD_DUP_ID, -EEXIST},
    {"empty bundle id", BAD_EMPTY_ID, -EINVAL},
    {"bundle id over the limit", BAD_LONG_ID, -EINVAL},
    {"slice of another cputype", BAD_CPUTYPE, -EINVAL},
    {"slice without Mach-O magic", BAD_MAGIC, -EINVAL},
    {"slice shorter than a header", BAD_SHORT_SLICE, -EINVAL},
    {"Info.plist names another id", BAD_PLIST_OTHER_ID, -EINVAL},
    {"Info.plist is an array", BAD_PLIST_NOT_DICT, -EINVAL},
    {"Info.plist is binary", BAD_PLIST_BINARY, -EINVAL},
    {"Info.plist is not a plist", BAD_PLIST_GARBAGE, -EBADMSG},
    {"Info.plist nested too deep", BAD_PLIST_DEEP, -E2BIG},
    {"Info.plist over its size limit", BAD_PLIST_HUGE, -E2BIG},
    {"left-out kext without a reason", BAD_LEFT_OUT_NO_REASON, -EINVAL},
};

static void test_bad_inputs(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++) {
		struct macext_diag diag = {0};
		uint8_t *buf = NULL;
		size_t len = 0;
		char longid[MX_KC_MAX_ID_LEN + 2], *deep = NULL;
		static const char bplist[] = "bplist00\xd0\x08"; /* refused by its magic */
		static const char arr[] = "<plist version=\"1.0\"><array/></plist>";
		static const char other[] = "<plist version=\"1.0\"><dict><key>CFBundleIdentifier"
					    "</key><string>com.other</string></dict></plist>";
		struct fx f;
		int r;

		fx_init(&f);
		switch (bad_cases[c].field) {
		case BAD_DUP_ID:
			f.in[2].bundle_id = ids[0];
			f.in[2].info_plist = f.in[0].info_plist;
			f.in[2].info_plist_len = f.in[0].info_plist_len;
			break;
		case BAD_EMPTY_ID:
			f.in[1].bundle_id = "";
			break;
		case BAD_LONG_ID:
			memset(longid, 'a', sizeof(longid) - 1);
			longid[sizeof(longid) - 1] = '\0';
			f.in[1].bundle_id = longid;
			break;
		case BAD_CPUTYPE:
			mx_store_le32(f.slice[1] + 4, CPU_ARM64);
			break;
		case BAD_MAGIC:
			mx_store_le32(f.slice[0], 0xcefaedfe);
			break;
		case BAD_SHORT_SLICE:
			f.in[0].macho_len = 31;
			break;
		case BAD_PLIST_OTHER_ID:
			f.in[1].info_plist = (const uint8_t *)other;
			f.in[1].info_plist_len = strlen(other);
			break;
		case BAD_PLIST_NOT_DICT:
			f.in[1].info_plist = (const uint8_t *)arr;
			f.in[1].info_plist_len = strlen(arr);
			break;
		case BAD_PLIST_BINARY:
			f.in[1].info_plist = (const uint8_t *)bplist;
			f.in[1].info_plist_len = sizeof(bplist) - 1;
			break;
		case BAD_PLIST_GARBAGE:
			f.in[1].info_plist = (const uint8_t *)"<plist><dict><key>x";
			f.in[1].info_plist_len = 19;
			break;
		case BAD_PLIST_DEEP: {
			size_t n = 200, k = 0, cap = n * 16 + 64;

			deep = malloc(cap);
			assert_non_null(deep);
			k += (size_t)snprintf(deep, cap, "<plist version=\"1.0\">");
			for (size_t i = 0; i < n; i++)
				k += (size_t)snprintf(deep + k, cap - k, "<array>");
			for (size_t i = 0; i < n; i++)
				k += (size_t)snprintf(deep + k, cap - k, "</array>");
			k += (size_t)snprintf(deep + k, cap - k, "</plist>");
			f.in[1].info_plist = (const uint8_t *)deep;
			f.in[1].info_plist_len = k;
			break;
		}
		case BAD_PLIST_HUGE:
			f.in[1].info_plist_len = MX_KC_MAX_INFO_PLIST + 1u; /* never read */
			break;
		case BAD_LEFT_OUT_NO_REASON:
			f.lo[0].reason = NULL;
			break;
		}
		r = macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag);
		if (r != bad_cases[c].code)
			fail_msg("%s: got %d (%s), want %d", bad_cases[c].name, r, diag.msg,
				 bad_cases[c].code);
		assert_int_equal(diag.code, r);
		assert_null(buf);
		assert_int_equal(len, 0);
		free(deep);
		fx_free(&f);
	}
}

/* The id limit is inclusive: MX_KC_MAX_ID_LEN bytes are fine. */
static void test_id_at_limit(void **state)
{
	char id[MX_KC_MAX_ID_LEN + 1];
	struct macext_diag diag = {0};
	struct macext_macho *m = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct fx f;
	(void)state;

	fx_init(&f);
	memset(id, 'b', MX_KC_MAX_ID_LEN);
	id[MX_KC_MAX_ID_LEN] = '\0';
	f.in[1].bundle_id = id;
	{ /* no CFBundleIdentifier to compare with the long id */
		static const char p[] = "<plist version=\"1.0\"><dict/></plist>";

		f.in[1].info_plist = (const uint8_t *)p;
		f.in[1].info_plist_len = strlen(p);
		f.in[2].info_plist = (const uint8_t *)p;
		f.in[2].info_plist_len = strlen(p);
	}
	assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag), 0);
	assert_int_equal(macext_macho_parse(&m, buf, len, MACEXT_MACHO_NO_SYMBOLS, &diag), 0);
	assert_string_equal(m->slices[0].fileset[1].id, id);
	macext_macho_free(m);
	free(buf);
	fx_free(&f);
}

static void test_too_many(void **state)
{
	struct macext_kc_write_opts o = {.cputype = CPU_X86_64, .cpusubtype = 3};
	struct macext_kc_left_out lo = {"x", "y"};
	struct macext_diag diag = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	(void)state;

	/* Counts are checked before any input is touched: a dangling pointer is never read. */
	assert_int_equal(macext_kc_write((const struct macext_kc_input *)8, MX_KC_MAX_ENTRIES + 1,
					 &o, &buf, &len, &diag),
			 -E2BIG);
	assert_non_null(strstr(diag.msg, "4097 kexts"));
	o.left_out = &lo;
	o.nleft_out = MX_KC_MAX_ENTRIES + 1;
	assert_int_equal(macext_kc_write(NULL, 0, &o, &buf, &len, &diag), -E2BIG);
	assert_null(buf);
}

/* Sizes: lengths that would wrap, and the 1 GiB / 64 MiB arm64e caps at the boundary. */
static void test_sizes(void **state)
{
	struct macext_diag diag = {0};
	uint8_t *buf = NULL, *big;
	size_t len = 0, at_limit;
	struct fx f;
	(void)state;

	fx_init(&f);
	f.in[0].macho_len = SIZE_MAX - 100; /* only the first 32 bytes are read */
	assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag), -E2BIG);
	f.in[0].macho_len = (size_t)MX_KC_MAX_SIZE;
	assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag), -E2BIG);
	f.in[0].macho_len = (size_t)(MX_KC_MAX_SIZE / 2);
	f.in[1].macho_len = (size_t)(MX_KC_MAX_SIZE / 2);
	assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag), -E2BIG);
	assert_null(buf);
	fx_free(&f);

	/* arm64e: one slice filling the collection to exactly 64 MiB fits; a byte more does
	 * not. Header, receipt and prelink info take one 16 KiB region each. */
	at_limit = (size_t)MX_KC_MAX_SIZE_ARM64E_AUX - 3 * MACEXT_KC_REGION_ALIGN;
	big = make_slice(CPU_ARM64, 0xee, at_limit + 1, 0);
	{
		static const char p[] = "<plist version=\"1.0\"><dict/></plist>";
		struct macext_kc_input in = {.bundle_id = "com.example.big",
					     .macho = big,
					     .macho_len = at_limit,
					     .info_plist = (const uint8_t *)p,
					     .info_plist_len = strlen(p)};
		struct macext_kc_write_opts o = {.cputype = CPU_ARM64, .cpusubtype = 2};

		assert_int_equal(macext_kc_write(&in, 1, &o, &buf, &len, &diag), 0);
		assert_int_equal(len, MX_KC_MAX_SIZE_ARM64E_AUX);
		free(buf);
		buf = NULL;
		in.macho_len = at_limit + 1;
		assert_int_equal(macext_kc_write(&in, 1, &o, &buf, &len, &diag), -E2BIG);
		assert_non_null(strstr(diag.msg, "arm64e"));
		/* plain arm64 has only the 1 GiB cap */
		o.cpusubtype = 0;
		assert_int_equal(macext_kc_write(&in, 1, &o, &buf, &len, &diag), 0);
		assert_int_equal(len, MX_KC_MAX_SIZE_ARM64E_AUX + MACEXT_KC_REGION_ALIGN);
		free(buf);
	}
	free(big);
}

/* The reader refuses what is not a collection and entries whose header is not a Mach-O. */
static void test_read_hostile(void **state)
{
	struct macext_diag diag = {0};
	struct macext_kc *kc = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint64_t info_off;
	struct fx f;
	(void)state;

	fx_init(&f);
	assert_int_equal(macext_kc_parse(&kc, f.slice[0], f.slice_len[0], &diag), -ENOEXEC);
	assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag), 0);

	/* the second entry's header loses its magic */
	mx_store_le32(buf + 32768, 0);
	assert_int_equal(macext_kc_parse(&kc, buf, len, &diag), -EBADMSG);
	assert_true(diag.has_offset);
	assert_int_equal(diag.offset, 32768);
	mx_store_le32(buf + 32768, 0xfeedfacf);
	/* its sizeofcmds runs past the file */
	mx_store_le32(buf + 32768 + 20, 0x7fffffff);
	assert_int_equal(macext_kc_parse(&kc, buf, len, &diag), -EBADMSG);
	assert_int_equal(diag.offset, 32768);
	mx_store_le32(buf + 32768 + 20, 24);
	/* its LC_UUID cmdsize is 0 */
	mx_store_le32(buf + 32768 + 36, 0);
	assert_int_equal(macext_kc_parse(&kc, buf, len, &diag), -EBADMSG);
	assert_int_equal(diag.offset, 32768 + 32);
	mx_store_le32(buf + 32768 + 36, 24);

	/* the prelink info is no plist */
	assert_int_equal(macext_kc_parse(&kc, buf, len, &diag), 0);
	macext_kc_free(kc);
	kc = NULL;
	{
		struct macext_macho *m = NULL;

		assert_int_equal(macext_macho_parse(&m, buf, len, MACEXT_MACHO_NO_SYMBOLS, &diag),
				 0);
		info_off = m->slices[0].segments[3].fileoff;
		macext_macho_free(m);
	}
	memcpy(buf + info_off, "<plist><dict><key>", 18);
	memset(buf + info_off + 18, ' ', 64);
	assert_int_equal(macext_kc_parse(&kc, buf, len, &diag), -EBADMSG);
	assert_null(kc);
	free(buf);
	fx_free(&f);
}

/* Every allocation of ours may fail: -ENOMEM, nothing half-built, nothing leaked. */
static void test_alloc_failures(void **state)
{
	struct fx f;
	int r = -ENOMEM;
	(void)state;

	fx_init(&f);
	for (long n = 1; r == -ENOMEM && n < 1000; n++) {
		struct macext_diag diag = {0};
		uint8_t *buf = NULL;
		size_t len = 0;

		mx_alloc_fail_at(n);
		r = macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag);
		mx_alloc_fail_at(0);
		if (r == -ENOMEM)
			assert_null(buf);
		free(buf);
	}
	assert_int_equal(r, 0);
	r = -ENOMEM;
	{
		uint8_t *buf = NULL;
		size_t len = 0;
		struct macext_diag diag = {0};

		assert_int_equal(macext_kc_write(f.in, 3, &f.o, &buf, &len, &diag), 0);
		for (long n = 1; r == -ENOMEM && n < 1000; n++) {
			struct macext_kc *kc = NULL;

			mx_alloc_fail_at(n);
			r = macext_kc_parse(&kc, buf, len, &diag);
			mx_alloc_fail_at(0);
			if (r == -ENOMEM)
				assert_null(kc);
			macext_kc_free(kc);
		}
		free(buf);
	}
	assert_int_equal(r, 0);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_read),	 cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_bad_inputs),	 cmocka_unit_test(test_id_at_limit),
	    cmocka_unit_test(test_too_many),	 cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_read_hostile), cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
