#pragma once
/*
 * Code requirements (codesign.md §3): compiled requirement blobs decoded to the text
 * language codesign prints.
 */
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "util/reader.h"

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

/* Steps of the expression walk shared with the evaluator (lib/trust/requirement_eval.c). */
/* Reads a data operand at RD: u32 length, the bytes (*RET points into RD's buffer) and the
 * padding to a multiple of 4 (which may be cut short by the end). -EBADMSG when truncated. */
int mx_req_rd_data(struct mx_reader *rd, const uint8_t **ret, uint32_t *ret_len,
		   struct macext_diag *diag);
/* Reads the opcode of an expression at nesting DEPTH and counts it in *OPS: -E2BIG over
 * MX_CS_MAX_REQ_DEPTH or MX_CS_MAX_REQ_OPS, -EBADMSG when truncated. */
int mx_req_rd_op(struct mx_reader *rd, unsigned depth, unsigned *ops, uint32_t *op,
		 struct macext_diag *diag);
/* Skips the operand of OP, an opcode the caller does not know: UNKNOWN (the caller's
 * negative code) when OP has neither generic flag, -EBADMSG when its size runs past the end. */
int mx_req_skip_generic(struct mx_reader *rd, uint32_t op, int unknown,
			struct macext_diag *diag);
