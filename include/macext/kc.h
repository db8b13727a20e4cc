#ifndef MACEXT_KC_H
#define MACEXT_KC_H
/*
 * Kernel collections (boot-chain.md §5; docs/formats/kernel-collection.md): writing an
 * MH_FILESET Auxiliary Kernel Collection from kext slices (lib/format/fileset_write.c),
 * reading one back (lib/format/kc_read.c), and building the AuxKC from kext bundles the way
 * kmd does at approval (lib/model/auxkc_build.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/error.h"
#include "macext/kext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every region of a KC starts on a 16 KiB boundary (boot-chain.md §5.4). */
#define MACEXT_KC_REGION_ALIGN 16384u
/* _PrelinkExecutableLoadAddr of a kext without an executable (boot-chain.md §5.5). */
#define MACEXT_KC_CODELESS_ADDR 0x7FFFFFFFFFFFFFFFull

/* ---- writing ------------------------------------------------------------------------- */

/* One kext to put into the collection. */
struct macext_kc_input {
	const char *bundle_id;	 /* CFBundleIdentifier: the fileset entry id */
	const char *bundle_path; /* _PrelinkBundlePath ("/Library/Extensions/Foo.kext"), or NULL */
	const char *executable_relpath; /* _PrelinkExecutableRelativePath, or NULL */
	const uint8_t *macho; /* the executable's thin 64-bit slice for the KC's arch; NULL
				 for a codeless kext (prelink info only, no fileset entry) */
	size_t macho_len;
	const uint8_t *info_plist; /* the bundle's Info.plist (XML or binary) */
	size_t info_plist_len;
	/* For the receipt (boot-chain.md §9 row 6); NULL when unknown, and the key is left out. */
	const char *team_id;
	const char *cdhash; /* lower-case hex */
	bool may_affect_apple_pay;
};

/* A kext that was asked for and left out: listed in the receipt's Excluded array. */
struct macext_kc_left_out {
	const char *bundle_id;
	const char *reason; /* "exclude-list", ... */
};

struct macext_kc_write_opts {
	int32_t cputype, cpusubtype;	 /* of the KC; every slice must have this cputype */
	uint32_t platform;		 /* LC_BUILD_VERSION platform (1 = macOS) */
	uint32_t minos, sdk;		 /* X<<16 | Y<<8 | Z */
	const uint8_t *boot_kc_uuid;	 /* 16 bytes: _BootKCID and BootKCUUID, or NULL */
	const uint8_t *pageable_kc_uuid; /* 16 bytes: _PageableKCID, or NULL (no system KC) */
	const uint8_t *uakl_hash;	 /* 48 bytes: the receipt's UAKLHash, or NULL */
	const struct macext_kc_left_out *left_out;
	size_t nleft_out;
};

/**
 * Lays out an Auxiliary Kernel Collection holding INPUTS (N of them, in that order) and
 * returns it in *RET (*RET_LEN bytes, the caller's, free()). The file is MH_FILESET with
 * LC_UUID, LC_BUILD_VERSION, one LC_SEGMENT_64 per region in file order (__TEXT with the
 * header, __PRELINK_TEXT with each slice copied whole at a 16 KiB boundary,
 * __RECEIPT_INFO,__aux_kc_receipt, __PRELINK_INFO,__info) and one LC_FILESET_ENTRY per
 * kext with an executable. __PRELINK_INFO sits at vmaddr 0, before the header (the AuxKC's
 * data-first VM order). The KC UUID is the first 16 bytes of SHA-256 over the whole file
 * computed with every copy of the UUID (LC_UUID, _PrelinkKCID, the receipt's AuxKCUUID)
 * zeroed. Errors, with DIAG: -EINVAL (an empty or overlong bundle id, a slice that is not
 * a 64-bit little-endian Mach-O of the KC's cputype, an Info.plist that is not a dictionary
 * or names another bundle id), -EEXIST (a bundle id twice), -E2BIG (more than
 * MX_KC_MAX_ENTRIES inputs, an Info.plist over its limit, or a KC over 1 GiB, 64 MiB for
 * arm64e), -EBADMSG (an Info.plist libplist refuses), -ENOMEM.
 */
MACEXT_API int macext_kc_write(const struct macext_kc_input *inputs, size_t n,
			       const struct macext_kc_write_opts *opts, uint8_t **ret,
			       size_t *ret_len, struct macext_diag *diag);

/** The cputype/cpusubtype a KC for ARCH ("x86_64", "arm64", "arm64e") has; -EINVAL for
 * another name. */
MACEXT_API int macext_kc_arch_cpu(const char *arch, int32_t *cputype, int32_t *cpusubtype);

/* ---- reading ------------------------------------------------------------------------- */

