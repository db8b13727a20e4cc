#pragma once
/*
 * tools/macext/cli_signature.h: rendering code signatures (cli_signature.c) for `codesign`
 * (cmd_codesign.c, cmd_codesign_sign.c) and `inspect` (cmd_inspect.c).
 */
#include <jansson.h>

#include "macext/codesign.h"

struct cli;

/* The JSON object of one verified file (docs/codesign.md): path, valid, kind, signer, ... */
json_t *cli_cs_file_json(const char *path, const struct macext_cs_result *res);
/* The JSON object of one verified slice. */
json_t *cli_cs_slice_json(const struct macext_cs_slice *s);
/* Text output of `codesign verify` (verdict on stdout, one line per reason on stderr) and
 * of `codesign show`. */
void cli_cs_print_verify(struct cli *cli, const char *path, const struct macext_cs_result *res);
void cli_cs_print_show(const char *path, const struct macext_cs_result *res);

/* `codesign sign PATH... --identity P12 [--adhoc]` (cmd_codesign_sign.c). */
int cmd_codesign_sign(struct cli *cli, int argc, char **argv);

/* The `signature` member of an inspect slice for ARCH (docs/inspect.md): {kind, team_id,
 * identifier, cdhashes[], flags, valid} from RES's slice of that architecture, or JSON null
 * when RES is NULL or that slice is unsigned. */
json_t *cli_signature_slice_json(const struct macext_cs_result *res, const char *arch);
/* Verifies PATH (a Mach-O file or bundle; Apple's roots only, the modeled clock) and sets
 * `signature` on every element of FILE's `slices` array; null where unsigned or unreadable. */
void cli_signature_annotate(struct cli *cli, json_t *file, const char *path);
