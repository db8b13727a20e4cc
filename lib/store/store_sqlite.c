/*
 * lib/store/store_sqlite.c: the KextPolicy backend, an SQLite file with Apple's schema
 * (kexts.md §3). The only file of macext that includes <sqlite3.h>.
 *
 * Invariants:
 * 1. An existing file is never written before it has proved to be a KextPolicy database:
 *    sqlite_schema readable (else "not a database"), PRAGMA quick_check "ok", and every
 *    table and column of kexts.md §3.2 present (check_schema). A file that fails is left
 *    as it was and open returns -EBADMSG naming the problem; nothing is ever "repaired".
 * 2. A database is new only when sqlite_schema is empty (a missing or empty file). Its
 *    schema (schema.sql, schema_macext.sql, for macOS 11+ schema_cdhash.sql) is created in
 *    one BEGIN IMMEDIATE transaction (create_schema), in WAL mode as on a Mac.
 * 3. Durability: synchronous=FULL in either journal mode, so a process killed at any point
 *    leaves the last committed state (the kill tests in test_store_store.c).
 * 4. Every change is one transaction: single statements run in autocommit or in the
 *    caller's transaction; the one multi-statement change (mdm_policy_replace_all) runs
 *    inside a SAVEPOINT that is rolled back on failure (sql_mdm_replace_all).
 * 5. Read-only (forensic) mode opens "file:…?mode=ro&immutable=1": SQLite then takes no
 *    locks and creates no journal, WAL or shm file, so a mounted image is never written.
 *    Immutable mode does not read a -wal file, so a non-empty one is refused (-ENOTSUP)
 *    rather than silently ignored.
 * 6. Statements are prepared once, on first use, and kept (SQLITE_PREPARE_PERSISTENT); a
 *    lookup is one bind + step on kext_policy's primary-key index.
 * 7. `allowed` is read leniently (kexts.md §3.6): integer 1, or text 1/true/yes in any
 *    case, is allowed; the raw value is passed up as text. `flags` is never interpreted.
 */
#include "store/store_internal.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/diag.h"

enum stmt_id {
	S_POL_GET,
	S_POL_PUT,
	S_POL_DEL,
	S_POL_EACH,
	S_HIST_ADD,
	S_HIST_ADD_CD,
	S_HIST_EACH,
	S_HIST_EACH_CD,
	S_MDM_DEL,
	S_MDM_INS,
	S_MDM_EACH,
	S_SET_GET,
	S_SET_PUT,
	S_PEND_PUT,
	S_PEND_GET,
	S_PEND_EACH,
	S_PEND_DEL,
	S_COUNT
};

#define POL_COLS "team_id, bundle_id, allowed, developer_name, flags"
#define HIST_COLS "path, team_id, bundle_id, boot_uuid, created_at, last_seen, flags"
#define PEND_COLS "team_id, bundle_id, developer_name, path, blocked_at"

static const char *const sql_text[S_COUNT] = {
	[S_POL_GET] = "SELECT " POL_COLS " FROM kext_policy WHERE team_id = ?1 AND bundle_id = ?2",
	[S_POL_PUT] = "INSERT OR REPLACE INTO kext_policy (" POL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_POL_DEL] = "DELETE FROM kext_policy WHERE team_id = ?1 AND bundle_id = ?2",
	[S_POL_EACH] = "SELECT " POL_COLS " FROM kext_policy WHERE (?1 IS NULL OR team_id = ?1) "
		       "AND (?2 IS NULL OR bundle_id = ?2) ORDER BY team_id, bundle_id",
	[S_HIST_ADD] = "INSERT OR REPLACE INTO kext_load_history_v3 (" HIST_COLS
		       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_HIST_ADD_CD] = "INSERT OR REPLACE INTO kext_load_history_v3 (" HIST_COLS
			  ", cdhash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_HIST_EACH] = "SELECT " HIST_COLS ", NULL FROM kext_load_history_v3 ORDER BY path",
	[S_HIST_EACH_CD] = "SELECT " HIST_COLS ", cdhash FROM kext_load_history_v3 ORDER BY path",
	[S_MDM_DEL] = "DELETE FROM kext_policy_mdm",
	[S_MDM_INS] = "INSERT INTO kext_policy_mdm (team_id, bundle_id, allowed, payload_uuid) "
		      "VALUES (?1, ?2, ?3, ?4)",
	[S_MDM_EACH] = "SELECT team_id, bundle_id, allowed, payload_uuid FROM kext_policy_mdm "
		       "ORDER BY team_id, bundle_id, payload_uuid",
	[S_SET_GET] = "SELECT value FROM settings WHERE name = ?1",
	[S_SET_PUT] = "INSERT OR REPLACE INTO settings (name, value) VALUES (?1, ?2)",
	[S_PEND_PUT] = "INSERT OR REPLACE INTO macext_pending (" PEND_COLS
		       ") VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_PEND_GET] = "SELECT " PEND_COLS " FROM macext_pending WHERE team_id = ?1 AND "
		       "bundle_id = ?2",
	[S_PEND_EACH] = "SELECT " PEND_COLS " FROM macext_pending ORDER BY team_id, bundle_id",
	[S_PEND_DEL] = "DELETE FROM macext_pending WHERE team_id = ?1 AND bundle_id = ?2",
};

