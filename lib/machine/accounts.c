/*
 * lib/machine/accounts.c: the modeled Mac's local users (.macext/accounts.plist).
 *
 * Layout (XML plist):
 *   users: array of dict {
 *     name: string, admin: bool, owner: bool (the first admin, made at init),
 *     password: dict { algorithm: "pbkdf2-hmac-sha256", iterations: integer,
 *                      salt: data (16 random bytes), hash: data (32 bytes) } }
 *
 * Invariants:
 * 1. A password is never stored, only PBKDF2-HMAC-SHA256(password, salt, iterations), with a
 *    fresh 16-byte salt from the OpenSSL CSPRNG per account (macext_machine_adduser and
 *    mx_accounts_new are the only writers).
 * 2. Iterations are stored per hash and checked against a floor when read, so a tampered
 *    file cannot downgrade the work factor below MACEXT_MACHINE_PBKDF2_ITERATIONS.
 * 3. accounts.plist is replaced atomically (mx_write_atomic): a crash keeps the old users.
 * 4. Hashes are compared in constant time (CRYPTO_memcmp).
 */
#include "machine/machine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/alloc.h"
#include "util/diag.h"
#include "util/file.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define NAME_MAX_LEN 64
#define ITERATIONS_MAX 100000000u

int mx_account_name_check(const char *name, struct macext_diag *diag)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > NAME_MAX_LEN || name[0] == '.' || name[0] == '-')
		return mx_diag_fail_nopos(diag, MACEXT_E_USAGE,
					  "account name '%s': must be 1-%d characters, not "
					  "starting with '.' or '-'",
					  name ? name : "", NAME_MAX_LEN);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return mx_diag_fail_nopos(diag, MACEXT_E_USAGE,
						  "account name '%s': only letters, digits, '.', "
						  "'_' and '-' are allowed",
						  name);
	}
	return 0;
}

static int pbkdf2(const char *password, const uint8_t *salt, uint64_t iterations,
		  uint8_t out[HASH_LEN])
{
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_LEN, (int)iterations,
			      EVP_sha256(), HASH_LEN, out) != 1)
		return -ENOMEM;
	return 0;
}

static int account_new(plist_t *ret, const char *name, const char *password, bool admin,
		       bool owner)
{
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	plist_t acc, pw;
	int r;

	if (RAND_bytes(salt, SALT_LEN) != 1)
		return -EIO;
	r = pbkdf2(password, salt, MACEXT_MACHINE_PBKDF2_ITERATIONS, hash);
	if (r < 0)
		return r;
	pw = plist_new_dict();
	plist_dict_set_item(pw, "algorithm", plist_new_string("pbkdf2-hmac-sha256"));
	plist_dict_set_item(pw, "iterations", plist_new_uint(MACEXT_MACHINE_PBKDF2_ITERATIONS));
	plist_dict_set_item(pw, "salt", plist_new_data((const char *)salt, SALT_LEN));
	plist_dict_set_item(pw, "hash", plist_new_data((const char *)hash, HASH_LEN));
	acc = plist_new_dict();
	plist_dict_set_item(acc, "name", plist_new_string(name));
	plist_dict_set_item(acc, "admin", plist_new_bool(admin));
	plist_dict_set_item(acc, "owner", plist_new_bool(owner));
	plist_dict_set_item(acc, "password", pw);
	OPENSSL_cleanse(hash, sizeof(hash));
	*ret = acc;
	return 0;
}

int mx_accounts_new(plist_t *ret, const char *name, const char *password, bool admin, bool owner,
		    struct macext_diag *diag)
{
	plist_t acc = NULL, top, users;
	int r;

	r = mx_account_name_check(name, diag);
	if (r < 0)
		return r;
	r = account_new(&acc, name, password, admin, owner);
	if (r < 0)
		return mx_diag_fail_nopos(diag, r, "account '%s': cannot hash the password", name);
	users = plist_new_array();
	plist_array_append_item(users, acc);
	top = plist_new_dict();
	plist_dict_set_item(top, "users", users);
	*ret = top;
	return 0;
}

static plist_t find_user(plist_t users, const char *name)
{
	uint32_t n = plist_array_get_size(users);

	for (uint32_t i = 0; i < n; i++) {
		plist_t u = plist_array_get_item(users, i);
		plist_t nm = plist_dict_get_item(u, "name");
		const char *s;

		if (plist_get_node_type(nm) != PLIST_STRING)
			continue;
		s = plist_get_string_ptr(nm, NULL);
		if (s && strcmp(s, name) == 0)
			return u;
	}
	return NULL;
}

