-- What each reviewer note is about, in words: the timeline row's title (a change, an event or
-- a milestone), a payment's scene, amount and excess, a user's excess. A user is stored as its
-- pseudonym (analyzer/annotations.py); {{user_shown}} is the id shown for it: the pseudonym
-- itself, or the real user_id when the document is not masked.
-- Parameters: $targets VARCHAR[] (kind:id). Placeholder {{user_shown}}: fixed SQL over `u`.
-- Grain: one row per target given (a target the analysis no longer has: label NULL).
WITH t AS (
    SELECT DISTINCT what, split_part(what, ':', 1) AS kind, substr(what, strpos(what, ':') + 1) AS ref
    FROM (SELECT unnest($targets) AS what)
)
SELECT t.what, t.kind,
       CASE WHEN t.kind = 'user' THEN coalesce({{user_shown}}, t.ref) ELSE t.ref END AS shown_ref,
       coalesce(
           tl.title,
           CASE WHEN t.kind = 'payment' AND p.txn_id IS NOT NULL THEN
               'payment ' || p.txn_id || ' (' || coalesce(p.scene, '?') || ', amount ' || CAST(p.amount AS VARCHAR)
               || ', excess ' || CAST(p.excess AS VARCHAR) || ')' END,
           CASE WHEN t.kind = 'payment' AND x.txn_id IS NOT NULL THEN
               'payment ' || x.txn_id || ' (' || coalesce(x.scene, '?') || ', amount ' || CAST(x.amount AS VARCHAR) || ')' END,
           CASE WHEN t.kind = 'user' AND u.user_id IS NOT NULL THEN
               'affected user: ' || u.affected_txns || CASE WHEN u.affected_txns = 1 THEN ' payment' ELSE ' payments' END || ', excess ' || CAST(u.excess_total AS VARCHAR)
               || CASE WHEN u.exploit_flag THEN ', flagged as exploiter' ELSE '' END END
       ) AS label,
       tl.ts AS row_ts
FROM t
LEFT JOIN timeline tl ON t.kind IN ('change', 'event', 'milestone') AND tl.row_key = t.what
LEFT JOIN priced_transactions p ON t.kind = 'payment' AND p.txn_id = t.ref
LEFT JOIN transactions x ON t.kind = 'payment' AND p.txn_id IS NULL AND x.txn_id = t.ref AND x.type = 'payment'
LEFT JOIN affected_users u ON t.kind = 'user' AND pseudonym(u.user_id) = t.ref
ORDER BY t.what
