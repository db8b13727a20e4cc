/*
 * lib/machine/nvram.c: the modeled Mac's NVRAM, .macext/nvram.plist (ARCHITECTURE.md §2).
 *
 * Keys (a dictionary; every other key is kept as it is, so variables owned by other code,
 * e.g. boot-safe-mode, survive a save):
 *   csr-active-config           data, a little-endian u32, as NVRAM holds it on an Intel Mac
 *                               (boot-chain.md §2.4, §7.3); absent = 0 (SIP fully on)
 *   boot-state                  string "normal" or "recovery" (required)
 *   macext-kext-consent         bool; absent = true (consent required), kexts.md §9 P8
 *   macext-kext-consent-teams   array of Team ID strings (spctl kext-consent add)
 *
 * Invariants:
 * 1. load never changes a file; a malformed nvram.plist is MACEXT_E_BAD_MACHINE with the
 *    diagnostic naming the file and the key.
 * 2. save reads the current file first and refuses a malformed one (it is never
 *    overwritten); it writes the whole new dictionary with mx_write_atomic(), so a failure
 *    at any point, allocation included, leaves the previous file in place.
 * 3. The consent keys are written only when they differ from the default (disabled, or a
 *    non-empty list), so an NVRAM in its reset state holds only what init wrote.
 * 4. After a save that changes SIP or kext consent, one event goes to the event log
 *    ("sip.change" {from, to} as hex text; "kext-consent.change" {enabled, teams}), whoever
 *    asked for it (csrutil, spctl, a test). The log is best effort: the NVRAM change stands
 *    even if the line cannot be written. Boot-state changes are the boot code's to log.
 */
#include "machine/machine.h"
#include "machine/eventlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/machine_state.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define KEY_CSR "csr-active-config"
#define KEY_BOOT "boot-state"
#define KEY_CONSENT "macext-kext-consent"
#define KEY_TEAMS "macext-kext-consent-teams"
/* A Team ID list longer than this is not something spctl could have built by hand. */
#define CONSENT_TEAMS_MAX 4096u

static const char *boot_state_name(enum macext_boot_state s)
{
	return s == MACEXT_BOOT_RECOVERY ? "recovery" : "normal";
}

static int bad(struct macext_diag *diag, const char *what)
{
	return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s: %s", MX_NVRAM_PLIST, what);
}

static int parse_csr(plist_t nv, uint32_t *ret, struct macext_diag *diag)
{
	plist_t n = plist_dict_get_item(nv, KEY_CSR);
	const char *b;
	uint64_t len = 0;

	*ret = 0;
	if (!n)
		return 0;
	if (plist_get_node_type(n) != PLIST_DATA)
		return bad(diag, KEY_CSR " is not data");
	b = plist_get_data_ptr(n, &len);
	if (len != 4 || !b)
		return bad(diag, KEY_CSR " is not 4 bytes");
	for (unsigned i = 0; i < 4; i++)
		*ret |= (uint32_t)(uint8_t)b[i] << (8 * i);
	return 0;
}

static int parse_boot_state(plist_t nv, enum macext_boot_state *ret, struct macext_diag *diag)
{
	plist_t n = plist_dict_get_item(nv, KEY_BOOT);
	const char *s;

	if (plist_get_node_type(n) != PLIST_STRING)
		return bad(diag, KEY_BOOT " is missing or not a string");
	s = plist_get_string_ptr(n, NULL);
	if (strcmp(s, "normal") == 0)
		*ret = MACEXT_BOOT_NORMAL;
	else if (strcmp(s, "recovery") == 0)
		*ret = MACEXT_BOOT_RECOVERY;
	else
		return bad(diag, KEY_BOOT " is neither \"normal\" nor \"recovery\"");
	return 0;
}

static int parse_consent(plist_t nv, struct macext_nvram *n, struct macext_diag *diag)
{
	plist_t c = plist_dict_get_item(nv, KEY_CONSENT), teams = plist_dict_get_item(nv, KEY_TEAMS);
	uint8_t flag = 1;
	uint32_t count;

	if (c) {
		if (plist_get_node_type(c) != PLIST_BOOLEAN)
			return bad(diag, KEY_CONSENT " is not a boolean");
		plist_get_bool_val(c, &flag);
	}
	n->kext_consent_enabled = flag != 0;
	if (!teams)
		return 0;
	if (plist_get_node_type(teams) != PLIST_ARRAY)
		return bad(diag, KEY_TEAMS " is not an array");
	count = plist_array_get_size(teams);
	if (count > CONSENT_TEAMS_MAX)
		return bad(diag, KEY_TEAMS " has too many entries");
	n->kext_consent_teams = mx_calloc(count ? count : 1, sizeof(*n->kext_consent_teams));
	if (!n->kext_consent_teams)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		plist_t t = plist_array_get_item(teams, i);

		if (plist_get_node_type(t) != PLIST_STRING)
			return bad(diag, KEY_TEAMS " holds a value that is not a string");
		n->kext_consent_teams[i] = mx_strdup(plist_get_string_ptr(t, NULL));
		if (!n->kext_consent_teams[i])
			return -ENOMEM;
		n->nkext_consent_teams++;
	}
	return 0;
}

