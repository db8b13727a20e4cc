/*
 * fuzz/fuzz_bundle.c: bytes as a kext's Info.plist, through the validation entry point
 * (mx_infoplist_validate: depth guard, libplist, rules V1-V12). Invariants: the call
 * succeeds (findings are results; only -ENOMEM may fail), every finding has a rule id in
 * the info-plist.* family, a severity in range, and the path it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/infoplist.h"

#define FUZZ_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum macext_kver_grammar grammars[] = {MACEXT_KVER_GRAMMAR_1013,
							    MACEXT_KVER_GRAMMAR_1014};

	if (size > FUZZ_MAX_INPUT)
		return 0;
	for (size_t g = 0; g < 2; g++) {
		struct mx_infoplist_opts o = {"Fuzz.kext", "11.0", grammars[g]};
		struct macext_findings f = {0};

		if (mx_infoplist_validate(data, size, &o, &f) < 0)
			abort();
		for (size_t i = 0; i < f.n; i++) {
			if (strncmp(f.v[i].rule, "info-plist.", 11) != 0 ||
			    (unsigned)f.v[i].severity > MACEXT_SEVERITY_NOTE ||
			    strcmp(f.v[i].path, "Fuzz.kext") != 0 || !f.v[i].message)
				abort();
		}
		macext_findings_clear(&f);
	}
	return 0;
}
