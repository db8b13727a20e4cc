/*
 * tools/macext/cmd_spctl.c: `macext spctl kext-consent status|enable|disable|add|remove|list`
 * (docs/spctl.md; kexts.md §1.6, §9 P8).
 *
 * The setting lives in the modeled NVRAM (macext_nvram_load/save). Reading works anywhere;
 * changes only when the modeled Mac is booted into recovery (macext_policy_consent_may_change),
 * else Apple's line `spctl: Modifications only available in Recovery OS` and exit 69. The
 * texts of the help and of status are Apple's. On arm64 models the setting is kept but
 * has no effect, and every action says so on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/machine.h"
#include "macext/machine_state.h"

static const char usage[] = "macext spctl kext-consent status|enable|disable|add TEAMID|"
			    "remove TEAMID|list";

/* Apple's help, kexts.md §1.6. */
static void print_help(void)
{
	printf("Kernel Extension User Consent Usage:\n"
	       "    spctl kext-consent <action>         ** Modifications only available in "
	       "Recovery OS **\n"
	       "        status\n"
	       "            Print whether kernel extension user consent is enabled or disabled.\n"
	       "        enable\n"
	       "            Enable requiring user consent for kernel extensions.\n"
	       "        disable\n"
	       "            Disable requiring user consent for kernel extensions.\n"
	       "        add <team-id>\n"
	       "            Insert a new Team Identifier into the list allowed to load kernel "
	       "extensions without user consent.\n"
	       "        list\n"
	       "            Print the list of Team Identifiers allowed to load without user "
	       "consent.\n"
	       "        remove <team-id>\n"
	       "            Remove a Team Identifier from the list allowed to load kernel "
	       "extensions without user consent.\n");
}

/* A Team ID: 10 upper-case ASCII letters or digits (kexts.md §3.3). */
static bool team_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	}
	return true;
}

static long find_team(const struct macext_nvram *n, const char *team)
{
	for (size_t i = 0; i < n->nkext_consent_teams; i++) {
		if (strcmp(n->kext_consent_teams[i], team) == 0)
			return (long)i;
	}
	return -1;
}

static int add_team(struct macext_nvram *n, const char *team)
{
	char **v, *t;

	if (find_team(n, team) >= 0)
		return 0;
	v = realloc(n->kext_consent_teams, (n->nkext_consent_teams + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n->kext_consent_teams = v;
	t = strdup(team);
	if (!t)
		return -ENOMEM;
	v[n->nkext_consent_teams++] = t;
	return 0;
}

static int print_state(struct cli *cli, const struct macext_nvram *n, bool list)
{
	json_t *teams;

	if (cli->json) {
		teams = json_array();
		for (size_t i = 0; i < n->nkext_consent_teams; i++)
			json_array_append_new(teams, json_string(n->kext_consent_teams[i]));
		return cli_print_json(cli, "kext-consent",
				      json_pack("{s:b, s:o}", "enabled", n->kext_consent_enabled,
						"teams", teams));
	}
	if (list) {
		for (size_t i = 0; i < n->nkext_consent_teams; i++)
			printf("%s\n", n->kext_consent_teams[i]);
	} else {
		printf("Kernel Extension User Consent: %s\n",
		       n->kext_consent_enabled ? "ENABLED" : "DISABLED");
	}
	return 0;
}

static int run(struct cli *cli, const char *action, const char *team)
{
	struct macext_machine_info *m = NULL;
	struct macext_nvram n = {0};
	struct macext_facts f = {0};
	struct macext_diag diag = {0};
	bool change = strcmp(action, "status") != 0 && strcmp(action, "list") != 0;
	long at;
	int r;

	r = macext_machine_load(cli->ctx, &m, &diag);
	if (r == 0)
		r = macext_nvram_load(cli->ctx, &n, &diag);
	if (r < 0) {
		r = cli_fail(cli, r, &diag, "%s", cli->root);
		goto out;
	}
	if (strcmp(m->arch, "arm64") == 0)
		cli_warn(cli, "kext-consent has no effect on Apple silicon; this modeled Mac is "
			      "arm64 (kexts.md §9 P8)");
	if (!change) {
		r = print_state(cli, &n, strcmp(action, "list") == 0);
		goto out;
	}
	f.boot_state = n.boot_state;
	if (macext_policy_consent_may_change(&f) != 0) {
		fputs("spctl: Modifications only available in Recovery OS\n", stderr);
		r = cli_exit_code(MACEXT_E_NEEDS_RECOVERY);
		goto out;
	}
	r = 0;
	if (strcmp(action, "enable") == 0) {
		n.kext_consent_enabled = true;
	} else if (strcmp(action, "disable") == 0) {
		n.kext_consent_enabled = false;
	} else if (strcmp(action, "add") == 0) {
		r = add_team(&n, team);
	} else if ((at = find_team(&n, team)) < 0) {
		fprintf(stderr, "macext: spctl kext-consent remove: %s is not in the list\n", team);
		r = cli_exit_code(-ENOENT);
		goto out;
	} else {
		free(n.kext_consent_teams[at]);
		memmove(&n.kext_consent_teams[at], &n.kext_consent_teams[at + 1],
			(n.nkext_consent_teams - (size_t)at - 1) * sizeof(char *));
		n.nkext_consent_teams--;
	}
	if (r == 0)
		r = macext_nvram_save(cli->ctx, &n, &diag);
	if (r < 0)
		r = cli_fail(cli, r, &diag, "%s", cli->root);
out:
	macext_nvram_clear(&n);
	macext_machine_info_free(m);
	return r;
}

int cmd_spctl(struct cli *cli, int argc, char **argv)
{
	static const char *const actions[] = {"status", "enable", "disable", "list", NULL};
	const char *action;

	argc = cli_take_json(cli, argc, argv);
	if (argc < 2 || cli_is_help(argv[1]))
		return argc < 2 ? cli_usage_error(usage, "spctl: missing 'kext-consent'")
				: (printf("usage: %s\n\n", usage), print_help(), 0);
	if (strcmp(argv[1], "kext-consent") != 0)
		return cli_usage_error(usage, "spctl: only 'kext-consent' is modeled, not '%s'",
				       argv[1]);
	if (argc < 3 || cli_is_help(argv[2])) {
		print_help();
		return argc < 3 ? EXIT_USAGE : 0;
	}
	action = argv[2];
	if (strcmp(action, "add") == 0 || strcmp(action, "remove") == 0) {
		if (argc != 4)
			return cli_usage_error(usage, "spctl kext-consent %s: needs one TEAMID",
					       action);
		if (!team_id_ok(argv[3]))
			return cli_usage_error(usage,
					       "spctl kext-consent %s: '%s' is not a Team ID (10 "
					       "upper-case letters or digits)",
					       action, argv[3]);
		return run(cli, action, argv[3]);
	}
	for (size_t i = 0; actions[i]; i++) {
		if (strcmp(actions[i], action) != 0)
			continue;
		if (argc != 3)
			return cli_usage_error(usage, "spctl kext-consent %s: unexpected '%s'",
					       action, argv[3]);
		return run(cli, action, NULL);
	}
	return cli_usage_error(usage, "spctl kext-consent: unknown action '%s'", action);
}
