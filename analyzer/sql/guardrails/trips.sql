-- The trips of the rate rules: the incident's trip (the first, when a rule reports several) and
-- how often, and first when, each tripped elsewhere. Grain: one row per rule that reported a trip.
SELECT rule,
       min(tripped_at) FILTER (NOT elsewhere) AS tripped_at,
       count(*) FILTER (elsewhere) AS trips_elsewhere,
       min(tripped_at) FILTER (elsewhere) AS first_trip_elsewhere_at
FROM _guardrail_verdicts
WHERE txn_id IS NULL AND tripped_at IS NOT NULL
GROUP BY rule
ORDER BY rule
