-- What the raw tables hold, as one fingerprint: every ingested file (its id and SHA-256) in
-- order. A view, so it always tells the state now: analyze records its value in
-- incident_summary, and a later ingest changes it, so a reader can tell the analysis is stale
-- (analyzer/analysis/freshness.py, checks/analysis_current.sql). Grain: one row.
CREATE OR REPLACE VIEW main.inputs_now AS
SELECT md5(coalesce(string_agg(CAST(file_id AS VARCHAR) || ':' || sha256, ',' ORDER BY file_id), '')) AS fingerprint,
       coalesce(max(file_id), 0) AS last_file_id,
       count(*) AS files
FROM main.load_manifest;
