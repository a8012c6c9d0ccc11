-- Macros the feature-flag log readers share (analyzer/ingest/readers/flag_log.py), created
-- before a reader's own script runs.
--   flag_value_text(v)  a flag value (JSON) as the text of the configuration it holds: a JSON
--                       string that holds a JSON object or array is that document (teams keep
--                       a config as a JSON string: Unleash payloads, Flagsmith values); any
--                       other value is its own JSON text (JSON null is 'null': known to be
--                       empty, where SQL NULL says the log does not tell).
-- Grain: none (macros).
CREATE OR REPLACE TEMP MACRO flag_value_text(v) AS
    CASE json_type(v)
        WHEN 'NULL' THEN 'null'
        WHEN 'VARCHAR' THEN
            -- nested CASE: json_type() of text that is not JSON is an error
            CASE WHEN json_valid(json_extract_string(v, '$'))
                 THEN CASE WHEN json_type(json_extract_string(v, '$')) IN ('OBJECT', 'ARRAY')
                           THEN json_extract_string(v, '$') ELSE CAST(v AS VARCHAR) END
                 ELSE CAST(v AS VARCHAR) END
        ELSE CAST(v AS VARCHAR)
    END;
