/*
 * tools/macext/cmd_audit.c: `macext audit PATH… [--macos V] [--arch A] [--json|--sarif]
 * [--sip-disabled] [--mdm-approved]` (docs/audit.md).
 *
 * Each PATH is a kext bundle (a directory named *.kext) or a directory holding kexts (an
 * app bundle, a folder of kexts), searched for *.kext bundles KEXT_SEARCH_DEPTH levels
 * deep; a kext's own PlugIns are the model's to audit, so the search does not enter a
 * bundle it found. Every kext is audited by macext_kext_audit() for one release and
 * architecture; the release defaults to the modeled Mac's when there is one at the root,
 * else to the newest the catalogue knows. All kexts are opened and audited before anything
 * is printed, so a bad path leaves stdout empty. Exit 1 if any finding is an error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "macext/audit.h"
#include "macext/kext.h"
#include "macext/machine.h"
#include "util/file.h"

#define KEXT_SEARCH_DEPTH 6
#define AUDIT_MAX_ANCHOR (1u << 20)
#define KEXT_SEARCH_MAX 4096

static const char usage[] = "macext audit [--macos V] [--arch A] [--json|--sarif] "
			    "[--sip-disabled] [--mdm-approved] [--trust-anchor PEM] PATH...";

static void print_usage(void)
{
	printf("usage: %s\n\n"
	       "Reports everything that would stop the kexts at PATH loading on a macOS release\n"
	       "and architecture: Info.plist validation, the executable, OSBundleLibraries\n"
	       "against the release's KPI catalogue, the exclude list, deprecated KPIs and the\n"
	       "code signature (signature.*: the kext signing requirement).\n"
	       "PATH is a kext bundle or a directory (an app bundle) holding kexts.\n\n"
	       "options:\n"
	       "  --macos V        the release, e.g. 10.15.7, 11, 14 (default: the modeled Mac's\n"
	       "                   release if one exists at the root, else the newest known)\n"
	       "  --arch A         audit only the slice for A (default: every slice)\n"
	       "  --sip-disabled   audit as if SIP's kext protection were off\n"
	       "  --mdm-approved   audit as if an MDM profile allowed the kexts\n"
	       "  --trust-anchor PEM  trust this root besides Apple's (a test PKI's root)\n"
	       "  --json           print one JSON document (schema macext/audit/1)\n"
	       "  --sarif          print a SARIF 2.1.0 log\n\n"
	       "exit codes: 0 no errors, 1 at least one error finding, 64 usage, 65 PATH holds\n"
	       "no kext bundle, 66 PATH does not exist, 78 the modeled Mac is damaged\n",
	       usage);
}

struct paths {
	char **v;
	size_t n, cap;
	size_t found; /* bundles named or found, duplicates included */
};

static int paths_add(struct paths *p, const char *s)
{
	p->found++;
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i], s) == 0)
			return 0; /* named twice (a bundle and its folder): audited once */
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n] = strdup(s);
	return p->v[p->n++] ? 0 : -ENOMEM;
}

static void paths_clear(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static bool is_kext_name(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return n > 5 && strncmp(path + n - 5, ".kext", 5) == 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the *.kext directories below DIR, in name order, not entering a found bundle. */
static int find_kexts(const char *dir, int depth, struct paths *out)
{
	struct dirent **ents = NULL;
	int n, r = 0;

	if (depth > KEXT_SEARCH_DEPTH)
		return 0;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		struct stat st;
		char *sub = NULL;

		if (r == 0 && ents[i]->d_name[0] != '.' &&
		    asprintf(&sub, "%s/%s", dir, ents[i]->d_name) >= 0 && lstat(sub, &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			if (is_kext_name(sub))
				r = out->n >= KEXT_SEARCH_MAX ? -E2BIG : paths_add(out, sub);
			else
				r = find_kexts(sub, depth + 1, out);
		}
		free(sub);
		free(ents[i]);
	}
	free(ents);
	return r;
}

static int collect(struct cli *cli, const char *path, struct paths *out)
{
	struct stat st;
	size_t before = out->n, found = out->found;
	int r;

	if (stat(path, &st) < 0)
		return cli_fail(cli, -errno, NULL, "%s", path);
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "macext: %s: not a kext bundle\n", path);
		return EXIT_DATAERR;
	}
	if (is_kext_name(path))
		r = paths_add(out, path);
	else
		r = find_kexts(path, 0, out);
	if (r < 0)
		return cli_fail(cli, r, NULL, "%s", path);
	if (out->found == found) {
		fprintf(stderr, "macext: %s: no kext bundle found\n", path);
		return EXIT_DATAERR;
	}
	qsort(out->v + before, out->n - before, sizeof(*out->v), cmp_path);
	return 0;
}

/* The release to audit for when --macos is not given (see the note at the top). */
static int default_macos(struct cli *cli, struct macext_macos_version *ret)
{
	struct macext_machine_info *m = NULL;
	struct macext_diag diag = {0};
	int r;

	r = macext_machine_load(cli->ctx, &m, &diag);
	if (r == -ENOENT) {
		macext_machine_newest_macos(ret);
		return 0;
	}
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", cli->root);
	*ret = m->macos;
	macext_machine_info_free(m);
	return 0;
}

