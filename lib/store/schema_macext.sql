-- lib/store/schema_macext.sql: macext's own table beside Apple's (embedded as
-- mx_store_schema_macext_sql). Created with a new database, and added to an existing
-- read-write one that lacks it; a read-only open of a real KextPolicy works without it.
--
-- Kexts whose load was blocked and that the user may still
-- approve (the Allow button of Security & Privacy). blocked_at is seconds since 1970 UTC
-- on the modeled clock; the 30-minute window is a policy rule and is not stored.
CREATE TABLE macext_pending ( team_id TEXT, bundle_id TEXT, developer_name TEXT, path TEXT, blocked_at INTEGER, PRIMARY KEY (team_id, bundle_id) );
