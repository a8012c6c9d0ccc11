-- The records of a JSON-lines file, each with the line it came from, for the feature-flag log
-- readers (analyzer/ingest/readers/flag_log.py). A line is one record, or an API response
-- wrapping a list of them ({"events": [...]} on one line), whose records all get its line and
-- their place in it (_idx). A blank line, and a response with an empty list, give one row with
-- j NULL (the reader counts it as skipped). A line that is not a JSON object, and an element of
-- a wrapped list that is not one, are _malformed (quarantined as malformed_row).
-- Placeholders: {{source}} the lines (base.jsonl_lines: one text column j; NULL for a blank
-- line), {{wrapper}} / {{wrapper_items}} the JSON path of the wrapped list and of its elements.
-- Columns: _line, _idx (also as _sub), j (also as _raw), _malformed, _j (j unless _malformed).
-- Grain: one row per record (or per blank line / empty list).
SELECT *, _idx AS _sub, j AS _raw, CASE WHEN NOT _malformed THEN j END AS _j
FROM (
SELECT _line, _idx, j,
       _shape = 'bad' OR (j IS NOT NULL AND NOT (CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' ELSE false END))
           AS _malformed
FROM (
    SELECT _line, _shape,
           unnest(items) AS j,
           generate_subscripts(items, 1) AS _idx
    FROM (
        SELECT _line, _shape,
               CASE WHEN _shape = 'wrapper' THEN
                        CASE WHEN json_array_length(j, {{wrapper}}) > 0
                             THEN CAST(json_extract(j, {{wrapper_items}}) AS VARCHAR[]) ELSE [NULL] END
                    WHEN _shape = 'blank' THEN [NULL]
                    ELSE [j] END AS items
        FROM (
            -- CASE, not AND: json_type() of text that is not JSON is an error
            SELECT row_number() OVER () AS _line, j,
                   CASE WHEN j IS NULL OR trim(j) = '' THEN 'blank'
                        WHEN NOT json_valid(j) THEN 'bad'
                        WHEN json_type(j) <> 'OBJECT' THEN 'bad'
                        WHEN json_type(j, {{wrapper}}) = 'ARRAY' THEN 'wrapper'
                        ELSE 'record' END AS _shape
            FROM {{source}}
        )
    )
)
)
