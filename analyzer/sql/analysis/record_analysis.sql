-- The list of analyses in the database (analyze --label): one row per label, replaced when the
-- label is analyzed again. Parameters: $label, $schema_name, $analyzed_at, $bad_change_id,
-- $fix_change_id, $campaigns, $currency, $parameters (JSON text).
CREATE TABLE IF NOT EXISTS main.analyses (
    label         VARCHAR NOT NULL,
    schema_name   VARCHAR NOT NULL,
    analyzed_at   TIMESTAMPTZ NOT NULL,
    bad_change_id VARCHAR,
    fix_change_id VARCHAR,
    campaigns     VARCHAR[],
    currency      VARCHAR,
    parameters    VARCHAR
);

DELETE FROM main.analyses WHERE label = $label;

INSERT INTO main.analyses VALUES ($label, $schema_name, $analyzed_at, $bad_change_id, $fix_change_id, $campaigns,
                                  $currency, $parameters);
