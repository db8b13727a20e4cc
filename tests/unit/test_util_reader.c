/* Unit tests for lib/util: the reader, checked arithmetic, diagnostics, time, atomic write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macext/ctx.h"
#include "macext/finding.h"
#include "util/alloc.h"
#include "util/checked.h"
#include "util/diag.h"
#include "util/file.h"
#include "util/reader.h"

static void test_reader_bounds(void **state)
{
	static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
	struct mx_reader rd, sub;
	uint32_t v;
	uint16_t h;

	(void)state;
	mx_rd_init(&rd, b, sizeof(b), 100);
	assert_int_equal(mx_rd_u32(&rd, MX_LE, &v), 0);
	assert_int_equal(v, 0x04030201);
	assert_int_equal(mx_rd_offset(&rd), 104);
	/* two bytes left: a u32 fails and leaves pos alone */
	assert_int_equal(mx_rd_u32(&rd, MX_BE, &v), -EBADMSG);
	assert_int_equal(rd.pos, 4);
	assert_int_equal(mx_rd_u16(&rd, MX_BE, &h), 0);
	assert_int_equal(h, 0x0506);
	assert_int_equal(mx_rd_left(&rd), 0);
	/* sub-views: origin carries the file offset; no view past the end, no wrap */
	assert_int_equal(mx_rd_sub(&rd, 2, 4, &sub), 0);
	assert_int_equal(sub.origin, 102);
	assert_int_equal(mx_rd_sub(&rd, 2, 5, &sub), -EBADMSG);
	assert_int_equal(mx_rd_sub(&rd, UINT64_MAX, 2, &sub), -EBADMSG);
	assert_int_equal(mx_rd_seek(&rd, 6), 0);
	assert_int_equal(mx_rd_seek(&rd, 7), -EBADMSG);
}

static void test_reader_leb_and_cstr(void **state)
{
	static const uint8_t leb[] = {0xe5, 0x8e, 0x26, 0x7f};
	static const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
	static const uint8_t str[] = {'a', 'b', 0, 'c', 'd'};
	struct mx_reader rd;
	uint64_t u;
	int64_t s;
	const char *c;

	(void)state;
	mx_rd_init(&rd, leb, sizeof(leb), 0);
	assert_int_equal(mx_rd_uleb128(&rd, &u), 0);
	assert_int_equal(u, 624485);
	assert_int_equal(mx_rd_sleb128(&rd, &s), 0);
	assert_int_equal(s, -1);
	mx_rd_init(&rd, over, sizeof(over), 0);
	assert_int_equal(mx_rd_uleb128(&rd, &u), -EBADMSG);
	assert_int_equal(rd.pos, 0);
	mx_rd_init(&rd, leb, 2, 0); /* continuation bit set on the last byte */
	assert_int_equal(mx_rd_uleb128(&rd, &u), -EBADMSG);
	mx_rd_init(&rd, str, sizeof(str), 0);
	assert_int_equal(mx_rd_cstr(&rd, 1, &c), -E2BIG);
	assert_int_equal(mx_rd_cstr(&rd, 2, &c), 0);
	assert_string_equal(c, "ab");
	assert_int_equal(mx_rd_cstr(&rd, 16, &c), -EBADMSG); /* "cd" has no NUL */
}

static void test_checked(void **state)
{
	uint64_t v;
	size_t z;

	(void)state;
	assert_true(mx_range_ok(0, 10, 10));
	assert_false(mx_range_ok(1, 10, 10));
	assert_false(mx_range_ok(UINT64_MAX, 1, UINT64_MAX));
	assert_true(mx_ranges_overlap(0, 10, 9, 1));
	assert_false(mx_ranges_overlap(0, 10, 10, 1));
	assert_false(mx_ranges_overlap(0, 0, 0, 1));
	assert_false(mx_add_u64(UINT64_MAX, 1, &v));
	assert_false(mx_mul_size(SIZE_MAX, 2, &z));
	assert_true(mx_align_up(4097, 4096, &v));
	assert_int_equal(v, 8192);
	assert_false(mx_align_up(5, 3, &v));
	assert_false(mx_align_up(UINT64_MAX - 1, 4096, &v));
}

