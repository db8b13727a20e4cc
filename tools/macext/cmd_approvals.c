/*
 * tools/macext/cmd_approvals.c: `macext approvals list|approve|history` (docs/approvals.md),
 * the Privacy & Security pane (Security & Privacy before macOS 13).
 *
 * list shows the kexts whose blocked load is less than 30 minutes old (the pane's
 * "System software from developer “…” was blocked from loading.", with the end of the
 * window) and the approved kexts. approve ID|TEAMID clicks Allow: from macOS 11 it needs
 * the acting user's password (kexts.md §9 P5) and exits 77 for a non-administrator; a kext
 * that is not pending (never blocked, or blocked 30 minutes ago or more) exits 69.
 * history shows kext_load_history_v3 as stored.
 *
 * On a forensic root (a mounted image: no .macext/, a KextPolicy file; macext/forensic.h)
 * list and history read Apple's tables read-only and also print the raw kext_policy rows
 * under Apple's column names; approve never gets here (main.c's gate exits 69).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/forensic.h"
#include "macext/kextload.h"

static const char usage[] =
	"macext approvals list [--json] | approve ID|TEAMID | history [--json]";

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

/* A stored value as JSON: an integer literal stays an integer (Apple stores allowed as 0
 * and 1), other text stays text, NULL is null. */
static json_t *raw_json(const char *raw)
{
	char *end = NULL;
	long long v;

	if (!raw)
		return json_null();
	v = strtoll(raw, &end, 10);
	if (*raw && end && *end == '\0' && (raw[0] != '0' || raw[1] == '\0') &&
	    !(raw[0] == '-' && raw[1] == '0'))
		return json_integer(v);
	return json_string(raw);
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* kext_policy rows under Apple's column names (ARCHITECTURE §4: a KextPolicy row keeps
 * Apple's key names). */
static json_t *policy_rows_json(const struct macext_kextpolicy_dump *d)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->npolicy; i++) {
		const struct macext_kext_policy *p = &d->policy[i];

		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:I}", "team_id",
						   opt_str(p->team_id), "bundle_id",
						   opt_str(p->bundle_id), "allowed",
						   raw_json(p->allowed_raw), "developer_name",
						   opt_str(p->developer_name), "flags",
						   (json_int_t)p->flags));
	}
	return a;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void print_infos(const char *title, const struct macext_kext_info *v, size_t n)
{
	printf("%s:%s\n", title, n ? "" : " none");
	for (size_t i = 0; i < n; i++)
		printf("    %s  team %s  developer \u201c%s\u201d  %s\n", v[i].bundle_id,
		       *v[i].team_id ? v[i].team_id : "(none)", or_empty(v[i].developer_name),
		       *v[i].path ? v[i].path : "(no load recorded)");
}

/* `approvals list` on a forensic root: the pane's view of Apple's rows (P3), then the rows. */
static int list_forensic(struct cli *cli)
{
	struct macext_kext_info *p = NULL, *a = NULL, *b = NULL;
	struct macext_kextpolicy_dump d = {0};
	struct macext_diag diag = {0};
	size_t np = 0, na = 0, nb = 0;
	int r;

	r = macext_kextpolicy_dump_read(cli->ctx, &d, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "approvals list");
	r = macext_kextpolicy_pane(&d, cli->ctx->now, &p, &np, &a, &na, &b, &nb);
	if (r < 0) {
		r = cli_fail(cli, r, NULL, "approvals list");
		goto out;
	}
	if (cli->json) {
		r = cli_print_json(cli, "approvals",
				   json_pack("{s:o, s:o, s:o, s:o, s:b, s:s}", "pending",
					     infos_json(p, np, true), "approved",
					     infos_json(a, na, false), "blocked",
					     infos_json(b, nb, false), "kext_policy",
					     policy_rows_json(&d), "forensic", true, "database",
					     d.path));
		goto out;
	}
	printf("forensic root: %s (read-only)\n", d.path);
	printf("pending approvals:%s\n", np ? "" : " none");
	for (size_t i = 0; i < np; i++) {
		char t[21];

		macext_time_format(p[i].expires, t);
		printf("    %s  team %s  developer \u201c%s\u201d  %s  Allow until %s\n",
		       p[i].bundle_id, *p[i].team_id ? p[i].team_id : "(none)",
		       or_empty(p[i].developer_name), p[i].path, t);
	}
	print_infos("approved", a, na);
	print_infos("blocked", b, nb);
	printf("kext_policy (team_id|bundle_id|allowed|developer_name|flags): %zu rows\n",
	       d.npolicy);
	for (size_t i = 0; i < d.npolicy; i++)
		printf("  %s|%s|%s|%s|%lld\n", or_empty(d.policy[i].team_id),
		       or_empty(d.policy[i].bundle_id), or_empty(d.policy[i].allowed_raw),
		       or_empty(d.policy[i].developer_name), (long long)d.policy[i].flags);
	r = 0;
out:
	macext_kext_infos_free(p, np);
	macext_kext_infos_free(a, na);
	macext_kext_infos_free(b, nb);
	macext_kextpolicy_dump_clear(&d);
	return r;
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
			       "           expires (pending only)} (schema macext/approvals/1)\n\n"
			       "On a forensic root (a mounted image: no .macext/, a KextPolicy file) "
			       "the file is\nread read-only: pending, approved and blocked come from "
			       "Apple's kext_policy and\nkext_load_history_v3 rows, and kext_policy[] "
			       "lists the raw rows under Apple's\ncolumn names.\n");
	if (argc != 1)
		return cli_usage_error(u, "approvals list: unexpected argument '%s'", argv[1]);
	r = macext_forensic_root(cli->ctx, NULL);
	if (r < 0)
		return cli_fail(cli, r, NULL, "approvals list: %s", cli->root);
	if (r == 1)
		return list_forensic(cli);
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

