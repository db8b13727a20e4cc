#pragma once
/*
 * The bounds-checked reader (STYLE.md §6.1). Every binary read goes through a cursor that
 * knows how many bytes remain; a getter reads all it asked for and advances, or fails with
 * -EBADMSG and leaves pos alone. Nested structures get sub-readers that cannot see past
 * their end. ORIGIN is the file offset of p[0], so diagnostics name true file offsets.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mx_reader {
	const uint8_t *p; /* first byte of this view */
	size_t len;       /* bytes in this view */
	size_t pos;       /* next byte to read */
	uint64_t origin;  /* file offset of p[0] */
};

enum mx_order {
	MX_LE,
	MX_BE,
};

void mx_rd_init(struct mx_reader *rd, const void *buf, size_t len, uint64_t origin);

static inline size_t mx_rd_left(const struct mx_reader *rd)
{
	return rd->len - rd->pos;
}

/* File offset of the next byte to read. */
static inline uint64_t mx_rd_offset(const struct mx_reader *rd)
{
	return rd->origin + rd->pos;
}

int mx_rd_u8(struct mx_reader *rd, uint8_t *ret);
int mx_rd_u16(struct mx_reader *rd, enum mx_order o, uint16_t *ret);
int mx_rd_u32(struct mx_reader *rd, enum mx_order o, uint32_t *ret);
int mx_rd_u64(struct mx_reader *rd, enum mx_order o, uint64_t *ret);
int mx_rd_u32be(struct mx_reader *rd, uint32_t *ret);
int mx_rd_u32le(struct mx_reader *rd, uint32_t *ret);
int mx_rd_u64be(struct mx_reader *rd, uint64_t *ret);
int mx_rd_bytes(struct mx_reader *rd, size_t n, const uint8_t **ret);
int mx_rd_skip(struct mx_reader *rd, size_t n);
/* Moves to POS within the view (POS == len is allowed: the end). */
int mx_rd_seek(struct mx_reader *rd, uint64_t pos);
/* Unsigned / signed LEB128; -EBADMSG when truncated or when the value needs over 64 bits. */
int mx_rd_uleb128(struct mx_reader *rd, uint64_t *ret);
int mx_rd_sleb128(struct mx_reader *rd, int64_t *ret);
/* A NUL-terminated string starting at pos, at most MAX bytes before the NUL; advances past
 * the NUL. -EBADMSG if no NUL lies inside the view, -E2BIG if longer than MAX. */
int mx_rd_cstr(struct mx_reader *rd, size_t max, const char **ret);
/* A sub-view of N bytes at OFF (relative to the start of RD's view), independent of pos. */
int mx_rd_sub(const struct mx_reader *rd, uint64_t off, uint64_t n, struct mx_reader *ret);
/* A sub-view of the next N bytes; advances past them. */
int mx_rd_take(struct mx_reader *rd, uint64_t n, struct mx_reader *ret);
