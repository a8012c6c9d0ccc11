-- priced_transactions when another engine priced the payments (analyze --engine spark): the
-- whole per-payment table written as Parquet beside the database ({{path}}, a quoted glob), and
-- the same two parts as on DuckDB (priced_transactions.sql): priced_exceptions stored, the rows
-- that matter (an excess, lagged, unexplained, logged with another version, no version live),
-- and priced_ordinary, the rest, read from the files when needed. The parts are disjoint and
-- together the file: an ordinary row is one its live version prices with no excess.
-- Placeholders: {{schema}} the analysis's schema, {{path}}.
-- Grain: one row per payment of the campaigns (priced_exceptions: per notable payment).
CREATE OR REPLACE VIEW {{schema}}.priced_transactions AS SELECT * FROM read_parquet({{path}});

CREATE OR REPLACE TABLE {{schema}}.priced_exceptions AS
SELECT * FROM {{schema}}.priced_transactions
WHERE NOT coalesce(live_change_id IS NOT NULL AND explained_by IS NOT NULL AND NOT lagged AND NOT version_disagrees
                   AND excess = 0, false);

CREATE OR REPLACE VIEW {{schema}}.priced_ordinary AS
SELECT * FROM {{schema}}.priced_transactions
WHERE coalesce(live_change_id IS NOT NULL AND explained_by IS NOT NULL AND NOT lagged AND NOT version_disagrees
               AND excess = 0, false);
