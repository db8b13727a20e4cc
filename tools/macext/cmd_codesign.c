/*
 * tools/macext/cmd_codesign.c: `macext codesign verify PATH… [--json] [--trust-anchor PEM]`
 * and `macext codesign show PATH… [--json] [--trust-anchor PEM]` (docs/codesign.md); `sign`
 * lives in cmd_codesign_sign.c, the rendering in cli_signature.c.
 *
 * A PATH is a Mach-O file or a bundle directory (its Contents/MacOS/<CFBundleExecutable>).
 * For an executable inside a bundle (…/Contents/MacOS/<name>), the bundle's Info.plist and
 * _CodeSignature/CodeResources are handed to the verifier for special slots 1 and 3. The
 * verdict comes from macext_codesign_verify(); this file only renders it. verify exits 1
 * when any file is not valid, printing one line per reason on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <plist/plist.h>

#include "cli.h"
#include "cli_signature.h"
#include "macext/codesign.h"
#include "util/file.h"

#define CS_MAX_FILE ((uint64_t)4 << 30)
#define CS_MAX_SIDE (16u << 20)
#define CS_MAX_ANCHORS 8

static const char usage[] = "macext codesign verify|show [--json] [--trust-anchor PEM]... PATH...\n"
			    "       macext codesign sign --identity FILE.p12 [--adhoc] PATH...";

struct cs_opts {
	struct macext_cs_options o;
	const uint8_t *anchors[CS_MAX_ANCHORS];
	size_t anchor_lens[CS_MAX_ANCHORS];
	char *anchor_bufs[CS_MAX_ANCHORS];
};

static int add_anchor(struct cli *cli, struct cs_opts *o, const char *path)
{
	struct macext_diag d = {0};
	size_t i = o->o.nanchors;
	int r;

	if (i == CS_MAX_ANCHORS)
		return cli_usage_error(usage, "at most %d --trust-anchor options", CS_MAX_ANCHORS);
	r = mx_read_file(path, CS_MAX_SIDE, &o->anchor_bufs[i], &o->anchor_lens[i], &d);
	if (r < 0)
		return cli_fail(cli, r, &d, "%s", path);
	o->anchors[i] = (const uint8_t *)o->anchor_bufs[i];
	o->o.nanchors++;
	return 0;
}

static int run_one(struct cli *cli, bool show, const char *path, struct cs_opts *o, json_t *files,
		   bool *all_valid)
{
	struct macext_cs_result *res = NULL;
	struct macext_diag d = {0};
	int r;

	r = macext_codesign_verify_path(&res, path, &o->o, &d);
	if (r < 0) {
		r = cli_fail(cli, r, d.msg[0] ? &d : NULL, "%s", path);
		goto out;
	}
	*all_valid = *all_valid && res->valid;
	if (cli->json)
		json_array_append_new(files, cli_cs_file_json(path, res));
	else if (show)
		cli_cs_print_show(path, res);
	else
		cli_cs_print_verify(cli, path, res);
out:
	macext_cs_result_free(res);
	return r;
}

static int run(struct cli *cli, bool show, int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust-anchor", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cs_opts o = {0};
	json_t *files = json_array(), *doc;
	bool all_valid = true;
	int c, rc = 0;

	o.o.now = cli->ctx->now;
	o.o.anchors = o.anchors;
	o.o.anchor_lens = o.anchor_lens;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'a')
			rc = add_anchor(cli, &o, optarg);
		else if (c == 'j')
			cli->json = true;
		else if (c == 'h')
			rc = -1;
		else
			rc = cli_usage_error(usage, "unknown option");
		if (rc == -1) {
			printf("usage: %s\n", usage);
			rc = 0;
			goto out;
		}
		if (rc)
			goto out;
	}
	if (optind >= argc) {
		rc = cli_usage_error(usage, "missing PATH");
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		int r = run_one(cli, show, argv[i], &o, files, &all_valid);

		if (r)
			rc = rc ? rc : r;
	}
	if (cli->json && rc == 0) {
		doc = json_pack("{s:b, s:O}", "valid", all_valid, "files", files);
		if (json_array_size(files) == 1) {
			json_object_update(doc, json_array_get(files, 0));
			json_object_set_new(doc, "valid", json_boolean(all_valid));
		}
		rc = cli_print_json(cli, "codesign", doc);
	}
	if (rc == 0 && !all_valid && !show)
		rc = EXIT_CHECK_FAILED;
out:
	for (size_t i = 0; i < o.o.nanchors; i++)
		free(o.anchor_bufs[i]);
	json_decref(files);
	return rc;
}

static int cmd_verify(struct cli *cli, int argc, char **argv)
{
	return run(cli, false, argc, argv);
}

static int cmd_show(struct cli *cli, int argc, char **argv)
{
	return run(cli, true, argc, argv);
}

int cmd_codesign(struct cli *cli, int argc, char **argv)
{
	static const struct cmd table[] = {
		{"verify", cmd_verify, "verify code signatures like codesign --verify --strict"},
		{"show", cmd_show, "describe code signatures like codesign -dvvv -r-"},
		{"sign", cmd_codesign_sign, "sign a kext bundle or Mach-O file (test identities)"},
		{NULL, NULL, NULL},
	};

	argc = cli_take_json(cli, argc, argv);
	return cli_dispatch(cli, "codesign", usage, table, argc, argv);
}
