#pragma once
/*
 * The kext bundle as macext_kext_open() reads it (bundle.c). audit.c reads the fields
 * directly; everything else goes through the accessors of macext/kext.h.
 */
#include <plist/plist.h>
#include <stdbool.h>
#include <stddef.h>

#include "macext/kext.h"
#include "util/file.h"

/* PlugIns nest one level in practice (a family with its plug-in kexts); a few levels of
 * slack, and a total that no real bundle approaches, bound the walk. */
#define MX_KEXT_MAX_PLUGIN_DEPTH 4u
#define MX_KEXT_MAX_PLUGINS 256u
/* The executable: real kexts are a few MiB; Apple's largest families stay under 64 MiB. */
#define MX_KEXT_MAX_EXECUTABLE (512ull * 1024 * 1024)

enum mx_info_state {
	MX_INFO_OK,
	MX_INFO_MISSING, /* no Info.plist */
	MX_INFO_BAD,     /* unreadable, not a plist, or not a dictionary (info_diag) */
};

enum mx_exe_state {
	MX_EXE_NONE,       /* codeless: no CFBundleExecutable */
	MX_EXE_MISSING,    /* declared but not there */
	MX_EXE_UNREADABLE, /* there, but not a readable regular file (exe_diag) */
	MX_EXE_BAD,        /* read, but not a valid Mach-O (exe_diag) */
	MX_EXE_OK,
};

struct mx_libset {
	char *arch; /* NULL for the plain OSBundleLibraries */
	struct macext_kext_library *v;
	size_t n;
};

struct macext_kext {
	char *path;
	bool flat;         /* Info.plist at the bundle root (old layout) */
	bool signature_dir; /* _CodeSignature/ next to Info.plist */
	enum mx_info_state info_state;
	struct macext_diag info_diag;
	plist_t info;
	const char *bundle_id, *version; /* borrowed from info */
	enum mx_exe_state exe_state;
	char *exe_path;
	struct macext_diag exe_diag;
	struct mx_map map;
	struct macext_macho *macho;
	struct mx_libset *libsets;
	size_t nlibsets;
	struct macext_kext **plugins;
	size_t nplugins;
};
