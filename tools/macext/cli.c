/* tools/macext/cli.c: failure reporting, dispatch and JSON output shared by all commands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macext/error.h"

int cli_exit_code(int code)
{
	switch (code) {
	case 0:
		return 0;
	case -EBADMSG:
	case -ENOEXEC:
	case -E2BIG:
	case -EILSEQ:
		return EXIT_DATAERR;
	case -ENOENT:
	case -ENOTDIR:
		return EXIT_NOINPUT;
	case -EACCES:
	case -EPERM:
		return EXIT_NOPERM;
	case -EIO:
		return EXIT_IOERR;
	case -EROFS:
	case -ENOSPC:
	case -EEXIST:
		return EXIT_CANTCREAT;
	case MACEXT_E_NEEDS_RECOVERY:
		return EXIT_UNAVAILABLE;
	case MACEXT_E_BAD_MACHINE:
		return EXIT_CONFIG;
	case MACEXT_E_USAGE:
	case -EINVAL:
		return EXIT_USAGE;
	default:
		return EXIT_OSERR;
	}
}

int cli_fail(struct cli *cli, int code, const struct macext_diag *diag, const char *fmt, ...)
{
	va_list ap;

	(void)cli;
	fflush(stdout);
	fputs("macext: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (diag && diag->code != 0 && diag->msg[0])
		fprintf(stderr, ": %s", diag->msg);
	else
		fprintf(stderr, ": %s", macext_strerror(code));
	if (diag && diag->code != 0 && diag->has_offset)
		fprintf(stderr, " at offset 0x%llx", (unsigned long long)diag->offset);
	fputc('\n', stderr);
	return cli_exit_code(code);
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("macext: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return EXIT_USAGE;
}

void cli_warn(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->quiet)
		return;
	fputs("macext: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_take_json(struct cli *cli, int argc, char **argv)
{
	int out = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0) {
			cli->json = true;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

static void print_group_help(const char *group, const char *usage, const struct cmd *table)
{
	printf("usage: %s\n\nsubcommands of macext %s:\n", usage, group);
	for (const struct cmd *c = table; c->name; c++)
		printf("  %-14s %s\n", c->name, c->summary);
	printf("\nRun 'macext %s <subcommand> --help' for its options.\n", group);
}

int cli_dispatch(struct cli *cli, const char *group, const char *usage, const struct cmd *table,
		 int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(usage, "%s: missing subcommand", group);
	if (cli_is_help(argv[1])) {
		print_group_help(group, usage, table);
		return 0;
	}
	for (const struct cmd *c = table; c->name; c++) {
		if (strcmp(c->name, argv[1]) == 0)
			return c->run(cli, argc - 1, argv + 1);
	}
	return cli_usage_error(usage, "%s: unknown subcommand '%s'", group, argv[1]);
}

int cli_print_json(struct cli *cli, const char *kind, json_t *doc)
{
	char schema[64];
	int r;

	(void)cli;
	snprintf(schema, sizeof(schema), "macext/%s/1", kind);
	json_object_set_new(doc, "schema", json_string(schema));
	r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (r < 0 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
		fputs("macext: stdout: write failed\n", stderr);
		return EXIT_IOERR;
	}
	return 0;
}
