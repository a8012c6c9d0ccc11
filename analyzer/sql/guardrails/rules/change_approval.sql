-- change_approval: hold a risky change that nobody approved until a second person does.
-- acts on: change
-- param max_value_ratio (ratio, default 5): a change that multiplies the discount value by more than this is risky
-- describe: hold a change without an approver that changes the discount type, removes the cap, widens the scenes to every scene or multiplies the discount value by more than {max_value_ratio}
-- Risky: changes the discount type, removes the cap, widens the scenes to every scene, or
-- multiplies the discount value by more than $max_value_ratio (discount_value >
-- ratio x the previous value, compared without a division; from no value, any value is more).
-- A change is held when it is risky and has no approver.
-- {{changes}}: the changes to judge, with the columns of config_versions (the replay: every
-- version of the analysed campaigns; lint-change: the proposed change, guardrails/proposed_change.sql).
-- Verdicts (the contract of a change rule): one row per change: change_id, campaign_id,
-- valid_from, held, clauses (what made it risky; 'no approver' first when it has none).
-- Parameters: $max_value_ratio. number_text() and ratio_text() are macros of guardrails/setup.sql.
WITH judged AS (
    SELECT change_id, campaign_id, valid_from, approver IS NULL AS unapproved,
           list_filter([
               CASE WHEN type_changed THEN 'changes the discount type (' || coalesce(prev_discount_type, 'none')
                    || ' -> ' || coalesce(discount_type, 'none') || ')' END,
               CASE WHEN cap_removed THEN 'removes the cap (' || CAST(prev_max_discount AS VARCHAR) || ' -> none)' END,
               CASE WHEN scenes_widened_to_all THEN 'widens the scenes to every scene' END,
               CASE WHEN prev_change_id IS NOT NULL AND coalesce(discount_value, 0) > 0
                         AND coalesce(discount_value, 0) > CAST($max_value_ratio AS DECIMAL(18,4)) * coalesce(prev_discount_value, 0)
                    THEN 'multiplies the discount value by more than ' || ratio_text(CAST($max_value_ratio AS DECIMAL(18,4)))
                         || ' (' || coalesce(number_text(prev_discount_value), 'none') || ' -> ' || number_text(discount_value) || ')' END
           ], lambda c: c IS NOT NULL) AS risks
    FROM {{changes}}
)
SELECT change_id, campaign_id, valid_from,
       unapproved AND len(risks) > 0 AS held,
       CASE WHEN unapproved AND len(risks) > 0 THEN list_prepend('no approver', risks) ELSE risks END AS clauses
FROM judged
