-- One row per txn_id and per change_id in the raw tables. Offending rows: the repeated keys.
-- The payments are grouped by a 64-bit hash of txn_id first (fixed-width keys, a fraction of the
-- memory of grouping the text: at 200M payments the text's hash table no longer fit in 8 GB);
-- only the ids whose hash repeats are then grouped by their text, so a collision is never
-- reported as a duplicate, and every real duplicate is (equal ids have equal hashes).
WITH repeated_hashes AS (
    SELECT hash(txn_id) AS h FROM transactions GROUP BY 1 HAVING count(*) > 1
)
SELECT 'transactions' AS tbl, txn_id AS key, count(*) AS n
FROM transactions
WHERE hash(txn_id) IN (SELECT h FROM repeated_hashes)
GROUP BY txn_id HAVING count(*) > 1
UNION ALL
SELECT 'config_changes', change_id, count(*) FROM config_changes GROUP BY change_id HAVING count(*) > 1
ORDER BY tbl, key;
