/*
 * tools/macext/cmd_profiles_check.c: the kext side of `profiles validate --check PATH`.
 *
 * The bundle ID is the bundle's CFBundleIdentifier (macext_kext_open). The Team ID comes
 * from the executable's code signature (macext_codesign_verify, with the bundle's
 * Info.plist and CodeResources, and validate's --trust-anchor roots as extra anchors): the
 * leaf certificate's Team ID of the first slice that has one, else the CodeDirectory's.
 * A codeless kext, an ad-hoc or an unsigned one has Team ID "" (the unsigned-kext key of
 * AllowedKernelExtensions, mdm-sysext.md §2.2). An invalid signature still names its team;
 * the verdict says macOS would refuse the kext before consulting MDM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_profiles.h"
#include "macext/codesign.h"
#include "macext/kext.h"
#include "util/file.h"

#define EXE_MAX ((uint64_t)1 << 30)
#define SIDE_MAX ((size_t)16 << 20)

void profiles_kext_id_clear(struct profiles_kext_id *k)
{
	free(k->path);
	free(k->bundle_id);
	free(k->team_id);
	memset(k, 0, sizeof(*k));
}

json_t *profiles_kext_id_json(const struct profiles_kext_id *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b}", "path", k->path, "bundle_id", k->bundle_id,
			 "team_id", k->team_id, "signature", k->kind, "signature_valid", k->valid);
}

/* Info.plist / CodeResources of the bundle at DIR (modern or flat layout), or NULL. */
static char *side_file(const char *dir, const char *rel, size_t *len)
{
	const char *pre[] = {"Contents/", ""};
	char *buf = NULL;

	for (size_t i = 0; i < 2 && !buf; i++) {
		char name[128], *p;

		snprintf(name, sizeof(name), "%s%s", pre[i], rel);
		p = mx_path_join(dir, name);
		if (p && mx_exists(p) && mx_read_file(p, SIDE_MAX, &buf, len, NULL) < 0)
			buf = NULL;
		free(p);
	}
	return buf;
}

static int signature_team(struct cli *cli, const char *dir, const char *exe,
			  const struct macext_profile_anchor *anchors, size_t n_anchors,
			  struct profiles_kext_id *ret)
{
	const uint8_t *abufs[16];
	size_t alens[16], ilen = 0, rlen = 0;
	struct macext_cs_options o = {.now = cli->ctx->now};
	struct macext_cs_result *res = NULL;
	struct mx_map map = MX_MAP_INIT;
	struct macext_diag d = {0};
	char *info = side_file(dir, "Info.plist", &ilen);
	char *cres = side_file(dir, "_CodeSignature/CodeResources", &rlen);
	const char *team = NULL;
	int r, rc = 0;

	for (size_t i = 0; i < n_anchors && i < 16; i++) {
		abufs[i] = anchors[i].pem;
		alens[i] = anchors[i].len;
	}
	o.anchors = abufs;
	o.anchor_lens = alens;
	o.nanchors = n_anchors < 16 ? n_anchors : 16;
	o.info_plist = (const uint8_t *)info;
	o.info_plist_len = ilen;
	o.resources = (const uint8_t *)cres;
	o.resources_len = rlen;
	r = mx_map_file(&map, exe, EXE_MAX, &d);
	if (r == 0)
		r = macext_codesign_verify(&res, map.data ? map.data : (const uint8_t *)"", map.len,
					   &o, &d);
	if (r < 0) {
		rc = cli_fail(cli, r, &d, "%s", exe);
		goto out;
	}
	for (size_t i = 0; i < res->nslices && !team; i++)
		team = res->slices[i].team_id ? res->slices[i].team_id : res->slices[i].cd_team_id;
	if (res->kind == MACEXT_CS_UNSIGNED || res->kind == MACEXT_CS_ADHOC ||
	    res->kind == MACEXT_CS_LINKER_SIGNED)
		team = NULL;
	ret->team_id = strdup(team ? team : "");
	ret->kind = macext_cs_kind_name(res->kind);
	ret->valid = res->valid;
	if (!ret->team_id)
		rc = cli_fail(cli, -ENOMEM, NULL, "%s", exe);
out:
	macext_cs_result_free(res);
	mx_unmap(&map);
	free(info);
	free(cres);
	return rc;
}

int profiles_kext_identify(struct cli *cli, const char *path,
			   const struct macext_profile_anchor *anchors, size_t n_anchors,
			   struct profiles_kext_id *ret)
{
	struct macext_kext *k = NULL;
	struct macext_diag d = {0};
	const char *exe;
	int r, rc = 0;

	memset(ret, 0, sizeof(*ret));
	r = macext_kext_open(&k, path, &d);
	if (r < 0)
		return cli_fail(cli, r, &d, "%s", path);
	ret->path = strdup(path);
	if (!macext_kext_bundle_id(k)) {
		rc = cli_fail(cli, -EBADMSG, NULL, "%s: no CFBundleIdentifier", path);
		goto out;
	}
	ret->bundle_id = strdup(macext_kext_bundle_id(k));
	exe = macext_kext_executable_path(k);
	if (!exe) {
		ret->team_id = strdup("");
		ret->kind = "codeless";
		ret->valid = true;
	} else {
		rc = signature_team(cli, path, exe, anchors, n_anchors, ret);
	}
	if (rc == 0 && (!ret->path || !ret->bundle_id || !ret->team_id))
		rc = cli_fail(cli, -ENOMEM, NULL, "%s", path);
out:
	if (rc)
		profiles_kext_id_clear(ret);
	macext_kext_free(k);
	return rc;
}
