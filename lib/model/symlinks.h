#pragma once
/* Rule V17 of kexts.md §6.4: symbolic links inside a kext bundle must resolve to a readable
 * file inside the same bundle (symlinks.c). */
#include <stddef.h>

/* The walk stops at this depth and entry count; a real kext has a handful of folders. */
#define MX_BUNDLE_WALK_MAX_DEPTH 16u
#define MX_BUNDLE_WALK_MAX_ENTRIES 100000u

/* Lists, relative to BUNDLE and sorted, every symlink below BUNDLE that cannot be read or
 * resolves outside BUNDLE. The walk does not enter Contents/PlugIns (or PlugIns of a flat
 * bundle): plug-in kexts are checked on their own, as Apple's authentication does
 * (kexts.md §6.5). *RET is the caller's (free each string and the array). Returns 0,
 * -ENOMEM, or -E2BIG when the tree is deeper or larger than the limits. */
int mx_bundle_bad_symlinks(const char *bundle, char ***ret, size_t *ret_n);
