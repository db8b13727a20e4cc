/*
 * tools/macext/cmd_codesign_sign.c: `macext codesign sign PATH... --identity P12 [--adhoc]
 * [--password-file FILE] [--json]` (docs/codesign.md). Signs in place with
 * macext_codesign_sign(); signingTime is the modeled clock (--now). The PKCS#12 password
 * comes from --password-file (this command's or the global one), else it is empty: never
 * from the command line (STYLE.md §9.3).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_signature.h"
#include "util/file.h"

#define SIGN_MAX_P12 (1u << 20)

static const char usage[] =
	"macext codesign sign --identity FILE.p12 [--adhoc] [--password-file FILE] [--json] PATH...";

static int sign_one(struct cli *cli, const char *path, const struct macext_cs_sign_options *o,
		    json_t *files)
{
	struct macext_cs_signed *done = calloc(1, sizeof(*done));
	struct macext_diag d = {0};
	int r;

	if (!done)
		return cli_fail(cli, -ENOMEM, NULL, "%s", path);
	r = macext_codesign_sign(done, path, o, &d);
	if (r < 0) {
		r = cli_fail(cli, r, d.msg[0] ? &d : NULL, "%s", path);
	} else if (cli->json) {
		json_array_append_new(files,
				      json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:s}", "path",
						path, "executable", done->executable, "identifier",
						done->identifier, "team_id", done->team_id, "slices",
						(json_int_t)done->nslices, "bundle", done->bundle,
						"resources", (json_int_t)done->resources, "kind",
						o->adhoc ? "adhoc" : "certificate"));
	} else if (!cli->quiet) {
		printf("%s: signed %s (identifier %s%s%s, %zu slice%s", path,
		       o->adhoc ? "ad-hoc" : "with the identity", done->identifier,
		       done->team_id[0] ? ", team " : "", done->team_id, done->nslices,
		       done->nslices == 1 ? "" : "s");
		if (done->bundle)
			printf(", %zu sealed resource%s", done->resources,
			       done->resources == 1 ? "" : "s");
		printf(")\n");
	}
	free(done);
	return r;
}

int cmd_codesign_sign(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"identity", required_argument, NULL, 'i'},
		{"adhoc", no_argument, NULL, 'a'},
		{"password-file", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct macext_cs_sign_options o = {.now = cli->ctx->now};
	const char *identity = NULL;
	char *p12 = NULL, *password = NULL;
	json_t *files = json_array();
	struct macext_diag d = {0};
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'i')
			identity = optarg;
		else if (c == 'a')
			o.adhoc = true;
		else if (c == 'p')
			cli->password_file = optarg;
		else if (c == 'j')
			cli->json = true;
		else if (c == 'h') {
			printf("usage: %s\n", usage);
			goto out;
		} else {
			rc = cli_usage_error(usage, "unknown option");
			goto out;
		}
	}
	if (optind >= argc || (!identity && !o.adhoc)) {
		rc = cli_usage_error(usage, optind >= argc ? "missing PATH"
							   : "--identity or --adhoc is required");
		goto out;
	}
	if (identity && !o.adhoc) {
		rc = mx_read_file(identity, SIGN_MAX_P12, &p12, &o.identity_len, &d);
		if (rc < 0) {
			rc = cli_fail(cli, rc, &d, "%s", identity);
			goto out;
		}
		o.identity = (const uint8_t *)p12;
		if (cli->password_file) {
			rc = cli_read_password(cli, "PKCS#12 password: ", &password);
			if (rc)
				goto out;
			o.password = password;
		}
	}
	for (int i = optind; i < argc; i++) {
		int r = sign_one(cli, argv[i], &o, files);

		rc = rc ? rc : r;
	}
	if (cli->json && rc == 0)
		rc = cli_print_json(cli, "codesign-sign", json_pack("{s:O}", "files", files));
out:
	if (password)
		memset(password, 0, strlen(password));
	free(password);
	free(p12);
	json_decref(files);
	return rc;
}
