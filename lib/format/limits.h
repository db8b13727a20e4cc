#pragma once
/*
 * lib/format/limits.h: named limits on counts and sizes that come from untrusted input
 * (STYLE.md §6.3). Going over one is -E2BIG with the offset of the field that said so.
 * Every value is far above anything seen on real files (numbers in the comments come from
 * codesign.md and fixtures.md) and low enough that an allocation sized from it, or a loop
 * bounded by it, stays cheap. Counts are also bounded by the bytes that remain, which
 * usually bites first; these limits cap what the bytes alone would allow.
 */

/* Fat files. Apple has shipped about 20 distinct architectures and a fat file holds each
 * at most once; real files hold 1-4 slices. 32 also keeps us clear of Java class files,
 * which share the 0xcafebabe magic and whose next word is a class version >= 45 (LLVM
 * likewise treats a count >= 43 as "not fat"). */
#define MX_FAT_MAX_ARCHS 32u

/* log2 of a fat slice's alignment. Real files use 12-14; lipo and LLVM refuse more than
 * 2^15, and a larger value would make 1 << align meaningless. */
#define MX_FAT_MAX_ALIGN 15u

/* Load commands per image. Real binaries have 10-60; a kernel collection has one
 * LC_FILESET_ENTRY plus a few segments per kext, a few thousand at most. Each command is
 * at least 8 bytes, so sizeofcmds bounds this too. */
#define MX_MACHO_MAX_NCMDS 65536u

/* Bytes of load commands. dyld maps them inside the first pages of __TEXT; real images
 * use a few KiB, kernel collections a few hundred KiB. */
#define MX_MACHO_MAX_SIZEOFCMDS (16u * 1024 * 1024)

/* Symbols in one symbol table. The largest real images (browsers) have a few million;
 * 2^24 bounds the import array (24 bytes per entry, 384 MiB at worst, only for a file
 * that big). */
#define MX_MACHO_MAX_NSYMS (1u << 24)

/* Entries in an LC_DYLD_CHAINED_FIXUPS import table; same reasoning as the symbol table
 * (an import table never has more entries than a symbol table would). */
#define MX_MACHO_MAX_CHAINED_IMPORTS (1u << 24)

/* Segments listed in LC_DYLD_CHAINED_FIXUPS starts (dyld_chained_starts_in_image); it
 * should equal the number of segments, so the load-command limit applies. */
#define MX_MACHO_MAX_CHAINED_SEGS MX_MACHO_MAX_NCMDS

/* Length of one symbol name, NUL excluded. Long C++ template names reach a few KiB;
 * 64 KiB is generous, and it bounds the cost of looking for the NUL of every name. */
#define MX_MACHO_MAX_SYMBOL_LEN 65536u

/* Configuration profiles (mobileconfig.c). Real profiles are a few KiB; one with hundreds
 * of payloads stays under 1 MiB. libplist takes a 32-bit length, and 16 MiB keeps every
 * copy cheap. */
#define MX_PROFILE_MAX_SIZE (16u * 1024 * 1024)

/* Plist nesting, counted in XML elements (plist, dict, array, key and value each count)
 * or bplist containers. A profile nests 5 levels (plist > dict > array > dict > dict >
 * array); libplist 2.2 recurses per level and overflows the stack near 10^6. */
#define MX_PLIST_MAX_DEPTH 64u

/* Objects a binary plist may expand to. Objects may be referenced many times, so a small
 * file can describe a tree of 2^40 nodes that libplist 2.2 would build; this caps the
 * expanded tree, far above any real profile (a few thousand). */
#define MX_PLIST_MAX_NODES (1u << 20)

/* Kernel collections (fileset_write.c, kc_read.c; boot-chain.md §5.4). Apple's builder caps
 * a KC at 1 GiB, and an arm64e AuxKC at 64 MiB (a limit of its fixup format). */
#define MX_KC_MAX_SIZE (1024ull * 1024 * 1024)
#define MX_KC_MAX_SIZE_ARM64E_AUX (64ull * 1024 * 1024)

/* Kexts in one collection. A boot KC holds a few hundred kexts, an AuxKC a handful; each
 * fileset entry is one load command, so this keeps the header far below
 * MX_MACHO_MAX_SIZEOFCMDS and the duplicate-id check cheap. */
#define MX_KC_MAX_ENTRIES 4096u

/* Length of a fileset entry id (a bundle identifier), NUL excluded. The kernel's kmod name
 * holds 63 bytes; 1 KiB is generous and keeps every LC_FILESET_ENTRY small. */
#define MX_KC_MAX_ID_LEN 1024u

/* One kext's Info.plist as put into the prelink info, and the prelink info read back from
 * a KC. Info.plists are a few KiB (Apple's largest a few hundred KiB); the prelink info of
 * a boot KC with hundreds of kexts stays well under 64 MiB. */
#define MX_KC_MAX_INFO_PLIST (4u * 1024 * 1024)
#define MX_KC_MAX_PRELINK_INFO (64u * 1024 * 1024)
