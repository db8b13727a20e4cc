/*
 * tools/macext/main.c: global options and the command table (STYLE.md §9.1).
 *
 * Parsing stops at the command (getopt's leading '+'); each command parses its own options.
 * The environment is read here and only here: $MACEXT_ROOT, $MACEXT_NOW, $XDG_STATE_HOME,
 * $HOME. The library gets it all through struct macext_ctx.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_forensic.h"
#include "macext/ctx.h"

static const struct cmd commands[] = {
	{"inspect", cmd_inspect, "show what a Mach-O file or kext bundle contains"},
	{"audit", cmd_audit, "report what would stop kexts loading, per macOS version"},
	{"machine", cmd_machine, "create and describe the modeled Mac"},
	{"codesign", cmd_codesign, "verify and describe code signatures like codesign"},
	{"profiles", cmd_profiles, "validate configuration profiles (kext and sysext policy)"},
	{"kmutil", cmd_kmutil, "build and inspect the auxiliary kernel collection"},
	{"csrutil", cmd_csrutil, "show or change System Integrity Protection (Intel, recovery)"},
	{"kext", cmd_kext, "install, load, unload and list kexts (kextload / kmutil)"},
	{"approvals", cmd_approvals, "approve blocked kexts (the Privacy & Security pane)"},
	{"why", cmd_why, "explain whether a kext would load here, rule by rule"},
	{"reboot", cmd_reboot, "restart the modeled Mac (--recovery: recoveryOS)"},
	{"spctl", cmd_spctl, "kext-consent: user consent for kexts (Intel, recovery)"},
	{NULL, NULL, NULL},
};

static const char usage[] =
	"macext [--root DIR] [--now TIME] [--user NAME] [--password-file FILE] [--json] [-q] [-v]\n"
	"              <command> [<args>]";

static void print_help(void)
{
	printf("usage: %s\n\n"
	       "Decides, on Linux, whether macOS would let third-party kernel code run, and says why.\n\n"
	       "commands:\n",
	       usage);
	for (const struct cmd *c = commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nglobal options:\n"
	       "  --root DIR           the modeled Mac (default $MACEXT_ROOT, else\n"
	       "                       $XDG_STATE_HOME/macext/mac, else ~/.local/state/macext/mac)\n"
	       "  --now TIME           the modeled clock, RFC 3339 (default $MACEXT_NOW, else now)\n"
	       "  --user NAME          the acting user (default: the machine's owner)\n"
	       "  --password-file FILE read the acting user's password from FILE\n"
	       "                       (else $MACEXT_PASSWORD, else a prompt on a terminal)\n"
	       "  --json               print one JSON document (also accepted after the command)\n"
	       "  -q, --quiet          print errors only\n"
	       "  -v, --verbose        print the library's debug log on stderr\n"
	       "  --version            print the version\n\n"
	       "exit codes: 0 ok, 1 check failed, 27 needs approval, 28 needs restart, 64 usage,\n"
	       "65 bad input, 66 input missing, 69 not available now, 71 OS error, 73 cannot create,\n"
	       "74 I/O error, 77 not permitted, 78 configuration error\n\n"
	       "Run 'macext <command> --help' for a command's options; docs/ has a page per command.\n");
}

/* $MACEXT_TEST_KILL_AT=<point>: tests only (docs/macext.md). The process kills itself at
 * that named point of a state change, so tests can check what a crash leaves. */
static void kill_at(void *userdata, const char *name)
{
	if (strcmp((const char *)userdata, name) == 0)
		raise(SIGKILL);
}

static char *default_root(void)
{
	const char *env = getenv("MACEXT_ROOT");
	const char *base;
	char *r = NULL;

	if (env && *env)
		return strdup(env);
	base = getenv("XDG_STATE_HOME");
	if (base && *base) {
		if (asprintf(&r, "%s/macext/mac", base) < 0)
			return NULL;
		return r;
	}
	base = getenv("HOME");
	if (asprintf(&r, "%s/.local/state/macext/mac", base && *base ? base : ".") < 0)
		return NULL;
	return r;
}

static void log_to_stderr(void *userdata, const char *line)
{
	(void)userdata;
	fprintf(stderr, "macext: debug: %s\n", line);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"now", required_argument, NULL, 'n'},
		{"user", required_argument, NULL, 'u'},
		{"password-file", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli cli = {.prog = "macext"};
	const char *now_text = getenv("MACEXT_NOW");
	char *root = NULL;
	int64_t now = (int64_t)time(NULL);
	int c, rc;

	while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			cli.root = optarg;
			break;
		case 'n':
			now_text = optarg;
			break;
		case 'u':
			cli.user = optarg;
			break;
		case 'p':
			cli.password_file = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'v':
			cli.verbose = true;
			break;
		case 'h':
			print_help();
			return 0;
		case 'V':
			printf("macext %s\n", MACEXT_VERSION_STRING);
			return 0;
		default:
			fprintf(stderr, "usage: %s\n", usage);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "missing command");
	if (now_text && *now_text && macext_time_parse(now_text, &now) < 0)
		return cli_usage_error(usage, "--now: '%s' is not an RFC 3339 time", now_text);
	if (!cli.root) {
		root = default_root();
		if (!root)
			return cli_fail(&cli, -ENOMEM, NULL, "root");
		cli.root = root;
	}
	for (const struct cmd *cmd = commands; cmd->name; cmd++) {
		if (strcmp(cmd->name, argv[optind]) != 0)
			continue;
		if (macext_ctx_new(&cli.ctx, now) < 0 || macext_ctx_set_root(cli.ctx, cli.root) < 0) {
			rc = cli_fail(&cli, -ENOMEM, NULL, "context");
			goto out;
		}
		if (cli.verbose)
			cli.ctx->log = log_to_stderr;
		if (getenv("MACEXT_TEST_KILL_AT") && *getenv("MACEXT_TEST_KILL_AT")) {
			cli.ctx->test_point = kill_at;
			cli.ctx->test_point_userdata = getenv("MACEXT_TEST_KILL_AT");
		}
		rc = cli_forensic_gate(&cli, argc - optind, argv + optind);
		if (rc == 0)
			rc = cmd->run(&cli, argc - optind, argv + optind);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			fputs("macext: stdout: write failed\n", stderr);
			rc = EXIT_IOERR;
		}
		goto out;
	}
	rc = cli_usage_error(usage, "unknown command '%s'", argv[optind]);
out:
	macext_ctx_free(cli.ctx);
	free(root);
	return rc;
}