static void test_diag(void **state)
{
	static const uint8_t b[8] = {0};
	struct macext_diag d = {0};
	struct mx_reader rd;

	(void)state;
	mx_rd_init(&rd, b, sizeof(b), 0x40);
	mx_rd_skip(&rd, 4);
	assert_int_equal(mx_diag_fail(&d, &rd, -EBADMSG, "load command %u: cmdsize %u is below 8",
				      3u, 0u),
			 -EBADMSG);
	assert_true(d.has_offset);
	assert_int_equal(d.offset, 0x44);
	mx_diag_prefix(&d, "slice %s", "arm64e");
	assert_string_equal(d.msg, "slice arm64e: load command 3: cmdsize 0 is below 8");
	assert_int_equal(mx_diag_fail(NULL, NULL, -E2BIG, "x"), -E2BIG);
}

static void test_time(void **state)
{
	int64_t t;
	char buf[21];

	(void)state;
	assert_int_equal(macext_time_parse("2026-11-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 1793491200);
	macext_time_format(t, buf);
	assert_string_equal(buf, "2026-11-01T00:00:00Z");
	assert_int_equal(macext_time_parse("2019-12-05T12:31:00+01:00", &t), 0);
	macext_time_format(t, buf);
	assert_string_equal(buf, "2019-12-05T11:31:00Z");
	assert_int_equal(macext_time_parse("2023-02-29T00:00:00Z", &t), -EINVAL);
	assert_int_equal(macext_time_parse("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(macext_time_parse("2026-13-01T00:00:00Z", &t), -EINVAL);
	assert_int_equal(macext_time_parse("2026-11-01 00:00:00", &t), -EINVAL);
	assert_int_equal(macext_time_parse("yesterday", &t), -EINVAL);
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/macext-test-XXXXXX";
	char *path, *data = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = mx_path_join(dir, "f.txt");
	assert_string_equal(path + strlen(dir), "/f.txt");
	assert_int_equal(mx_write_atomic(path, "one", 3, 0644), 0);
	assert_int_equal(mx_write_atomic(path, "second", 6, 0644), 0);
	assert_int_equal(mx_read_file(path, 100, &data, &len, NULL), 0);
	assert_string_equal(data, "second");
	free(data);
	/* over the size limit */
	assert_int_equal(mx_read_file(path, 3, &data, &len, NULL), -E2BIG);
	/* a write into a missing directory fails and creates nothing */
	{
		char *bad = mx_path_join(dir, "missing/f.txt");

		assert_int_equal(mx_write_atomic(bad, "x", 1, 0644), -ENOENT);
		free(bad);
	}
	unlink(path);
	rmdir(dir);
	free(path);
}

static void test_alloc_failure(void **state)
{
	struct macext_findings f = {0};

	(void)state;
	mx_alloc_fail_at(1);
	assert_int_equal(macext_findings_add(&f, MACEXT_SEVERITY_ERROR, "r", "p", NULL, NULL, NULL,
					     "m %d", 1),
			 -ENOMEM);
	assert_int_equal(f.n, 0);
	mx_alloc_fail_at(0);
	assert_int_equal(macext_findings_add(&f, MACEXT_SEVERITY_WARNING, "b", "p", NULL, "11.0",
					     NULL, "two"),
			 0);
	assert_int_equal(macext_findings_add(&f, MACEXT_SEVERITY_ERROR, "a", "p", "X.Y", "11.0",
					     "x86_64", "one %s", "!"),
			 0);
	macext_findings_sort(&f);
	assert_string_equal(f.v[0].rule, "b"); /* arch NULL sorts before "x86_64" */
	assert_string_equal(f.v[1].message, "one !");
	assert_int_equal(macext_findings_count(&f, MACEXT_SEVERITY_ERROR), 1);
	macext_findings_clear(&f);
	assert_int_equal(f.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_bounds), cmocka_unit_test(test_reader_leb_and_cstr),
		cmocka_unit_test(test_checked),       cmocka_unit_test(test_diag),
		cmocka_unit_test(test_time),          cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_alloc_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
