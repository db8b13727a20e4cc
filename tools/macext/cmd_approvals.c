/*
 * tools/macext/cmd_approvals.c: `macext approvals list|approve` (docs/approvals.md), the
 * Privacy & Security pane (Security & Privacy before macOS 13).
 *
 * list shows the kexts whose blocked load is less than 30 minutes old (the pane's
 * "System software from developer “…” was blocked from loading.", with the end of the
 * window) and the approved kexts. approve ID|TEAMID clicks Allow: from macOS 11 it needs
 * the acting user's password (kexts.md §9 P5) and exits 77 for a non-administrator; a kext
 * that is not pending (never blocked, or blocked 30 minutes ago or more) exits 69.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/kextload.h"

static const char usage[] = "macext approvals list [--json] | approve ID|TEAMID";

static int help(const char *u, const char *text)
{
	printf("usage: %s\n\n%s", u, text);
	return 0;
}

static json_t *infos_json(const struct macext_kext_info *v, size_t n, bool pending)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s?, s:s}", "bundle_id", v[i].bundle_id, "team_id",
				      v[i].team_id, "developer_name", v[i].developer_name, "path",
				      v[i].path);
		if (pending) {
			char t[21];

			macext_time_format(v[i].expires, t);
			json_object_set_new(o, "expires", json_string(t));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const char u[] = "macext approvals list [--json]";
	struct macext_kext_info *p = NULL, *a = NULL;
	struct macext_diag diag = {0};
	size_t np = 0, na = 0;
	int r;

	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1]))
		return help(u, "Shows what the Privacy & Security pane offers: kexts blocked less "
			       "than 30 minutes ago\n(modeled clock) with the end of their window, "
			       "and the approved kexts.\n\noptions:\n  --json   pending[] and "
			       "approved[] of {bundle_id, team_id, developer_name, path,\n"
			       "           expires (pending only)} (schema macext/approvals/1)\n");
	if (argc != 1)
		return cli_usage_error(u, "approvals list: unexpected argument '%s'", argv[1]);
	r = macext_approvals_list(cli->ctx, &p, &np, &a, &na, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "approvals list");
	if (cli->json) {
		r = cli_print_json(cli, "approvals",
				   json_pack("{s:o, s:o}", "pending", infos_json(p, np, true),
					     "approved", infos_json(a, na, false)));
		goto out;
	}
	printf("pending approvals:%s\n", np ? "" : " none");
	if (np > 1)
		printf("  Some system software was blocked from loading.\n");
	for (size_t i = 0; i < np; i++) {
		char t[21];

		macext_time_format(p[i].expires, t);
		if (np == 1)
			printf("  System software from developer \u201c%s\u201d was blocked from "
			       "loading.\n",
			       p[i].developer_name ? p[i].developer_name : "");
		printf("    %s  team %s  developer \u201c%s\u201d  %s  Allow until %s\n",
		       p[i].bundle_id, *p[i].team_id ? p[i].team_id : "(none)",
		       p[i].developer_name ? p[i].developer_name : "", p[i].path, t);
	}
	printf("approved:%s\n", na ? "" : " none");
	for (size_t i = 0; i < na; i++)
		printf("    %s  team %s  developer \u201c%s\u201d  %s\n", a[i].bundle_id,
		       *a[i].team_id ? a[i].team_id : "(none)",
		       a[i].developer_name ? a[i].developer_name : "",
		       *a[i].path ? a[i].path : "(not installed)");
	r = 0;
out:
	macext_kext_infos_free(p, np);
	macext_kext_infos_free(a, na);
	return r;
}

static int cmd_approve(struct cli *cli, int argc, char **argv)
{
	static const char u[] = "macext approvals approve ID|TEAMID [--json]";
	struct macext_approve_result res = {0};
	struct macext_diag diag = {0};
	bool need = false;
	int r, rc;

	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1]))
		return help(u, "Clicks Allow in the Privacy & Security pane for the pending kext ID, "
			       "or for every\npending kext of the Team ID TEAMID. Other kexts of the "
			       "same team in the same\napp bundle, /Library/Application Support "
			       "folder, or /Library/Extensions are\napproved with it. Up to 10.15 "
			       "the blocked load runs at once; from 11 the\nAuxiliary Kernel "
			       "Collection is rebuilt and the kexts load after a restart.\nFrom "
			       "macOS 11 an administrator's password is needed.\n\nexit codes: 0 "
			       "approved, 64 usage, 69 nothing pending (load the kext again),\n"
			       "77 not permitted\n");
	if (argc != 2)
		return cli_usage_error(u, "approvals approve: expected one ID or TEAMID");
	r = macext_approvals_need_password(cli->ctx, &need, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", cli->root);
	if (need && (rc = cli_authenticate(cli, "approvals approve")) != 0)
		return rc;
	r = macext_approvals_approve(cli->ctx, cli->user, argv[1], &res, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "approvals approve: %s", argv[1]);
	rc = res.exit_code;
	if (rc != 0) {
		fprintf(stderr, "macext: approvals approve: %s: %s\n", argv[1], res.reason);
		goto out;
	}
	if (cli->json) {
		json_t *a = infos_json(res.approved, res.napproved, false);

		for (size_t i = 0; i < res.napproved; i++)
			json_object_set_new(json_array_get(a, i), "co_approved",
					    json_boolean(i >= res.nrequested));
		rc = cli_print_json(cli, "approvals-approve",
				    json_pack("{s:o, s:o, s:b}", "approved", a, "loaded",
					      infos_json(res.loaded, res.nloaded, false),
					      "restart_needed", res.restart_needed));
		goto out;
	}
	for (size_t i = 0; i < res.napproved && !cli->quiet; i++)
		printf("approved %s (team %s, developer \u201c%s\u201d)%s\n", res.approved[i].bundle_id,
		       res.approved[i].team_id,
		       res.approved[i].developer_name ? res.approved[i].developer_name : "",
		       i >= res.nrequested ? " with it (same team, same place)" : "");
	for (size_t i = 0; i < res.nloaded && !cli->quiet; i++)
		printf("loaded %s\n", res.loaded[i].bundle_id);
	if (res.restart_needed && !cli->quiet)
		printf("the new Auxiliary Kernel Collection is built; restart (macext reboot) to "
		       "load it\n");
out:
	macext_approve_result_clear(&res);
	return rc;
}

int cmd_approvals(struct cli *cli, int argc, char **argv)
{
	static const struct cmd table[] = {
		{"list", cmd_list, "pending and approved kexts (the Privacy & Security pane)"},
		{"approve", cmd_approve, "allow a blocked kext, or every blocked kext of a team"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, "approvals", usage, table, argc, argv);
}
