#ifndef MACEXT_ERROR_H
#define MACEXT_ERROR_H
/*
 * Error codes. Functions that can fail return 0 (or a count) on success and a negative
 * errno on failure. What each errno means here (STYLE.md §4.1):
 *   -EBADMSG  malformed input: truncated, offset out of range, bad inner magic  (exit 65)
 *   -ENOEXEC  not the kind of file expected                                    (exit 65)
 *   -E2BIG    a count, size or depth over one of our limits                    (exit 65)
 *   -ENOENT   an input is missing                                              (exit 66)
 *   -EACCES, -EPERM  the acting user may not do this                           (exit 77)
 *   -EIO      a read or write failed                                           (exit 74)
 *   -ENOMEM and other OS errors: the system failed us                          (exit 71)
 * Codes with no errno count down from -4096 so they never clash with one.
 */
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MACEXT_API __attribute__((visibility("default")))

enum {
	MACEXT_E_NEEDS_RECOVERY = -4096, /* allowed only in the modeled recoveryOS (exit 69) */
	MACEXT_E_BAD_MACHINE = -4097,    /* the modeled Mac's own files are broken (exit 78) */
	MACEXT_E_USAGE = -4098,          /* a caller passed words we do not understand (exit 64) */
};

/** Returns a static, lower-case description of CODE (negative errno or MACEXT_E_*). */
MACEXT_API const char *macext_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
