/*
 * lib/machine/boot.c: `macext reboot [--recovery]` on the modeled Intel Mac
 * (boot-chain.md §2.4, §2.8; kexts.md U10, P25).
 *
 * A restart clears the loaded kexts and starts a new boot session (a fresh boot session
 * UUID, which kext_load_history_v3 records). Booting macOS 11 or later, the kernel maps the
 * Auxiliary Kernel Collection and kmd checks each of its kexts' approval ("Validate
 * approval for <path> in auxKC: approved", kexts.md §1.9): a kext the load policy allows
 * when it is in the booted collection is loaded and recorded as booted with its cdhash; a
 * kext no longer approved is left out. Up to 10.15 nothing loads at boot here (kexts load
 * on demand). recoveryOS loads no third-party kext. Effects: loaded.plist [reboot.loaded],
 * then NVRAM's boot state through macext_nvram_save [reboot.nvram], then the "boot" event.
 */
#include "machine/kextload_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "machine/eventlog.h"
#include "machine/machine.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

void macext_boot_result_clear(struct macext_boot_result *r)
{
	if (!r)
		return;
	macext_kext_infos_free(r->loaded, r->nloaded);
	memset(r, 0, sizeof(*r));
}

static int new_uuid(char **ret)
{
	uint8_t u[16];
	ssize_t n;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -EIO;
	n = read(fd, u, sizeof(u));
	close(fd);
	if (n != (ssize_t)sizeof(u))
		return -EIO;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	*ret = mx_asprintf("%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
			   u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
			   u[12], u[13], u[14], u[15]);
	return *ret ? 0 : -ENOMEM;
}

