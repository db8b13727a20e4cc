/*
 * fuzz/fuzz_macho.c: libFuzzer target for macext_macho_parse() (STYLE.md §8.4).
 *
 * On success every range the parser reports must lie inside the input: each slice, each
 * segment's and section's file bytes, the code signature, and every string (import names,
 * install names, fileset ids) with its NUL. On failure the diagnostic must carry an offset
 * inside the input (offset == size names "the end"). Both flag sets are run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/macho.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int range_in(uint64_t off, uint64_t n, uint64_t total)
{
	return off <= total && n <= total - off;
}

/* S must point into [data, data + size) and its NUL too. */
static void check_str(const char *s, const uint8_t *data, size_t size)
{
	const uint8_t *p = (const uint8_t *)s;

	if (!s)
		return;
	if (p < data || p >= data + size)
		abort();
	if (!memchr(p, 0, size - (size_t)(p - data)))
		abort();
}

static void check_slice(const struct macext_slice *s, const uint8_t *data, size_t size)
{
	const uint8_t *base = data + s->offset;

	if (!range_in(s->offset, s->size, size) || !s->arch || !s->llvm_arch)
		abort();
	for (size_t i = 0; i < s->nsegments; i++) {
		const struct macext_segment *g = &s->segments[i];

		if (!range_in(g->fileoff, g->filesize, s->size))
			abort();
		if (g->first_section + g->nsects > s->nsections)
			abort();
		for (size_t j = 0; j < i; j++) {
			const struct macext_segment *h = &s->segments[j];

			if (g->filesize && h->filesize && g->fileoff < h->fileoff + h->filesize &&
			    h->fileoff < g->fileoff + g->filesize)
				abort(); /* overlapping segments must have been rejected */
		}
	}
	for (size_t i = 0; i < s->nsections; i++) {
		const struct macext_section *c = &s->sections[i];
		uint32_t type = c->flags & 0xff;

		if (type == 0x1 || type == 0xc || type == 0x12 || c->offset == 0)
			continue;
		if (!range_in(c->offset, c->size, s->size))
			abort();
	}
	if (s->has_code_signature && !range_in(s->codesig_offset, s->codesig_size, s->size))
		abort();
	check_str(s->id_dylib, base, (size_t)s->size);
	for (size_t i = 0; i < s->nlibraries; i++)
		check_str(s->libraries[i].name, base, (size_t)s->size);
	for (size_t i = 0; i < s->nfileset; i++) {
		check_str(s->fileset[i].id, base, (size_t)s->size);
		if (!range_in(s->fileset[i].fileoff, 32, s->size))
			abort();
	}
	for (size_t i = 0; i < s->nimports; i++) {
		check_str(s->imports[i].name, base, (size_t)s->size);
		if (s->imports[i].sources == 0)
			abort();
		if (i > 0 && strcmp(s->imports[i - 1].name, s->imports[i].name) >= 0)
			abort(); /* sorted and unique */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flag_sets[] = {0, MACEXT_MACHO_NO_SYMBOLS};

	if (size > FUZZ_MAX_INPUT)
		return 0;
	for (size_t f = 0; f < 2; f++) {
		struct macext_macho *m = NULL;
		struct macext_diag diag = {0};
		int r = macext_macho_parse(&m, data, size, flag_sets[f], &diag);

		if (r == 0) {
			if (!m || m->nslices == 0 || m->size != size)
				abort();
			for (size_t i = 0; i < m->nslices; i++)
				check_slice(&m->slices[i], data, size);
			macext_macho_free(m);
		} else {
			if (m || r != diag.code || r >= 0)
				abort();
			if (diag.has_offset && diag.offset > size)
				abort();
		}
	}
	return 0;
}
