#pragma once
/* Exit codes, as in ARCHITECTURE.md §4 (sysexits, as Apple's tools use them). No command
 * invents its own. */
enum cli_exit {
	EXIT_OK_ = 0,
	EXIT_CHECK_FAILED = 1,     /* audit errors, invalid signature, profile errors */
	EXIT_NEEDS_APPROVAL = 27,  /* kextload/kmutil: needs user approval */
	EXIT_NEEDS_RESTART = 28,   /* kmutil: restart needed */
	EXIT_USAGE = 64,           /* EX_USAGE */
	EXIT_DATAERR = 65,         /* EX_DATAERR: bad input data */
	EXIT_NOINPUT = 66,         /* EX_NOINPUT */
	EXIT_UNAVAILABLE = 69,     /* EX_UNAVAILABLE: not in this state (needs recovery) */
	EXIT_OSERR = 71,           /* EX_OSERR */
	EXIT_CANTCREAT = 73,       /* EX_CANTCREAT */
	EXIT_IOERR = 74,           /* EX_IOERR */
	EXIT_NOPERM = 77,          /* EX_NOPERM: not admin, wrong password */
	EXIT_CONFIG = 78,          /* EX_CONFIG: the modeled Mac is broken */
};
