#ifndef MACEXT_CODESIGN_H
#define MACEXT_CODESIGN_H
/*
 * Code signatures: verify them as macOS does (codesign.md §2.11, §4) and describe them.
 *
 * macext_codesign_verify() takes a whole Mach-O file (thin or fat) and returns one verdict
 * per slice and one for the file: the file is valid only if every slice is. A malformed or
 * forged signature is a verdict (valid = false with errors[]), not a failed call; the call
 * fails only when the file is not a Mach-O file at all or memory runs out.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/diag.h"
#include "macext/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest identifier macext writes or reads (cs_limits.h MX_CS_MAX_IDENT). */
#define MACEXT_CS_MAX_IDENT 1024

/* Kinds, weakest first (a fat file gets its weakest slice's kind, codesign.md §2.8). */
enum macext_cs_kind {
	MACEXT_CS_UNSIGNED,
	MACEXT_CS_LINKER_SIGNED,
	MACEXT_CS_ADHOC,
	MACEXT_CS_OTHER,
	MACEXT_CS_DEVELOPMENT,
	MACEXT_CS_APP_STORE,
	MACEXT_CS_DEVELOPER_ID,
	MACEXT_CS_APPLE,
};

/** "unsigned", "linker-signed", "adhoc", "other", "development", "app-store",
 * "developer-id", "apple". */
MACEXT_API const char *macext_cs_kind_name(enum macext_cs_kind kind);

/* Where the chain was validated in time. */
enum macext_cs_time_source {
	MACEXT_CS_TIME_NONE,      /* no chain was evaluated */
	MACEXT_CS_TIME_TIMESTAMP, /* the secure timestamp's genTime */
	MACEXT_CS_TIME_SIGNING,   /* the signer's signingTime attribute (no timestamp) */
	MACEXT_CS_TIME_NOW,       /* the modeled clock (neither) */
};
MACEXT_API const char *macext_cs_time_source_name(enum macext_cs_time_source s);

/* One reason a slice or file is not valid. CODE is a stable kebab-case word (e.g.
 * "page-hash-mismatch", "message-digest-mismatch"); MESSAGE is one lower-case line. */
struct macext_cs_error {
	char *code;
	char *message;
	bool has_offset;
	uint64_t offset; /* file offset, when the fault has one */
};

struct macext_cs_codedir {
	uint32_t slot;      /* 0 or 0x1000.. */
	uint32_t version, flags, length;
	uint32_t hash_type; /* 1 sha1, 2 sha256, 3 sha256-truncated, 4 sha384, 5 sha512 */
	const char *hash_name;
	uint32_t n_special, n_code, page_size; /* page_size in bytes; 0 = one slot */
	uint64_t code_limit;
	uint8_t platform;
	uint64_t exec_seg_base, exec_seg_limit, exec_seg_flags;
	uint32_t runtime;
	char *identifier;
	char *team_id;      /* NULL when absent */
	char cdhash[41];    /* hex of the 20-byte cdhash */
	uint64_t offset;    /* file offset of the blob */
};

struct macext_cs_cert {
	char *common_name;  /* subject CN, or NULL */
	char *subject;      /* one line, RFC 2253 order */
	char *issuer;
	char sha256[65];    /* hex fingerprint of the DER */
	int64_t not_before, not_after;
};

