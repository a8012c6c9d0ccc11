-- Time series for the timeline chart.
-- minute_metrics: per minute and campaign ('' = no campaign), from the one pass over all payments
--   (payment_groups.sql):
--   payments, amount, discount, discount rate (percent of amount), and the excess of the
--   analysed campaigns (from affected_transactions).
-- second_metrics: the same per second and campaign, for the analysed campaigns, from
--   $window_from to $window_to (the incident with a margin): fine enough to see the lag second by second.
-- Rates are ratios, not money: DOUBLE is fine there; money stays DECIMAL(18,2).
-- One script for both engines (analyze --engine duckdb | spark), with the dialect template
-- {{minute_start:col}} (the instant an epoch-minute key stands for). The peak minute is DuckDB's
-- (peak_minute.sql), over the minute_metrics copied in.
-- Parameters: $window_from, $window_to.

CREATE OR REPLACE TABLE minute_metrics AS
WITH pay AS (
    -- from payment_groups.sql (the pass over every payment shared with change_impact)
    SELECT {{minute_start:minute_key}} AS minute, campaign_id,
           CAST(sum(payments) AS BIGINT) AS payments, CAST(sum(amount) AS DECIMAL(18,2)) AS amount,
           CAST(sum(discount) AS DECIMAL(18,2)) AS discount
    FROM payment_groups
    GROUP BY ALL
), exc AS (
    SELECT date_trunc('minute', ts) AS minute, campaign_id, count(*) AS affected_txns,
           CAST(sum(excess) AS DECIMAL(18,2)) AS excess
    FROM affected_transactions GROUP BY ALL
)
SELECT p.minute, p.campaign_id, p.payments, p.amount, p.discount,
       CASE WHEN p.amount > 0 THEN round(CAST(p.discount AS DOUBLE) * 100 / CAST(p.amount AS DOUBLE), 4) END AS discount_rate_pct,
       coalesce(e.affected_txns, 0) AS affected_txns,
       coalesce(e.excess, 0.00) AS excess
FROM pay p LEFT JOIN exc e USING (minute, campaign_id)
ORDER BY p.minute, p.campaign_id;

CREATE OR REPLACE TABLE second_metrics AS
WITH pay AS (
    SELECT date_trunc('second', ts) AS second, campaign_id,
           count(*) AS payments, CAST(sum(amount) AS DECIMAL(18,2)) AS amount,
           CAST(sum(discount) AS DECIMAL(18,2)) AS discount,
           count(*) FILTER (WHERE excess <> 0) AS affected_txns,
           CAST(sum(excess) AS DECIMAL(18,2)) AS excess,
           count(*) FILTER (WHERE priced_by_bad_version) AS priced_by_bad_version
    FROM priced_transactions
    WHERE ts >= $window_from AND ts < $window_to
    GROUP BY ALL
)
SELECT second, campaign_id, payments, amount, discount,
       CASE WHEN amount > 0 THEN round(CAST(discount AS DOUBLE) * 100 / CAST(amount AS DOUBLE), 4) END AS discount_rate_pct,
       affected_txns, excess, priced_by_bad_version
FROM pay
ORDER BY second, campaign_id;
