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
	default:
		return code < 0 && code > -4096 ? strerror(-code) : "unknown error";
	}
}
