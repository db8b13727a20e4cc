/*
 * tools/macext/cmd_kext.c: `macext kext install|load|unload|list` (docs/kext.md).
 *
 * install, load and unload act as root does on a Mac (sudo): the acting user must be an
 * administrator and give the password (cli_authenticate); otherwise exit 77. load prints
 * what the modeled release's tool prints: nothing on success; on a refusal macext's own
 * line, then kextload/kextutil's lines (<= 10.15) or kmutil's KMErrorDomain line (11+), and
 * exits with that tool's status (27 approval, 28 restart, 29 signature, 71 other; kexts.md
 * §2.3-2.5, §9 P19). A new block also shows the "System Extension Blocked" alert (on
 * stdout, and in the event log). list looks like `kmutil showloaded`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/kextload.h"

static const char usage[] = "macext kext install BUNDLE [--to DIR] | load ID|PATH | unload ID | "
			    "list [--json]";

static int help(const char *u, const char *text)
{
	printf("usage: %s\n\n%s", u, text);
	return 0;
}

static int cmd_install(struct cli *cli, int argc, char **argv)
{
	static const char u[] = "macext kext install BUNDLE [--to DIR]";
	struct macext_diag diag = {0};
	const char *bundle = NULL, *to = NULL;
	char *path = NULL;
	int r, rc;

	argc = cli_take_json(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i]))
			return help(u, "Copies the kext bundle BUNDLE into the modeled Mac, into DIR (a "
				       "macOS path,\ndefault /Library/Extensions; e.g. "
				       "\"/Library/Application Support/Vendor\" or\n"
				       "/Applications/Foo.app/Contents/Library/Extensions), replacing "
				       "an installed\ncopy atomically. Needs an administrator's "
				       "password (sudo).\n\nexit codes: 0 ok, 64 usage, 66 no such "
				       "bundle, 77 not permitted\n");
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (argv[i][0] == '-' || bundle)
			return cli_usage_error(u, "kext install: unexpected argument '%s'", argv[i]);
		else
			bundle = argv[i];
	}
	if (!bundle)
		return cli_usage_error(u, "kext install: missing BUNDLE");
	if (to && to[0] != '/')
		return cli_usage_error(u, "kext install: --to takes a macOS path starting with /");
	rc = cli_authenticate(cli, "kext install");
	if (rc != 0)
		return rc;
	r = macext_kext_install(cli->ctx, cli->user, bundle, to, &path, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "kext install: %s", bundle);
	if (cli->json) {
		rc = cli_print_json(cli, "kext-install", json_pack("{s:s}", "path", path));
	} else {
		if (!cli->quiet)
			printf("installed %s\n", path);
		rc = 0;
	}
	free(path);
	return rc;
}

static void print_load_failure(struct cli *cli, const char *what,
			       const struct macext_load_result *lr)
{
	const char *why = lr->exit_code == 27   ? "needs user approval"
			  : lr->exit_code == 28 ? "needs a restart"
			  : lr->exit_code == 29 ? "signature authentication failed"
						: "cannot be loaded";

	(void)cli;
	fflush(stdout); /* the alert first, as the user sees it */
	fprintf(stderr, "macext: kext load: %s: %s\n", lr->path ? lr->path : what, why);
	if (lr->message)
		fprintf(stderr, "%s\n", lr->message);
}

