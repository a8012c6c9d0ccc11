-- user_pseudonyms: every affected user's id and its pseudonym (the id as the masked pages show
-- it): the drill-down finds a masked user by comparing stored text, without hashing every id.
-- Always on DuckDB, after affected.sql (whichever engine ran it): the pseudonym is keyed with the
-- database's secret (privacy_key, macros.sql), which never leaves the DuckDB file.
-- Not sorted: a scan of the affected users is milliseconds, the sort was seconds of analyze.
-- Grain: one row per affected user.
CREATE OR REPLACE TABLE user_pseudonyms AS
SELECT pseudonym(user_id) AS pseudonym, user_id FROM affected_users;
