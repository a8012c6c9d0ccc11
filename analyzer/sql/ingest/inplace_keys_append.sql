-- One transactions file's loaded keys, appended to _loaded_keys (inplace_loaded_keys.sql):
-- the valid rows less those dedupe.sql collapsed or quarantined, as load_rows.sql loads them.
-- Placeholder {{key}}. Grain: one row per loaded row of the file.
INSERT INTO _loaded_keys
SELECT {{key}} FROM _stage WHERE reason IS NULL AND _line NOT IN (SELECT line FROM _verdicts);