struct sql_store {
	struct macext_store base;
	sqlite3 *db;
	char *path;
	bool has_pending; /* macext_pending exists (not in a read-only Apple file) */
	sqlite3_stmt *st[S_COUNT];
};

static struct sql_store *Q(struct macext_store *s)
{
	return (struct sql_store *)s;
}

static int map_rc(sqlite3 *db, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
	case SQLITE_ERROR: /* our statements are fixed: an SQL error means a foreign schema */
		return -EBADMSG;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		e = db ? sqlite3_system_errno(db) : 0;
		return e > 0 ? -e : -EIO;
	default:
		return -EIO;
	}
}

/* Fills DIAG with "<path>: <what>: <SQLite's message>" and returns the mapped code. */
static int fail_db(struct macext_diag *diag, sqlite3 *db, const char *path, int rc,
		   const char *what)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	if ((rc & 0xff) == SQLITE_NOTADB)
		msg = "not an SQLite database";
	return mx_diag_fail_nopos(diag, map_rc(db, rc), "%s: %s: %s", path, what, msg);
}

static int fail(struct sql_store *q, int rc, const char *what)
{
	return fail_db(&q->base.diag, q->db, q->path, rc, what);
}

static int get_stmt(struct sql_store *q, enum stmt_id id, sqlite3_stmt **ret)
{
	int rc;

	if (!q->st[id]) {
		rc = sqlite3_prepare_v3(q->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
					&q->st[id], NULL);
		if (rc != SQLITE_OK)
			return fail(q, rc, "prepare");
	}
	*ret = q->st[id];
	return 0;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Binds V (NULL as SQL NULL) as parameter I; 0 or the mapped code. */
static int bind_str(struct sql_store *q, sqlite3_stmt *st, int i, const char *v)
{
	int rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);

	return rc == SQLITE_OK ? 0 : fail(q, rc, "bind");
}

