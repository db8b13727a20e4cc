#pragma once
/* Checked arithmetic: every offset or size that came from input passes through one of
 * these, which report overflow instead of wrapping (STYLE.md §6.2). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if [off, off + n) lies inside a buffer of TOTAL bytes; cannot wrap. */
static inline bool mx_range_ok(uint64_t off, uint64_t n, uint64_t total)
{
	uint64_t end;

	return !__builtin_add_overflow(off, n, &end) && end <= total;
}

/* True if [a, a + an) and [b, b + bn) share a byte; empty ranges overlap nothing. Both
 * ranges must already have passed mx_range_ok. */
static inline bool mx_ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	if (an == 0 || bn == 0)
		return false;
	return a < b + bn && b < a + an;
}

/* Returns false on overflow, leaving *ret alone. */
static inline bool mx_add_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}

static inline bool mx_mul_size(size_t a, size_t b, size_t *ret)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}

/* Rounds V up to a multiple of ALIGN (a power of two); false on overflow. */
static inline bool mx_align_up(uint64_t v, uint64_t align, uint64_t *ret)
{
	uint64_t r;

	if (align == 0 || (align & (align - 1)) != 0)
		return false;
	if (__builtin_add_overflow(v, align - 1, &r))
		return false;
	*ret = r & ~(align - 1);
	return true;
}
