#pragma once
/*
 * lib/format/macho_internal.h: constants of the Mach-O and fat formats (codesign.md §1) and
 * the pieces the Mach-O reader shares between its files: fat.c (the file level: magic,
 * fat header, slices), macho.c (one slice: header, load commands, segments) and
 * macho_symbols.c (symbol table, dysymtab, dyld info, chained fixups, imports). Other
 * format parsers (code signatures) use the constants and mx_macho_slice_reader().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/macho.h"
#include "util/reader.h"

/* Magics as read in the byte order named (codesign.md §1.1). */
#define MX_FAT_MAGIC 0xcafebabeu
#define MX_FAT_MAGIC_64 0xcafebabfu
#define MX_MH_MAGIC 0xfeedfaceu
#define MX_MH_MAGIC_64 0xfeedfacfu

#define MX_FAT_HEADER_SIZE 8u
#define MX_FAT_ARCH_SIZE 20u
#define MX_FAT_ARCH64_SIZE 32u
#define MX_MACH_HEADER_SIZE 28u
#define MX_MACH_HEADER64_SIZE 32u

/* CPU types and subtypes (codesign.md §1.3). */
#define MX_CPU_ARCH_ABI64 0x01000000
#define MX_CPU_ARCH_ABI64_32 0x02000000
#define MX_CPU_TYPE_X86 7
#define MX_CPU_TYPE_X86_64 (MX_CPU_TYPE_X86 | MX_CPU_ARCH_ABI64)
#define MX_CPU_TYPE_ARM 12
#define MX_CPU_TYPE_ARM64 (MX_CPU_TYPE_ARM | MX_CPU_ARCH_ABI64)
#define MX_CPU_TYPE_ARM64_32 (MX_CPU_TYPE_ARM | MX_CPU_ARCH_ABI64_32)
#define MX_CPU_TYPE_POWERPC 18
#define MX_CPU_TYPE_POWERPC64 (MX_CPU_TYPE_POWERPC | MX_CPU_ARCH_ABI64)
#define MX_CPU_SUBTYPE_MASK 0xff000000u /* capability bits */

/* Load commands (codesign.md §1.5). */
#define MX_LC_REQ_DYLD 0x80000000u
#define MX_LC_SEGMENT 0x1u
#define MX_LC_SYMTAB 0x2u
#define MX_LC_DYSYMTAB 0xbu
#define MX_LC_LOAD_DYLIB 0xcu
#define MX_LC_ID_DYLIB 0xdu
#define MX_LC_SEGMENT_64 0x19u
#define MX_LC_UUID 0x1bu
#define MX_LC_CODE_SIGNATURE 0x1du
#define MX_LC_SEGMENT_SPLIT_INFO 0x1eu
#define MX_LC_LOAD_WEAK_DYLIB (0x18u | MX_LC_REQ_DYLD)
#define MX_LC_REEXPORT_DYLIB (0x1fu | MX_LC_REQ_DYLD)
#define MX_LC_LAZY_LOAD_DYLIB 0x20u
#define MX_LC_DYLD_INFO 0x22u
#define MX_LC_DYLD_INFO_ONLY (0x22u | MX_LC_REQ_DYLD)
#define MX_LC_LOAD_UPWARD_DYLIB (0x23u | MX_LC_REQ_DYLD)
#define MX_LC_VERSION_MIN_MACOSX 0x24u
#define MX_LC_VERSION_MIN_IPHONEOS 0x25u
#define MX_LC_FUNCTION_STARTS 0x26u
#define MX_LC_DATA_IN_CODE 0x29u
#define MX_LC_SOURCE_VERSION 0x2au
#define MX_LC_DYLIB_CODE_SIGN_DRS 0x2bu
#define MX_LC_LINKER_OPTIMIZATION_HINT 0x2eu
#define MX_LC_VERSION_MIN_TVOS 0x2fu
#define MX_LC_VERSION_MIN_WATCHOS 0x30u
#define MX_LC_BUILD_VERSION 0x32u
#define MX_LC_DYLD_EXPORTS_TRIE (0x33u | MX_LC_REQ_DYLD)
#define MX_LC_DYLD_CHAINED_FIXUPS (0x34u | MX_LC_REQ_DYLD)
#define MX_LC_FILESET_ENTRY (0x35u | MX_LC_REQ_DYLD)

/* Section types with no bytes in the file (low byte of section flags). */
#define MX_SECTION_TYPE 0xffu
#define MX_S_ZEROFILL 0x1u
#define MX_S_GB_ZEROFILL 0xcu
#define MX_S_THREAD_LOCAL_ZEROFILL 0x12u

/* nlist (codesign.md §1.6). */
#define MX_N_STAB 0xe0u
#define MX_N_PEXT 0x10u
#define MX_N_TYPE 0x0eu
#define MX_N_EXT 0x01u
#define MX_N_UNDF 0x0u
#define MX_N_ABS 0x2u
#define MX_N_SECT 0xeu
#define MX_N_WEAK_REF 0x40u

/*
 * What the load-command walk (macho.c) hands the symbol code (macho_symbols.c): each
 * linkedit command that was present, its ranges already checked against the slice, and the
 * file offset of the command so later faults can name it.
 */
struct mx_macho_linkedit {
	bool has_symtab;
	uint64_t symtab_cmd; /* file offset of LC_SYMTAB */
	uint32_t symoff, nsyms, stroff, strsize;

	bool has_dysymtab;
	uint64_t dysymtab_cmd;
	uint32_t ilocalsym, nlocalsym, iextdefsym, nextdefsym, iundefsym, nundefsym;

	bool has_dyld_info;
	uint64_t dyld_info_cmd;
	uint32_t bind_off, bind_size, weak_bind_off, weak_bind_size, lazy_bind_off, lazy_bind_size;

	bool has_chained;
	uint64_t chained_cmd;
	uint32_t chained_off, chained_size;
};

/* One slice being parsed. */
struct mx_macho_slice_parse {
	struct macext_slice *s;
	struct mx_reader rd; /* the slice: p = its first byte, origin = its file offset */
	enum mx_order order;
	unsigned flags;
	struct mx_macho_linkedit le;
};

/* Parses the slice at [OFF, OFF + SIZE) of FILE into S (zeroed by the caller; offset, size,
 * align are filled here except align). Diagnostics carry file offsets. On failure S may hold
 * arrays: release them with mx_macho_slice_clear(). */
int mx_macho_parse_slice(struct macext_slice *s, const uint8_t *file, uint64_t off, uint64_t size,
			 unsigned flags, struct macext_diag *diag);
void mx_macho_slice_clear(struct macext_slice *s);

/* macho_symbols.c: dysymtab index checks (needs nsyms), bind-stream validation and the
 * import list. Called once the load commands are all read. */
int mx_macho_check_dysymtab(struct mx_macho_slice_parse *p, struct macext_diag *diag);
int mx_macho_check_binds(struct mx_macho_slice_parse *p, struct macext_diag *diag);
int mx_macho_collect_symbols(struct mx_macho_slice_parse *p, struct macext_diag *diag);

/* A reader over slice S of the file BUF (as given to macext_macho_parse), origin = the
 * slice's file offset. */
void mx_macho_slice_reader(const struct macext_slice *s, const void *buf, struct mx_reader *ret);
