-- config_versions in Spark: the versions DuckDB built from the config log (analysis/
-- config_versions.sql; a few hundred rows), copied in as config_versions_in, with the open end
-- of the last version of each campaign as a far-future instant (Spark has no 'infinity').
-- Grain: one row per config change (change_id).
CREATE OR REPLACE TEMP VIEW config_versions AS
SELECT *, coalesce(valid_to, TIMESTAMP '9999-12-31 23:59:59.999999') AS valid_until
FROM config_versions_in;
