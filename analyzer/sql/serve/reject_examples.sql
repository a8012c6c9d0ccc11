-- Up to $per_reason example rows per reject reason, in file order. The raw text is left out
-- when masking ({{raw}} is `raw` or `NULL`): it holds the user's and payee's ids.
-- Parameters: $per_reason. Grain: one row per quarantined row shown.
SELECT r.kind, r.reason, r.field, m.path, r.line, r.record_key, r.message, {{raw}} AS raw
FROM rejects r LEFT JOIN load_manifest m USING (file_id)
QUALIFY row_number() OVER (PARTITION BY r.kind, r.reason ORDER BY r.file_id, r.line) <= $per_reason
ORDER BY r.kind, r.reason, r.file_id, r.line
