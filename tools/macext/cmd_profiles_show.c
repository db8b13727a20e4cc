/*
 * tools/macext/cmd_profiles_show.c: `macext profiles install|remove|list|show`
 * (docs/profiles.md) on the modeled Mac, and their text and JSON output. The rules live in
 * lib/machine/profiles.c (macext/machine_state.h); this file parses options and prints.
 *
 * Exit codes: 0 done; 1 install refused for error findings (printed like `validate`);
 * 69 refused the way macOS refuses (enrolment, manual install, signer, user removal of an
 * MDM profile; U-18); 64 usage; 65 not a profile; 66 file or profile missing; 78 the
 * modeled Mac's files are broken.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_profiles.h"
#include "macext/finding.h"
#include "macext/machine_state.h"
#include "util/file.h"

#define PROFILE_MAP_MAX (64u * 1024 * 1024)

static const char install_usage[] = "macext profiles install FILE [--manual] [--json]";
static const char remove_usage[] = "macext profiles remove IDENTIFIER [--manual] [--json]";
static const char list_usage[] = "macext profiles list [--json]";
static const char show_usage[] = "macext profiles show IDENTIFIER | --effective [--json]";

json_t *profiles_sig_json(const struct macext_profile_sig *sig)
{
	json_t *signers = json_array();

	for (size_t i = 0; i < sig->n_signers; i++) {
		const struct macext_profile_signer *s = &sig->signers[i];

		json_array_append_new(
			signers, json_pack("{s:o, s:b, s:b, s:o}", "subject",
					   s->subject ? json_string(s->subject) : json_null(),
					   "signature_ok", s->signature_ok, "chain_ok", s->chain_ok,
					   "why", s->why ? json_string(s->why) : json_null()));
	}
	return json_pack("{s:s, s:o}", "status", macext_profile_sig_status_name(sig->status),
			 "signers", signers);
}

/* ---- JSON of the effective policy -------------------------------------------------- */

static json_t *ref_json(const struct macext_payload_ref *r)
{
	if (!r->profile_id)
		return json_null();
	return json_pack("{s:s, s:s}", "profile_id", r->profile_id, "payload_uuid",
			 r->payload_uuid);
}

static json_t *flag_json(const struct macext_effective_flag *f)
{
	return json_pack("{s:b, s:b, s:b, s:o}", "value", f->value, "set", f->set, "conflict",
			 f->conflict, "decided_by", ref_json(&f->by));
}

static json_t *entry_json(const struct macext_effective_entry *e, const char *item_key)
{
	json_t *from = json_array(), *o;

	for (size_t i = 0; i < e->nfrom; i++)
		json_array_append_new(from, ref_json(&e->from[i]));
	o = json_pack("{s:s, s:o}", "team_id", e->team_id, "from", from);
	if (item_key)
		json_object_set_new(o, item_key, json_string(e->item ? e->item : ""));
	return o;
}

static json_t *entries_of(const struct macext_effective_policy *p, const char *kind,
			  const char *item_key)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->nentries; i++)
		if (strcmp(p->entries[i].kind, kind) == 0)
			json_array_append_new(a, entry_json(&p->entries[i], item_key));
	return a;
}

