#pragma once
/*
 * What every command file shares: the parsed global options, the failure helper that maps
 * codes to exit codes in one place, and JSON output.
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "macext/ctx.h"
#include "macext/diag.h"
#include "exit.h"

struct cli {
	struct macext_ctx *ctx;
	const char *root;          /* --root / $MACEXT_ROOT / the XDG default */
	const char *user;          /* --user, NULL = the owner */
	const char *password_file; /* --password-file */
	bool json;                 /* --json (before or after the command) */
	bool quiet;                /* -q */
	bool verbose;              /* -v */
	const char *prog;          /* "macext" */
};

/* One subcommand or command of a table. */
struct cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary; /* one line for --help */
};

/* Prints "macext: <object>: <why>[ at offset 0x..]" on stderr from CODE and DIAG (which may
 * be NULL) and returns the exit code for CODE. OBJECT is a printf format. */
int cli_fail(struct cli *cli, int code, const struct macext_diag *diag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prints "macext: <message>" on stderr and returns EXIT_USAGE after the usage line. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "macext: warning: ..." unless -q. */
void cli_warn(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The one mapping from library codes to exit codes. */
int cli_exit_code(int code);

/* Dispatches argv[0] through TABLE (a group's subcommands); prints the group's help for
 * --help or no subcommand. */
int cli_dispatch(struct cli *cli, const char *group, const char *usage, const struct cmd *table,
		 int argc, char **argv);

/* True if ARG is "--help" or "-h". */
bool cli_is_help(const char *arg);

/* Handles "--json" after the command: strips it from argv (in place) and sets cli->json.
 * Returns the new argc. */
int cli_take_json(struct cli *cli, int argc, char **argv);

/* Prints DOC (taking the reference) as one JSON document on stdout with keys sorted and
 * "schema": "macext/<KIND>/1" added. Returns 0 or an exit code if stdout failed. */
int cli_print_json(struct cli *cli, const char *kind, json_t *doc);

/* Findings output shared by `audit` and `profiles validate` (tools/macext/cli_findings.c).
 * TEXT: one line per finding ("<severity>: <path>[ (<arch>)][: <location>]: <message> [<rule>]")
 * and a summary line; JSON: {"findings": [...], "summary": {...}} plus EXTRA's members, kind
 * KIND; SARIF: a SARIF 2.1.0 log with one run whose tool is macext and one rule per rule id.
 * EXTRA (may be NULL) is consumed. Returns 0, or an exit code when stdout fails. */
enum cli_findings_format {
	CLI_FINDINGS_TEXT,
	CLI_FINDINGS_JSON,
	CLI_FINDINGS_SARIF,
};
struct macext_findings;
int cli_print_findings(struct cli *cli, const char *kind, const struct macext_findings *f,
		       enum cli_findings_format format, json_t *extra);

/* The acting user's password (ARCHITECTURE.md §2): from --password-file, else
 * $MACEXT_PASSWORD, else a prompt on the terminal (echo off). One trailing newline of a file
 * is dropped. On success *RET is the caller's (free) and 0 is returned; with no source, or
 * when the file cannot be read, an error is printed and its exit code returned
 * (tools/macext/cli_password.c). */
int cli_read_password(struct cli *cli, const char *prompt, char **ret);

/* Asks for and checks the acting user's password (--user, else the owner) for WHAT (a
 * command name for messages). 0 when it matches; otherwise prints the error and returns its
 * exit code (77 for a wrong password or unknown user). tools/macext/cli_auth.c. */
int cli_authenticate(struct cli *cli, const char *what);

/* Command entry points (one file each). */
int cmd_inspect(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_machine(struct cli *cli, int argc, char **argv);
int cmd_codesign(struct cli *cli, int argc, char **argv);
int cmd_profiles(struct cli *cli, int argc, char **argv);
int cmd_kmutil(struct cli *cli, int argc, char **argv);
int cmd_csrutil(struct cli *cli, int argc, char **argv);
int cmd_spctl(struct cli *cli, int argc, char **argv);
int cmd_kext(struct cli *cli, int argc, char **argv);
int cmd_approvals(struct cli *cli, int argc, char **argv);
int cmd_why(struct cli *cli, int argc, char **argv);
int cmd_reboot(struct cli *cli, int argc, char **argv);
