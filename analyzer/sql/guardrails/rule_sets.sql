-- What a set of rules would have done, for many sets at once (a single rule is a set of one).
-- A payment under several rules keeps the least any of them allows: limit = min over the set's
-- verdicts, allowed = min(discount, limit). Per payment, with the analysis's own expected and
-- excess (priced_transactions):
--   excess > 0:  prevented = discount - max(expected, allowed); leaked = what it keeps of its excess
--   every one:   legitimate discount taken away = max(0, expected - limit)
--   blocked:     discount > limit (the discount is cut); first_blocked_at = the first of them
-- A set that holds the bad change ($set_held: one of its change rules does) prevents all of the
-- incident's excess ($incident_excess) instead; its payment rules still cost what they take
-- from every legitimate payment. leaked = $excess_at_stake - prevented.
-- Parameters: $set_ids INTEGER[], $set_members INTEGER[][] (the payment and rate rules of each
--   set, by number), $set_held BOOLEAN[] (parallel lists), $incident_excess, $excess_at_stake.
-- Grain: one row per set.
WITH sets AS (
    SELECT unnest($set_ids) AS set_id, unnest($set_members) AS members, unnest($set_held) AS held
), members AS (
    SELECT set_id, held, unnest(members) AS rule FROM sets
), limits AS (
    SELECT m.set_id, m.held, v.txn_id, min(v.limit_amount) AS limit_amount
    FROM members m JOIN _guardrail_verdicts v ON v.rule = m.rule AND v.txn_id IS NOT NULL
    GROUP BY ALL
), priced AS (
    SELECT l.set_id, l.held, l.limit_amount, p.ts, p.discount, p.expected, p.excess,
           p.in_bad_period OR p.priced_by_bad_version AS in_incident,
           least(p.discount, l.limit_amount) AS allowed
    FROM limits l JOIN priced_transactions p USING (txn_id)
), figures AS (
    SELECT set_id,
           count(*) FILTER (discount > limit_amount) AS payments_blocked,
           min(ts) FILTER (discount > limit_amount) AS first_blocked_at,
           sum(discount - greatest(expected, allowed)) FILTER (excess > 0 AND NOT (held AND in_incident)) AS prevented,
           sum(greatest(0, expected - limit_amount)) AS legit_discount_blocked,
           count(*) FILTER (expected > limit_amount) AS legit_payments_blocked
    FROM priced
    GROUP BY set_id
)
SELECT s.set_id, s.held,
       coalesce(f.payments_blocked, 0) AS payments_blocked,
       f.first_blocked_at,
       CAST(coalesce(f.prevented, 0) + CASE WHEN s.held THEN CAST($incident_excess AS DECIMAL(18,2)) ELSE 0 END
            AS DECIMAL(18,2)) AS excess_prevented,
       CAST(CAST($excess_at_stake AS DECIMAL(18,2)) - coalesce(f.prevented, 0)
            - CASE WHEN s.held THEN CAST($incident_excess AS DECIMAL(18,2)) ELSE 0 END AS DECIMAL(18,2)) AS excess_leaked,
       CAST(coalesce(f.legit_discount_blocked, 0) AS DECIMAL(18,2)) AS legit_discount_blocked,
       coalesce(f.legit_payments_blocked, 0) AS legit_payments_blocked
FROM sets s LEFT JOIN figures f USING (set_id)
ORDER BY s.set_id
