/*
 * tools/macext/cmd_why.c: `macext why ID|PATH [--json]` (docs/why.md): the whole decision
 * for loading that kext here and now, without doing it (macext_kext_load with
 * MACEXT_LOAD_DRY_RUN, as the acting user). Every rule of kexts.md §1.11 is listed with
 * what it saw, its outcome and the macOS behaviour it implements; an allowed kext whose
 * bundle fails validation gets a last "validation" entry (rule 2, reported at load time).
 * The exit status is 0 when the question was answered (the decision is in the output).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "macext/kextload.h"

static const char usage[] = "macext why ID|PATH [--json]";
static const char ref_validation[] = "kexts.md §6.4, §1.11 rule 2: Info.plist, executable and "
				     "dependency validation (kOSKextReturnValidation)";

static int print_json(struct cli *cli, const struct macext_load_result *lr)
{
	json_t *trace = json_array();

	for (size_t i = 0; i < lr->trace.n; i++) {
		const struct macext_trace_entry *t = &lr->trace.entries[i];

		json_array_append_new(trace, json_pack("{s:s, s:s, s:s, s:s}", "rule", t->rule,
						       "outcome", t->outcome, "detail", t->detail,
						       "reference", t->reference));
	}
	if (lr->validation)
		json_array_append_new(trace, json_pack("{s:s, s:s, s:s, s:s}", "rule", "validation",
						       "outcome", "refuse", "detail",
						       lr->validation, "reference", ref_validation));
	return cli_print_json(cli, "why",
			      json_pack("{s:s, s:i, s:s?, s:s, s:s, s:o}", "decision",
					macext_decision_name(lr->decision), "exit_code",
					lr->exit_code, "message", lr->message, "bundle_id",
					lr->bundle_id, "path", lr->path, "trace", trace));
}

static void print_text(const struct macext_load_result *lr)
{
	size_t n = lr->trace.n;

	printf("%s (%s)\n", lr->bundle_id, lr->path);
	for (size_t i = 0; i < n; i++) {
		const struct macext_trace_entry *t = &lr->trace.entries[i];

		printf("  %2zu. %-12s %-16s %s\n", i + 1, t->rule, t->outcome, t->detail);
		printf("      %-29s %s\n", "", t->reference);
	}
	if (lr->validation) {
		printf("  %2zu. %-12s %-16s %s\n", n + 1, "validation", "refuse", lr->validation);
		printf("      %-29s %s\n", "", ref_validation);
	}
	printf("decision: %s (exit %d)\n", macext_decision_name(lr->decision), lr->exit_code);
	if (lr->message)
		printf("message:\n%s\n", lr->message);
}

int cmd_why(struct cli *cli, int argc, char **argv)
{
	struct macext_load_result lr = {0};
	struct macext_diag diag = {0};
	int r;

	argc = cli_take_json(cli, argc, argv);
	if (argc == 2 && cli_is_help(argv[1])) {
		printf("usage: %s\n\nExplains whether the kext ID or PATH would load on the modeled "
		       "Mac now, and why:\nevery rule consulted, what it saw, its outcome and the "
		       "macOS behaviour it\nimplements. Nothing is changed.\n\noptions:\n  --json   "
		       "decision, exit_code, message, trace[] of {rule, outcome, detail,\n"
		       "           reference} (schema macext/why/1)\n\nexit codes: 0 answered, "
		       "64 usage, 66 no such kext\n",
		       usage);
		return 0;
	}
	if (argc != 2)
		return cli_usage_error(usage, "why: expected one ID or PATH");
	r = macext_kext_load(cli->ctx, cli->user, argv[1], MACEXT_LOAD_DRY_RUN, &lr, &diag);
	if (r < 0)
		return cli_fail(cli, r, &diag, "why: %s", argv[1]);
	if (cli->json) {
		r = print_json(cli, &lr);
	} else {
		print_text(&lr);
		r = 0;
	}
	macext_load_result_clear(&lr);
	return r;
}
