/*
 * tools/macext/cmd_profiles.c: `macext profiles validate` (docs/profiles.md).
 *
 * Each FILE is read (macext_profile_read), its signature checked against the
 * --trust-anchor PEMs (macext_profile_verify) and its content validated
 * (macext_profile_validate); all findings go out through cli_print_findings. A file that
 * cannot be read as a profile at all stops the run with one line on stderr and exit 65
 * (66 if missing), before anything reaches stdout. --check-team/--check-bundle-id ask
 * whether each profile approves that kext (macext_profile_check_kext); --check PATH takes
 * both from a kext bundle (cmd_profiles_check.c), the two options overriding it.
 * install/remove/list/show: cmd_profiles_show.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_profiles.h"
#include "macext/finding.h"
#include "macext/profile.h"
#include "util/file.h"

/* Files are mapped up to this size; the reader's own limit (16 MiB) then applies. */
#define PROFILE_MAP_MAX (64u * 1024 * 1024)
#define ANCHOR_MAX (1u * 1024 * 1024)
#define MAX_ANCHORS 16

static const char group_usage[] =
	"macext profiles validate|install|remove|list|show ... [options]";

static const char validate_usage[] =
	"macext profiles validate FILE... [--macos V] [--json | --sarif] [--trust-anchor PEM]...\n"
	"              [--check PATH] [--check-team TEAMID --check-bundle-id ID]";

static void validate_help(void)
{
	printf("usage: %s\n\n"
	       "Reads configuration profiles (XML or binary plist, optionally CMS-signed), checks\n"
	       "the signature and lints the envelope and the kernel-extension-policy and\n"
	       "system-extension-policy payloads.\n\n"
	       "options:\n"
	       "  --macos V              warn about keys newer than macOS V (default: the newest)\n"
	       "  --json                 findings as JSON (schema macext/profiles-validate/1)\n"
	       "  --sarif                findings as SARIF 2.1.0\n"
	       "  --trust-anchor PEM     trust this root for profile signatures (repeatable)\n"
	       "  --check-team TEAMID    with --check-bundle-id: would each profile approve this\n"
	       "  --check-bundle-id ID   kext? (TEAMID \"\" = unsigned)\n"
	       "  --check PATH           the same for a kext bundle: its bundle ID and the Team ID\n"
	       "                         of its signature (the two options above override)\n\n"
	       "exit codes: 0 no error findings, 1 error findings, 64 usage, 65 not a readable\n"
	       "profile, 66 file missing\n",
	       validate_usage);
}

struct validate_opts {
	struct macext_macos_version macos;
	bool have_macos, sarif;
	const char *check_team, *check_bundle, *check_path;
	struct profiles_kext_id kext;
	struct macext_profile_anchor anchors[MAX_ANCHORS];
	char *anchor_bufs[MAX_ANCHORS];
	size_t n_anchors;
};

static json_t *check_json(const struct macext_profile_check *c, const struct validate_opts *o)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:s, s:b}", "team_id", o->check_team,
			      "bundle_id", o->check_bundle, "verdict",
			      macext_profile_verdict_name(c->verdict), "location",
			      c->location[0] ? json_string(c->location) : json_null(), "reason",
			      c->reason, "non_admin_may_approve", c->non_admin);

	if (o->check_path)
		json_object_set_new(j, "kext", profiles_kext_id_json(&o->kext));
	return j;
}

/* Reads, verifies, validates and checks one file; adds its JSON record to PROFILES. Returns
 * 0 or an exit code (after one line on stderr). */
static int validate_one(struct cli *cli, const char *path, const struct validate_opts *o,
			struct macext_findings *f, json_t *profiles, json_t *checks_text)
{
	struct macext_profile_validate_opts vo = {.macos = o->have_macos ? &o->macos : NULL,
						  .now = cli->ctx->now};
	struct macext_profile_sig sig = {0};
	struct macext_profile *p = NULL;
	struct macext_diag diag = {0};
	struct mx_map map = MX_MAP_INIT;
	json_t *rec;
	int r, rc = 0;