static int cmd_history(struct cli *cli, int argc, char **argv)
{
	static const char u[] = "macext approvals history [--json]";
	struct macext_kextpolicy_dump d = {0};
	struct macext_diag diag = {0};
	int r;

	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1]))
		return help(u, "Shows kext_load_history_v3 of the KextPolicy database: every kext "
			       "bundle path the\nMac saw load or try to load, as stored (times in "
			       "UTC, flags uninterpreted).\nOn a forensic root the file is read "
			       "read-only.\n\noptions:\n  --json   kext_load_history_v3[] of {path, "
			       "team_id, bundle_id, boot_uuid,\n           created_at, last_seen, "
			       "flags[, cdhash]} (schema macext/approvals-history/1)\n");
	if (argc != 1)
		return cli_usage_error(u, "approvals history: unexpected argument '%s'", argv[1]);
	r = macext_kextpolicy_dump_read(cli->ctx, &d, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "approvals history");
	if (cli->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < d.nhistory; i++) {
			const struct macext_kext_load_history *h = &d.history[i];
			json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "path",
					      opt_str(h->path), "team_id", opt_str(h->team_id),
					      "bundle_id", opt_str(h->bundle_id), "boot_uuid",
					      opt_str(h->boot_uuid), "created_at",
					      opt_str(h->created_at), "last_seen",
					      opt_str(h->last_seen), "flags", (json_int_t)h->flags);

			if (d.has_cdhash)
				json_object_set_new(o, "cdhash", opt_str(h->cdhash));
			json_array_append_new(a, o);
		}
		r = cli_print_json(cli, "approvals-history",
				   json_pack("{s:o, s:b, s:s}", "kext_load_history_v3", a,
					     "forensic", d.forensic, "database", d.path));
		goto out;
	}
	printf("%s%s\n", d.path, d.forensic ? " (forensic root, read-only)" : "");
	printf("kext_load_history_v3 (path|team_id|bundle_id|boot_uuid|created_at|last_seen|"
	       "flags%s): %zu rows\n",
	       d.has_cdhash ? "|cdhash" : "", d.nhistory);
	for (size_t i = 0; i < d.nhistory; i++) {
		const struct macext_kext_load_history *h = &d.history[i];

		printf("  %s|%s|%s|%s|%s|%s|%lld", or_empty(h->path), or_empty(h->team_id),
		       or_empty(h->bundle_id), or_empty(h->boot_uuid), or_empty(h->created_at),
		       or_empty(h->last_seen), (long long)h->flags);
		if (d.has_cdhash)
			printf("|%s", or_empty(h->cdhash));
		putchar('\n');
	}
	r = 0;
out:
	macext_kextpolicy_dump_clear(&d);
	return r;
}

int cmd_approvals(struct cli *cli, int argc, char **argv)
{
	static const struct cmd table[] = {
		{"list", cmd_list, "pending and approved kexts (the Privacy & Security pane)"},
		{"approve", cmd_approve, "allow a blocked kext, or every blocked kext of a team"},
		{"history", cmd_history, "kexts the Mac saw load or try to load (kext_load_history_v3)"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, "approvals", usage, table, argc, argv);
}
