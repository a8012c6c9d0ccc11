-- The transactions of the canonical sample that load, as the bill writers write them
-- (analyzer/sample_formats/alipay_merchant.py, wechat_pay.py): times as local wall-clock text
-- to the second (bills have no fractions: the fraction is dropped), and for a refund the payment
-- it refunds (NULLs when that payment is not loaded: such a refund stays a refund of an unknown
-- payment in the bill too).
-- Parameters: $tz (the zone the bill's times are written in).
-- Grain: one row per loaded transaction, in time order (then txn_id), as bills list them.
SELECT
    t.txn_id, t.type, strftime(timezone($tz, t.ts), '%Y-%m-%d %H:%M:%S') AS local_ts,
    t.user_id, t.merchant_id, t.scene, t.amount, t.discount, t.merchant_discount,
    t.campaign_id, t.config_version, t.original_txn_id,
    strftime(timezone($tz, p.ts), '%Y-%m-%d %H:%M:%S') AS original_local_ts,
    p.amount AS original_amount, p.discount AS original_discount,
    p.merchant_discount AS original_merchant_discount
FROM transactions t
LEFT JOIN transactions p ON t.type = 'refund' AND p.txn_id = t.original_txn_id AND p.type = 'payment'
ORDER BY t.ts, t.txn_id;
