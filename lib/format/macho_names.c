/*
 * lib/format/macho_names.c: names for Mach-O values: architectures (ours, and the ones
 * LLVM 14's tools print, for differential tests), filetypes, and packed X.Y.Z versions.
 * Architecture facts: codesign.md §1.3; LLVM names observed with llvm-nm-14 --arch=all on
 * the osxfuse files (ppc subtype 10 prints as an empty name) and otherwise as named by
 * LLVM's MachOObjectFile::getArchTriple for the subtype.
 */
#include <stdio.h>

#include "format/macho_internal.h"

/* ---- names ---------------------------------------------------------------------------- */

struct arch_name {
	int32_t cputype;
	int32_t subtype; /* low 24 bits; -1 matches any */
	const char *name;
	const char *llvm; /* what LLVM 14 prints (MachOObjectFile::getArchTriple's flag) */
};

static const struct arch_name arch_names[] = {
    {MX_CPU_TYPE_X86, 3, "i386", "i386"},
    {MX_CPU_TYPE_X86_64, 3, "x86_64", "x86_64"},
    {MX_CPU_TYPE_X86_64, 8, "x86_64h", "x86_64h"},
    {MX_CPU_TYPE_ARM64, 0, "arm64", "arm64"},
    {MX_CPU_TYPE_ARM64, 1, "arm64", ""},
    {MX_CPU_TYPE_ARM64, 2, "arm64e", "arm64e"},
    {MX_CPU_TYPE_ARM64_32, 1, "arm64_32", "arm64_32"},
    {MX_CPU_TYPE_ARM64_32, 0, "arm64_32", ""},
    {MX_CPU_TYPE_ARM, 6, "armv6", "armv6"},
    {MX_CPU_TYPE_ARM, 9, "armv7", "armv7"},
    {MX_CPU_TYPE_ARM, 11, "armv7s", "armv7s"},
    {MX_CPU_TYPE_ARM, 12, "armv7k", "armv7k"},
    /* ppc: LLVM names only POWERPC_ALL; ppc7400 (10) and ppc970 (100) print as "" */
    {MX_CPU_TYPE_POWERPC, 0, "ppc", "ppc"},
    {MX_CPU_TYPE_POWERPC, -1, "ppc", ""},
    {MX_CPU_TYPE_POWERPC64, 0, "ppc64", "ppc64"},
    {MX_CPU_TYPE_POWERPC64, -1, "ppc64", ""},
};

static const struct arch_name *find_arch(int32_t cputype, int32_t cpusubtype)
{
	int32_t sub = (int32_t)((uint32_t)cpusubtype & ~MX_CPU_SUBTYPE_MASK);

	for (size_t i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++) {
		const struct arch_name *a = &arch_names[i];

		if (a->cputype == cputype && (a->subtype == sub || a->subtype == -1))
			return a;
	}
	return NULL;
}

const char *macext_arch_name(int32_t cputype, int32_t cpusubtype)
{
	const struct arch_name *a = find_arch(cputype, cpusubtype);

	return a ? a->name : "unknown";
}

const char *macext_arch_llvm_name(int32_t cputype, int32_t cpusubtype)
{
	const struct arch_name *a = find_arch(cputype, cpusubtype);

	return a ? a->llvm : "";
}

const char *macext_filetype_name(uint32_t filetype)
{
	static const char *const names[] = {
	    NULL,	"object", "execute",	"fvmlib", "core",	 "preload", "dylib",
	    "dylinker", "bundle", "dylib-stub", "dsym",	  "kext-bundle", "fileset",
	};

	if (filetype < sizeof(names) / sizeof(names[0]) && names[filetype])
		return names[filetype];
	return "unknown";
}

void macext_packed_version_format(uint32_t v, char buf[static 16])
{
	unsigned x = v >> 16, y = (v >> 8) & 0xffu, z = v & 0xffu;

	if (z)
		snprintf(buf, 16, "%u.%u.%u", x, y, z);
	else
		snprintf(buf, 16, "%u.%u", x, y);
}
