-- Raw tables written by `analyzer ingest`. Created once; never modified by `analyze`.
-- Grain: transactions one row per loaded txn_id; config_changes one row per change_id;
-- events one row per distinct event; load_manifest one row per ingested file;
-- rejects one row per quarantined input row.

CREATE SEQUENCE IF NOT EXISTS file_id_seq START 1;

CREATE TABLE IF NOT EXISTS load_manifest (
    file_id        INTEGER PRIMARY KEY,
    path           VARCHAR NOT NULL,   -- as given on the command line, made absolute
    kind           VARCHAR NOT NULL,   -- transactions | config_changes | events
    sha256         VARCHAR NOT NULL,
    size_bytes     BIGINT  NOT NULL,
    format         VARCHAR NOT NULL,   -- csv | csv.gz | jsonl | jsonl.gz | parquet
    encoding       VARCHAR,
    tz             VARCHAR,            -- --tz used for naive timestamps, if any
    rows_read      BIGINT  NOT NULL,
    rows_loaded    BIGINT  NOT NULL,
    rows_duplicate BIGINT  NOT NULL,
    rows_rejected  BIGINT  NOT NULL,
    ingested_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS transactions (
    txn_id          VARCHAR NOT NULL,
    ts              TIMESTAMPTZ NOT NULL,   -- when the payment was priced, UTC
    user_id         VARCHAR NOT NULL,
    merchant_id     VARCHAR,
    scene           VARCHAR,
    amount          DECIMAL(18,2) NOT NULL, -- before discount; for a refund, the money returned
    discount        DECIMAL(18,2) NOT NULL,
    paid            DECIMAL(18,2),
    campaign_id     VARCHAR,
    config_version  VARCHAR,
    type            VARCHAR NOT NULL,       -- payment | refund
    original_txn_id VARCHAR,
    file_id         INTEGER NOT NULL,
    line            BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS config_changes (
    change_id      VARCHAR NOT NULL,
    ts             TIMESTAMPTZ NOT NULL,   -- when the change went live in the console, UTC
    campaign_id    VARCHAR NOT NULL,
    actor          VARCHAR,
    approver       VARCHAR,
    ticket         VARCHAR,
    action         VARCHAR,
    version        VARCHAR NOT NULL,
    config         VARCHAR NOT NULL,       -- the JSON document as given
    discount_type  VARCHAR NOT NULL,       -- none | fixed | percent
    discount_value DECIMAL(18,4) NOT NULL, -- yuan for fixed, percentage points for percent
    max_discount   DECIMAL(18,2),
    min_amount     DECIMAL(18,2),
    scenes         VARCHAR[] NOT NULL,     -- ['*'] = every scene
    enabled        BOOLEAN NOT NULL,
    file_id        INTEGER NOT NULL,
    line           BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
    event_id  VARCHAR NOT NULL,            -- md5 of the content: exact duplicates collapse
    ts        TIMESTAMPTZ NOT NULL,
    source    VARCHAR,
    kind      VARCHAR,
    title     VARCHAR,
    detail    VARCHAR,
    severity  VARCHAR,
    file_id   INTEGER NOT NULL,
    line      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS rejects (
    file_id     INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,
    line        BIGINT,                    -- data line in the file (header = line 1); row number for Parquet
    record_key  VARCHAR,                   -- txn_id / change_id when readable
    reason      VARCHAR NOT NULL,          -- a code: malformed_row, missing_field, bad_timestamp, ...
    field       VARCHAR,
    message     VARCHAR NOT NULL,
    raw         VARCHAR                    -- the row as read (text or JSON)
);

-- A loaded row that a later file contradicts (same key, other content): it stays loaded,
-- flagged here, and the later row is in `rejects` as a conflicting_duplicate.
CREATE TABLE IF NOT EXISTS disputed (
    kind           VARCHAR NOT NULL,
    record_key     VARCHAR NOT NULL,
    file_id        INTEGER NOT NULL,       -- the file of the loaded row
    line           BIGINT,
    conflicting_file_id INTEGER NOT NULL,
    conflicting_line    BIGINT
);

-- The secret behind pseudonyms (the pseudonym() macro, sql/macros.sql): made once per database, never exported,
-- so a masked report cannot be reversed by hashing every possible user id.
CREATE TABLE IF NOT EXISTS privacy_key AS SELECT CAST(gen_random_uuid() AS VARCHAR) || CAST(gen_random_uuid() AS VARCHAR) AS key;
