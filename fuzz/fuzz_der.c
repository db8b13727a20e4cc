/* Fuzz target: the DER/BER walker (lib/format/der.c), walking every element recursively and
 * decoding OIDs and times. */
#include <stddef.h>
#include <stdint.h>

#include "format/der.h"
#include "util/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(struct mx_reader *rd, unsigned depth)
{
	struct mx_der el;
	struct mx_reader in;
	char text[128];
	int64_t t;

	while (mx_rd_left(rd) && mx_der_next(rd, depth, &el, NULL) == 0) {
		if (el.tag == MX_DER_OID)
			(void)mx_der_oid_text(el.val, el.val_len, text, sizeof(text));
		else if (el.tag == MX_DER_UTCTIME || el.tag == MX_DER_GENTIME)
			(void)mx_der_time(&el, &t);
		if (el.constructed && depth + 1 < 48) {
			mx_der_enter(&el, &in);
			walk(&in, depth + 1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_reader rd;

	mx_rd_init(&rd, data, size, 0);
	walk(&rd, 0);
	return 0;
}
