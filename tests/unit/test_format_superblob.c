/* Unit tests for lib/format/superblob.c and codedir.c: layout checks with hostile indexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "format/codedir.h"
#include "format/superblob.h"
#include "util/endian.h"

static size_t put_blob(uint8_t *p, uint32_t magic, uint32_t len)
{
	mx_store_be32(p, magic);
	mx_store_be32(p + 4, len);
	return len;
}

/* SuperBlob with a CD-magic blob at 28 (16 bytes) and a requirements set at 44 (12 bytes). */
static size_t make_sb(uint8_t *b)
{
	memset(b, 0, 128);
	mx_store_be32(b, MX_CSMAGIC_EMBEDDED_SIGNATURE);
	mx_store_be32(b + 4, 56);
	mx_store_be32(b + 8, 2);
	mx_store_be32(b + 12, 0);
	mx_store_be32(b + 16, 28);
	mx_store_be32(b + 20, 2);
	mx_store_be32(b + 24, 44);
	put_blob(b + 28, MX_CSMAGIC_CODEDIRECTORY, 16);
	put_blob(b + 44, MX_CSMAGIC_REQUIREMENTS, 12);
	return 56;
}

static void test_superblob_ok(void **state)
{
	struct mx_superblob sb;
	struct macext_diag d = {0};
	uint8_t b[128];

	(void)state;
	make_sb(b);
	assert_int_equal(mx_superblob_parse(&sb, b, 128, 1000, MX_CSMAGIC_EMBEDDED_SIGNATURE, &d), 0);
	assert_int_equal(sb.count, 2);
	assert_int_equal(sb.blobs[1].type, 2);
	assert_int_equal(sb.blobs[1].offset, 1044);
	assert_int_equal(sb.blobs[0].len, 16);
	assert_non_null(mx_superblob_find(&sb, 2));
	assert_null(mx_superblob_find(&sb, 0x10000));
	assert_string_equal(mx_cs_magic_name(sb.blobs[0].magic), "CodeDirectory");
}

/* A big-endian word or a byte to write over a built blob. */
struct patch {
	uint16_t at;
	uint8_t width; /* 4: mx_store_be32; 1: one byte */
	uint32_t val;
};

static void apply(uint8_t *b, const struct patch *p, size_t n)
{
	for (size_t i = 0; i < n && p[i].width; i++) {
		if (p[i].width == 4)
			mx_store_be32(b + p[i].at, p[i].val);
		else
			b[p[i].at] = (uint8_t)p[i].val;
	}
}

#define W(at, val) {(at), 4, (val)}
#define BYTE(at, val) {(at), 1, (val)}

static void test_superblob_hostile(void **state)
{
	/* make_sb's SuperBlob with the patches, LEN bytes of it parsed at 1000: the code, the
	 * diagnostic's offset and a piece of its message. */
	static const struct {
		const char *what;
		size_t len;
		struct patch set[4];
		int code;
		uint64_t off;
		const char *needle;
	} cases[] = {
		{"truncated header", 8, {{0}}, -EBADMSG, 1000, "shorter than its 12-byte header"},
		{"wrong magic", 128, {W(0, MX_CSMAGIC_CODEDIRECTORY)}, -ENOEXEC, 1000,
		 "magic 0xfade0c02"},
		{"length past the end of the buffer", 128, {W(4, 4096)}, -EBADMSG, 1004,
		 "past the end"},
		{"count overflowing the index", 128, {W(8, 0x20000000)}, -E2BIG, 1008,
		 "entries, limit"},
		{"count past the header", 128, {W(8, 6)}, -EBADMSG, 1008, "index of 6 entries"},
		{"offset into the header", 128, {W(16, 8)}, -EBADMSG, 1012, "inside the header"},
		{"blob length past the SuperBlob", 128, {W(48, 13)}, -EBADMSG, 1048,
		 "outside the superblob"},
		{"blob length below 8", 128, {W(48, 4)}, -EBADMSG, 1048, "length 4"},
		{"duplicate slot", 128, {W(20, 0), W(44, MX_CSMAGIC_CODEDIRECTORY), W(48, 12)},
		 -EBADMSG, 1020, "listed twice"},
		/* the requirements start inside the CD */
		{"overlapping blobs", 128,
		 {W(20, 0x1000), W(36, MX_CSMAGIC_CODEDIRECTORY), W(40, 12), W(24, 36)}, -EBADMSG,
		 1020, "overlaps blob 0x0"},
		{"wrong magic for a known slot", 128, {W(44, MX_CSMAGIC_ENTITLEMENTS)}, -EBADMSG,
		 1044, "slot 0x2 holds magic 0xfade7171"},
	};
	uint8_t b[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mx_superblob sb;
		struct macext_diag d = {0};
		int r;

		make_sb(b);
		apply(b, cases[i].set, 4);
		r = mx_superblob_parse(&sb, b, cases[i].len, 1000, MX_CSMAGIC_EMBEDDED_SIGNATURE,
				       &d);
		if (r != cases[i].code || d.code != cases[i].code || !d.has_offset ||
		    d.offset != cases[i].off || !strstr(d.msg, cases[i].needle))
			fail_msg("%s: %d, diag %d at %llu \"%s\"", cases[i].what, r, d.code,
				 (unsigned long long)d.offset, d.msg);
	}
}