static int cmd_load(struct cli *cli, int argc, char **argv)
{
	static const char u[] = "macext kext load ID|PATH [--json]";
	struct macext_load_result lr = {0};
	struct macext_diag diag = {0};
	int r, rc;

	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1]))
		return help(u, "Loads the kext ID (bundle identifier) or PATH (its macOS path, or a "
			       "path under the\nroot) on the modeled Intel Mac, its third-party "
			       "dependencies first, as kextload\n(10.13-10.15) or kmutil load (11+) "
			       "would: staging, exclude list, signature, SIP,\ndeprecated KPIs, "
			       "user approval (KextPolicy, MDM, spctl kext-consent), and on 11+\n"
			       "the Auxiliary Kernel Collection. Needs an administrator's password "
			       "(sudo).\n\nexit codes: 0 loaded, 27 needs user approval (System "
			       "policy prevents loading),\n28 approved, restart needed (11+), 29 bad "
			       "signature (11+), 64 usage, 66 no such kext,\n71 refused for another "
			       "reason, 77 not permitted\n");
	if (argc != 2)
		return cli_usage_error(u, "kext load: expected one ID or PATH");
	rc = cli_authenticate(cli, "kext load");
	if (rc != 0)
		return rc;
	r = macext_kext_load(cli->ctx, cli->user, argv[1], 0, &lr, &diag);
	if (r < 0) {
		rc = cli_fail(cli, r, &diag, "kext load: %s", argv[1]);
		goto out;
	}
	rc = lr.exit_code;
	if (cli->json) {
		int jr = cli_print_json(
			cli, "kext-load",
			json_pack("{s:s, s:i, s:s?, s:s, s:s, s:s?}", "decision",
				  macext_decision_name(lr.decision), "exit_code", lr.exit_code,
				  "message", lr.message, "bundle_id", lr.bundle_id, "path", lr.path,
				  "alert", lr.alert_text));
		if (jr)
			rc = jr;
		goto out;
	}
	if (lr.alert_text && !cli->quiet)
		printf("%s\n", lr.alert_text);
	if (rc != 0)
		print_load_failure(cli, argv[1], &lr);
out:
	macext_load_result_clear(&lr);
	return rc;
}

static int cmd_unload(struct cli *cli, int argc, char **argv)
{
	static const char u[] = "macext kext unload ID";
	struct macext_diag diag = {0};
	int r, rc;

	if (argc == 2 && cli_is_help(argv[1]))
		return help(u, "Unloads the loaded kext ID. Needs an administrator's password "
			       "(sudo).\n\nexit codes: 0 ok, 64 usage, 66 not loaded, 77 not "
			       "permitted\n");
	if (argc != 2)
		return cli_usage_error(u, "kext unload: expected one bundle ID");
	rc = cli_authenticate(cli, "kext unload");
	if (rc != 0)
		return rc;
	r = macext_kext_unload(cli->ctx, cli->user, argv[1], &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "kext unload: %s", argv[1]);
	return 0;
}

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const char u[] = "macext kext list [--json]";
	struct macext_kext_info *v = NULL;
	struct macext_diag diag = {0};
	size_t n = 0;
	int r;

	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1]))
		return help(u, "Lists the loaded third-party kexts like kmutil showloaded.\n\n"
			       "options:\n  --json   loaded[] of {bundle_id, version, team_id, path} "
			       "(schema macext/kext-list/1)\n");
	if (argc != 1)
		return cli_usage_error(u, "kext list: unexpected argument '%s'", argv[1]);
	r = macext_kext_loaded(cli->ctx, &v, &n, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "kext list");
	if (cli->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "bundle_id",
							   v[i].bundle_id, "version",
							   v[i].version ? v[i].version : "",
							   "team_id", v[i].team_id, "path",
							   v[i].path ? v[i].path : "", "uuid",
							   v[i].uuid));
		r = cli_print_json(cli, "kext-list", json_pack("{s:o}", "loaded", a));
	} else {
		printf("No variant specified, falling back to release\n");
		printf("Index Refs Address            Size       Wired      UUID                       "
		       "          Name (Version) <Linked Against>\n");
		for (size_t i = 0; i < n; i++)
			printf("%5zu %4d %-18s %-10s %-10s %-36s %s (%s) <>\n", i + 1, 0, "0", "0",
			       "0", v[i].uuid ? v[i].uuid : "-", v[i].bundle_id,
			       v[i].version ? v[i].version : "");
		r = 0;
	}
	macext_kext_infos_free(v, n);
	return r;
}

int cmd_kext(struct cli *cli, int argc, char **argv)
{
	static const struct cmd table[] = {
		{"install", cmd_install, "install a kext bundle into the modeled Mac"},
		{"load", cmd_load, "load a kext (kextload / kmutil load)"},
		{"unload", cmd_unload, "unload a loaded kext"},
		{"list", cmd_list, "list loaded kexts (kmutil showloaded)"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, "kext", usage, table, argc, argv);
}