struct macext_cs_slice {
	const char *arch;   /* static storage */
	uint64_t offset, size;
	bool valid;
	enum macext_cs_kind kind;
	struct macext_cs_codedir *cds; /* slot 0 first */
	size_t ncds;
	size_t best;        /* index of the strongest CD */
	char *identifier;   /* the best CD's */
	char *cd_team_id;   /* the CD's Team ID, or NULL */
	char *team_id;      /* from the leaf (UID, else OU), or NULL */
	char *developer_name; /* as the approval alert shows it (codesign.md §5.4), or NULL */
	struct macext_cs_cert *chain; /* leaf first, anchor last */
	size_t nchain;
	bool anchor_apple;  /* the anchor is a pinned Apple root */
	bool anchor_test;   /* the anchor is a caller-supplied test anchor */
	bool kext_requirement; /* satisfies the kext signing requirement (codesign.md §3.7) for
				* its identifier: `anchor apple` for com.apple.*, else Developer ID
				* with the kext marker (evaluated by the requirement interpreter) */
	bool has_designated;   /* the signature carries a designated requirement */
	bool designated_ok;    /* ... and the signature satisfies it */
	bool has_signing_time, has_timestamp;
	int64_t signing_time, timestamp;
	enum macext_cs_time_source time_source;
	int64_t validated_at;
	char *requirements; /* "designated => ...\n" lines, or NULL */
	char *entitlements_xml; /* NULL when absent */
	size_t entitlements_der_len;
	bool has_entitlements_der;
	uint32_t flags;     /* the best CD's flags */
	struct macext_cs_error *errors;
	size_t nerrors;
};

/* Nested code found inside a bundle and verified recursively (codesign --deep). */
struct macext_cs_nested {
	char *path;         /* relative to the bundle's Contents/ */
	bool valid;
	enum macext_cs_kind kind;
	char *team_id;      /* the signer's, or NULL */
	char *first_error;  /* "code: message" of its first failure, or NULL */
};

struct macext_cs_result {
	bool valid;
	enum macext_cs_kind kind;       /* the weakest slice's */
	struct macext_cs_slice *slices;
	size_t nslices;
	struct macext_cs_error *errors; /* file-level reasons (slices of two teams, resources) */
	size_t nerrors;
	/* Set by macext_codesign_verify_detached() / _path(). */
	bool detached;      /* the signature lives in Contents/_CodeSignature/ files */
	bool bundle;        /* PATH was (or belongs to) a bundle */
	bool resources_checked; /* a CodeResources seal was evaluated */
	size_t resources_sealed; /* entries of the seal that were checked */
	char *main_executable; /* the file whose signature was verified (NULL: codeless bundle) */
	struct macext_cs_nested *nested;
	size_t nnested;
};

/* The components of a detached signature, the files of Contents/_CodeSignature/
 * (codesign.md §2.9). Absent components have a NULL pointer. */
struct macext_cs_detached {
	const uint8_t *code_directory;   /* CodeDirectory (slot 0) */
	size_t code_directory_len;
	const uint8_t *alternates[5];    /* CodeRequirements-1 .. -5: alternate CDs 0x1000.. */
	size_t alternate_lens[5];
	const uint8_t *requirements;     /* CodeRequirements (slot 2) */
	size_t requirements_len;
	const uint8_t *signature;        /* CodeSignature: the bare CMS (slot 0x10000) */
	size_t signature_len;
	const uint8_t *entitlements;     /* CodeEntitlements (slot 5) */
	size_t entitlements_len;
};

struct macext_cs_options {
	int64_t now;                /* the modeled clock (ctx->now) */
	const uint8_t *const *anchors; /* extra trusted roots, DER or PEM */
	const size_t *anchor_lens;
	size_t nanchors;
	const uint8_t *info_plist;  /* the bundle's Info.plist bytes (special slot 1), or NULL */
	size_t info_plist_len;
	const uint8_t *resources;   /* _CodeSignature/CodeResources bytes (slot 3), or NULL */
	size_t resources_len;
};

/**
 * Verifies every slice of the Mach-O file BUF (LEN bytes). On success *RET is the caller's
 * (macext_cs_result_free). Returns 0 (see (*ret)->valid for the verdict), -ENOEXEC /
 * -EBADMSG when BUF is not a readable Mach-O file (DIAG says where), -EINVAL when an anchor
 * cannot be read, -ENOMEM.
 */
MACEXT_API int macext_codesign_verify(struct macext_cs_result **ret, const void *buf, size_t len,
				      const struct macext_cs_options *opt,
				      struct macext_diag *diag);

