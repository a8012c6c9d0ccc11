-- Money conservation: where paid is given on a payment, amount - discount = paid.
SELECT txn_id, amount, discount, paid FROM transactions
WHERE type = 'payment' AND paid IS NOT NULL AND paid <> amount - discount
ORDER BY txn_id;
