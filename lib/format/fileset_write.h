#pragma once
/*
 * lib/format/fileset_write.h: names and sizes the kernel-collection writer
 * (fileset_write.c) and reader (kc_read.c) share. The public API is macext/kc.h; the
 * layout is described in docs/formats/kernel-collection.md.
 */
#include <stddef.h>
#include <stdint.h>

#include "macext/kc.h"

/* Segments and sections of the regions we write (boot-chain.md §5.4-§5.6). */
#define MX_KC_SEG_TEXT "__TEXT"
#define MX_KC_SEG_PRELINK_TEXT "__PRELINK_TEXT"
#define MX_KC_SEG_RECEIPT "__RECEIPT_INFO"
#define MX_KC_SECT_RECEIPT "__aux_kc_receipt" /* 16 characters: no NUL in sectname */
#define MX_KC_SEG_PRELINK_INFO "__PRELINK_INFO"
#define MX_KC_SECT_PRELINK_INFO "__info"

/* Load-command sizes: fixed part of LC_FILESET_ENTRY, LC_SEGMENT_64 and its section_64. */
#define MX_KC_FILESET_ENTRY_FIXED 32u
#define MX_KC_SEGMENT64_SIZE 72u
#define MX_KC_SECTION64_SIZE 80u
#define MX_KC_UUID_CMD_SIZE 24u
#define MX_KC_BUILD_VERSION_SIZE 24u /* with no tools */

/* Prelink-info and receipt keys (boot-chain.md §5.5, §9 row 6). */
#define MX_PRELINK_INFO_DICT "_PrelinkInfoDictionary"
#define MX_PRELINK_KCID "_PrelinkKCID"
#define MX_PRELINK_BOOT_KCID "_BootKCID"
#define MX_PRELINK_PAGEABLE_KCID "_PageableKCID"
#define MX_PRELINK_LOAD_ADDR "_PrelinkExecutableLoadAddr"
#define MX_PRELINK_COLLECTION_TYPE "_BundleCollectionType"

/* cmdsize of the LC_FILESET_ENTRY for an id of ID_LEN bytes: align8(32 + len + 1), as
 * Apple's builder writes it (codesign.md §1.9). */
static inline uint32_t mx_kc_fileset_cmdsize(size_t id_len)
{
	return (uint32_t)((MX_KC_FILESET_ENTRY_FIXED + id_len + 1 + 7) & ~(size_t)7);
}