/**
 * Verifies a detached signature DET over CODE (CODE_LEN bytes: the whole executable file, fat
 * or thin, or for a bundle without an executable its Info.plist). The CDs' codeLimit must be
 * CODE_LEN; pageSize 0 means one hash over all of it. The result has one slice, arch
 * "detached". Returns 0 (verdict in *RET), -EINVAL (bad anchor), -ENOMEM.
 */
MACEXT_API int macext_codesign_verify_detached(struct macext_cs_result **ret, const void *code,
					       size_t code_len,
					       const struct macext_cs_detached *det,
					       const struct macext_cs_options *opt,
					       struct macext_diag *diag);

/**
 * Verifies PATH like `codesign --verify --deep --strict`: a Mach-O file, a bundle directory,
 * or the main executable inside a bundle (…/Contents/MacOS/<name>). For a bundle: its
 * Info.plist and CodeResources feed special slots 1 and 3 (OPT's info_plist/resources are
 * ignored), the signature is embedded in the main executable or detached in
 * Contents/_CodeSignature/, every file under Contents/ is checked against the CodeResources
 * seal (extra, missing, modified files and symlinks each reported as a file-level error)
 * and nested bundles are verified recursively. Returns 0 (verdict in *RET), -ENOENT (no
 * such path, or a bundle without executable and without a detached signature), -ENOEXEC /
 * -EBADMSG (not Mach-O), -EINVAL, -ENOMEM, -EIO.
 */
MACEXT_API int macext_codesign_verify_path(struct macext_cs_result **ret, const char *path,
					   const struct macext_cs_options *opt,
					   struct macext_diag *diag);

/* Signing (codesign.md §2, fixtures.md §1.8): `macext codesign sign`. */
struct macext_cs_sign_options {
	int64_t now;              /* the CMS signingTime (the modeled clock, ctx->now) */
	const uint8_t *identity;  /* a PKCS#12 file's bytes (key, leaf, chain); NULL with adhoc */
	size_t identity_len;
	const char *password;     /* its password; NULL or "" for none */
	bool adhoc;               /* an ad-hoc signature: flags 0x2, no Team ID, no CMS */
};

struct macext_cs_signed {
	char identifier[MACEXT_CS_MAX_IDENT + 1]; /* the CodeDirectory identifier written */
	char team_id[64];         /* the Team ID written ("" for ad-hoc or none in the leaf) */
	size_t nslices;           /* slices signed */
	bool bundle;              /* a bundle: Info.plist and CodeResources were sealed */
	size_t resources;         /* files2 entries written */
	char executable[4096];    /* the file that received the signature */
};

/**
 * Signs PATH in place like `codesign -s`: a Mach-O file (thin or fat) or a bundle directory
 * (or the main executable inside one). Each 64-bit slice gets an embedded signature: a
 * CodeDirectory v0x20400 (SHA-256, 4 KiB pages; identifier = CFBundleIdentifier or the file
 * name; Team ID from the leaf; special slots 1 Info.plist, 2 requirements, 3 CodeResources),
 * the default designated requirement, and a CMS with Apple's signed attributes (contentType,
 * signingTime = OPT->now, messageDigest, 1.2.840.113635.100.9.2 and .9.1). A bundle also gets
 * Contents/_CodeSignature/CodeResources. Every file is replaced atomically. RET (may be NULL)
 * describes what was written. Returns 0, -EINVAL (bad options), -EACCES (wrong PKCS#12
 * password), -EBADMSG (an unreadable PKCS#12 or Mach-O file, unsigned nested code),
 * -ENOEXEC (not a signable Mach-O), -ENOSPC (no room for LC_CODE_SIGNATURE), -ENOENT, -EIO,
 * -ENOMEM; DIAG says which file and why.
 */
MACEXT_API int macext_codesign_sign(struct macext_cs_signed *ret, const char *path,
				    const struct macext_cs_sign_options *opt,
				    struct macext_diag *diag);

/** Frees R; accepts NULL. */
MACEXT_API void macext_cs_result_free(struct macext_cs_result *r);

#ifdef __cplusplus
}
#endif
#endif
