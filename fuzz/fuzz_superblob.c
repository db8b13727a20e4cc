/* Fuzz target: the embedded-signature SuperBlob, every CodeDirectory in it and the
 * requirements set decoded to text (lib/format/superblob.c, codedir.c, requirement.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/codedir.h"
#include "format/requirement.h"
#include "format/superblob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mx_superblob sb;
	struct macext_diag d;
	struct mx_codedir cd;
	char *text = NULL;

	if (mx_superblob_parse(&sb, data, size, 0, 0xfade0cc0u, &d) < 0) {
		/* The same bytes as a requirements set or a single CD. */
		if (mx_requirements_text(&text, data, size, 0, &d) == 0)
			free(text);
		if (mx_codedir_parse(&cd, data, size, 0, &d) == 0)
			(void)mx_codedir_code_hash(&cd, cd.n_code ? cd.n_code - 1 : 0);
		return 0;
	}
	for (size_t i = 0; i < sb.count; i++) {
		const struct mx_cs_blob *b = &sb.blobs[i];

		if (b->magic == 0xfade0c02u && mx_codedir_parse(&cd, b->data, b->len, b->offset, &d) == 0) {
			volatile uint8_t sink = 0;

			for (uint32_t s = 1; s <= cd.n_special; s++)
				sink ^= mx_codedir_special_hash(&cd, s)[0];
			for (uint32_t c = 0; c < cd.n_code; c++)
				sink ^= mx_codedir_code_hash(&cd, c)[cd.hash_size - 1];
			(void)sink;
		}
		if (b->magic == 0xfade0c01u &&
		    mx_requirements_text(&text, b->data, b->len, b->offset, &d) == 0) {
			free(text);
			text = NULL;
		}
	}
	return 0;
}