int macext_nvram_load(const struct macext_ctx *ctx, struct macext_nvram *ret,
		      struct macext_diag *diag)
{
	struct macext_nvram n = {0};
	plist_t nv = NULL;
	int r;

	if (!ctx || !ctx->root || !ret)
		return -EINVAL;
	r = mx_machine_check_exists(ctx->root, diag);
	if (r < 0)
		return r;
	r = mx_machine_read_plist(ctx->root, MX_NVRAM_PLIST, &nv, diag);
	if (r < 0)
		return r;
	r = parse_csr(nv, &n.csr_active_config, diag);
	if (r == 0)
		r = parse_boot_state(nv, &n.boot_state, diag);
	if (r == 0)
		r = parse_consent(nv, &n, diag);
	plist_free(nv);
	if (r < 0) {
		macext_nvram_clear(&n);
		return r;
	}
	*ret = n;
	return 0;
}

/* Sets the keys N models in NV (a copy of the current dictionary). */
static int fill(plist_t nv, const struct macext_nvram *n)
{
	uint8_t csr[4];
	plist_t teams;

	for (unsigned i = 0; i < 4; i++)
		csr[i] = (uint8_t)(n->csr_active_config >> (8 * i));
	plist_dict_set_item(nv, KEY_CSR, plist_new_data((const char *)csr, sizeof(csr)));
	plist_dict_set_item(nv, KEY_BOOT, plist_new_string(boot_state_name(n->boot_state)));
	if (n->kext_consent_enabled)
		plist_dict_remove_item(nv, KEY_CONSENT);
	else
		plist_dict_set_item(nv, KEY_CONSENT, plist_new_bool(0));
	if (n->nkext_consent_teams == 0) {
		plist_dict_remove_item(nv, KEY_TEAMS);
		return 0;
	}
	if (n->nkext_consent_teams > CONSENT_TEAMS_MAX)
		return -E2BIG;
	teams = plist_new_array();
	for (size_t i = 0; i < n->nkext_consent_teams; i++) {
		if (!n->kext_consent_teams[i]) {
			plist_free(teams);
			return -EINVAL;
		}
		plist_array_append_item(teams, plist_new_string(n->kext_consent_teams[i]));
	}
	plist_dict_set_item(nv, KEY_TEAMS, teams);
	return 0;
}

static bool same_teams(const struct macext_nvram *a, const struct macext_nvram *b)
{
	if (a->nkext_consent_teams != b->nkext_consent_teams)
		return false;
	for (size_t i = 0; i < a->nkext_consent_teams; i++) {
		if (strcmp(a->kext_consent_teams[i], b->kext_consent_teams[i]) != 0)
			return false;
	}
	return true;
}

static void log_changes(const struct macext_ctx *ctx, const struct macext_nvram *old,
			const struct macext_nvram *n)
{
	char from[16], to[16];
	json_t *teams;

	if (old->csr_active_config != n->csr_active_config) {
		snprintf(from, sizeof(from), "0x%x", old->csr_active_config);
		snprintf(to, sizeof(to), "0x%x", n->csr_active_config);
		mx_eventlog_append(ctx, "sip.change", json_pack("{s:s, s:s}", "from", from, "to", to));
	}
	if (old->kext_consent_enabled != n->kext_consent_enabled || !same_teams(old, n)) {
		teams = json_array();
		for (size_t i = 0; i < n->nkext_consent_teams; i++)
			json_array_append_new(teams, json_string(n->kext_consent_teams[i]));
		mx_eventlog_append(ctx, "kext-consent.change",
				   json_pack("{s:b, s:o}", "enabled", n->kext_consent_enabled,
					     "teams", teams));
	}
}

int macext_nvram_save(const struct macext_ctx *ctx, const struct macext_nvram *n,
		      struct macext_diag *diag)
{
	struct macext_nvram check = {.kext_consent_enabled = true};
	plist_t nv = NULL;
	char *path = NULL;
	int r;

	if (!ctx || !ctx->root || !n)
		return -EINVAL;
	r = mx_machine_check_exists(ctx->root, diag);
	if (r < 0)
		return r;
	path = mx_path_join(ctx->root, MX_NVRAM_PLIST);
	if (!path)
		return -ENOMEM;
	if (mx_exists(path)) {
		/* Refuse to replace a file we could not read: it may be evidence. */
		r = macext_nvram_load(ctx, &check, diag);
		if (r == 0)
			r = mx_machine_read_plist(ctx->root, MX_NVRAM_PLIST, &nv, diag);
		if (r < 0)
			goto out;
	} else {
		nv = plist_new_dict();
	}
	r = fill(nv, n);
	if (r == 0)
		r = mx_machine_write_plist(ctx->root, MX_NVRAM_PLIST, nv, 0644, true);
	if (r < 0 && diag && diag->code == 0)
		mx_diag_fail_nopos(diag, r, "%s: cannot write: %s", MX_NVRAM_PLIST,
				   macext_strerror(r));
	if (r == 0)
		log_changes(ctx, &check, n);
out:
	macext_nvram_clear(&check);
	plist_free(nv);
	mx_free(path);
	return r;
}

void macext_nvram_clear(struct macext_nvram *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkext_consent_teams; i++)
		mx_free(n->kext_consent_teams[i]);
	mx_free(n->kext_consent_teams);
	memset(n, 0, sizeof(*n));
}
