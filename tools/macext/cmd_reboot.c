/*
 * tools/macext/cmd_reboot.c: `macext reboot [--recovery]` (docs/reboot.md). Restarts the
 * modeled Intel Mac: loaded kexts are gone, a new boot session starts, and from macOS 11
 * the approved kexts of the Auxiliary Kernel Collection load. --recovery boots recoveryOS,
 * where `csrutil` and `spctl kext-consent` may change settings.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "macext/kextload.h"

static const char usage[] = "macext reboot [--recovery] [--json]";

int cmd_reboot(struct cli *cli, int argc, char **argv)
{
	struct macext_boot_result res = {0};
	struct macext_diag diag = {0};
	bool recovery = false;
	int r;

	argc = cli_take_json(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: %s\n\nRestarts the modeled Mac into macOS, or with --recovery "
			       "into recoveryOS. Loaded\nkexts are unloaded; from macOS 11 the "
			       "approved kexts of the Auxiliary Kernel\nCollection "
			       "(Library/KernelCollections/AuxiliaryKernelExtensions.kc) load.\n\n"
			       "exit codes: 0 ok, 64 usage, 66 no modeled Mac\n",
			       usage);
			return 0;
		}
		if (strcmp(argv[i], "--recovery") != 0)
			return cli_usage_error(usage, "reboot: unexpected argument '%s'", argv[i]);
		recovery = true;
	}
	r = macext_machine_reboot(cli->ctx, recovery, &res, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "reboot");
	if (cli->json) {
		json_t *a = json_array();

		for (size_t i = 0; i < res.nloaded; i++)
			json_array_append_new(a, json_string(res.loaded[i].bundle_id));
		r = cli_print_json(cli, "reboot",
				   json_pack("{s:s, s:o, s:I}", "boot_state",
					     recovery ? "recovery" : "normal", "loaded_from_auxkc", a,
					     "refused", (json_int_t)res.nrefused));
	} else if (!cli->quiet) {
		printf("restarted into %s\n", recovery ? "recoveryOS" : "macOS");
		for (size_t i = 0; i < res.nloaded; i++)
			printf("loaded from the Auxiliary Kernel Collection: %s\n",
			       res.loaded[i].bundle_id);
		if (res.nrefused)
			printf("left out (not approved or missing): %zu\n", res.nrefused);
	}
	macext_boot_result_clear(&res);
	return r;
}
