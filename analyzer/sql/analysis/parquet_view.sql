-- A derived table that another engine wrote as Parquet beside the database (analyze --engine
-- spark: the per-payment priced_transactions), attached as the view {{table}} over {{path}}
-- (a quoted glob of its files).
CREATE OR REPLACE VIEW {{table}} AS SELECT * FROM read_parquet({{path}});