static json_t *effective_json(const struct macext_effective_policy *p)
{
	char v[16];
	bool act = p->sysext_changes == MACEXT_SYSEXT_CHANGES_ACT_ON_STATE;

	macext_macos_format(&p->macos, v);
	return json_pack(
		"{s:s, s:s, s:{s:b, s:I, s:o, s:o, s:o, s:o, s:o},"
		" s:{s:b, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}",
		"enrollment", p->enrollment, "macos", v, "kext", "honoured", p->kext_honoured,
		"payloads", (json_int_t)p->nkext_payloads, "allow_user_overrides",
		flag_json(&p->kext_user_overrides), "allow_non_admin_user_approvals",
		flag_json(&p->kext_non_admin), "teams", entries_of(p, "kext-team", NULL), "kexts",
		entries_of(p, "kext", "bundle_id"), "shadowed_teams",
		entries_of(p, "kext-team-shadowed", NULL), "sysext", "honoured", p->sysext_honoured,
		"payloads", (json_int_t)p->nsysext_payloads, "allow_user_overrides",
		flag_json(&p->sysext_user_overrides), "teams", entries_of(p, "sysext-team", NULL),
		"extensions", entries_of(p, "sysext", "bundle_id"), "types",
		entries_of(p, "sysext-type", "type"), "removable",
		entries_of(p, "sysext-removable", "bundle_id"), "non_removable",
		entries_of(p, "sysext-non-removable", "bundle_id"), "non_removable_from_ui",
		entries_of(p, "sysext-non-removable-ui", "bundle_id"), "profile_changes",
		json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}", "rule",
			  macext_sysext_changes_name(p->sysext_changes),
			  "install_activates_pending", act, "removal_deactivates_mdm_approved",
			  act, "self_removal_needs_admin", p->sysext_changes !=
								   MACEXT_SYSEXT_CHANGES_NONE,
			  "removable_honoured", p->removable_honoured, "non_removable_honoured",
			  p->non_removable_honoured));
}

/* ---- text of the effective policy -------------------------------------------------- */

static const char *kind_label(const char *kind)
{
	static const char *const map[][2] = {
		{"kext-team", "kext team"},
		{"kext-team-shadowed", "kext team (ignored: keyed in AllowedKernelExtensions, U-2)"},
		{"kext", "kext"},
		{"sysext-team", "sysext team"},
		{"sysext", "sysext"},
		{"sysext-type", "sysext type"},
		{"sysext-removable", "sysext removable"},
		{"sysext-non-removable", "sysext non-removable"},
		{"sysext-non-removable-ui", "sysext non-removable from UI"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], kind) == 0)
			return map[i][1];
	return kind;
}

static void print_entry(const char *prefix, const struct macext_effective_entry *e, bool from)
{
	printf("%s%s %s%s%s", prefix, kind_label(e->kind), *e->team_id ? e->team_id : "\"\"",
	       e->item ? " " : "", e->item ? e->item : "");
	for (size_t i = 0; from && i < e->nfrom; i++)
		printf("%s%s/%s", i ? ", " : "  [", e->from[i].profile_id, e->from[i].payload_uuid);
	printf("%s\n", from && e->nfrom ? "]" : "");
}

static void print_flag(const char *name, const struct macext_effective_flag *f)
{
	printf("%s: %s", name, f->value ? "true" : "false");
	if (!f->set)
		printf(" (default)\n");
	else
		printf(" (%s/%s%s)\n", f->by.profile_id, f->by.payload_uuid,
		       f->conflict ? "; payloads disagree, an explicit false wins" : "");
}

static const char *changes_text(enum macext_sysext_changes c)
{
	switch (c) {
	case MACEXT_SYSEXT_CHANGES_NONE:
		return "no system extensions before macOS 10.15";
	case MACEXT_SYSEXT_CHANGES_LATER_REQUESTS:
		return "later activation requests only; active and pending extensions are not "
		       "changed (10.15-11.2)";
	default:
		return "act on extension state: an allowed pending extension is activated; an "
		       "MDM-approved extension no longer allowed is unloaded and removed at the "
		       "next restart; self-removal asks for admin credentials unless removable "
		       "(11.3-11.6.4, and every later release, U-5)";
	}
}

static void print_effective(const struct macext_effective_policy *p)
{
	char v[16];

	macext_macos_format(&p->macos, v);
	printf("macOS %s, enrollment %s: kext payloads %s, system-extension payloads %s\n", v,
	       p->enrollment, p->kext_honoured ? "honoured" : "not honoured",
	       p->sysext_honoured ? "honoured" : "not honoured");
	printf("kernel-extension-policy payloads: %zu\n", p->nkext_payloads);
	print_flag("  AllowUserOverrides", &p->kext_user_overrides);
	print_flag("  AllowNonAdminUserApprovals", &p->kext_non_admin);
	for (size_t i = 0; i < p->nentries; i++)
		if (strncmp(p->entries[i].kind, "kext", 4) == 0)
			print_entry("  ", &p->entries[i], true);
	printf("system-extension-policy payloads: %zu\n", p->nsysext_payloads);
	print_flag("  AllowUserOverrides", &p->sysext_user_overrides);
	for (size_t i = 0; i < p->nentries; i++)
		if (strncmp(p->entries[i].kind, "sysext", 6) == 0)
			print_entry("  ", &p->entries[i], true);
	printf("  profile changes: %s: %s\n", macext_sysext_changes_name(p->sysext_changes),
	       changes_text(p->sysext_changes));
	printf("  RemovableSystemExtensions: %s; NonRemovable keys: %s\n",
	       p->removable_honoured ? "honoured (12.0.1+)" : "ignored before 12.0.1",
	       p->non_removable_honoured ? "honoured (15.0+)" : "ignored before 15.0");
}

