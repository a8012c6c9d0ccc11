-- burn_rate: pause the campaign when its discount per second runs far above its own recent rate.
-- acts on: rate
-- param window_s (seconds >= 1, default 60): the trailing window, in seconds
-- param baseline_s (seconds >= 1, default 3600): the baseline window just before it, in seconds
-- param factor (ratio, default 3): trips when the trailing discount exceeds factor x the baseline's
-- param delay_s (seconds, default 30): seconds from the trip to the pause
-- describe: pause the campaign {delay_s} s after its discount over {window_s} s exceeds {factor}x its rate over the {baseline_s} s before
-- Evaluated at every whole second s (UTC) whose whole baseline window lies inside the loaded data
-- (s - window_s - baseline_s >= the earliest loaded payment, $data_from), per campaign:
--   trailing = discount of payments with ts in [s - window_s, s)
--   baseline = discount in [s - window_s - baseline_s, s - window_s), scaled by window_s / baseline_s
--   trips when trailing_sum > 0 and trailing > factor x baseline, compared without a division:
--   trailing * baseline_s > factor * window_s * baseline_sum (exact DECIMAL).
-- Per second: payments are summed into second buckets once, the buckets laid on a dense series
-- of seconds, and both windows are sums over fixed frames of that series (no self-join over
-- payments: linear in payments plus seconds).
-- The incident's trip is the first second s >= the bad change ($bad_from), up to the end of the
-- incident (the later of the fix and the last affected payment, plus window_s); the campaign is
-- paused from s + delay_s until the fix change ($fix_from; open when there is none): paused
-- payments keep nothing. Every other start of a run of tripping seconds, of any analysed
-- campaign, is a trip elsewhere (a false alarm; what it would have cost is not modelled).
-- Verdicts: paused payments (txn_id, campaign_id, limit_amount = 0) and trips (txn_id NULL,
-- tripped_at, elsewhere).
-- Parameters: $window_s, $baseline_s, $factor, $delay_s, $data_from, $bad_campaign, $bad_from,
--   $fix_from, $last_affected_at.
WITH bounds AS (
    SELECT CAST($bad_from AS TIMESTAMPTZ) AS bad_from, CAST($fix_from AS TIMESTAMPTZ) AS fix_from,
           CASE WHEN $fix_from IS NOT NULL THEN greatest(CAST($fix_from AS TIMESTAMPTZ),
               coalesce(CAST($last_affected_at AS TIMESTAMPTZ), CAST($fix_from AS TIMESTAMPTZ))) + to_seconds($window_s) END AS incident_end
), buckets AS (
    SELECT campaign_id, epoch_ms(ts) // 1000 AS sec, sum(discount) AS discount
    FROM priced_transactions
    GROUP BY ALL
), series AS (
    -- from the first second a baseline may start at, to the last second a payment is trailing in
    SELECT c.campaign_id, g.sec
    FROM (SELECT campaign_id, max(sec) AS last_sec FROM buckets GROUP BY ALL) c,
         LATERAL generate_series((epoch_ms(CAST($data_from AS TIMESTAMPTZ)) + 999) // 1000,
                                 c.last_sec + $window_s) g(sec)
), sums AS (
    SELECT s.campaign_id, s.sec,
           row_number() OVER w AS n,
           sum(coalesce(b.discount, 0)) OVER (w ROWS BETWEEN $window_s PRECEDING AND 1 PRECEDING) AS trailing_sum,
           sum(coalesce(b.discount, 0)) OVER (w ROWS BETWEEN $window_s + $baseline_s PRECEDING AND $window_s + 1 PRECEDING) AS baseline_sum
    FROM series s LEFT JOIN buckets b USING (campaign_id, sec)
    WINDOW w AS (PARTITION BY s.campaign_id ORDER BY s.sec)
), judged AS (
    SELECT campaign_id, sec,
           coalesce(trailing_sum > 0
                    AND trailing_sum * $baseline_s > CAST($factor AS DECIMAL(18,4)) * $window_s * baseline_sum, false) AS over
    FROM sums
    WHERE n > $window_s + $baseline_s  -- the whole baseline window lies inside the data
), edges AS (
    SELECT campaign_id, sec,
           over AND NOT coalesce(lag(over) OVER (PARTITION BY campaign_id ORDER BY sec), false) AS starts,
           campaign_id = $bad_campaign AND sec * 1000 >= epoch_ms(b.bad_from)
               AND (b.incident_end IS NULL OR sec * 1000 <= epoch_ms(b.incident_end)) AS in_incident,
           over
    FROM judged, bounds b
), trip AS (
    SELECT to_timestamp(min(sec)) AS tripped_at FROM edges WHERE in_incident AND over
)
SELECT p.txn_id, p.campaign_id, CAST(0 AS DECIMAL(18,2)) AS limit_amount,
       CAST(NULL AS TIMESTAMPTZ) AS tripped_at, CAST(NULL AS BOOLEAN) AS elsewhere
FROM priced_transactions p, trip, bounds b
WHERE p.campaign_id = $bad_campaign
  AND p.ts >= trip.tripped_at + to_seconds($delay_s)
  AND (b.fix_from IS NULL OR p.ts < b.fix_from)
  AND greatest(p.discount, p.expected) > 0
UNION ALL
SELECT NULL, $bad_campaign, NULL, tripped_at, false FROM trip WHERE tripped_at IS NOT NULL
UNION ALL
SELECT NULL, campaign_id, NULL, to_timestamp(sec), true FROM edges WHERE starts AND NOT in_incident
