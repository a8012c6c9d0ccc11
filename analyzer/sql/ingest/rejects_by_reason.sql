-- One file's quarantined rows by reason. Parameters: $file_id. Grain: one row per reason.
SELECT reason, count(*) AS rows FROM rejects WHERE file_id = $file_id GROUP BY reason ORDER BY reason
