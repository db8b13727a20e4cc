/* Unit tests for the code-signature writers (lib/format/codedir_write.c, requirement_write.c,
 * superblob_write.c, macho_sign.c): each written structure parses back with the readers to
 * the values written, and the Mach-O edit refuses what it must. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "format/codedir.h"
#include "format/cs_write.h"
#include "format/requirement.h"
#include "format/superblob.h"
#include "util/endian.h"

static void test_requirements(void **state)
{
	static const char want[] =
		"designated => identifier \"com.example.x\" and anchor apple generic and "
		"certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and certificate "
		"leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate "
		"leaf[subject.OU] = ABCDE12345\n";
	uint8_t *b = NULL;
	size_t n = 0;
	char *text = NULL;

	(void)state;
	assert_int_equal(mx_requirements_write(&b, &n, "com.example.x", "ABCDE12345"), 0);
	assert_int_equal(mx_load_be32(b), MX_CSMAGIC_REQUIREMENTS);
	assert_int_equal(mx_load_be32(b + 4), n);
	assert_int_equal(mx_load_be32(b + 12), 3); /* designated */
	/* right-nested ands: opcodes 6, 2 ... as codesign encodes them (codesign.md §3.6) */
	assert_int_equal(mx_load_be32(b + 32), 6);
	assert_int_equal(mx_load_be32(b + 36), 2);
	assert_int_equal(mx_requirements_text(&text, b, n, 0, NULL), 0);
	assert_string_equal(text, want);
	free(text);
	free(b);
	assert_int_equal(mx_requirements_write(&b, &n, "com.example.x", NULL), 0);
	assert_int_equal(n, 12);
	assert_int_equal(mx_load_be32(b + 8), 0);
	free(b);
}

static void test_codedir_roundtrip(void **state)
{
	uint8_t code[10000], info[5] = "info", *cd;
	struct mx_cd_spec spec = {.ident = "com.example.x", .team = "ABCDE12345",
				  .hash_type = MX_CS_HASHTYPE_SHA256, .code = code,
				  .code_limit = sizeof(code), .special = {info, NULL, NULL},
				  .special_len = {4, 0, 0}, .exec_seg_limit = 0x1000};
	struct mx_codedir p;
	uint8_t h[32];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(code); i++)
		code[i] = (uint8_t)(i * 7);
	n = mx_codedir_size(&spec);
	assert_int_equal(n, 88 + 14 + 11 + (3 + 3) * 32);
	cd = malloc(n);
	assert_int_equal(mx_codedir_write(&spec, cd, n - 1), -EINVAL);
	assert_int_equal(mx_codedir_write(&spec, cd, n), 0);
	assert_int_equal(mx_codedir_parse(&p, cd, n, 0, NULL), 0);
	assert_int_equal(p.version, 0x20400);
	assert_int_equal(p.n_code, 3);
	assert_int_equal(p.n_special, 3);
	assert_int_equal(mx_codedir_limit(&p), sizeof(code));
	assert_int_equal(p.page_size, 12);
	assert_string_equal(p.ident, "com.example.x");
	assert_string_equal(p.team, "ABCDE12345");
	assert_int_equal(p.exec_seg_limit, 0x1000);
	/* the last, partial page and special slot 1 */
	EVP_Digest(code + 8192, sizeof(code) - 8192, h, NULL, EVP_sha256(), NULL);
	assert_memory_equal(mx_codedir_code_hash(&p, 2), h, 32);
	EVP_Digest(info, 4, h, NULL, EVP_sha256(), NULL);
	assert_memory_equal(mx_codedir_special_hash(&p, 1), h, 32);
	memset(h, 0, sizeof(h));
	assert_memory_equal(mx_codedir_special_hash(&p, 3), h, 32);
	free(cd);
	spec.hash_type = MX_CS_HASHTYPE_SHA1; /* not written */
	assert_int_equal(mx_codedir_size(&spec), 0);
}

static void test_superblob_roundtrip(void **state)
{
	uint8_t a[16] = {0xfa, 0xde, 0x0c, 0x02, 0, 0, 0, 16}, w[8], out[64];
	struct mx_superblob sb;
	uint8_t *wrap = NULL;
	size_t wl = 0;

	(void)state;
	assert_int_equal(mx_blob_wrap(&wrap, &wl, MX_CSMAGIC_BLOBWRAPPER, NULL, 0), 0);
	assert_int_equal(wl, 8);
	memcpy(w, wrap, 8);
	free(wrap);
	const struct mx_blob_in blobs[] = {{0, a, sizeof(a)}, {0x10000, w, sizeof(w)}};
	assert_int_equal(mx_superblob_size(blobs, 2), 12 + 16 + 16 + 8);
	assert_int_equal(mx_superblob_write(out, 40, MX_CSMAGIC_EMBEDDED_SIGNATURE, blobs, 2),
			 -EINVAL);
	assert_int_equal(mx_superblob_write(out, sizeof(out), MX_CSMAGIC_EMBEDDED_SIGNATURE,
					    blobs, 2),
			 52);
	assert_int_equal(mx_superblob_parse(&sb, out, sizeof(out), 0,
					    MX_CSMAGIC_EMBEDDED_SIGNATURE, NULL),
			 0);
	assert_int_equal(sb.count, 2);
	assert_int_equal(mx_superblob_find(&sb, 0x10000)->len, 8);
}

