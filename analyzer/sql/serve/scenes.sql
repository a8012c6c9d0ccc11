-- The affected scenes (affected_scenes as stored), largest excess first: the Merchants and
-- scenes page, and the scene filter's options. Parameters: none. Grain: one row per scene.
SELECT scene, affected_txns, affected_users, affected_merchants, amount_total, discount_total,
       expected_total, excess_total, net_excess_total
FROM affected_scenes
ORDER BY excess_total DESC, scene NULLS LAST
