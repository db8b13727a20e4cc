-- lib/store/schema_cdhash.sql: the macOS 11+ migration (embedded as mx_store_schema_cdhash_sql).
-- Real databases of 11.2.1 and 15.x store the history table's text ending in
-- "flags INTEGER , cdhash TEXT)", which is what SQLite writes for this ALTER TABLE on top of
-- schema.sql (kexts.md section 3.2), so the column is added the way macOS added it.
ALTER TABLE kext_load_history_v3 ADD COLUMN cdhash TEXT;