/* A v0x20400 CD: identifier "t" at 88, 1 special slot, 2 code slots of SHA-256 at an
 * unaligned hashOffset. */
static size_t make_cd(uint8_t *b, uint32_t hash_offset)
{
	size_t len = hash_offset + 64;

	memset(b, 0, 512);
	put_blob(b, MX_CSMAGIC_CODEDIRECTORY, (uint32_t)len);
	mx_store_be32(b + 8, 0x20400);
	mx_store_be32(b + 12, 0x20002);
	mx_store_be32(b + 16, hash_offset);
	mx_store_be32(b + 20, 88);
	mx_store_be32(b + 24, 1);
	mx_store_be32(b + 28, 2);
	mx_store_be32(b + 32, 5000);
	b[36] = 32;
	b[37] = MX_CS_HASHTYPE_SHA256;
	b[39] = 12;
	mx_store_be64(b + 72, 0x4000);
	b[88] = 't';
	b[hash_offset] = 0xaa;          /* code slot 0 */
	b[hash_offset - 32] = 0xbb;     /* special slot 1 */
	return len;
}

static void test_codedir(void **state)
{
	struct mx_codedir cd;
	struct macext_diag d = {0};
	uint8_t b[512];
	size_t len;
	int r;

	(void)state;
	len = make_cd(b, 123);
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), 0);
	assert_int_equal(cd.version, 0x20400);
	assert_string_equal(cd.ident, "t");
	assert_null(cd.team);
	assert_int_equal(cd.exec_seg_limit, 0x4000);
	assert_int_equal(mx_codedir_limit(&cd), 5000);
	assert_int_equal(mx_codedir_code_hash(&cd, 0)[0], 0xaa);
	assert_int_equal(mx_codedir_special_hash(&cd, 1)[0], 0xbb);
	assert_int_equal(mx_cs_hash_rank(MX_CS_HASHTYPE_SHA384),
			 mx_cs_hash_rank(MX_CS_HASHTYPE_SHA256) + 1);

	/* make_cd(b, 123) patched: the code, and the diagnostic's offset (-1: not checked) and
	 * a piece of its message (NULL: not checked). */
	static const struct {
		const char *what;
		struct patch set[2];
		int code;
		int64_t off;
		const char *needle;
	} cases[] = {
		{"hash size not matching the type", {BYTE(36, 20)}, -EBADMSG, 7 + 36, NULL},
		{"unknown hash type", {BYTE(37, 9)}, -ENOTSUP, -1, NULL},
		{"code slots past the end", {W(28, 3)}, -EBADMSG, -1, "code slots"},
		{"special slots reaching into the header", {W(24, 2)}, -EBADMSG, -1,
		 "special slots"},
		/* the identifier at the last byte (len - 1 = 186), not NUL-terminated */
		{"identifier not terminated", {W(20, 186), BYTE(186, 'x')}, -EBADMSG, -1, NULL},
		{"length shorter than the v0x20400 header", {W(4, 60)}, -EBADMSG, 11, NULL},
		{"version out of range", {W(8, 0x30000)}, -EBADMSG, -1, NULL},
		{"scatter vector", {W(44, 100)}, -EBADMSG, -1, "scatter"},
		{"bad page size", {BYTE(39, 8)}, -EBADMSG, -1, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = make_cd(b, 123);
		apply(b, cases[i].set, 2);
		r = mx_codedir_parse(&cd, b, len, 7, &d);
		if (r != cases[i].code ||
		    (cases[i].off >= 0 && d.offset != (uint64_t)cases[i].off) ||
		    (cases[i].needle && !strstr(d.msg, cases[i].needle)))
			fail_msg("%s: %d, diag at %llu \"%s\"", cases[i].what, r,
				 (unsigned long long)d.offset, d.msg);
	}
	/* a v0x20001 CD (44-byte header) reads no later fields */
	len = make_cd(b, 123);
	mx_store_be32(b + 8, 0x20001);
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), 0);
	assert_int_equal(cd.exec_seg_limit, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_superblob_ok),
		cmocka_unit_test(test_superblob_hostile),
		cmocka_unit_test(test_codedir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