	r = mx_map_file(&map, path, PROFILE_MAP_MAX, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", path);
	r = macext_profile_read(&p, map.data, map.len, &diag);
	if (r < 0) {
		rc = cli_fail(cli, r, &diag, "%s", path);
		goto out;
	}
	r = macext_profile_verify(&sig, p, o->anchors, o->n_anchors, cli->ctx->now, path, f);
	if (r == 0)
		r = macext_profile_validate(p, &vo, path, f);
	if (r < 0) {
		rc = cli_fail(cli, r, NULL, "%s", path);
		goto out;
	}
	rec = json_pack("{s:s, s:s, s:b, s:o}", "path", path, "form",
			macext_profile_form_name(p->form), "binary_plist", p->plist_binary,
			"signature", profiles_sig_json(&sig));
	if (o->check_team) {
		struct macext_profile_check c;

		macext_profile_check_kext(&c, p, o->check_team, o->check_bundle);
		json_object_set_new(rec, "check", check_json(&c, o));
		if (o->check_path)
			json_array_append_new(
				checks_text,
				json_sprintf("%s: kext %s: bundle ID %s, Team ID %s, %s signature%s", path,
					     o->kext.path, o->kext.bundle_id,
					     *o->kext.team_id ? o->kext.team_id : "\"\" (none)",
					     o->kext.kind, o->kext.valid ? "" : " (not valid: "
					     "macOS refuses the kext before MDM is consulted)"));
		json_array_append_new(
			checks_text,
			json_sprintf("%s: check %s %s: %s: %s%s%s", path,
				     *o->check_team ? o->check_team : "\"\"", o->check_bundle,
				     macext_profile_verdict_name(c.verdict), c.reason,
				     c.location[0] ? " at " : "", c.location));
	}
	json_array_append_new(profiles, rec);
out:
	macext_profile_sig_clear(&sig);
	macext_profile_free(p);
	mx_unmap(&map);
	return rc;
}

static int add_anchor(struct cli *cli, struct validate_opts *o, const char *path)
{
	struct macext_diag diag = {0};
	size_t len = 0;
	int r;

	if (o->n_anchors == MAX_ANCHORS)
		return cli_usage_error(validate_usage, "--trust-anchor: at most %d", MAX_ANCHORS);
	r = mx_read_file(path, ANCHOR_MAX, &o->anchor_bufs[o->n_anchors], &len, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", path);
	o->anchors[o->n_anchors].pem = o->anchor_bufs[o->n_anchors];
	o->anchors[o->n_anchors].len = len;
	o->n_anchors++;
	return 0;
}

static int parse_options(struct cli *cli, int argc, char **argv, struct validate_opts *o)
{
	static const struct option opts[] = {
		{"macos", required_argument, NULL, 'm'},
		{"sarif", no_argument, NULL, 's'},
		{"trust-anchor", required_argument, NULL, 'a'},
		{"check-team", required_argument, NULL, 't'},
		{"check-bundle-id", required_argument, NULL, 'b'},
		{"check", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (macext_macos_parse(optarg, &o->macos) < 0)
				return cli_usage_error(validate_usage,
						       "--macos: '%s' is not a modeled macOS release",
						       optarg);
			o->have_macos = true;
			break;
		case 's':
			o->sarif = true;
			break;
		case 'a':
			rc = add_anchor(cli, o, optarg);
			if (rc)
				return rc;
			break;
		case 't':
			o->check_team = optarg;
			break;
		case 'b':
			o->check_bundle = optarg;
			break;
		case 'c':
			o->check_path = optarg;
			break;
		case 'h':
			validate_help();
			return -1;
		default:
			return cli_usage_error(validate_usage, "profiles validate: bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(validate_usage, "profiles validate: missing FILE");
	if (!o->check_path && !o->check_team != !o->check_bundle)
		return cli_usage_error(validate_usage,
				       "--check-team and --check-bundle-id go together");
	if (o->check_path) {
		rc = profiles_kext_identify(cli, o->check_path, o->anchors, o->n_anchors, &o->kext);
		if (rc)
			return rc;
		o->check_team = o->check_team ? o->check_team : o->kext.team_id;
		o->check_bundle = o->check_bundle ? o->check_bundle : o->kext.bundle_id;
	}
	if (o->sarif && cli->json)
		return cli_usage_error(validate_usage, "--json and --sarif exclude each other");
	return 0;
}

static int cmd_profiles_validate(struct cli *cli, int argc, char **argv)
{
	struct validate_opts o = {.n_anchors = 0};
	struct macext_findings f = {0};
	json_t *profiles = json_array(), *checks = json_array(), *extra = NULL;
	enum cli_findings_format fmt;
	int rc;

	argc = cli_take_json(cli, argc, argv);
	rc = parse_options(cli, argc, argv, &o);
	if (rc) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		rc = validate_one(cli, argv[i], &o, &f, profiles, checks);
		if (rc)
			goto out;
	}
	macext_findings_sort(&f);
	fmt = o.sarif ? CLI_FINDINGS_SARIF : cli->json ? CLI_FINDINGS_JSON : CLI_FINDINGS_TEXT;
	if (fmt == CLI_FINDINGS_JSON)
		extra = json_pack("{s:O}", "profiles", profiles);
	rc = cli_print_findings(cli, "profiles-validate", &f, fmt, extra);
	for (size_t i = 0; rc == 0 && fmt == CLI_FINDINGS_TEXT && i < json_array_size(checks); i++)
		printf("%s\n", json_string_value(json_array_get(checks, i)));
	if (rc == 0 && macext_findings_count(&f, MACEXT_SEVERITY_ERROR) > 0)
		rc = EXIT_CHECK_FAILED;
out:
	for (size_t i = 0; i < o.n_anchors; i++)
		free(o.anchor_bufs[i]);
	profiles_kext_id_clear(&o.kext);
	json_decref(profiles);
	json_decref(checks);
	macext_findings_clear(&f);
	return rc;
}

static const struct cmd subcommands[] = {
	{"validate", cmd_profiles_validate, "lint profiles and check their signatures"},
	{"install", cmd_profiles_install, "install a profile on the modeled Mac (as MDM)"},
	{"remove", cmd_profiles_remove, "remove an installed profile (as MDM)"},
	{"list", cmd_profiles_list, "list the installed profiles"},
	{"show", cmd_profiles_show, "one installed profile, or --effective: the merged policy"},
	{NULL, NULL, NULL},
};

static void group_help(void)
{
	printf("usage: %s\n\n"
	       "Configuration profiles: kernel-extension-policy and system-extension-policy\n"
	       "payloads, the envelope and the CMS signature.\n\n"
	       "subcommands:\n", group_usage);
	for (const struct cmd *c = subcommands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nRun 'macext profiles <subcommand> --help' for its options.\n");
}

int cmd_profiles(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && cli_is_help(argv[1])) {
		group_help();
		return 0;
	}
	if (argc >= 3 && cli_is_help(argv[2])) {
		if (strcmp(argv[1], "validate") == 0) {
			validate_help();
			return 0;
		}
		if (cmd_profiles_sub_help(argv[1]))
			return 0;
	}
	return cli_dispatch(cli, "profiles", group_usage, subcommands, argc, argv);
}
