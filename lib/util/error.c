/* lib/util/error.c: names for the error codes of error.h. */
#include "macext/error.h"

#include <string.h>

const char *macext_strerror(int code)
{
	switch (code) {
	case MACEXT_E_NEEDS_RECOVERY:
		return "allowed only in recoveryOS";
	case MACEXT_E_BAD_MACHINE:
		return "the modeled Mac is damaged";
	case MACEXT_E_USAGE:
		return "usage error";
	case -EBADMSG:
		return "malformed input";
	case -ENOEXEC:
		return "not the kind of file expected";
	case -E2BIG:
		return "over a limit";
	case -ENOENT:
		return "no such file or directory";
	case -ENOTDIR:
		return "not a directory";
	case -EISDIR:
		return "is a directory";
	case -EACCES:
		return "permission denied";
	case -EPERM:
		return "operation not permitted";
	case -EEXIST:
		return "already exists";
	case -ENOMEM:
		return "out of memory";
	case -EIO:
		return "input/output error";
	case -ENOSPC:
		return "no space left on device";
	case -EROFS:
		return "read-only file system";
	case -EINVAL:
		return "invalid argument";
	case -ELOOP:
		return "too many levels of symbolic links";
	case -ENAMETOOLONG:
		return "file name too long";
	default:
		return code < 0 && code > -4096 ? strerror(-code) : "unknown error";
	}
}