/* ---- install / remove ------------------------------------------------------------- */

static bool any_kind(const struct macext_effective_entry *v, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(v[i].kind, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static json_t *delta_json(const struct macext_effective_entry *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = entry_json(&v[i], v[i].item ? "item" : NULL);

		json_object_set_new(o, "kind", json_string(v[i].kind));
		json_array_append_new(a, o);
	}
	return a;
}

static void print_flag_change(const char *name, const struct macext_effective_flag *a,
			      const struct macext_effective_flag *b)
{
	if (a->value != b->value)
		printf("%s: %s -> %s\n", name, a->value ? "true" : "false",
		       b->value ? "true" : "false");
}

static int print_change(struct cli *cli, const char *action,
			const struct macext_profiles_result *r)
{
	const struct macext_effective_policy *a = &r->after;

	if (cli->json)
		return cli_print_json(
			cli, "profiles-change",
			json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}", "action", action, "identifier",
				  r->identifier, "kext_rows", (json_int_t)r->kext_rows, "granted",
				  delta_json(r->granted, r->ngranted), "revoked",
				  delta_json(r->revoked, r->nrevoked), "effective",
				  effective_json(a)));
	printf("%s %s\n", action, r->identifier);
	printf("kext_policy_mdm: %zu rows\n", r->kext_rows);
	for (size_t i = 0; i < r->ngranted; i++)
		print_entry("now allowed: ", &r->granted[i], false);
	for (size_t i = 0; i < r->nrevoked; i++)
		print_entry("no longer allowed: ", &r->revoked[i], false);
	print_flag_change("kext AllowUserOverrides", &r->before.kext_user_overrides,
			  &a->kext_user_overrides);
	print_flag_change("kext AllowNonAdminUserApprovals", &r->before.kext_non_admin,
			  &a->kext_non_admin);
	print_flag_change("sysext AllowUserOverrides", &r->before.sysext_user_overrides,
			  &a->sysext_user_overrides);
	if (any_kind(r->revoked, r->nrevoked, "kext"))
		printf("note: kexts already loaded stay loaded until the next boot; the next AuxKC "
		       "rebuild leaves them out unless the user approved them (U-20)\n");
	if (any_kind(r->granted, r->ngranted, "sysext") ||
	    any_kind(r->revoked, r->nrevoked, "sysext"))
		printf("note: system extensions: %s\n", changes_text(a->sysext_changes));
	return 0;
}

static const struct {
	const char *name, *usage, *text;
} sub_help[] = {
	{"install", install_usage,
	 "Installs FILE on the modeled Mac as an MDM server would (docs/profiles.md). The profile\n"
	 "is validated first and refused (exit 1) with its findings if it has errors; kext and\n"
	 "system-extension payloads need a user-approved or automated (ADE) enrolment (exit 69\n"
	 "otherwise). A profile with the same PayloadIdentifier is replaced.\n\n"
	 "  --manual   install as a user would by double-clicking (refused for these payloads)\n"
	 "  --json     one JSON document\n\n"
	 "exit codes: 0 installed, 1 the profile has errors, 65 unreadable, 66 missing,\n"
	 "69 refused by the enrolment rules, 78 the modeled Mac is damaged\n"},
	{"remove", remove_usage,
	 "Removes the installed profile IDENTIFIER as its MDM server would, and says what stops\n"
	 "being allowed.\n\n"
	 "  --manual   remove as the user would (refused for MDM profiles on 10.15 and later)\n"
	 "  --json     one JSON document\n\n"
	 "exit codes: 0 removed, 66 not installed, 69 refused, 78 the modeled Mac is damaged\n"},
	{"list", list_usage,
	 "Lists the installed profiles in install order with their payloads.\n\n"
	 "exit codes: 0, 66 no modeled Mac, 78 the modeled Mac is damaged\n"},
	{"show", show_usage,
	 "Shows one installed profile, or with --effective the merged kernel-extension and\n"
	 "system-extension policy of all of them (mdm-sysext.md §4.1), each entry with the\n"
	 "payloads it came from.\n\n"
	 "exit codes: 0, 66 not installed or no modeled Mac, 78 the modeled Mac is damaged\n"},
};

