-- apply_discount in Spark SQL: the discount model of DESIGN.md (the reference is
-- analyzer/model.py), the same rule as DuckDB's macro (analysis/macros.sql), as a temporary SQL
-- function (Spark inlines it into the plan). Exact: amount * value is a DECIMAL product
-- (DECIMAL(18,2) x DECIMAL(p,s) keeps every digit), round() on a DECIMAL is half away from zero
-- (Java's HALF_UP), and the cents are shifted two places by multiplying with 0.01, never divided.
-- A NULL discount_type means "no config live": 0. (No pseudonym: personal ids are masked by the
-- readers of the DuckDB file, not here.)
CREATE OR REPLACE TEMPORARY FUNCTION apply_discount(
    dtype STRING, dvalue DECIMAL(18,4), cap DECIMAL(18,2), min_amt DECIMAL(18,2), scenes ARRAY<STRING>,
    enabled BOOLEAN, amount DECIMAL(18,2), scene STRING)
RETURNS DECIMAL(18,2)
RETURN CAST(CASE
    WHEN dtype IS NULL OR dtype = 'none' OR NOT enabled THEN 0
    WHEN NOT (array_contains(scenes, '*') OR coalesce(array_contains(scenes, scene), false)) THEN 0
    WHEN min_amt IS NOT NULL AND amount < min_amt THEN 0
    WHEN dtype = 'fixed' THEN least(CAST(dvalue AS DECIMAL(38,4)), CAST(amount AS DECIMAL(38,4)))
    ELSE least(
        CAST(round(amount * dvalue, 0) AS DECIMAL(38,0)) * 0.01,
        coalesce(cap, amount),
        amount)
END AS DECIMAL(18,2));
