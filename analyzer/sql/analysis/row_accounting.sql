-- Row accounting of one kind of input over all its files (the rows_* keys of the summary).
-- Parameters: $kind (transactions | config_changes | events). Grain: one row.
SELECT CAST(coalesce(sum(rows_read), 0) AS BIGINT) AS rows_read,
       CAST(coalesce(sum(rows_loaded), 0) AS BIGINT) AS rows_loaded,
       CAST(coalesce(sum(rows_duplicate), 0) AS BIGINT) AS rows_duplicate,
       CAST(coalesce(sum(rows_rejected), 0) AS BIGINT) AS rows_rejected
FROM load_manifest
WHERE kind = $kind