/* Binds V[0..N) as parameters 1..N. */
static int bind_texts(struct sql_store *q, sqlite3_stmt *st, const char *const *v, int n)
{
	for (int i = 0; i < n; i++) {
		int r = bind_str(q, st, i + 1, v[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static int bind_int(struct sql_store *q, sqlite3_stmt *st, int i, int64_t v)
{
	int rc = sqlite3_bind_int64(st, i, v);

	return rc == SQLITE_OK ? 0 : fail(q, rc, "bind");
}

/* Prepares statement ID and binds V[0..N) as its parameters 1..N; ST is reset when a bind
 * fails. */
static int get_bound(struct sql_store *q, enum stmt_id id, const char *const *v, int n,
		     sqlite3_stmt **ret)
{
	int r = get_stmt(q, id, ret);

	if (r == 0 && (r = bind_texts(q, *ret, v, n)) < 0)
		done(*ret);
	return r;
}

/* Runs ST, a statement that changes data, unless binding its last parameters failed (BOUND,
 * then passed back); resets ST either way and calls the test hook after a success. */
static int run(struct sql_store *q, sqlite3_stmt *st, int bound, const char *what)
{
	int r = bound;
	int rc;

	if (r == 0 && (rc = sqlite3_step(st)) != SQLITE_DONE)
		r = fail(q, rc, what);
	done(st);
	if (r == 0)
		mx_store_hook(&q->base, what);
	return r;
}

static const char *col_text(sqlite3_stmt *st, int i, bool *oom)
{
	const char *t;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	t = (const char *)sqlite3_column_text(st, i);
	if (!t)
		*oom = true;
	return t;
}

/* kexts.md §3.6: read `allowed` leniently; must run before col_text on the column, since
 * reading an integer as text converts it. */
static bool allowed_value(sqlite3_stmt *st, int i)
{
	const char *t;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return sqlite3_column_int64(st, i) == 1;
	case SQLITE_FLOAT:
		return sqlite3_column_double(st, i) == 1.0;
	case SQLITE_TEXT:
		t = (const char *)sqlite3_column_text(st, i);
		return t && (strcmp(t, "1") == 0 || strcasecmp(t, "true") == 0 ||
			     strcasecmp(t, "yes") == 0);
	default:
		return false;
	}
}

static bool read_policy(sqlite3_stmt *st, struct macext_kext_policy *p)
{
	bool oom = false;

	memset(p, 0, sizeof(*p));
	p->allowed = allowed_value(st, 2);
	p->team_id = col_text(st, 0, &oom);
	p->bundle_id = col_text(st, 1, &oom);
	p->allowed_raw = col_text(st, 2, &oom);
	p->developer_name = col_text(st, 3, &oom);
	p->flags = sqlite3_column_int64(st, 4);
	return !oom;
}

static bool read_history(sqlite3_stmt *st, struct macext_kext_load_history *h)
{
	bool oom = false;

	memset(h, 0, sizeof(*h));
	h->path = col_text(st, 0, &oom);
	h->team_id = col_text(st, 1, &oom);
	h->bundle_id = col_text(st, 2, &oom);
	h->boot_uuid = col_text(st, 3, &oom);
	h->created_at = col_text(st, 4, &oom);
	h->last_seen = col_text(st, 5, &oom);
	h->flags = sqlite3_column_int64(st, 6);
	h->cdhash = col_text(st, 7, &oom);
	return !oom;
}

static bool read_mdm(sqlite3_stmt *st, struct macext_kext_policy_mdm *m)
{
	bool oom = false;

	memset(m, 0, sizeof(*m));
	m->allowed = allowed_value(st, 2);
	m->team_id = col_text(st, 0, &oom);
	m->bundle_id = col_text(st, 1, &oom);
	m->payload_uuid = col_text(st, 3, &oom);
	return !oom;
}

static bool read_pending(sqlite3_stmt *st, struct macext_pending_approval *p)
{
	bool oom = false;

	memset(p, 0, sizeof(*p));
	p->team_id = col_text(st, 0, &oom);
	p->bundle_id = col_text(st, 1, &oom);
	p->developer_name = col_text(st, 2, &oom);
	p->path = col_text(st, 3, &oom);
	p->blocked_at = sqlite3_column_int64(st, 4);
	return !oom;
}

static int exec(struct sql_store *q, const char *sql, const char *what)
{
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(q, rc, what);
}

/* Schema checks and creation ------------------------------------------------------------ */

static const char *const policy_cols[] = {"team_id", "bundle_id", "allowed", "developer_name",
					  "flags", NULL};
static const char *const history_cols[] = {"path",       "team_id",   "bundle_id", "boot_uuid",
					   "created_at", "last_seen", "flags",     NULL};
static const char *const mdm_cols[] = {"team_id", "bundle_id", "allowed", "payload_uuid", NULL};
static const char *const settings_cols[] = {"name", "value", NULL};
static const char *const pending_cols[] = {"team_id", "bundle_id", "developer_name", "path",
					   "blocked_at", NULL};

static const struct {
	const char *table;
	const char *const *cols;
} apple_tables[] = {
	{"kext_policy", policy_cols},
	{"kext_load_history_v3", history_cols},
	{"kext_policy_mdm", mdm_cols},
	{"settings", settings_cols},
};

/* Checks that TABLE has every column of COLS. *RET_EXISTS says whether the table exists at
 * all; *RET_CDHASH (may be NULL) whether it has a cdhash column. A missing column is
 * -EBADMSG naming it. */
static int check_table(struct sql_store *q, struct macext_diag *diag, const char *table,
		       const char *const *cols, bool *ret_exists, bool *ret_cdhash)
{
	sqlite3_stmt *st = NULL;
	unsigned seen = 0, n = 0;
	bool cdhash = false;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(q->db, "SELECT name FROM pragma_table_info(?1)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		r = fail_db(diag, q->db, q->path, rc, "reading the schema");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		n++;
		for (unsigned i = 0; name && cols[i]; i++)
			if (strcmp(cols[i], name) == 0)
				seen |= 1u << i;
		if (name && strcmp(name, "cdhash") == 0)
			cdhash = true;
	}
	if (rc != SQLITE_DONE) {
		r = fail_db(diag, q->db, q->path, rc, "reading the schema");
		goto out;
	}
	*ret_exists = n > 0;
	if (ret_cdhash)
		*ret_cdhash = cdhash;
	for (unsigned i = 0; n > 0 && cols[i]; i++) {
		if (!(seen & (1u << i))) {
			r = mx_diag_fail_nopos(diag, -EBADMSG,
					       "%s: not a KextPolicy database: table %s has no "
					       "column %s",
					       q->path, table, cols[i]);
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	return r;
}

static int check_schema(struct sql_store *q, struct macext_diag *diag)
{
	bool exists, cdhash;
	int r;

	for (size_t i = 0; i < sizeof(apple_tables) / sizeof(apple_tables[0]); i++) {
		r = check_table(q, diag, apple_tables[i].table, apple_tables[i].cols, &exists,
				i == 1 ? &cdhash : NULL);
		if (r < 0)
			return r;
		if (!exists)
			return mx_diag_fail_nopos(diag, -EBADMSG,
						  "%s: not a KextPolicy database: no table %s",
						  q->path, apple_tables[i].table);
	}
	q->base.has_cdhash = cdhash;
	r = check_table(q, diag, "macext_pending", pending_cols, &exists, NULL);
	if (r < 0)
		return r;
	q->has_pending = exists;
	return 0;
}

/* One integer from a one-row query. */
static int query_int(struct sql_store *q, struct macext_diag *diag, const char *sql,
		     const char *what, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		rc = fail_db(diag, q->db, q->path, rc, what);
	sqlite3_finalize(st);
	return rc;
}

static int quick_check(struct sql_store *q, struct macext_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	int r = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = fail_db(diag, q->db, q->path, rc, "checking the database");
	} else {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		if (!t || strcmp(t, "ok") != 0)
			r = mx_diag_fail_nopos(diag, -EBADMSG, "%s: the database is corrupt: %s",
					       q->path, t ? t : "(no answer)");
	}
	sqlite3_finalize(st);
	return r;
}

/* Runs SQL texts in one write transaction; on failure nothing stays. */
static int run_in_txn(struct sql_store *q, struct macext_diag *diag, const char *const *sql,
		      size_t n, const char *what)
{
	int rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
		rc = sqlite3_exec(q->db, sql[i], NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	rc = fail_db(diag, q->db, q->path, rc, what);
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Invariants 1 and 2: decide whether the file is new, create or check, then add what a
 * read-write store needs and the file lacks (macext_pending; cdhash if asked). */
static int prepare_schema(struct sql_store *q, unsigned flags, struct macext_diag *diag)
{
	const char *todo[3];
	size_t n = 0;
	int64_t tables = 0;
	bool ro = flags & MACEXT_STORE_READ_ONLY;
	int r;

	r = query_int(q, diag, "SELECT count(*) FROM sqlite_schema", "reading the schema",
		      &tables);
	if (r < 0)
		return r;
	if (tables == 0 && !ro) {
		/* A new database. WAL as on a Mac; the mode is set before the first write. */
		if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
			return fail_db(diag, q->db, q->path, sqlite3_errcode(q->db),
				       "setting WAL mode");
		todo[n++] = mx_store_schema_sql;
		todo[n++] = mx_store_schema_macext_sql;
		if (flags & MACEXT_STORE_CDHASH)
			todo[n++] = mx_store_schema_cdhash_sql;
		r = run_in_txn(q, diag, todo, n, "creating the schema");
		if (r < 0)
			return r;
		return check_schema(q, diag);
	}
	r = quick_check(q, diag);
	if (r < 0)
		return r;
	r = check_schema(q, diag);
	if (r < 0 || ro)
		return r;
	if (!q->has_pending)
		todo[n++] = mx_store_schema_macext_sql;
	if ((flags & MACEXT_STORE_CDHASH) && !q->base.has_cdhash)
		todo[n++] = mx_store_schema_cdhash_sql;
	if (n == 0)
		return 0;
	r = run_in_txn(q, diag, todo, n, "adding to the schema");
	if (r < 0)
		return r;
	return check_schema(q, diag);
}

/* "file:" URI for PATH (RFC 3986 escapes for the characters SQLite's URI parser reads). */
static char *make_uri(const char *path, bool ro)
{
	size_t n = strlen(path), len = 5 + 3 * n + sizeof("?mode=ro&immutable=1");
	char *u = mx_malloc(len), *p;

	if (!u)
		return NULL;
	memcpy(u, "file:", 5);
	p = u + 5;
	for (size_t i = 0; i < n; i++) {
		char c = path[i];

		if (c == '%' || c == '?' || c == '#') {
			static const char hex[] = "0123456789abcdef";

			*p++ = '%';
			*p++ = hex[(unsigned char)c >> 4];
			*p++ = hex[(unsigned char)c & 15];
		} else {
			*p++ = c;
		}
	}
	*p = '\0';
	if (ro)
		memcpy(p, "?mode=ro&immutable=1", sizeof("?mode=ro&immutable=1"));
	return u;
}

/* Invariant 5: what read-only mode needs before SQLite sees the file. */
static int check_ro_file(const char *path, struct macext_diag *diag)
{
	struct stat st;
	char *wal;
	int r = 0;

	if (stat(path, &st) < 0)
		return mx_diag_fail_nopos(diag, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mx_diag_fail_nopos(diag, -ENOEXEC, "%s: not a regular file", path);
	wal = mx_asprintf("%s-wal", path);
	if (!wal)
		return -ENOMEM;
	if (stat(wal, &st) == 0 && st.st_size > 0)
		r = mx_diag_fail_nopos(diag, -ENOTSUP,
				       "%s: %lld bytes of changes wait in the write-ahead log; a "
				       "read-only open cannot merge them (copy the database with its "
				       "-wal file and open the copy)",
				       path, (long long)st.st_size);
	mx_free(wal);
	return r;
}

static void sql_close(struct macext_store *s)
{
	struct sql_store *q = Q(s);

	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);
	mx_free(q->path);
	mx_free(q);
}

static int sql_open(struct macext_store **ret, const char *path, unsigned flags,
		    struct macext_diag *diag)
{
	bool ro = flags & MACEXT_STORE_READ_ONLY;
	struct sql_store *q = NULL;
	char *uri = NULL;
	int rc, r;

	if (!path)
		return mx_diag_fail_nopos(diag, -EINVAL, "store: no database path");
	if (ro) {
		r = check_ro_file(path, diag);
		if (r < 0)
			return r;
	}
	q = mx_calloc(1, sizeof(*q));
	uri = make_uri(path, ro);
	if (!q || !uri || !(q->path = mx_strdup(path))) {
		r = mx_diag_fail_nopos(diag, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	rc = sqlite3_open_v2(uri, &q->db,
			     SQLITE_OPEN_URI |
				     (ro ? SQLITE_OPEN_READONLY
					 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE),
			     NULL);
	if (rc != SQLITE_OK) {
		r = fail_db(diag, q->db, path, rc, "opening");
		goto out;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, 5000);
	if (!ro && sqlite3_exec(q->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		r = fail_db(diag, q->db, path, sqlite3_errcode(q->db), "setting synchronous");
		goto out;
	}
	r = prepare_schema(q, flags, diag);
	if (r < 0)
		goto out;
	*ret = &q->base;
	q = NULL;
out:
	if (q)
		sql_close(&q->base);
	mx_free(uri);
	return r;
}

static int sql_begin(struct macext_store *s)
{
	return exec(Q(s), "BEGIN IMMEDIATE", "begin");
}

static int sql_commit(struct macext_store *s)
{
	return exec(Q(s), "COMMIT", "commit");
}

static int sql_rollback(struct macext_store *s)
{
	/* A failed COMMIT may have rolled back already (SQLite does on some I/O errors). */
	if (sqlite3_get_autocommit(Q(s)->db))
		return 0;
	return exec(Q(s), "ROLLBACK", "rollback");
}

static int not_found(struct sql_store *q, const char *what, const char *team_id,
		     const char *bundle_id)
{
	return mx_diag_fail_nopos(&q->base.diag, -ENOENT, "%s (%s, %s): no such row", what,
				  team_id, bundle_id);
}

static int nomem(struct sql_store *q, const char *what)
{
	return mx_diag_fail_nopos(&q->base.diag, -ENOMEM, "%s: out of memory", what);
}

/* Reads the row keyed (TEAM_ID, BUNDLE_ID) with statement ID through COPY (false: out of
 * memory); -ENOENT naming WHAT when there is none. */
static int get_keyed(struct sql_store *q, enum stmt_id id, const char *what, const char *team_id,
		     const char *bundle_id, bool (*copy)(sqlite3_stmt *st, void *ret), void *ret)
{
	const char *key[] = {team_id, bundle_id};
	sqlite3_stmt *st;
	int rc, r;

	r = get_bound(q, id, key, 2, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = not_found(q, what, team_id, bundle_id);
	else if (rc != SQLITE_ROW)
		r = fail(q, rc, what);
	else if (!copy(st, ret))
		r = nomem(q, what);
	done(st);
	return r;
}

/* Deletes the row keyed (TEAM_ID, BUNDLE_ID) with statement ID (HOOK names it for the test
 * hook); -ENOENT naming WHAT when there was none. */
static int delete_keyed(struct sql_store *q, enum stmt_id id, const char *hook, const char *what,
			const char *team_id, const char *bundle_id)
{
	const char *key[] = {team_id, bundle_id};
	sqlite3_stmt *st;
	int r;

	r = get_bound(q, id, key, 2, &st);
	if (r == 0)
		r = run(q, st, 0, hook);
	if (r == 0 && sqlite3_changes(q->db) == 0)
		r = not_found(q, what, team_id, bundle_id);
	return r;
}

static bool copy_policy(sqlite3_stmt *st, void *ret)
{
	struct macext_kext_policy p;

	return read_policy(st, &p) && mx_store_policy_copy(ret, &p) == 0;
}

static int sql_policy_get(struct macext_store *s, const char *team_id, const char *bundle_id,
			  struct macext_kext_policy *ret)
{
	return get_keyed(Q(s), S_POL_GET, "kext policy", team_id, bundle_id, copy_policy, ret);
}

static int sql_policy_put(struct macext_store *s, const struct macext_kext_policy *p)
{
	struct sql_store *q = Q(s);
	const char *v[] = {p->team_id, p->bundle_id};
	sqlite3_stmt *st;
	int r;

	r = get_bound(q, S_POL_PUT, v, 2, &st);
	if (r < 0)
		return r;
	if ((r = bind_int(q, st, 3, p->allowed)) == 0 &&
	    (r = bind_str(q, st, 4, p->developer_name)) == 0)
		r = bind_int(q, st, 5, p->flags);
	return run(q, st, r, "kext_policy_put");
}

static int sql_policy_delete(struct macext_store *s, const char *team_id, const char *bundle_id)
{
	return delete_keyed(Q(s), S_POL_DEL, "kext_policy_delete", "kext policy", team_id,
			    bundle_id);
}

/* The caller's callback for a walk. */
struct cb {
	union {
		macext_kext_policy_fn pol;
		macext_kext_load_history_fn hist;
		macext_kext_policy_mdm_fn mdm;
		macext_pending_approval_fn pend;
	} fn;
	void *userdata;
};

/* Prepares statement ID, binds KEY[0..N) and hands each row to EACH; resets the statement. */
static int walk(struct sql_store *q, enum stmt_id id, const char *const *key, int n,
		const char *what, int (*each)(sqlite3_stmt *st, const struct cb *cb),
		const struct cb *cb)
{
	sqlite3_stmt *st;
	int rc, r;

	r = get_bound(q, id, key, n, &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = each(st, cb);
		if (r == -ENOMEM)
			r = nomem(q, what);
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = fail(q, rc, what);
	done(st);
	return r;
}

static int each_policy(sqlite3_stmt *st, const struct cb *cb)
{
	struct macext_kext_policy p;

	if (!read_policy(st, &p))
		return -ENOMEM;
	return cb->fn.pol(cb->userdata, &p);
}

static int sql_policy_foreach(struct macext_store *s, const char *team_id, const char *bundle_id,
			      macext_kext_policy_fn fn, void *userdata)
{
	const char *key[] = {team_id, bundle_id};

	return walk(Q(s), S_POL_EACH, key, 2, "kext policy", each_policy,
		    &(struct cb){.fn.pol = fn, .userdata = userdata});
}

static int sql_history_add(struct macext_store *s, const struct macext_kext_load_history *h)
{
	struct sql_store *q = Q(s);
	const char *v[] = {h->path, h->team_id, h->bundle_id, h->boot_uuid, h->created_at,
			   h->last_seen};
	sqlite3_stmt *st;
	int r;

	r = get_bound(q, s->has_cdhash ? S_HIST_ADD_CD : S_HIST_ADD, v, 6, &st);
	if (r < 0)
		return r;
	if ((r = bind_int(q, st, 7, h->flags)) == 0 && s->has_cdhash)
		r = bind_str(q, st, 8, h->cdhash);
	return run(q, st, r, "load_history_add");
}

static int each_history(sqlite3_stmt *st, const struct cb *cb)
{
	struct macext_kext_load_history h;

	if (!read_history(st, &h))
		return -ENOMEM;
	return cb->fn.hist(cb->userdata, &h);
}

static int sql_history_foreach(struct macext_store *s, macext_kext_load_history_fn fn,
			       void *userdata)
{
	return walk(Q(s), s->has_cdhash ? S_HIST_EACH_CD : S_HIST_EACH, NULL, 0, "load history",
		    each_history, &(struct cb){.fn.hist = fn, .userdata = userdata});
}

static int mdm_insert(struct sql_store *q, const struct macext_kext_policy_mdm *m)
{
	const char *v[] = {m->team_id, m->bundle_id};
	sqlite3_stmt *st;
	int r;

	r = get_bound(q, S_MDM_INS, v, 2, &st);
	if (r < 0)
		return r;
	if ((r = bind_int(q, st, 3, m->allowed)) == 0)
		r = bind_str(q, st, 4, m->payload_uuid);
	return run(q, st, r, "mdm_policy_insert");
}

/* Invariant 4: DELETE + INSERTs under one savepoint. */
static int sql_mdm_replace_all(struct macext_store *s, const struct macext_kext_policy_mdm *rows,
			       size_t n)
{
	struct sql_store *q = Q(s);
	sqlite3_stmt *st;
	int r;

	r = exec(q, "SAVEPOINT mx_mdm", "mdm policy");
	if (r < 0)
		return r;
	r = get_stmt(q, S_MDM_DEL, &st);
	if (r == 0)
		r = run(q, st, 0, "mdm_policy_delete");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = mdm_insert(q, &rows[i]);
	if (r == 0)
		r = exec(q, "RELEASE mx_mdm", "mdm policy");
	if (r < 0 && !sqlite3_get_autocommit(q->db)) {
		sqlite3_exec(q->db, "ROLLBACK TO mx_mdm", NULL, NULL, NULL);
		sqlite3_exec(q->db, "RELEASE mx_mdm", NULL, NULL, NULL);
	}
	return r;
}

static int each_mdm(sqlite3_stmt *st, const struct cb *cb)
{
	struct macext_kext_policy_mdm m;

	if (!read_mdm(st, &m))
		return -ENOMEM;
	return cb->fn.mdm(cb->userdata, &m);
}

static int sql_mdm_foreach(struct macext_store *s, macext_kext_policy_mdm_fn fn, void *userdata)
{
	return walk(Q(s), S_MDM_EACH, NULL, 0, "mdm policy", each_mdm,
		    &(struct cb){.fn.mdm = fn, .userdata = userdata});
}

static int sql_setting_get(struct macext_store *s, const char *name, char **ret)
{
	struct sql_store *q = Q(s);
	sqlite3_stmt *st;
	bool oom = false;
	const char *v;
	char *copy = NULL;
	int rc, r;

	r = get_bound(q, S_SET_GET, &name, 1, &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = mx_diag_fail_nopos(&s->diag, -ENOENT, "setting %s: not set", name);
	} else if (rc != SQLITE_ROW) {
		r = fail(q, rc, "setting");
	} else {
		v = col_text(st, 0, &oom);
		if (oom || (v && !(copy = mx_strdup(v))))
			r = nomem(q, "setting");
		else
			*ret = copy;
	}
	done(st);
	return r;
}

static int sql_setting_set(struct macext_store *s, const char *name, const char *value)
{
	struct sql_store *q = Q(s);
	const char *v[] = {name, value};
	sqlite3_stmt *st;
	int r;

	r = get_bound(q, S_SET_PUT, v, 2, &st);
	if (r < 0)
		return r;
	return run(q, st, 0, "setting_set");
}

/* Invariant: a read-write store always has macext_pending (prepare_schema adds it); only a
 * read-only Apple file lacks it, where nothing is pending. */
static int sql_pending_add(struct macext_store *s, const struct macext_pending_approval *p)
{
	struct sql_store *q = Q(s);
	const char *v[] = {p->team_id, p->bundle_id, p->developer_name, p->path};
	sqlite3_stmt *st;
	int r;

	r = get_bound(q, S_PEND_PUT, v, 4, &st);
	if (r < 0)
		return r;
	return run(q, st, bind_int(q, st, 5, p->blocked_at), "pending_add");
}

static bool copy_pending(sqlite3_stmt *st, void *ret)
{
	struct macext_pending_approval p;

	return read_pending(st, &p) && mx_store_pending_copy(ret, &p) == 0;
}

static int sql_pending_get(struct macext_store *s, const char *team_id, const char *bundle_id,
			   struct macext_pending_approval *ret)
{
	struct sql_store *q = Q(s);

	if (!q->has_pending)
		return not_found(q, "pending approval", team_id, bundle_id);
	return get_keyed(q, S_PEND_GET, "pending approval", team_id, bundle_id, copy_pending, ret);
}

static int each_pending(sqlite3_stmt *st, const struct cb *cb)
{
	struct macext_pending_approval p;

	if (!read_pending(st, &p))
		return -ENOMEM;
	return cb->fn.pend(cb->userdata, &p);
}

static int sql_pending_foreach(struct macext_store *s, macext_pending_approval_fn fn,
			       void *userdata)
{
	if (!Q(s)->has_pending)
		return 0;
	return walk(Q(s), S_PEND_EACH, NULL, 0, "pending approval", each_pending,
		    &(struct cb){.fn.pend = fn, .userdata = userdata});
}

static int sql_pending_remove(struct macext_store *s, const char *team_id, const char *bundle_id)
{
	return delete_keyed(Q(s), S_PEND_DEL, "pending_remove", "pending approval", team_id,
			    bundle_id);
}

const struct macext_store_ops mx_store_sqlite_ops = {
	.version = MACEXT_STORE_OPS_VERSION,
	.name = "sqlite",
	.open = sql_open,
	.begin = sql_begin,
	.commit = sql_commit,
	.rollback = sql_rollback,
	.kext_policy_get = sql_policy_get,
	.kext_policy_put = sql_policy_put,
	.kext_policy_delete = sql_policy_delete,
	.kext_policy_foreach = sql_policy_foreach,
	.load_history_add = sql_history_add,
	.load_history_foreach = sql_history_foreach,
	.mdm_policy_replace_all = sql_mdm_replace_all,
	.mdm_policy_foreach = sql_mdm_foreach,
	.setting_get = sql_setting_get,
	.setting_set = sql_setting_set,
	.pending_add = sql_pending_add,
	.pending_get = sql_pending_get,
	.pending_foreach = sql_pending_foreach,
	.pending_remove = sql_pending_remove,
	.close = sql_close,
};
