-- The instant a proposed change without its own `ts` is linted at: just after everything loaded.
-- Grain: one row.
SELECT greatest((SELECT max(ts) FROM transactions), (SELECT max(ts) FROM config_changes)) + INTERVAL 1 MILLISECOND AS now
