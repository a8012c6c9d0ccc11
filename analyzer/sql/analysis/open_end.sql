-- config_versions as Spark built it (copied in by analyze --engine spark): the open end of the
-- last version of each campaign back to DuckDB's +infinity (Spark has no infinite instant and
-- writes its last microsecond, sql.py DIALECTS `forever`), as analysis/config_versions.sql has it.
UPDATE config_versions SET valid_until = TIMESTAMPTZ 'infinity' WHERE valid_to IS NULL;