/* The kexts of the AuxKC file, by bundle id. */
static int auxkc_ids(struct mx_env *e, char ***ret, size_t *ret_n)
{
	struct mx_map m = MX_MAP_INIT;
	struct macext_kc *kc = NULL;
	char *p = mx_path_join(e->ctx->root, MX_AUXKC);
	char **v = NULL;
	int r = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!p)
		return -ENOMEM;
	if (mx_map_file(&m, p, (uint64_t)1 << 31, NULL) < 0 || !m.data)
		goto out;
	r = macext_kc_parse(&kc, m.data, m.len, NULL);
	if (r < 0) {
		r = 0; /* a damaged collection boots nothing: kOSKextReturnKCLoadFailureAuxKC */
		goto out;
	}
	if (kc->nkexts && !(v = mx_calloc(kc->nkexts, sizeof(*v)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < kc->nkexts; i++)
		if (!(v[i] = mx_strdup(kc->kexts[i].bundle_id)))
			r = -ENOMEM;
	*ret = v;
	*ret_n = kc->nkexts;
out:
	macext_kc_free(kc);
	mx_unmap(&m);
	mx_free(p);
	return r;
}

static int boot_kext(struct mx_env *e, const char *id, struct mx_loaded *next,
		     struct macext_boot_result *res)
{
	struct mx_kext_facts kf;
	struct macext_trace t;
	enum macext_decision d;
	const char *msg;
	char *host = NULL, *mac = NULL;
	int code, r;

	if (mx_resolve(e, id, &host, &mac, NULL) < 0) {
		res->nrefused++; /* "Installation check: missing bundle for <id>" */
		return 0;
	}
	macext_trace_init(&t);
	r = mx_facts_gather(e, host, mac, &kf, NULL);
	if (r == 0) {
		kf.f.loaded = false;
		kf.f.auxkc.in_booted = true;
		kf.f.auxkc.booted_cdhash = kf.f.sig.cdhash;
		r = macext_policy_decide(&kf.f, &t, &d, &code, &msg);
	}
	if (r == 0 && d == MACEXT_DECISION_ALLOW && !kf.validation) {
		struct mx_loaded_kext k = {(char *)id,
					   (char *)(kf.f.kext.version ? kf.f.kext.version : ""),
					   (char *)mx_facts_team(&kf),
					   kf.mac_path,
					   (char *)kf.f.sig.cdhash,
					   kf.uuid};
		size_t cap = res->nloaded;

		r = mx_loaded_add(next, &k);
		if (r == 0)
			r = mx_grow((void **)&res->loaded, &cap, res->nloaded + 1,
				    sizeof(*res->loaded));
		if (r == 0) {
			struct macext_kext_info *i = &res->loaded[res->nloaded++];

			memset(i, 0, sizeof(*i));
			i->bundle_id = mx_strdup(id);
			i->version = mx_strdup(k.version);
			i->team_id = mx_strdup(k.team_id);
			i->path = mx_strdup(mac);
			if (!i->bundle_id || !i->version || !i->team_id || !i->path)
				r = -ENOMEM;
		}
	} else if (r == 0) {
		res->nrefused++;
	}
	if (kf.k || kf.host_path)
		mx_facts_clear(&kf);
	macext_trace_free(&t);
	mx_free(host);
	mx_free(mac);
	return r;
}

int macext_machine_reboot(const struct macext_ctx *ctx, bool recovery,
			  struct macext_boot_result *ret, struct macext_diag *diag)
{
	struct mx_loaded next = {0};
	struct mx_env e;
	char **ids = NULL;
	size_t nids = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->recovery = recovery;
	r = mx_env_open(&e, ctx, NULL, true, diag);
	if (r < 0)
		goto out;
	r = new_uuid(&next.boot_session_uuid);
	if (r < 0)
		goto out;
	/* facts of the new boot: nothing loaded yet, the new session */
	e.nv.boot_state = recovery ? MACEXT_BOOT_RECOVERY : MACEXT_BOOT_NORMAL;
	if (!recovery && e.info->macos.major >= 11) {
		r = auxkc_ids(&e, &ids, &nids);
		for (size_t i = 0; r == 0 && i < nids; i++)
			r = boot_kext(&e, ids[i], &next, ret);
		if (r < 0)
			goto out;
		for (size_t i = 0; r == 0 && i < next.n; i++) {
			size_t cap = next.nbooted;

			r = mx_grow((void **)&next.booted, &cap, next.nbooted + 1,
				    sizeof(*next.booted));
			if (r == 0) {
				struct mx_loaded_kext *b = &next.booted[next.nbooted];

				memset(b, 0, sizeof(*b));
				b->bundle_id = mx_strdup(next.kexts[i].bundle_id);
				b->path = next.kexts[i].path ? mx_strdup(next.kexts[i].path) : NULL;
				b->cdhash = next.kexts[i].cdhash ? mx_strdup(next.kexts[i].cdhash)
								 : NULL;
				next.nbooted++;
				if (!b->bundle_id)
					r = -ENOMEM;
			}
		}
		if (r < 0)
			goto out;
	}
	r = mx_loaded_write(ctx, &next);
	if (r < 0) {
		r = mx_diag_fail_nopos(diag, r, "%s: cannot write", MX_LOADED_PLIST);
		goto out;
	}
	mx_test_point(ctx, "reboot.loaded");
	r = macext_nvram_save(ctx, &e.nv, diag);
	if (r < 0)
		goto out;
	mx_test_point(ctx, "reboot.nvram");
	{
		json_t *loaded = json_array();

		for (size_t i = 0; i < ret->nloaded; i++)
			json_array_append_new(loaded, json_string(ret->loaded[i].bundle_id));
		mx_eventlog_append(ctx, "boot",
				   json_pack("{s:s, s:s, s:o, s:I}", "boot_state",
					     recovery ? "recovery" : "normal", "boot_session_uuid",
					     next.boot_session_uuid, "loaded_from_auxkc", loaded,
					     "refused", (json_int_t)ret->nrefused));
	}
out:
	for (size_t i = 0; i < nids; i++)
		mx_free(ids[i]);
	mx_free(ids);
	mx_loaded_clear(&next);
	if (e.ctx)
		mx_env_close(&e);
	if (r < 0)
		macext_boot_result_clear(ret);
	return r;
}
