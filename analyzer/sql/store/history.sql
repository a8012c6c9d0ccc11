-- db_history: what made each generation of the database file (analyzer/store.py), so a reader
-- can tell what changed since the generation it opened. Grain: one row per successful write.
CREATE TABLE IF NOT EXISTS db_history (
    generation  INTEGER NOT NULL,
    command     VARCHAR NOT NULL,      -- ingest | analyze | ...
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    pid         INTEGER NOT NULL
);