struct macext_kc_kext {
	char *bundle_id;
	char *version;		  /* CFBundleVersion from the prelink info, or NULL */
	char *collection_type;	  /* _BundleCollectionType, or NULL */
	bool has_entry;		  /* a fileset entry (false: in the prelink info only) */
	uint64_t vmaddr, fileoff; /* of the entry's own Mach-O header */
	uint64_t load_addr;	  /* _PrelinkExecutableLoadAddr, or 0 if absent */
	bool has_uuid;		  /* LC_UUID of the entry's own header */
	uint8_t uuid[16];
};

struct macext_kc {
	int32_t cputype, cpusubtype;
	const char *arch; /* static storage */
	bool has_uuid;
	uint8_t uuid[16];
	bool has_prelink_kc_uuid, has_boot_kc_uuid, has_pageable_kc_uuid;
	uint8_t prelink_kc_uuid[16], boot_kc_uuid[16], pageable_kc_uuid[16];
	bool has_prelink_info;
	bool has_receipt;
	uint64_t receipt_offset, receipt_size; /* the __RECEIPT_INFO,__aux_kc_receipt bytes */
	/* Fileset entries in load-command order, then kexts that are only in the prelink info
	 * (codeless), in prelink order. */
	struct macext_kc_kext *kexts;
	size_t nkexts;
	size_t nentries; /* how many of kexts[] have a fileset entry (they come first) */
};

/**
 * Reads the kernel collection BUF (LEN bytes): its fileset entries, each entry's own UUID,
 * and the prelink info (per-kext versions, _PrelinkKCID, _BootKCID, _PageableKCID). *RET
 * is the caller's (macext_kc_free) and does not borrow BUF. Errors, with DIAG naming the
 * byte offset: -ENOEXEC (not a thin MH_FILESET Mach-O), -EBADMSG (a bad Mach-O, an entry
 * whose header is not a Mach-O, a prelink info that is not a plist dictionary), -E2BIG (a
 * count or the prelink info over a limit), -ENOMEM.
 */
MACEXT_API int macext_kc_parse(struct macext_kc **ret, const void *buf, size_t len,
			       struct macext_diag *diag);
MACEXT_API void macext_kc_free(struct macext_kc *kc);

/* ---- building the AuxKC from bundles (lib/model) ------------------------------------- */

struct macext_auxkc_opts {
	const char *arch;		   /* "x86_64" (NULL), "arm64" or "arm64e" */
	struct macext_macos_version macos; /* the release: exclude list, LC_BUILD_VERSION */
	const char *root; /* a bundle under ROOT gets _PrelinkBundlePath relative to it ("/..."),
			     others their path as given; NULL = paths as given */
	const uint8_t *boot_kc_uuid;	 /* 16 bytes or NULL */
	const uint8_t *pageable_kc_uuid; /* 16 bytes or NULL */
};

/* What happened to one kext that was asked for (plug-ins count as kexts of their own). */
struct macext_auxkc_item {
	char *bundle_id;
	char *version; /* CFBundleVersion or NULL */
	char *path;    /* the bundle as found */
	bool included;
	bool codeless;		  /* included without an executable (prelink info only) */
	char *reason;		  /* why it was left out ("exclude-list", "apple-kext",
				     "os-bundle-required"), NULL when included */
	uint64_t fileoff, vmaddr; /* of its fileset entry (included, not codeless) */
};

struct macext_auxkc {
	uint8_t *data; /* the KC file */
	size_t len;
	uint8_t uuid[16];
	struct macext_auxkc_item *items; /* sorted by bundle id, then path */
	size_t nitems;
};

/**
 * Builds the AuxKC from the kext bundles at PATHS (their PlugIns kexts included), as kmd
 * does when kexts are approved: each kext's slice for OPTS->arch and its Info.plist go in;
 * kexts on the release's exclude list (user-space grammar, kexts.md §5.4) are left out and
 * named in the receipt, as are com.apple kexts not marked OSBundleRequired = Auxiliary and
 * kexts marked Root or Safe Boot (boot-chain.md §5.8). *RET is the caller's
 * (macext_auxkc_free). Errors, with DIAG naming the bundle: -ENOENT (a path is missing),
 * -EBADMSG (no readable Info.plist or CFBundleIdentifier, an executable that is missing or
 * not a valid Mach-O), -ENOEXEC (no slice for the arch), -EEXIST (a bundle id twice), the
 * errors of macext_kc_write(), -EINVAL (an unknown arch or release), -ENOMEM.
 */
MACEXT_API int macext_auxkc_build(const char *const *paths, size_t npaths,
				  const struct macext_auxkc_opts *opts, struct macext_auxkc **ret,
				  struct macext_diag *diag);
MACEXT_API void macext_auxkc_free(struct macext_auxkc *kc);

#ifdef __cplusplus
}
#endif
#endif
