#pragma once
/*
 * Code requirements (codesign.md §3): compiled requirement blobs decoded to the text
 * language codesign prints.
 */
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"

/* Decodes one requirement blob (magic 0xfade0c00) at BUF (LEN bytes, ORIGIN its file offset)
 * into its text form; *RET is the caller's (free()). Returns 0, -EBADMSG (truncated, an
 * operand past the blob, an unknown opcode without a skip flag, trailing bytes), -E2BIG
 * (nesting or length over MX_CS_MAX_REQ_*) or -ENOMEM. */
int mx_requirement_text(char **ret, const uint8_t *buf, size_t len, uint64_t origin,
			struct macext_diag *diag);
/* Decodes a requirements set (SuperBlob 0xfade0c01) into lines "<type> => <text>\n" in index
 * order ("designated => identifier ..."); an empty set gives "". Codes as above. */
int mx_requirements_text(char **ret, const uint8_t *buf, size_t len, uint64_t origin,
			 struct macext_diag *diag);
/* The name of a requirement type: "host", "guest", "designated", "library", "plugin". */
const char *mx_requirement_type_name(uint32_t type);
