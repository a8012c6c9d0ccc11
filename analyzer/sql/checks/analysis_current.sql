-- The analysis is of the data now loaded: no file was ingested since analyze recorded the state
-- of the raw tables. Offending row: the analysis, with the files ingested after it.
SELECT s.analysis_label, s.analyzed_at,
       (SELECT string_agg(path, ', ' ORDER BY file_id) FROM main.load_manifest
        WHERE file_id > coalesce(s.inputs_last_file_id, 0)) AS ingested_since
FROM incident_summary s, main.inputs_now n
WHERE s.inputs_fingerprint IS DISTINCT FROM n.fingerprint
