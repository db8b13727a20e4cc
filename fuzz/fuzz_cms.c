/* Fuzz target: locating the SignedData parts of a CMS blob and a TSTInfo
 * (lib/format/cms.c). */
#include <stddef.h>
#include <stdint.h>

#include "format/cms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mx_cms cms;
	struct macext_diag d;
	struct mx_tstinfo t;

	if (mx_cms_parse(&cms, data, size, 0, &d) == 0 && cms.timestamp.p) {
		static struct mx_cms tok;

		if (mx_cms_parse(&tok, cms.timestamp.p, cms.timestamp.len, 0, &d) == 0 &&
		    tok.econtent.p)
			(void)mx_tstinfo_parse(&t, tok.econtent.p, tok.econtent.len, 0, &d);
	}
	(void)mx_tstinfo_parse(&t, data, size, 0, &d);
	return 0;
}
