-- One row per txn_id and per change_id in the raw tables. Offending rows: the repeated keys.
SELECT 'transactions' AS tbl, txn_id AS key, count(*) AS n FROM transactions GROUP BY txn_id HAVING count(*) > 1
UNION ALL
SELECT 'config_changes', change_id, count(*) FROM config_changes GROUP BY change_id HAVING count(*) > 1
ORDER BY tbl, key;
