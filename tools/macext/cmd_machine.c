/*
 * tools/macext/cmd_machine.c: `macext machine init|show|adduser|upgrade` (docs/machine.md).
 *
 * init reads the owner's password here (cli_read_password) and hands it to
 * macext_machine_init(); show prints macext_machine_load()'s description, as text or as
 * macext/machine/1 JSON. init --json prints the same document as show --json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/machine.h"
#include "macext/machine_state.h"

static const char group_usage[] = "macext machine init|show|adduser|upgrade [<options>]";
static const char init_usage[] =
	"macext machine init [--arch x86_64|x86_64-t2|arm64] [--macos V] [--admin NAME]\n"
	"              [--enroll none|user-approved|ade|user-enrollment] [--trust-anchor PEM]\n"
	"              [--password-file FILE] [--force] [--json]";
static const char show_usage[] = "macext machine show [--json]";
static const char adduser_usage[] = "macext machine adduser NAME [--admin] [--password-file FILE]";
static const char upgrade_usage[] = "macext machine upgrade --macos V [--json]";

static json_t *info_json(struct cli *cli, const struct macext_machine_info *m)
{
	json_t *accounts = json_array();
	char created[21], macos[16];

	macext_time_format(m->created, created);
	macext_macos_format(&m->macos, macos);
	for (size_t i = 0; i < m->naccounts; i++)
		json_array_append_new(accounts, json_pack("{s:s, s:b, s:b}", "name",
							  m->accounts[i].name, "admin",
							  m->accounts[i].admin, "owner",
							  m->accounts[i].owner));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:b, s:I}, s:s, s:o, s:I, s:I}",
			 "root", cli->root, "arch", m->arch, "macos", macos, "enrollment",
			 m->enrollment, "volume_group_uuid", m->volume_group_uuid, "created",
			 created, "sip", "enabled", m->csr_active_config == 0, "csr_active_config",
			 (json_int_t)m->csr_active_config, "boot_state", m->boot_state, "accounts",
			 accounts, "system_kexts", (json_int_t)m->nsystem_kexts, "trust_anchors",
			 (json_int_t)m->ntrust_anchors);
}

static void print_info(struct cli *cli, const struct macext_machine_info *m)
{
	char created[21], macos[16];

	macext_time_format(m->created, created);
	macext_macos_format(&m->macos, macos);
	printf("modeled Mac at %s\n", cli->root);
	printf("  arch:              %s\n", m->arch);
	printf("  macOS:             %s\n", macos);
	printf("  enrollment:        %s\n", m->enrollment);
	printf("  volume group UUID: %s\n", m->volume_group_uuid);
	printf("  created:           %s\n", created);
	printf("  SIP:               %s (csr-active-config 0x%x)\n",
	       m->csr_active_config == 0 ? "enabled" : "disabled or custom", m->csr_active_config);
	printf("  boot state:        %s\n", m->boot_state);
	printf("  Apple kexts:       %zu\n", m->nsystem_kexts);
	printf("  trust anchors:     %zu\n", m->ntrust_anchors);
	for (size_t i = 0; i < m->naccounts; i++)
		printf("  account:           %s%s%s\n", m->accounts[i].name,
		       m->accounts[i].admin ? " (admin)" : "", m->accounts[i].owner ? " (owner)" : "");
}

static int show(struct cli *cli)
{
	struct macext_machine_info *m = NULL;
	struct macext_diag diag = {0};
	int r;

	r = macext_machine_load(cli->ctx, &m, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", cli->root);
	if (cli->json) {
		r = cli_print_json(cli, "machine", info_json(cli, m));
	} else {
		print_info(cli, m);
		r = 0;
	}
	macext_machine_info_free(m);
	return r;
}

static int show_help(const char *usage, const char *text)
{
	printf("usage: %s\n\n%s", usage, text);
	return 0;
}

static int cmd_show(struct cli *cli, int argc, char **argv)
{
	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1]))
		return show_help(show_usage,
				 "Describes the modeled Mac at the root: architecture, macOS release,\n"
				 "enrollment, boot volume group UUID, SIP, boot state, accounts.\n\n"
				 "options:\n  --json   print one JSON document (schema macext/machine/1)\n\n"
				 "exit codes: 0 ok, 64 usage, 66 no modeled Mac at the root,\n"
				 "78 the modeled Mac's files are damaged\n");
	if (argc > 1)
		return cli_usage_error(show_usage, "machine show: unexpected argument '%s'", argv[1]);
	return show(cli);
}

static const char init_help[] =
	"Creates the modeled Mac at the root (--root, $MACEXT_ROOT or the default): the macOS\n"
	"folders, the Apple kexts of the release under System/Library/Extensions, and .macext/\n"
	"(machine, NVRAM with SIP on, the owner account, a SEP key, the event log). The owner's\n"
	"password comes from --password-file, $MACEXT_PASSWORD or a prompt on the terminal.\n"
	"Nothing is changed if it fails.\n\n"
	"options:\n"
	"  --arch A           arm64 (default), x86_64 or x86_64-t2\n"
	"  --macos V          the macOS release, e.g. 10.15.7, 11, 14 (default: the newest known)\n"
	"  --admin NAME       the owner's account name (default admin)\n"
	"  --enroll E         none (default), user-approved, ade or user-enrollment\n"
	"  --trust-anchor PEM record a test root certificate as a trust anchor\n"
	"  --password-file F  read the owner's password from F\n"
	"  --force            replace an existing modeled Mac\n"
	"  --json             print the new machine as macext/machine/1 JSON\n\n"
	"exit codes: 0 ok, 64 usage or no password source, 65 the anchor is not a PEM\n"
	"certificate, 66 the anchor file is missing, 73 a modeled Mac exists (no --force)\n";

static int cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"arch", required_argument, NULL, 'a'},	  {"macos", required_argument, NULL, 'm'},
		{"admin", required_argument, NULL, 'A'},  {"enroll", required_argument, NULL, 'e'},
		{"trust-anchor", required_argument, NULL, 't'},
		{"password-file", required_argument, NULL, 'p'},
		{"force", no_argument, NULL, 'f'},	  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct macext_machine_init_opts o = {0};
	struct macext_macos_version v;
	struct macext_diag diag = {0};
	char *password = NULL;
	int c, r;

	argc = cli_take_json(cli, argc, argv);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.arch = optarg;
			break;
		case 'm':
			if (macext_macos_parse(optarg, &v) < 0)
				return cli_usage_error(init_usage, "--macos: unknown macOS release '%s'",
						       optarg);
			o.macos = &v;
			break;
		case 'A':
			o.admin = optarg;
			break;
		case 'e':
			o.enrollment = optarg;
			break;
		case 't':
			o.trust_anchor = optarg;
			break;
		case 'p':
			cli->password_file = optarg;
			break;
		case 'f':
			o.flags |= MACEXT_MACHINE_INIT_FORCE;
			break;
		case 'h':
			return show_help(init_usage, init_help);
		case ':':
			return cli_usage_error(init_usage, "machine init: %s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error(init_usage, "machine init: unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(init_usage, "machine init: unexpected argument '%s'",
				       argv[optind]);
	r = cli_read_password(cli, "password for the new owner: ", &password);
	if (r != 0)
		return r;
	o.password = password;
	r = macext_machine_init(cli->ctx, &o, &diag);
	free(password);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", r == MACEXT_E_USAGE ? "machine init" : cli->root);
	if (cli->json)
		return show(cli);
	if (!cli->quiet)
		printf("created the modeled Mac at %s\n", cli->root);
	return 0;
}

static int cmd_adduser(struct cli *cli, int argc, char **argv)
{
	struct macext_diag diag = {0};
	const char *name = NULL;
	char *password = NULL;
	bool admin = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i]))
			return show_help(adduser_usage,
					 "Adds a local account to the modeled Mac. Its password comes\n"
					 "from --password-file, $MACEXT_PASSWORD or a prompt.\n\n"
					 "options:\n  --admin              make it an administrator\n"
					 "  --password-file F    read the new account's password from F\n\n"
					 "exit codes: 0 ok, 64 usage, 66 no modeled Mac, 73 the name is "
					 "taken\n");
		if (strcmp(argv[i], "--admin") == 0)
			admin = true;
		else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc)
			cli->password_file = argv[++i];
		else if (argv[i][0] == '-' || name)
			return cli_usage_error(adduser_usage, "machine adduser: unexpected '%s'",
					       argv[i]);
		else
			name = argv[i];
	}
	if (!name)
		return cli_usage_error(adduser_usage, "machine adduser: missing NAME");
	r = cli_read_password(cli, "password for the new account: ", &password);
	if (r != 0)
		return r;
	r = macext_machine_adduser(cli->ctx, name, password, admin, &diag);
	free(password);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", cli->root);
	if (!cli->quiet)
		printf("added %s%s\n", name, admin ? " (admin)" : "");
	return 0;
}

static int cmd_upgrade(struct cli *cli, int argc, char **argv)
{
	struct macext_machine_upgrade_result res = {0};
	struct macext_macos_version v;
	struct macext_diag diag = {0};
	char from[16], to[16];
	int r;

	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1]))
		return show_help(upgrade_usage,
				 "Moves the modeled Mac to a newer macOS release: its Apple kexts are\n"
				 "replaced by the new release's. From 10.12 or earlier to 10.13 or later,\n"
				 "the third-party kexts on disk are grandfathered first: they are listed\n"
				 "in .macext/migration.plist and load without approval (TN2459).\n\n"
				 "exit codes: 0 ok, 64 usage (or not a newer release), 65 a corrupt\n"
				 "KextPolicy, 66 no modeled Mac, 78 the modeled Mac's files are damaged\n");
	if (argc != 3 || strcmp(argv[1], "--macos") != 0)
		return cli_usage_error(upgrade_usage, "machine upgrade: expected --macos V");
	if (macext_macos_parse(argv[2], &v) < 0)
		return cli_usage_error(upgrade_usage, "--macos: unknown macOS release '%s'", argv[2]);
	r = macext_machine_upgrade(cli->ctx, &v, &res, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", r == MACEXT_E_USAGE ? "machine upgrade" : cli->root);
	macext_macos_format(&res.from, from);
	macext_macos_format(&res.to, to);
	if (cli->json)
		return cli_print_json(cli, "machine-upgrade",
				      json_pack("{s:s, s:s, s:b, s:I}", "from", from, "to", to,
						"migrated", res.migrated, "grandfathered",
						(json_int_t)res.ngrandfathered));
	if (!cli->quiet) {
		printf("upgraded the modeled Mac from macOS %s to %s\n", from, to);
		if (res.migrated)
			printf("grandfathered %zu third-party kext%s (.macext/migration.plist)\n",
			       res.ngrandfathered, res.ngrandfathered == 1 ? "" : "s");
	}
	return 0;
}

static const struct cmd machine_cmds[] = {
	{"init", cmd_init, "create the modeled Mac"},
	{"show", cmd_show, "describe the modeled Mac"},
	{"adduser", cmd_adduser, "add a local account"},
	{"upgrade", cmd_upgrade, "move the modeled Mac to a newer macOS release"},
	{NULL, NULL, NULL},
};

int cmd_machine(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "machine", group_usage, machine_cmds, argc, argv);
}
