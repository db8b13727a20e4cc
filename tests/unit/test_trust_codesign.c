/* Unit tests for lib/trust/cs_verify.c: verdicts on hand-built Mach-O files (unsigned, ad-hoc,
 * linker-signed, tampered) and argument handling. The CMS path is covered by
 * tests/test_codesign_pki.sh and tests/test_codesign_npm.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <openssl/evp.h>

#include "macext/codesign.h"
#include "util/endian.h"

#define SIG_OFF 0x1000u
#define SIG_SIZE 0x400u
#define FILE_SIZE (SIG_OFF + SIG_SIZE)

static uint8_t file[FILE_SIZE];

static void seg(uint8_t *p, const char *name, uint64_t off, uint64_t size, uint32_t prot)
{
	mx_store_le32(p, 0x19);
	mx_store_le32(p + 4, 72);
	memcpy(p + 8, name, strlen(name));
	mx_store_le64(p + 24, off);
	mx_store_le64(p + 32, size);
	mx_store_le64(p + 40, off);
	mx_store_le64(p + 48, size);
	mx_store_le32(p + 56, prot);
	mx_store_le32(p + 60, prot);
}

/* A thin x86_64 kext binary; with SIGNED, an LC_CODE_SIGNATURE over [0x1000, 0x1400). */
static void build(bool signed_)
{
	memset(file, 0x90, sizeof(file));
	memset(file, 0, 256);
	mx_store_le32(file, 0xfeedfacf);
	mx_store_le32(file + 4, 0x01000007);
	mx_store_le32(file + 8, 3);
	mx_store_le32(file + 12, 0xb);
	mx_store_le32(file + 16, signed_ ? 3 : 1);
	mx_store_le32(file + 20, signed_ ? 160 : 72);
	mx_store_le32(file + 24, 0x85);
	seg(file + 32, "__TEXT", 0, SIG_OFF, 5);
	if (!signed_)
		return;
	seg(file + 104, "__LINKEDIT", SIG_OFF, SIG_SIZE, 1);
	mx_store_le32(file + 176, 0x1d);
	mx_store_le32(file + 180, 16);
	mx_store_le32(file + 184, SIG_OFF);
	mx_store_le32(file + 188, SIG_SIZE);
}

/* Writes a SuperBlob with one SHA-256 CD (v0x20400, FLAGS) covering [0, SIG_OFF). */
static void sign(uint32_t flags)
{
	uint8_t *sb = file + SIG_OFF, *cd = sb + 20;
	const uint32_t hash_off = 88 + 8;
	unsigned n;

	memset(sb, 0, SIG_SIZE);
	mx_store_be32(sb, 0xfade0cc0);
	mx_store_be32(sb + 8, 1);
	mx_store_be32(sb + 12, 0);
	mx_store_be32(sb + 16, 20);
	mx_store_be32(cd, 0xfade0c02);
	mx_store_be32(cd + 4, hash_off + 32);
	mx_store_be32(cd + 8, 0x20400);
	mx_store_be32(cd + 12, flags);
	mx_store_be32(cd + 16, hash_off);
	mx_store_be32(cd + 20, 88);
	mx_store_be32(cd + 28, 1);
	mx_store_be32(cd + 32, SIG_OFF);
	cd[36] = 32;
	cd[37] = 2;
	cd[39] = 12;
	mx_store_be64(cd + 72, SIG_OFF);
	memcpy(cd + 88, "unit.t", 7);
	mx_store_be32(sb + 4, 20 + hash_off + 32);
	EVP_Digest(file, SIG_OFF, cd + hash_off, &n, EVP_sha256(), NULL);
}

static struct macext_cs_result *verify(void)
{
	struct macext_cs_options opt = {.now = 1800000000};
	struct macext_cs_result *res = NULL;
	struct macext_diag d = {0};

	assert_int_equal(macext_codesign_verify(&res, file, sizeof(file), &opt, &d), 0);
	assert_non_null(res);
	assert_int_equal(res->nslices, 1);
	return res;
}

