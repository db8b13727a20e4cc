/*
 * fuzz/fuzz_kc.c: libFuzzer target for macext_kc_parse(), the kernel-collection reader
 * behind `kmutil inspect` (STYLE.md §8.4).
 *
 * On success the receipt range and every fileset entry's offset must lie inside the input,
 * entries with a fileset entry must come first, and strings must be NUL-terminated. On
 * failure the diagnostic's offset must lie inside the input (offset == size names the end).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/kc.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int range_in(uint64_t off, uint64_t n, uint64_t total)
{
	return off <= total && n <= total - off;
}

static void check_kc(const struct macext_kc *kc, size_t size)
{
	if (kc->nentries > kc->nkexts)
		abort();
	if (kc->has_receipt && !range_in(kc->receipt_offset, kc->receipt_size, size))
		abort();
	for (size_t i = 0; i < kc->nkexts; i++) {
		const struct macext_kc_kext *k = &kc->kexts[i];

		if (!k->bundle_id || strlen(k->bundle_id) > size)
			abort();
		if (i < kc->nentries && k->fileoff >= size)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct macext_kc *kc = NULL;
	struct macext_diag diag = {0};

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (macext_kc_parse(&kc, data, size, &diag) == 0)
		check_kc(kc, size);
	else if (diag.has_offset && diag.offset > size)
		abort();
	macext_kc_free(kc);
	return 0;
}
