-- lib/store/schema.sql: Apple's KextPolicy schema, which macext creates on a new database
-- (embedded by the build as mx_store_schema_sql; run with schema_macext.sql, and for macOS 11+
-- schema_cdhash.sql, in one transaction).
--
-- The four statements are Apple's, character for character, as `sqlite3 KextPolicy
-- .schema` prints them on macOS 10.13-10.15 (shared/reference/kexts.md section 3.2):
-- SQLite keeps the text of each CREATE, so `.schema` on a macext database prints the real
-- shape. Do not reformat them. Comments sit between statements, never inside one.
CREATE TABLE kext_load_history_v3 ( path TEXT PRIMARY KEY, team_id TEXT, bundle_id TEXT, boot_uuid TEXT, created_at TEXT, last_seen TEXT, flags INTEGER );
CREATE TABLE kext_policy ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, developer_name TEXT, flags INTEGER, PRIMARY KEY (team_id, bundle_id) );
CREATE TABLE kext_policy_mdm ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, payload_uuid TEXT, PRIMARY KEY (team_id, bundle_id) );
CREATE TABLE settings ( name TEXT, value TEXT, PRIMARY KEY (name) );
