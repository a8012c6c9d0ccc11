-- The zone the naive inputs were read in (--tz at ingest), the most used one when several:
-- the default zone to show the incident in. Grain: one row or none.
SELECT tz FROM load_manifest WHERE tz IS NOT NULL GROUP BY tz ORDER BY count(*) DESC, tz LIMIT 1
