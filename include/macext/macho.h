#ifndef MACEXT_MACHO_H
#define MACEXT_MACHO_H
/*
 * Mach-O reading: thin 32/64-bit images in either byte order, fat and fat64 files.
 * The parser is pure: it takes the whole file as a buffer (usually an mmap), checks every
 * offset and count, and returns a description whose strings point into that buffer
 * ("borrows buf": keep it alive while the result lives). Layout facts: codesign.md §1 and
 * docs/formats/macho.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* filetype values (mach-o/loader.h) */
#define MACEXT_MH_OBJECT 0x1u
#define MACEXT_MH_EXECUTE 0x2u
#define MACEXT_MH_DYLIB 0x6u
#define MACEXT_MH_BUNDLE 0x8u
#define MACEXT_MH_KEXT_BUNDLE 0xbu
#define MACEXT_MH_FILESET 0xcu

/* Where an import was found. */
enum macext_import_source {
	MACEXT_IMPORT_SYMTAB = 1u << 0,  /* an N_UNDF|N_EXT nlist entry */
	MACEXT_IMPORT_CHAINED = 1u << 1, /* the LC_DYLD_CHAINED_FIXUPS import table */
};

struct macext_import {
	const char *name;  /* the Mach-O symbol name, e.g. "_IOLog"; points into buf */
	int32_t ordinal;   /* library ordinal: 0 self, 1..n LC_LOAD_*DYLIB, -1 main
			      executable, -2 flat lookup, -3 weak lookup */
	bool weak;         /* N_WEAK_REF or weak_import */
	unsigned sources;  /* enum macext_import_source bits */
};

struct macext_dylib {
	uint32_t cmd;      /* LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, ... */
	const char *kind;  /* "load", "weak", "reexport", "lazy", "upward" */
	const char *name;  /* install name; points into buf */
	uint32_t current_version;
	uint32_t compatibility_version;
};

struct macext_section {
	char segname[17];
	char sectname[17];
	uint64_t addr;
	uint64_t size;
	uint32_t offset; /* file offset relative to the slice; 0 for zero-fill */
	uint32_t align;
	uint32_t flags;
};

struct macext_segment {
	char name[17];
	uint64_t vmaddr, vmsize;
	uint64_t fileoff, filesize; /* relative to the slice */
	uint32_t maxprot, initprot;
	uint32_t nsects;
	uint32_t flags;
	size_t first_section; /* index into slice.sections */
};

struct macext_fileset_entry {
	const char *id; /* entry id (bundle identifier); points into buf */
	uint64_t vmaddr;
	uint64_t fileoff;
};

struct macext_build_version {
	bool present;
	uint32_t cmd;      /* LC_BUILD_VERSION or an LC_VERSION_MIN_* */
	uint32_t platform; /* 1 macOS, 2 iOS, ...; from the command for VERSION_MIN_* */
	uint32_t minos;    /* X<<16 | Y<<8 | Z */
	uint32_t sdk;
};

struct macext_slice {
	uint64_t offset; /* where the slice starts in the file (0 for a thin file) */
	uint64_t size;   /* its length */
	uint32_t align;  /* log2 alignment from the fat entry; 0 for a thin file */
	int32_t cputype;
	int32_t cpusubtype; /* including the capability byte */
	const char *arch;   /* "x86_64", "arm64e", ... or "unknown"; static storage */
	const char *llvm_arch; /* what llvm-nm-14 / llvm-objdump-14 print after "architecture"
				  for this slice: as arch, but "" where LLVM knows no name (ppc
				  subtype 10, ppc7400; arm64 subtype 1); static storage */
	bool is64;
	bool big_endian;
	uint32_t filetype, ncmds, sizeofcmds, flags;

	bool has_uuid;
	uint8_t uuid[16];
	struct macext_build_version build;
	bool has_source_version;
	uint64_t source_version;

	bool has_code_signature;
	uint32_t codesig_offset; /* relative to the slice (linkedit_data_command dataoff) */
	uint32_t codesig_size;

	const char *id_dylib; /* LC_ID_DYLIB install name, or NULL */

	struct macext_segment *segments;
	size_t nsegments;
	struct macext_section *sections;
	size_t nsections;
	struct macext_dylib *libraries; /* in load-command order */
	size_t nlibraries;
	struct macext_fileset_entry *fileset; /* LC_FILESET_ENTRY, in load-command order */
	size_t nfileset;

	/* Symbols (absent with MACEXT_MACHO_NO_SYMBOLS). */
	bool has_symtab;
	uint32_t nsyms;
	struct macext_import *imports; /* unique by name, sorted by name (strcmp) */
	size_t nimports;
	bool defines_kmod_info; /* a defined external "_kmod_info" (kexts must have one) */
	bool has_dyld_info;
	bool has_chained_fixups;
};

struct macext_macho {
	bool fat;
	bool fat64;
	uint64_t size; /* the whole file */
	struct macext_slice *slices;
	size_t nslices;
};

/* Flags for macext_macho_parse(). */
enum {
	MACEXT_MACHO_NO_SYMBOLS = 1u << 0, /* skip symbol tables and import lists (faster) */
};

/**
 * Parses BUF (LEN bytes: a whole thin or fat Mach-O file). On success *RET is the
 * caller's (macext_macho_free) and borrows BUF. Expected errors, with DIAG naming the
 * byte offset: -ENOEXEC (not a Mach-O or fat file), -EBADMSG (truncated, a range outside
 * the file, overlapping slices or segments, inconsistent load commands), -E2BIG (a count
 * over a limit of lib/format/limits.h), -ENOMEM.
 */
MACEXT_API int macext_macho_parse(struct macext_macho **ret, const void *buf, size_t len,
				  unsigned flags, struct macext_diag *diag);

/** Frees M; accepts NULL. */
MACEXT_API void macext_macho_free(struct macext_macho *m);

/** True if BUF starts like a Mach-O or fat file (a cheap sniff; parse decides). */
MACEXT_API bool macext_macho_sniff(const void *buf, size_t len);

/** The architecture name for a cputype/cpusubtype pair ("unknown" if none fits). */
MACEXT_API const char *macext_arch_name(int32_t cputype, int32_t cpusubtype);

/** The architecture name LLVM 14's tools print for the pair: like macext_arch_name(), but
 * "" for subtypes LLVM does not name (e.g. ppc7400). For differential tests. */
MACEXT_API const char *macext_arch_llvm_name(int32_t cputype, int32_t cpusubtype);

/** The stable kebab-case name of a filetype: "object", "execute", "dylib", "bundle",
 * "kext-bundle", "fileset", ... or "unknown". */
MACEXT_API const char *macext_filetype_name(uint32_t filetype);

/** Finds the slice for ARCH ("x86_64", "arm64e", ...) or NULL. */
MACEXT_API const struct macext_slice *macext_macho_find_slice(const struct macext_macho *m,
							       const char *arch);

/** Formats a packed X.Y.Z version (X<<16 | Y<<8 | Z) into BUF ("11.0" or "10.15.4"). */
MACEXT_API void macext_packed_version_format(uint32_t v, char buf[static 16]);

#ifdef __cplusplus
}
#endif
#endif