static void test_unsigned(void **state)
{
	struct macext_cs_result *res;

	(void)state;
	build(false);
	res = verify();
	assert_false(res->valid);
	assert_int_equal(res->kind, MACEXT_CS_UNSIGNED);
	assert_string_equal(macext_cs_kind_name(res->kind), "unsigned");
	assert_int_equal(res->slices[0].nerrors, 1);
	assert_string_equal(res->slices[0].errors[0].code, "unsigned");
	macext_cs_result_free(res);
}

static void test_adhoc_and_linker(void **state)
{
	struct macext_cs_result *res;

	(void)state;
	build(true);
	sign(0x2);
	res = verify();
	assert_true(res->valid);
	assert_int_equal(res->kind, MACEXT_CS_ADHOC);
	assert_string_equal(res->slices[0].identifier, "unit.t");
	assert_int_equal(res->slices[0].ncds, 1);
	assert_string_equal(res->slices[0].cds[0].hash_name, "sha256");
	assert_int_equal(strlen(res->slices[0].cds[0].cdhash), 40);
	assert_false(res->slices[0].kext_requirement);
	macext_cs_result_free(res);

	sign(0x20002);
	res = verify();
	assert_true(res->valid);
	assert_int_equal(res->kind, MACEXT_CS_LINKER_SIGNED);
	macext_cs_result_free(res);

	/* not ad-hoc and no CMS */
	sign(0);
	res = verify();
	assert_false(res->valid);
	assert_string_equal(res->slices[0].errors[0].code, "cms-missing");
	macext_cs_result_free(res);
}

static void test_tampered(void **state)
{
	struct macext_cs_result *res;

	(void)state;
	build(true);
	sign(0x2);
	file[0x800] ^= 1;
	res = verify();
	assert_false(res->valid);
	assert_int_equal(res->slices[0].nerrors, 1);
	assert_string_equal(res->slices[0].errors[0].code, "page-hash-mismatch");
	assert_int_equal(res->slices[0].errors[0].offset, 0);
	macext_cs_result_free(res);

	/* hash type downgraded in place: SHA-1 with a 32-byte hash size is malformed */
	build(true);
	sign(0x2);
	file[SIG_OFF + 20 + 37] = 1;
	res = verify();
	assert_false(res->valid);
	assert_string_equal(res->slices[0].errors[0].code, "malformed-signature");
	assert_int_equal(res->slices[0].errors[0].offset, SIG_OFF + 20 + 36);
	macext_cs_result_free(res);

	/* codeLimit not at the signature */
	build(true);
	sign(0x2);
	mx_store_be32(file + SIG_OFF + 20 + 32, SIG_OFF - 1);
	res = verify();
	assert_false(res->valid);
	assert_string_equal(res->slices[0].errors[0].code, "code-limit-mismatch");
	macext_cs_result_free(res);
}

static void test_errors(void **state)
{
	static const uint8_t junk[64] = {'n', 'o', 't'};
	static const uint8_t bad_anchor[] = "-----BEGIN CERTIFICATE-----\nxx\n";
	const uint8_t *anchors[] = {bad_anchor};
	size_t lens[] = {sizeof(bad_anchor)};
	struct macext_cs_options opt = {.now = 0};
	struct macext_cs_result *res = NULL;
	struct macext_diag d = {0};

	(void)state;
	assert_int_equal(macext_codesign_verify(&res, junk, sizeof(junk), &opt, &d), -ENOEXEC);
	assert_null(res);
	build(true);
	sign(0x2);
	opt.anchors = anchors;
	opt.anchor_lens = lens;
	opt.nanchors = 1;
	assert_int_equal(macext_codesign_verify(&res, file, sizeof(file), &opt, &d), -EINVAL);
	assert_null(res);
	assert_int_equal(macext_codesign_verify(&res, file, sizeof(file), NULL, &d), -EINVAL);
	macext_cs_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_adhoc_and_linker),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
