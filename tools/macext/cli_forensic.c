/*
 * tools/macext/cli_forensic.c: what may run on a forensic root (ARCHITECTURE §1: "a
 * read-only mounted image of a real Mac works as a root too (forensic mode: everything that
 * only reads)"; docs/approvals.md).
 *
 * Allowed there: `approvals list` and `approvals history` (they read the image's KextPolicy
 * read-only), the commands that never touch the root (inspect, audit, codesign, profiles
 * validate, kmutil inspect), a group's help, and --help anywhere. Everything else exits 69
 * before it starts: commands that change state would write into the image, and the other
 * reading commands need the modeled Mac's .macext/, which an image has not.
 */
#include "cli_forensic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/forensic.h"

struct sub {
	const char *cmd, *sub; /* sub NULL: every subcommand */
};

/* Run as usual on a forensic root. */
static const struct sub allowed[] = {
	{"approvals", "list"}, {"approvals", "history"}, {"inspect", NULL},
	{"audit", NULL},       {"codesign", NULL},      {"profiles", "validate"},
	{"kmutil", "inspect"},
};

/* Only read the modeled Mac (the rest change it). */
static const struct sub reading[] = {
	{"machine", "show"}, {"kext", "list"},       {"why", NULL},
	{"csrutil", "status"}, {"spctl", "status"}, {"spctl", "list"},
	{"profiles", "list"}, {"profiles", "show"},
};

static bool matches(const struct sub *v, size_t n, const char *cmd, const char *sub)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].cmd, cmd) == 0 && (!v[i].sub || (sub && strcmp(v[i].sub, sub) == 0)))
			return true;
	return false;
}

int cli_forensic_gate(struct cli *cli, int argc, char **argv)
{
	const char *sub = NULL;
	char *db = NULL;
	int r;

	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i]))
			return 0;
	r = macext_forensic_root(cli->ctx, &db);
	if (r < 0)
		return cli_fail(cli, r, NULL, "%s", cli->root);
	if (r == 0)
		return 0;
	/* spctl kext-consent SUB: the word after the group names the action */
	for (int i = 1; i < argc && !sub; i++)
		if (argv[i][0] != '-' && strcmp(argv[i], "kext-consent") != 0)
			sub = argv[i];
	if ((argc == 1 && strcmp(argv[0], "reboot") != 0 && strcmp(argv[0], "why") != 0) ||
	    matches(allowed, sizeof(allowed) / sizeof(allowed[0]), argv[0], sub)) {
		free(db);
		return 0;
	}
	fprintf(stderr,
		"macext: %s: a forensic root (no .macext/, KextPolicy at %s, read-only): '%s%s%s' "
		"%s; only 'approvals list' and 'approvals history' read it\n",
		cli->root, db, argv[0], sub ? " " : "", sub ? sub : "",
		matches(reading, sizeof(reading) / sizeof(reading[0]), argv[0], sub)
			? "needs a modeled Mac (machine init)"
			: "would change it and is not available");
	free(db);
	return EXIT_UNAVAILABLE;
}