bool cmd_profiles_sub_help(const char *name)
{
	for (size_t i = 0; i < sizeof(sub_help) / sizeof(sub_help[0]); i++) {
		if (strcmp(sub_help[i].name, name) != 0)
			continue;
		printf("usage: %s\n\n%s", sub_help[i].usage, sub_help[i].text);
		return true;
	}
	return false;
}

static int change_options(int argc, char **argv, const char *usage, bool *manual)
{
	static const struct option opts[] = {
		{"manual", no_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'm')
			return cli_usage_error(usage, "bad option");
		*manual = true;
	}
	if (optind + 1 != argc)
		return cli_usage_error(usage, "expected exactly one argument");
	return 0;
}

static int refused(struct cli *cli, const char *what, const struct macext_profiles_result *r)
{
	(void)cli;
	fprintf(stderr, "macext: %s: %s\n", what, r->reason);
	return EXIT_UNAVAILABLE;
}

int cmd_profiles_install(struct cli *cli, int argc, char **argv)
{
	struct macext_profiles_result res;
	struct macext_findings f = {0};
	struct macext_diag d = {0};
	struct mx_map map = MX_MAP_INIT;
	bool manual = false;
	const char *file;
	int r, rc;

	argc = cli_take_json(cli, argc, argv);
	rc = change_options(argc, argv, install_usage, &manual);
	if (rc)
		return rc;
	file = argv[optind];
	r = mx_map_file(&map, file, PROFILE_MAP_MAX, &d);
	if (r < 0)
		return cli_fail(cli, r, &d, "%s", file);
	r = macext_profiles_install(cli->ctx, map.data ? map.data : (const void *)"", map.len, file,
				    manual ? MACEXT_PROFILES_MANUAL : 0, &f, &res, &d);
	if (r < 0) {
		rc = cli_fail(cli, r, &d, "%s", file);
	} else if (res.status == MACEXT_PROFILES_INVALID) {
		macext_findings_sort(&f);
		rc = cli_print_findings(cli, "profiles-validate", &f,
					cli->json ? CLI_FINDINGS_JSON : CLI_FINDINGS_TEXT, NULL);
		fprintf(stderr, "macext: %s: the profile has errors; not installed\n", file);
		rc = rc ? rc : EXIT_CHECK_FAILED;
	} else if (res.status == MACEXT_PROFILES_REFUSED) {
		rc = refused(cli, file, &res);
	} else {
		rc = print_change(cli, res.replaced ? "replaced" : "installed", &res);
	}
	macext_profiles_result_clear(&res);
	macext_findings_clear(&f);
	mx_unmap(&map);
	return rc;
}

int cmd_profiles_remove(struct cli *cli, int argc, char **argv)
{
	struct macext_profiles_result res;
	struct macext_diag d = {0};
	bool manual = false;
	int r, rc;

	argc = cli_take_json(cli, argc, argv);
	rc = change_options(argc, argv, remove_usage, &manual);
	if (rc)
		return rc;
	r = macext_profiles_remove(cli->ctx, argv[optind], manual ? MACEXT_PROFILES_MANUAL : 0,
				   &res, &d);
	if (r < 0)
		rc = cli_fail(cli, r, &d, "profiles remove");
	else if (res.status == MACEXT_PROFILES_REFUSED)
		rc = refused(cli, argv[optind], &res);
	else
		rc = print_change(cli, "removed", &res);
	macext_profiles_result_clear(&res);
	return rc;
}

