/*
 * tools/macext/cli_auth.c: who is acting, and proof of it. The acting user is --user, else
 * the machine's owner; the password comes from cli_read_password() and is checked with
 * macext_machine_check_password(). A wrong password, or an account that does not exist, is
 * exit 77 (EX_NOPERM), like sudo and the approval sheet refusing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/machine.h"

int cli_authenticate(struct cli *cli, const char *what)
{
	struct macext_machine_info *info = NULL;
	struct macext_diag diag = {0};
	const char *user = cli->user;
	char *password = NULL, *prompt = NULL;
	int r, rc;

	r = macext_machine_load(cli->ctx, &info, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "%s", cli->root);
	for (size_t i = 0; !user && i < info->naccounts; i++)
		if (info->accounts[i].owner)
			user = info->accounts[i].name;
	if (!user) {
		rc = cli_fail(cli, -EACCES, NULL, "%s: no owner account", what);
		goto out;
	}
	if (asprintf(&prompt, "Password for %s: ", user) < 0) {
		rc = cli_fail(cli, -ENOMEM, NULL, "%s", what);
		goto out;
	}
	rc = cli_read_password(cli, prompt, &password);
	if (rc != 0)
		goto out;
	r = macext_machine_check_password(cli->ctx, user, password, &diag);
	if (r == -EACCES) {
		fprintf(stderr, "macext: %s: %s: authentication failed (wrong password or no such "
				"account)\n",
			what, user);
		rc = EXIT_NOPERM;
	} else if (r < 0) {
		rc = cli_fail(cli, r, &diag, "%s", what);
	}
out:
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	free(prompt);
	macext_machine_info_free(info);
	return rc;
}