/* Reads accounts.plist and returns its "users" array inside *RET_TOP (caller frees). */
static int read_users(const struct macext_ctx *ctx, plist_t *ret_top, plist_t *ret_users,
		      struct macext_diag *diag)
{
	plist_t top = NULL, users;
	int r;

	if (!ctx || !ctx->root)
		return -EINVAL;
	r = mx_machine_check_exists(ctx->root, diag);
	if (r < 0)
		return r;
	r = mx_machine_read_plist(ctx->root, MX_ACCOUNTS_PLIST, &top, diag);
	if (r < 0)
		return r;
	users = plist_dict_get_item(top, "users");
	if (plist_get_node_type(users) != PLIST_ARRAY) {
		plist_free(top);
		return mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE,
					  "%s: 'users' is not an array", MX_ACCOUNTS_PLIST);
	}
	*ret_top = top;
	*ret_users = users;
	return 0;
}

int macext_machine_adduser(const struct macext_ctx *ctx, const char *name, const char *password,
			   bool admin, struct macext_diag *diag)
{
	plist_t top = NULL, users, acc = NULL;
	int r;

	if (!password)
		return -EINVAL;
	r = mx_account_name_check(name, diag);
	if (r < 0)
		return r;
	r = read_users(ctx, &top, &users, diag);
	if (r < 0)
		return r;
	if (find_user(users, name)) {
		r = mx_diag_fail_nopos(diag, -EEXIST, "account '%s' already exists", name);
		goto out;
	}
	r = account_new(&acc, name, password, admin, false);
	if (r < 0) {
		mx_diag_fail_nopos(diag, r, "account '%s': cannot hash the password", name);
		goto out;
	}
	plist_array_append_item(users, acc);
	r = mx_machine_write_plist(ctx->root, MX_ACCOUNTS_PLIST, top, 0600, true);
	if (r < 0)
		mx_diag_fail_nopos(diag, r, "%s: cannot write", MX_ACCOUNTS_PLIST);
out:
	plist_free(top);
	return r;
}

static int data_field(plist_t dict, const char *key, size_t want, uint8_t *out)
{
	plist_t d = plist_dict_get_item(dict, key);
	char *buf = NULL;
	uint64_t len = 0;

	if (plist_get_node_type(d) != PLIST_DATA)
		return -EBADMSG;
	plist_get_data_val(d, &buf, &len);
	if (!buf || len != want) {
		free(buf);
		return -EBADMSG;
	}
	memcpy(out, buf, want);
	free(buf);
	return 0;
}

int macext_machine_check_password(const struct macext_ctx *ctx, const char *name,
				  const char *password, struct macext_diag *diag)
{
	uint8_t salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	plist_t top = NULL, users, u, pw, it, alg;
	uint64_t iterations = 0;
	int r;

	if (!name || !password)
		return -EINVAL;
	r = read_users(ctx, &top, &users, diag);
	if (r < 0)
		return r;
	u = find_user(users, name);
	if (!u) {
		r = mx_diag_fail_nopos(diag, -EACCES, "no account '%s'", name);
		goto out;
	}
	pw = plist_dict_get_item(u, "password");
	it = plist_dict_get_item(pw, "iterations");
	alg = plist_dict_get_item(pw, "algorithm");
	if (plist_get_node_type(it) == PLIST_UINT)
		plist_get_uint_val(it, &iterations);
	if (plist_get_node_type(alg) != PLIST_STRING ||
	    strcmp(plist_get_string_ptr(alg, NULL), "pbkdf2-hmac-sha256") != 0 ||
	    iterations < MACEXT_MACHINE_PBKDF2_ITERATIONS || iterations > ITERATIONS_MAX ||
	    data_field(pw, "salt", SALT_LEN, salt) < 0 || data_field(pw, "hash", HASH_LEN, want) < 0) {
		r = mx_diag_fail_nopos(diag, MACEXT_E_BAD_MACHINE, "%s: account '%s': bad password record",
				       MX_ACCOUNTS_PLIST, name);
		goto out;
	}
	r = pbkdf2(password, salt, iterations, got);
	if (r < 0)
		goto out;
	if (CRYPTO_memcmp(got, want, HASH_LEN) != 0)
		r = mx_diag_fail_nopos(diag, -EACCES, "account '%s': wrong password", name);
	OPENSSL_cleanse(got, sizeof(got));
out:
	plist_free(top);
	return r;
}
