-- apply_discount: the discount model of DESIGN.md in SQL (the reference is analyzer/model.py).
-- 0 when disabled, the scene is not eligible or amount < min_amount; fixed: min(value, amount);
-- percent: round(amount * value / 100) half away from zero, capped by max_discount; never more
-- than amount. Exact: amount * value is rounded to a whole number of (yuan * percent) = cents,
-- then shifted two places, so no division (DuckDB's `/` on decimals returns DOUBLE).
-- A NULL discount_type means "no config live": 0.
CREATE OR REPLACE MACRO apply_discount(dtype, dvalue, cap, min_amt, scenes, enabled, amount, scene) AS
    CAST(CASE
        WHEN dtype IS NULL OR dtype = 'none' OR NOT enabled THEN 0
        WHEN NOT (list_contains(scenes, '*') OR coalesce(list_contains(scenes, scene), false)) THEN 0
        WHEN min_amt IS NOT NULL AND amount < min_amt THEN 0
        WHEN dtype = 'fixed' THEN least(CAST(dvalue AS DECIMAL(38,4)), CAST(amount AS DECIMAL(38,4)))
        ELSE least(
            CAST(round(CAST(amount AS DECIMAL(38,2)) * dvalue, 0) AS DECIMAL(38,0)) * 0.01,
            coalesce(cap, amount),
            amount)
    END AS DECIMAL(18,2));

-- pseudonym: a stable, non-reversible stand-in for a personal identifier (user ids, payees).
-- Keyed with the database's secret (privacy_key), so the same id gives the same pseudonym in
-- every report of this database and cannot be found by hashing candidate ids.
CREATE OR REPLACE MACRO pseudonym(id) AS
    CASE WHEN id IS NULL THEN NULL
         ELSE 'anon-' || left(sha256((SELECT key FROM privacy_key) || chr(31) || id), 12) END;
