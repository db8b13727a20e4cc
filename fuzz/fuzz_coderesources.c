/* Fuzz target: the CodeResources resource-seal parser (lib/format/coderesources.c) and rule
 * matching over the parsed rules, as the bundle verifier uses them. */
#include <stddef.h>
#include <stdint.h>

#include "format/coderesources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"Info.plist", "Resources/en.lproj/x.strings",
					    "MacOS/tool", "PlugIns/A.kext", "version.plist"};
	struct mx_coderesources cr;
	struct macext_diag d;

	if (mx_coderesources_parse(&cr, data, size, &d) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		(void)mx_cr_match(cr.rules2, cr.nrules2, paths[i]);
		(void)mx_cr_match(cr.rules, cr.nrules, paths[i]);
		(void)mx_cr_find(cr.files2, cr.nfiles2, paths[i]);
	}
	mx_coderesources_free(&cr);
	return 0;
}