/* ---- list / show -------------------------------------------------------------------- */

static json_t *profile_json(const struct macext_installed_profile *p)
{
	json_t *signers = json_array(), *payloads = json_array();
	char t[21];

	macext_time_format(p->install_date, t);
	for (size_t i = 0; i < p->nsigners; i++)
		json_array_append_new(signers, json_string(p->signers[i]));
	for (size_t i = 0; i < p->npayloads; i++)
		json_array_append_new(payloads,
				      json_pack("{s:s, s:s?, s:s?}", "type", p->payloads[i].type,
						"identifier", p->payloads[i].identifier, "uuid",
						p->payloads[i].uuid));
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s, s:s, s:o, s:s, s:o}", "identifier",
			 p->identifier, "uuid", p->uuid, "display_name", p->display_name,
			 "organization", p->organization, "file", p->file, "source", p->source,
			 "signature", p->signature, "signers", signers, "install_date", t,
			 "payloads", payloads);
}

static void print_profile(const struct macext_installed_profile *p)
{
	char t[21];

	macext_time_format(p->install_date, t);
	printf("%s  %s  source %s  signature %s  installed %s%s%s%s\n", p->identifier, p->uuid,
	       p->source, p->signature, t, p->display_name ? "  \"" : "",
	       p->display_name ? p->display_name : "", p->display_name ? "\"" : "");
	for (size_t i = 0; i < p->nsigners; i++)
		printf("  signer %s\n", p->signers[i]);
	for (size_t i = 0; i < p->npayloads; i++)
		printf("  payload %s %s %s\n", p->payloads[i].type,
		       p->payloads[i].identifier ? p->payloads[i].identifier : "-",
		       p->payloads[i].uuid ? p->payloads[i].uuid : "-");
}

int cmd_profiles_list(struct cli *cli, int argc, char **argv)
{
	struct macext_installed_profile *v = NULL;
	struct macext_diag d = {0};
	size_t n = 0;
	json_t *a;
	int r;

	argc = cli_take_json(cli, argc, argv);
	(void)argv;
	if (argc != 1)
		return cli_usage_error(list_usage, "profiles list takes no argument");
	r = macext_profiles_list(cli->ctx, &v, &n, &d);
	if (r < 0)
		return cli_fail(cli, r, &d, "%s", cli->root);
	if (cli->json) {
		a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, profile_json(&v[i]));
		r = cli_print_json(cli, "profiles-list", json_pack("{s:o}", "profiles", a));
	} else {
		for (size_t i = 0; i < n; i++)
			print_profile(&v[i]);
		if (n == 0)
			printf("no profiles installed\n");
	}
	macext_installed_profiles_free(v, n);
	return r;
}

int cmd_profiles_show(struct cli *cli, int argc, char **argv)
{
	struct macext_effective_policy pol;
	struct macext_installed_profile *v = NULL;
	struct macext_diag d = {0};
	const char *id = NULL;
	size_t n = 0;
	int r;

	argc = cli_take_json(cli, argc, argv);
	if (argc != 2)
		return cli_usage_error(show_usage, "profiles show: IDENTIFIER or --effective");
	if (strcmp(argv[1], "--effective") != 0)
		id = argv[1];
	r = macext_profiles_effective(cli->ctx, id, &pol, &d);
	if (r == 0 && id)
		r = macext_profiles_list(cli->ctx, &v, &n, &d);
	if (r < 0)
		return cli_fail(cli, r, &d, "profiles show");
	for (size_t i = 0; id && i < n; i++) {
		if (strcmp(v[i].identifier, id) != 0)
			continue;
		if (cli->json) {
			json_t *o = profile_json(&v[i]);

			json_object_set_new(o, "policy", effective_json(&pol));
			r = cli_print_json(cli, "profiles-show", o);
		} else {
			print_profile(&v[i]);
			print_effective(&pol);
		}
	}
	if (!id && cli->json)
		r = cli_print_json(cli, "profiles-effective", effective_json(&pol));
	else if (!id)
		print_effective(&pol);
	macext_installed_profiles_free(v, n);
	macext_effective_policy_clear(&pol);
	return r;
}
