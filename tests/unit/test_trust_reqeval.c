/* Unit tests for lib/trust/requirement_eval.c: the requirement interpreter over hand-built
 * programs and a two-certificate chain made in memory (codesign.md §3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <openssl/x509.h>

#include "trust/requirement_eval.h"
#include "util/endian.h"

static uint8_t prog[1 << 16];
static size_t plen;

static void w32(uint32_t v)
{
	mx_store_be32(prog + plen, v);
	plen += 4;
}

static void wdata(const void *p, uint32_t n)
{
	w32(n);
	memcpy(prog + plen, p, n);
	plen += n;
	while (plen & 3)
		prog[plen++] = 0;
}

static void begin(void)
{
	plen = 0;
	w32(0xfade0c00);
	w32(0);
	w32(1);
}

static int run(const struct mx_req_ctx *ctx, bool *ok)
{
	struct macext_diag d = {0};

	mx_store_be32(prog + 4, (uint32_t)plen);
	return mx_req_eval(prog, plen, 0, ctx, ok, &d);
}

static const uint8_t oid_devid_ca[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x02, 0x06};
static const uint8_t oid_kext[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x01, 0x12};

static void add_marker(X509 *x, const char *oid)
{
	static const unsigned char null_der[] = {0x05, 0x00};
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	ASN1_OCTET_STRING_set(v, null_der, 2);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, 1, v);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(o);
}

static X509 *cert(const char *cn, const char *ou)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	if (ou)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)ou, -1,
					   -1, 0);
	return x;
}

/* leaf (6.1.13, 6.1.18 when KEXT, OU ABCDE12345) <- CA (6.2.6) */
static STACK_OF(X509) *chain(bool kext)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *leaf = cert("Developer ID Application: Example Corp (ABCDE12345)", "ABCDE12345");
	X509 *ca = cert("Test Developer ID Certification Authority", "G2");

	add_marker(leaf, "1.2.840.113635.100.6.1.13");
	if (kext)
		add_marker(leaf, "1.2.840.113635.100.6.1.18");
	add_marker(ca, "1.2.840.113635.100.6.2.6");
	sk_X509_push(sk, leaf);
	sk_X509_push(sk, ca);
	return sk;
}

static void test_basic_ops(void **state)
{
	static const uint8_t h[20] = {1, 2, 3};
	const uint8_t *hashes[] = {h};
	size_t lens[] = {20};
	struct mx_req_ctx ctx = {.identifier = "com.example.a", .cdhashes = hashes,
				 .cdhash_lens = lens, .ncdhashes = 1};
	bool ok;

	(void)state;
	begin();
	w32(2);
	wdata("com.example.a", 13);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_true(ok);
	begin();
	w32(2);
	wdata("com.example.b", 13);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_false(ok);
	/* ! (identifier b) and cdhash H */
	begin();
	w32(6);
	w32(9);
	w32(2);
	wdata("com.example.b", 13);
	w32(8);
	wdata(h, 20);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_true(ok);
	/* never or always; an unknown opcode with generic-false; with generic-skip */
	begin();
	w32(7);
	w32(0);
	w32(1);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_true(ok);
	begin();
	w32(0x80000077);
	w32(4);
	w32(0);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_false(ok);
	begin();
	w32(0x40000077);
	w32(0);
	w32(1);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_true(ok);
	/* anchor apple generic without a chain */
	begin();
	w32(15);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_false(ok);
}

static void test_errors(void **state)
{
	struct mx_req_ctx ctx = {.identifier = "x"};
	bool ok = true;

	(void)state;
	begin();
	w32(0x77); /* unknown, no skip flag: errSecCSUnimplemented */
	assert_int_equal(run(&ctx, &ok), -ENOTSUP);
	assert_false(ok);
	begin();
	w32(2);
	w32(100); /* data past the end */
	assert_int_equal(run(&ctx, &ok), -EBADMSG);
	begin();
	w32(1);
	w32(1); /* trailing bytes */
	assert_int_equal(run(&ctx, &ok), -EBADMSG);
	begin();
	for (int i = 0; i < 10000; i++)
		w32(9); /* 10,000 nested ! (§6 #24) */
	w32(1);
	assert_int_equal(run(&ctx, &ok), -E2BIG);
	begin();
	w32(6);
	w32(1); /* and with a missing right-hand side */
	assert_int_equal(run(&ctx, &ok), -EBADMSG);
}

static void test_certificates(void **state)
{
	STACK_OF(X509) *good = chain(true), *nokext = chain(false);
	struct mx_req_ctx ctx = {.identifier = "com.example.a", .chain = good, .anchor_test = true};
	uint8_t kext[160];
	size_t n;
	bool ok;

	(void)state;
	n = mx_req_kext(kext, sizeof(kext), "com.example.a");
	assert_true(n < sizeof(kext));
	assert_int_equal(mx_req_eval(kext, n, 0, &ctx, &ok, &(struct macext_diag){0}), 0);
	assert_true(ok);
	ctx.chain = nokext;
	assert_int_equal(mx_req_eval(kext, n, 0, &ctx, &ok, &(struct macext_diag){0}), 0);
	assert_false(ok);
	ctx.chain = good;
	ctx.anchor_test = false; /* not anchored: anchor apple generic fails */
	assert_int_equal(mx_req_eval(kext, n, 0, &ctx, &ok, &(struct macext_diag){0}), 0);
	assert_false(ok);
	ctx.anchor_test = true;
	/* com.apple.* kexts need `anchor apple`, which a test anchor never satisfies */
	n = mx_req_kext(kext, sizeof(kext), "com.apple.driver.X");
	assert_int_equal(n, 16);
	assert_int_equal(mx_req_eval(kext, n, 0, &ctx, &ok, &(struct macext_diag){0}), 0);
	assert_false(ok);
	/* certificate leaf[subject.OU] = ABCDE12345; = ABCDE*; root[subject.OU] = G2 */
	begin();
	w32(11);
	w32(0);
	wdata("subject.OU", 10);
	w32(1);
	wdata("ABCDE12345", 10);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_true(ok);
	begin();
	w32(11);
	w32(0);
	wdata("subject.OU", 10);
	w32(3);
	wdata("ZZ", 2);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_false(ok);
	begin();
	w32(11);
	w32((uint32_t)-1);
	wdata("subject.OU", 10);
	w32(1);
	wdata("G2", 2);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_true(ok);
	/* certificate 1[field.6.2.6] exists; leaf[field.6.2.6] absent; slot 5 is outside */
	begin();
	w32(6);
	w32(14);
	w32(1);
	wdata(oid_devid_ca, sizeof(oid_devid_ca));
	w32(0);
	w32(14);
	w32(0);
	wdata(oid_devid_ca, sizeof(oid_devid_ca));
	w32(14);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_true(ok);
	begin();
	w32(14);
	w32(5);
	wdata(oid_kext, sizeof(oid_kext));
	w32(0);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_false(ok);
	/* an unknown field name is false, not an error */
	begin();
	w32(11);
	w32(0);
	wdata("subject.XX", 10);
	w32(0);
	assert_int_equal(run(&ctx, &ok), 0);
	assert_false(ok);
	sk_X509_pop_free(good, X509_free);
	sk_X509_pop_free(nokext, X509_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_ops),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_certificates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