/* A 64-bit x86_64 slice: header, LC_SEGMENT_64 __TEXT (one section at SECT), LC_SEGMENT_64
 * __LINKEDIT (filesize 16 at 0x1000); 0x1010 bytes. */
static uint8_t *slice(uint32_t sect, size_t *len)
{
	uint8_t *b = calloc(1, 0x1010);
	uint8_t *c = b + 32;

	mx_store_le32(b, 0xfeedfacf);
	mx_store_le32(b + 4, 0x01000007);
	mx_store_le32(b + 12, 0xb);
	mx_store_le32(b + 16, 2);
	mx_store_le32(b + 20, 72 + 80 + 72);
	mx_store_le32(c, 0x19);
	mx_store_le32(c + 4, 72 + 80);
	memcpy(c + 8, "__TEXT", 6);
	mx_store_le64(c + 32, 0x1000);
	mx_store_le64(c + 48, 0x1000);
	mx_store_le32(c + 64, 1);
	mx_store_le32(c + 72 + 48, sect);
	c += 72 + 80;
	mx_store_le32(c, 0x19);
	mx_store_le32(c + 4, 72);
	memcpy(c + 8, "__LINKEDIT", 10);
	mx_store_le64(c + 32, 0x1000);
	mx_store_le64(c + 40, 0x1000);
	mx_store_le64(c + 48, 0x10);
	*len = 0x1010;
	return b;
}

static void test_macho_layout(void **state)
{
	struct macext_diag d = {0};
	struct mx_sign_layout l = {0};
	size_t len;
	uint8_t *b = slice(0x200, &len);
	uint32_t end = 32 + 224;

	(void)state;
	assert_int_equal(mx_macho_sign_layout(&l, b, len, 0x4000, 0x100, &d), 0);
	assert_int_equal(l.sig_off, 0x1010);
	assert_int_equal(l.len, 0x1110);
	assert_int_equal(mx_load_le32(l.data + 16), 3);
	assert_int_equal(mx_load_le32(l.data + 20), 224 + 16);
	assert_int_equal(mx_load_le32(l.data + end), 0x1d);
	assert_int_equal(mx_load_le32(l.data + end + 8), 0x1010);
	assert_int_equal(mx_load_le32(l.data + end + 12), 0x100);
	/* __LINKEDIT: filesize to the end, vmsize rounded to 4 KiB */
	assert_int_equal(mx_load_le64(l.data + 32 + 152 + 48), 0x110);
	assert_int_equal(mx_load_le64(l.data + 32 + 152 + 32), 0x1000);
	assert_int_equal(l.text_filesize, 0x1000);
	/* re-layout of the result reuses the command and the offset */
	{
		struct mx_sign_layout l2 = {0};

		assert_int_equal(mx_macho_sign_layout(&l2, l.data, l.len, 0, 0x80, NULL), 0);
		assert_int_equal(l2.sig_off, 0x1010);
		assert_int_equal(mx_load_le32(l2.data + 16), 3);
		free(l2.data);
	}
	free(l.data);
	free(b);
	/* no room: the section starts 8 bytes after the load commands */
	b = slice(end + 8, &len);
	assert_int_equal(mx_macho_sign_layout(&l, b, len, 0x4000, 0x100, &d), -ENOSPC);
	assert_int_equal(d.offset, 0x4000 + end);
	/* room, but not free */
	free(b);
	b = slice(0x200, &len);
	b[end + 3] = 1;
	assert_int_equal(mx_macho_sign_layout(&l, b, len, 0, 0x100, &d), -ENOSPC);
	b[end + 3] = 0;
	/* 32-bit and big-endian headers are not signed */
	mx_store_le32(b, 0xfeedface);
	assert_int_equal(mx_macho_sign_layout(&l, b, len, 0, 0x100, &d), -ENOEXEC);
	free(b);
}

static void test_fat_write(void **state)
{
	uint8_t a[100] = {1}, c[50] = {2}, *out = NULL;
	const struct mx_fat_in s[] = {{0x01000007, 3, 12, a, sizeof(a)},
				      {0x0100000c, (int32_t)0xc0000002, 14, c, sizeof(c)}};
	size_t n = 0;

	(void)state;
	assert_int_equal(mx_fat_write(&out, &n, s, 2), 0);
	assert_int_equal(mx_load_be32(out), 0xcafebabe);
	assert_int_equal(mx_load_be32(out + 8 + 8), 0x1000);
	assert_int_equal(mx_load_be32(out + 28 + 8), 0x4000);
	assert_int_equal(mx_load_be32(out + 28 + 4), 0xc0000002);
	assert_int_equal(n, 0x4000 + 50);
	assert_int_equal(out[0x4000], 2);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requirements),
		cmocka_unit_test(test_codedir_roundtrip),
		cmocka_unit_test(test_superblob_roundtrip),
		cmocka_unit_test(test_macho_layout),
		cmocka_unit_test(test_fat_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
