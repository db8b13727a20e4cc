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

static void expect_fail(uint8_t *b, size_t len, int code, uint64_t off, const char *needle)
{
	struct mx_superblob sb;
	struct macext_diag d = {0};

	assert_int_equal(mx_superblob_parse(&sb, b, len, 1000, MX_CSMAGIC_EMBEDDED_SIGNATURE, &d),
			 code);
	assert_int_equal(d.code, code);
	assert_true(d.has_offset);
	assert_int_equal(d.offset, off);
	assert_non_null(strstr(d.msg, needle));
}

static void test_superblob_hostile(void **state)
{
	uint8_t b[128];

	(void)state;
	/* truncated header */
	make_sb(b);
	expect_fail(b, 8, -EBADMSG, 1000, "shorter than its 12-byte header");
	/* wrong magic */
	make_sb(b);
	mx_store_be32(b, MX_CSMAGIC_CODEDIRECTORY);
	expect_fail(b, 128, -ENOEXEC, 1000, "magic 0xfade0c02");
	/* length past the end of the buffer */
	make_sb(b);
	mx_store_be32(b + 4, 4096);
	expect_fail(b, 128, -EBADMSG, 1004, "past the end");
	/* count overflowing the index */
	make_sb(b);
	mx_store_be32(b + 8, 0x20000000);
	expect_fail(b, 128, -E2BIG, 1008, "entries, limit");
	make_sb(b);
	mx_store_be32(b + 8, 6);
	expect_fail(b, 128, -EBADMSG, 1008, "index of 6 entries");
	/* offset into the header */
	make_sb(b);
	mx_store_be32(b + 16, 8);
	expect_fail(b, 128, -EBADMSG, 1012, "inside the header");
	/* blob length past the SuperBlob */
	make_sb(b);
	mx_store_be32(b + 48, 13);
	expect_fail(b, 128, -EBADMSG, 1048, "outside the superblob");
	/* blob length below 8 */
	make_sb(b);
	mx_store_be32(b + 48, 4);
	expect_fail(b, 128, -EBADMSG, 1048, "length 4");
	/* duplicate slot */
	make_sb(b);
	mx_store_be32(b + 20, 0);
	put_blob(b + 44, MX_CSMAGIC_CODEDIRECTORY, 12);
	expect_fail(b, 128, -EBADMSG, 1020, "listed twice");
	/* overlapping blobs: the requirements start inside the CD */
	make_sb(b);
	mx_store_be32(b + 20, 0x1000);
	put_blob(b + 36, MX_CSMAGIC_CODEDIRECTORY, 12);
	mx_store_be32(b + 24, 36);
	expect_fail(b, 128, -EBADMSG, 1020, "overlaps blob 0x0");
	/* wrong magic for a known slot */
	make_sb(b);
	mx_store_be32(b + 44, MX_CSMAGIC_ENTITLEMENTS);
	expect_fail(b, 128, -EBADMSG, 1044, "slot 0x2 holds magic 0xfade7171");
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

	/* hash size not matching the type */
	len = make_cd(b, 123);
	b[36] = 20;
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
	assert_int_equal(d.offset, 7 + 36);
	/* unknown hash type */
	b[36] = 32;
	b[37] = 9;
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -ENOTSUP);
	/* code slots past the end */
	len = make_cd(b, 123);
	mx_store_be32(b + 28, 3);
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "code slots"));
	/* special slots reaching into the header */
	len = make_cd(b, 123);
	mx_store_be32(b + 24, 2);
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "special slots"));
	/* identifier not terminated */
	len = make_cd(b, 123);
	mx_store_be32(b + 20, (uint32_t)len - 1);
	b[len - 1] = 'x';
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
	/* length shorter than the v0x20400 header */
	len = make_cd(b, 123);
	mx_store_be32(b + 4, 60);
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
	assert_int_equal(d.offset, 11);
	/* version out of range, scatter vector, bad page size */
	len = make_cd(b, 123);
	mx_store_be32(b + 8, 0x30000);
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
	len = make_cd(b, 123);
	mx_store_be32(b + 44, 100);
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
	assert_non_null(strstr(d.msg, "scatter"));
	len = make_cd(b, 123);
	b[39] = 8;
	assert_int_equal(mx_codedir_parse(&cd, b, len, 7, &d), -EBADMSG);
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