static int audit_all(struct cli *cli, const struct paths *kexts,
		     const struct macext_audit_opts *opts,
		     const struct macext_audit_signature_opts *sopt, struct macext_findings *f)
{
	for (size_t i = 0; i < kexts->n; i++) {
		struct macext_kext *k = NULL;
		struct macext_diag diag = {0};
		int r;

		r = macext_kext_open(&k, kexts->v[i], &diag);
		if (r < 0)
			return cli_fail(cli, r, &diag, "%s", kexts->v[i]);
		r = macext_kext_audit(k, opts, f);
		if (r == 0)
			r = macext_audit_signature(k, opts, sopt, f);
		macext_kext_free(k);
		if (r < 0)
			return cli_fail(cli, r, NULL, "%s", kexts->v[i]);
	}
	return 0;
}

static json_t *extra_json(const struct paths *kexts, const struct macext_audit_opts *o)
{
	json_t *list = json_array();
	char macos[16];

	macext_macos_format(&o->macos, macos);
	for (size_t i = 0; i < kexts->n; i++)
		json_array_append_new(list, json_string(kexts->v[i]));
	return json_pack("{s:s, s:o, s:b, s:b, s:o}", "macos", macos, "arch",
			 o->arch ? json_string(o->arch) : json_null(), "sip_disabled",
			 (o->flags & MACEXT_AUDIT_SIP_DISABLED) != 0, "mdm_approved",
			 (o->flags & MACEXT_AUDIT_MDM_APPROVED) != 0, "kexts", list);
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	enum cli_findings_format format = CLI_FINDINGS_TEXT;
	struct macext_audit_opts opts = {0};
	struct macext_findings f = {0};
	struct paths kexts = {0};
	struct macext_audit_signature_opts sopt = {.now = cli->ctx->now};
	struct macext_diag diag = {0};
	char *anchor = NULL;
	size_t anchor_len = 0;
	const uint8_t *anchors[1];
	bool have_macos = false, sarif = false;
	int r = 0, npaths = 0;

	argc = cli_take_json(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (cli_is_help(a)) {
			print_usage();
			return 0;
		}
		if ((strcmp(a, "--macos") == 0 || strcmp(a, "--arch") == 0 ||
		     strcmp(a, "--trust-anchor") == 0) && i + 1 >= argc)
			return cli_usage_error(usage, "audit: %s needs a value", a);
		if (strcmp(a, "--macos") == 0) {
			if (macext_macos_parse(argv[++i], &opts.macos) < 0)
				return cli_usage_error(usage, "--macos: unknown macOS release '%s'",
						       argv[i]);
			have_macos = true;
		} else if (strcmp(a, "--arch") == 0) {
			opts.arch = argv[++i];
		} else if (strcmp(a, "--trust-anchor") == 0 && !anchor) {
			r = mx_read_file(argv[++i], AUDIT_MAX_ANCHOR, &anchor, &anchor_len, &diag);
			if (r < 0)
				return cli_fail(cli, r, &diag, "%s", argv[i]);
		} else if (strcmp(a, "--sarif") == 0) {
			sarif = true;
		} else if (strcmp(a, "--sip-disabled") == 0) {
			opts.flags |= MACEXT_AUDIT_SIP_DISABLED;
		} else if (strcmp(a, "--mdm-approved") == 0) {
			opts.flags |= MACEXT_AUDIT_MDM_APPROVED;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error(usage, "audit: unknown option '%s'", a);
		} else {
			argv[++npaths] = argv[i];
		}
	}
	if (sarif && cli->json)
		r = cli_usage_error(usage, "audit: --json and --sarif exclude each other");
	else if (npaths == 0)
		r = cli_usage_error(usage, "audit: missing PATH");
	if (r != 0) {
		free(anchor);
		return r;
	}
	if (anchor) {
		anchors[0] = (const uint8_t *)anchor;
		sopt.anchors = anchors;
		sopt.anchor_lens = &anchor_len;
		sopt.nanchors = 1;
	}
	format = sarif ? CLI_FINDINGS_SARIF : cli->json ? CLI_FINDINGS_JSON : CLI_FINDINGS_TEXT;
	if (!have_macos)
		r = default_macos(cli, &opts.macos);
	for (int i = 1; i <= npaths && r == 0; i++)
		r = collect(cli, argv[i], &kexts);
	if (r == 0)
		r = audit_all(cli, &kexts, &opts, &sopt, &f);
	if (r == 0) {
		macext_findings_sort(&f);
		if (format == CLI_FINDINGS_TEXT && !cli->quiet) {
			char v[16];

			macext_macos_format(&opts.macos, v);
			printf("audit of %zu kext%s for macOS %s, %s\n", kexts.n,
			       kexts.n == 1 ? "" : "s", v, opts.arch ? opts.arch : "every architecture");
		}
		r = cli_print_findings(cli, "audit", &f, format, extra_json(&kexts, &opts));
		if (r == 0 && macext_findings_count(&f, MACEXT_SEVERITY_ERROR) > 0)
			r = EXIT_CHECK_FAILED;
	}
	macext_findings_clear(&f);
	paths_clear(&kexts);
	free(anchor);
	return r;
}
