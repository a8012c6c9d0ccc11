-- An analysis of one currency in Spark (analyze --currency): `transactions` is the raw
-- payments of that currency (and those without one when $include_unset), as in DuckDB
-- (analysis/currency_view.sql). The loader fills the fixed literals {{currency}} and {{include_unset}}.
CREATE OR REPLACE TEMP VIEW transactions AS
SELECT * FROM raw_transactions
WHERE currency = {{currency}} OR ({{include_unset}} AND currency IS NULL);
