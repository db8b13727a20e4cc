/*
 * tools/macext/cmd_csrutil.c: `macext csrutil status|enable [--without X]...|disable`
 * (docs/csrutil.md; boot-chain.md §7.2-7.3, kexts.md §1.8, §8.5).
 *
 * On an Intel model SIP is NVRAM's csr-active-config (macext_nvram_load/save). status reads
 * it anywhere; enable and disable change it only when the modeled Mac is booted into
 * recovery, else Apple's `csrutil: This tool needs to be executed from Recovery OS.` and
 * exit 69. disable sets CSR_DISABLE_FLAGS (bits 0-6, 0x7f); enable clears every bit, then
 * sets the bits named by --without. Apple silicon keeps SIP in its LocalPolicy (boot-chain.md
 * §9 row 18), which this command does not write: arm64 models are refused with exit 69.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macext/machine.h"
#include "macext/machine_state.h"

#define CSR_DISABLE_FLAGS 0x7fu

static const char usage[] = "macext csrutil status | enable [--without kext|fs|debug|dtrace|"
			    "nvram]... | disable";

/* csrutil's configuration lines and the csr bits behind each (boot-chain.md §7.3). */
static const struct {
	const char *label;
	uint32_t bits;
	const char *without; /* the --without word, or NULL */
} labels[] = {
	{"Apple Internal", 0x10, NULL},
	{"Kext Signing", 0x1, "kext"},
	{"Filesystem Protections", 0x2, "fs"},
	{"Debugging Restrictions", 0x4 | 0x8, "debug"},
	{"DTrace Restrictions", 0x20, "dtrace"},
	{"NVRAM Protections", 0x40, "nvram"},
	{"BaseSystem Verification", 0x100, NULL},
};

#define NLABELS (sizeof(labels) / sizeof(labels[0]))

/* The status word: enabled (0), disabled (every disable flag but Apple Internal, which
 * xnu drops on customer Macs), else a custom configuration. */
static const char *status_word(uint32_t csr)
{
	uint32_t labelled = 0;

	if (csr == 0)
		return "enabled.";
	if ((csr & (CSR_DISABLE_FLAGS & ~0x10u)) == (CSR_DISABLE_FLAGS & ~0x10u))
		return "disabled.";
	for (size_t i = 0; i < NLABELS; i++)
		labelled |= labels[i].bits;
	return csr & labelled ? "enabled (Custom Configuration)." : "unknown (Custom Configuration).";
}

static int status(struct cli *cli, uint32_t csr)
{
	const char *word = status_word(csr);
	json_t *cfg;

	if (cli->json) {
		cfg = json_object();
		for (size_t i = 0; i < NLABELS; i++)
			json_object_set_new(cfg, labels[i].label,
					    json_boolean(!(csr & labels[i].bits)));
		return cli_print_json(cli, "sip",
				      json_pack("{s:I, s:s#, s:o}", "csr_active_config",
						(json_int_t)csr, "status", word, strlen(word) - 1,
						"configuration", cfg));
	}
	printf("System Integrity Protection status: %s\n", word);
	if (strstr(word, "Custom")) {
		printf("\nConfiguration:\n");
		for (size_t i = 0; i < NLABELS; i++)
			printf("\t%s: %s\n", labels[i].label,
			       csr & labels[i].bits ? "disabled" : "enabled");
	}
	return 0;
}

/* Parses enable's --without words into *RET. */
static int without_bits(int argc, char **argv, uint32_t *ret)
{
	*ret = 0;
	for (int i = 2; i < argc; i++) {
		size_t k;

		if (strcmp(argv[i], "--without") != 0 || i + 1 >= argc)
			return cli_usage_error(usage, "csrutil enable: unexpected '%s'", argv[i]);
		i++;
		for (k = 0; k < NLABELS; k++) {
			if (labels[k].without && strcmp(labels[k].without, argv[i]) == 0)
				break;
		}
		if (k == NLABELS)
			return cli_usage_error(usage, "csrutil enable --without: unknown '%s'",
					       argv[i]);
		*ret |= labels[k].bits;
	}
	return 0;
}

int cmd_csrutil(struct cli *cli, int argc, char **argv)
{
	struct macext_machine_info *m = NULL;
	struct macext_nvram n = {0};
	struct macext_diag diag = {0};
	uint32_t without = 0;
	bool enable;
	int r;

	argc = cli_take_json(cli, argc, argv);
	if (argc < 2)
		return cli_usage_error(usage, "csrutil: missing status, enable or disable");
	if (cli_is_help(argv[1])) {
		printf("usage: %s\n\n"
		       "System Integrity Protection of the modeled Intel Mac (csr-active-config in\n"
		       "its NVRAM). status works anywhere; enable and disable only when the Mac is\n"
		       "booted into recovery ('macext reboot --recovery'), and take effect at the\n"
		       "next restart.\n\n"
		       "exit codes: 0 ok, 64 usage, 66 no modeled Mac, 69 not in recovery (or an\n"
		       "arm64 model), 78 the modeled Mac's files are damaged\n",
		       usage);
		return 0;
	}
	enable = strcmp(argv[1], "enable") == 0;
	if (strcmp(argv[1], "status") != 0 && !enable && strcmp(argv[1], "disable") != 0)
		return cli_usage_error(usage, "csrutil: unknown command '%s'", argv[1]);
	if (enable) {
		r = without_bits(argc, argv, &without);
		if (r != 0)
			return r;
	} else if (argc > 2) {
		return cli_usage_error(usage, "csrutil %s: unexpected '%s'", argv[1], argv[2]);
	}
	r = macext_machine_load(cli->ctx, &m, &diag);
	if (r == 0)
		r = macext_nvram_load(cli->ctx, &n, &diag);
	if (r < 0) {
		r = cli_fail(cli, r, &diag, "%s", cli->root);
		goto out;
	}
	if (strcmp(m->arch, "arm64") == 0) {
		fputs("macext: csrutil: this modeled Mac is arm64: its SIP lives in the LocalPolicy, "
		      "which csrutil does not model (csr-active-config is for Intel models)\n",
		      stderr);
		r = cli_exit_code(MACEXT_E_NEEDS_RECOVERY);
		goto out;
	}
	if (strcmp(argv[1], "status") == 0) {
		r = status(cli, n.csr_active_config);
		goto out;
	}
	if (n.boot_state != MACEXT_BOOT_RECOVERY) {
		fputs("csrutil: This tool needs to be executed from Recovery OS.\n", stderr);
		r = cli_exit_code(MACEXT_E_NEEDS_RECOVERY);
		goto out;
	}
	if (without)
		fputs("csrutil: Requesting an unsupported configuration. This is likely to break in "
		      "the future and leave your machine in an unknown state.\n",
		      stderr);
	n.csr_active_config = enable ? without : CSR_DISABLE_FLAGS;
	r = macext_nvram_save(cli->ctx, &n, &diag);
	if (r < 0) {
		r = cli_fail(cli, r, &diag, "%s", cli->root);
		goto out;
	}
	printf("Successfully %s System Integrity Protection. Please restart the machine for the "
	       "changes to take effect.\n",
	       enable ? "enabled" : "disabled");
out:
	macext_nvram_clear(&n);
	macext_machine_info_free(m);
	return r;
}
