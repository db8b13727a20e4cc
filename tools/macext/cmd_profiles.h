#pragma once
/*
 * tools/macext/cmd_profiles*.c internals: `profiles validate` lives in cmd_profiles.c,
 * install/remove/list/show and their output in cmd_profiles_show.c, and the kext reading of
 * `validate --check PATH` in cmd_profiles_check.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "cli.h"
#include "macext/profile.h"

int cmd_profiles_install(struct cli *cli, int argc, char **argv);
int cmd_profiles_remove(struct cli *cli, int argc, char **argv);
int cmd_profiles_list(struct cli *cli, int argc, char **argv);
int cmd_profiles_show(struct cli *cli, int argc, char **argv);
/* Prints the --help of install, remove, list or show; false for another NAME. */
bool cmd_profiles_sub_help(const char *name);

/* JSON of a profile's signature check (validate's "signature" member). */
json_t *profiles_sig_json(const struct macext_profile_sig *sig);

/* What `validate --check PATH` learns from a kext bundle. */
struct profiles_kext_id {
	char *path;
	char *bundle_id;   /* CFBundleIdentifier */
	char *team_id;     /* from the code signature; "" when unsigned, ad-hoc or codeless */
	const char *kind;  /* macext_cs_kind_name(), or "codeless" */
	bool valid;        /* the signature verifies (true for a codeless kext) */
};

/* Reads PATH's bundle ID and Team ID (macext_codesign_verify on the executable, with
 * ANCHORS as extra roots). Returns 0 or an exit code after one line on stderr. */
int profiles_kext_identify(struct cli *cli, const char *path,
			   const struct macext_profile_anchor *anchors, size_t n_anchors,
			   struct profiles_kext_id *ret);
void profiles_kext_id_clear(struct profiles_kext_id *k);
json_t *profiles_kext_id_json(const struct profiles_kext_id *k);
