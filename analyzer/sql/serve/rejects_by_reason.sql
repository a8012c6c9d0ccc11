-- Quarantined rows counted by kind, reason and field, with the files they came from.
-- Parameters: none. Grain: one row per (kind, reason, field).
SELECT r.kind, r.reason, r.field, count(*) AS rows,
       list_sort(list_distinct(list(m.path))) AS files
FROM rejects r LEFT JOIN load_manifest m USING (file_id)
GROUP BY ALL
ORDER BY rows DESC, r.kind, r.reason, r.field NULLS FIRST
