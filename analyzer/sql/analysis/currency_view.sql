-- An analysis of one currency (analyze --currency): inside its own schema, `transactions` is
-- the raw table's rows of that currency (and the rows without one when $include_unset), so every
-- statement of the analysis reads only them. Parameters: none in the view body (a view takes
-- none): the loader fills the fixed literals {{currency}} and {{include_unset}}.
CREATE OR REPLACE VIEW transactions AS
SELECT * FROM main.transactions
WHERE currency = {{currency}} OR ({{include_unset}} AND currency IS NULL);
