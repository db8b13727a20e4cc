/* Fuzz target: reading a .mobileconfig (lib/format/mobileconfig.c), then validating it
 * (lib/model/profile_validate.c, profile_payloads.c), checking one kext against it
 * (profile_check.c) and, for CMS input, verifying its signature (lib/trust/profile_sig.c).
 * Invariants: a diagnostic points inside the input; an eContent lies inside it; every
 * finding has a rule, a message and the path given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/profile.h"

#define FUZZ_MAX_INPUT (256u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_findings(const struct macext_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (!f->v[i].rule || !f->v[i].message || strcmp(f->v[i].path, "fuzz") != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct macext_profile_validate_opts o = {.macos = NULL, .now = 1800000000};
	struct macext_macos_version v = {10, 15, 7};
	struct macext_findings f = {0};
	struct macext_profile_sig sig = {0};
	struct macext_profile_check c;
	struct macext_profile *p = NULL;
	struct macext_diag diag = {0};

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (macext_profile_read(&p, data, size, &diag) < 0) {
		if (diag.has_offset && diag.offset > size)
			abort();
		return 0;
	}
	if (p->form == MACEXT_PROFILE_CMS &&
	    (p->cms.content_offset > size || p->cms.der_len + p->cms.trailing != size))
		abort();
	(void)macext_profile_validate(p, &o, "fuzz", &f);
	o.macos = &v;
	(void)macext_profile_validate(p, &o, "fuzz", &f);
	(void)macext_profile_verify(&sig, p, NULL, 0, o.now, "fuzz", &f);
	check_findings(&f);
	(void)macext_profile_check_kext(&c, p, "ABCDE12345", "com.example.driver");
	(void)macext_profile_check_kext(&c, p, "", "com.example.driver");
	macext_profile_sig_clear(&sig);
	macext_findings_clear(&f);
	macext_profile_free(p);
	return 0;
}
