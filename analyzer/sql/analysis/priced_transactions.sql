-- priced_transactions: every payment of the incident campaign(s), priced against its intended
-- config (DESIGN.md, "The model of a discount"), as a view of two parts. Only the payments that
-- matter are stored: the table priced_exceptions (priced_exceptions.sql, run before this file on
-- the payments' engine: DuckDB, or Spark with analyze --engine spark). The rest, ordinary
-- payments (the live version reproduces the discount, the log agrees, and the intended config
-- gives the same discount), is the view priced_ordinary, computed from transactions and
-- config_versions when read (an interval join, not an ASOF join, which would sort every
-- payment). The two parts are disjoint by construction: an ordinary row has excess = 0 and
-- explained_by = its live version, so affected, lagged and unexplained payments are all in
-- priced_exceptions (affected.sql and incident_summary.sql read it directly). Writing every
-- payment took two thirds of analyze (38 of 58 s at 50M payments) for rows nothing needs stored.
-- One file for both engines (pipeline.priced_view_templates). On DuckDB the views are stored in
--   the analysis's schema and take no parameters: {{view:name}} / {{table:name}} qualify a name
--   with the schema, and {{transactions}} (the qualified transactions it reads), {{campaigns}},
--   {{bad_campaign}}, {{bad_from}}, {{fix_from}}, {{bad_seq}}, {{fix_seq}} are fixed literals
--   built with quote_literal: the values of priced_exceptions.sql's parameters. On Spark they are
--   temporary views (second_metrics reads them) and those placeholders are the bound parameters
--   themselves ($bad_from, ...), bound when the view is defined (engine.SparkEngine.run_file).
-- Grain: one row per payment (txn_id) of the campaigns.
-- The ordinary payments, computed when read: the same columns as priced_exceptions. A payment
-- is here exactly when it is not there (the live version prices it, the log agrees, and the
-- intended discount equals the logged one), so the union holds every payment once.
CREATE OR REPLACE {{view:priced_ordinary}} AS
WITH v AS (
    SELECT * FROM {{table:config_versions}} WHERE array_contains({{campaigns}}, campaign_id)
), pre AS (
    SELECT prev_version AS pre_version, prev_change_id AS pre_change_id, prev_discount_type AS pre_type,
           prev_discount_value AS pre_value, prev_max_discount AS pre_cap, prev_min_amount AS pre_min,
           prev_scenes AS pre_scenes, prev_enabled AS pre_enabled
    FROM {{table:config_versions}} WHERE campaign_id = {{bad_campaign}} AND version_seq = {{bad_seq}}
), live AS (
    SELECT t.txn_id, t.ts, t.user_id, t.merchant_id, t.scene, t.amount, t.discount, t.campaign_id,
           t.config_version AS logged_version,
           v.version_seq AS live_seq, v.version AS live_version, v.change_id AS live_change_id,
           apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, t.amount, t.scene) AS by_live,
           (t.campaign_id = {{bad_campaign}} AND t.ts >= {{bad_from}} AND ({{fix_from}} IS NULL OR t.ts < {{fix_from}})) AS in_bad_period
    FROM {{transactions}} t
    JOIN v ON v.campaign_id = t.campaign_id AND t.ts >= v.valid_from AND t.ts < v.valid_until
    WHERE t.type = 'payment' AND array_contains({{campaigns}}, t.campaign_id)
), priced AS (
    -- an ordinary payment's expected discount is its logged one (that is what makes it
    -- ordinary), so only the bad period's payments are priced a second time, in the filter
    SELECT l.txn_id, l.ts, l.user_id, l.merchant_id, l.scene, l.amount, l.discount, l.campaign_id, l.logged_version,
           l.live_version, l.live_change_id,
           false AS version_disagrees,
           l.live_version AS explained_by, l.live_change_id AS explained_change_id,
           false AS lagged,
           l.in_bad_period,
           (l.campaign_id = {{bad_campaign}} AND l.live_seq >= {{bad_seq}} AND ({{fix_seq}} IS NULL OR l.live_seq < {{fix_seq}})) AS priced_by_bad_version,
           CASE WHEN l.in_bad_period THEN p.pre_version ELSE l.live_version END AS intended_version,
           CASE WHEN l.in_bad_period THEN p.pre_change_id ELSE l.live_change_id END AS intended_change_id,
           l.discount AS expected
    FROM live l LEFT JOIN pre p ON true
    WHERE l.discount = l.by_live AND (l.logged_version IS NULL OR l.logged_version = l.live_version)
      AND (NOT l.in_bad_period
           OR l.discount = apply_discount(p.pre_type, p.pre_value, p.pre_cap, p.pre_min, p.pre_scenes, p.pre_enabled, l.amount, l.scene))
)
SELECT *, CAST(0 AS DECIMAL(18,2)) AS excess FROM priced;

CREATE OR REPLACE {{view:priced_transactions}} AS
SELECT * FROM {{table:priced_exceptions}}
UNION ALL
SELECT * FROM {{table:priced_ordinary}};
