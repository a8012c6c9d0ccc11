-- Every affected payment is explained (a version reproduces its discount) or listed in
-- unexplained_payments. Offending rows: affected payments that are neither.
SELECT a.txn_id, a.ts, a.discount, a.live_version, a.logged_version
FROM affected_transactions a
WHERE a.explained_by IS NULL AND a.txn_id NOT IN (SELECT txn_id FROM unexplained_payments)
ORDER BY a.ts, a.txn_id;
