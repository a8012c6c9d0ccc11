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
    format         VARCHAR NOT NULL,   -- the reader: canonical-csv, alipay-merchant, unleash, ... (`analyzer formats`)
    encoding       VARCHAR,            -- as read: utf-8, utf-8-sig, gb18030, or --encoding
    tz             VARCHAR,            -- --tz (or the mapping's tz) used for naive timestamps, if any
    rows_read      BIGINT  NOT NULL,   -- rows = loaded + duplicate + rejected
    rows_loaded    BIGINT  NOT NULL,
    rows_duplicate BIGINT  NOT NULL,
    rows_rejected  BIGINT  NOT NULL,
    rows_skipped   BIGINT  NOT NULL,   -- lines that are not rows: preamble, trailer, summary, blank, other objects' events
    float_money    VARCHAR,            -- 'rounded': floating-point money rounded half away from zero (--float-money round)
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
    merchant_discount DECIMAL(18,2),        -- the merchant-funded part of the discount, where the source tells it apart
    currency        VARCHAR,                -- ISO 4217; NULL = the database's one currency (--currency)
    file_id         INTEGER NOT NULL,
    line            BIGINT NOT NULL
);

-- One row per change of an object (a campaign, a flag in an environment, a namespace, a
-- ConfigMap). Changes of campaigns (campaign_id given) carry the discount model and are priced;
-- the others are context on the timeline.
CREATE TABLE IF NOT EXISTS config_changes (
    change_id      VARCHAR NOT NULL,
    ts             TIMESTAMPTZ NOT NULL,   -- when the change went live in the config console, UTC
    campaign_id    VARCHAR,                -- NULL: not a campaign (an unmapped object)
    actor          VARCHAR,
    approver       VARCHAR,
    ticket         VARCHAR,
    action         VARCHAR,
    version        VARCHAR NOT NULL,
    config         VARCHAR,                -- the discount model as a JSON document (campaigns only)
    discount_type  VARCHAR,                -- none | fixed | percent
    discount_value DECIMAL(18,4),          -- yuan for fixed, percentage points for percent
    max_discount   DECIMAL(18,2),
    min_amount     DECIMAL(18,2),
    scenes         VARCHAR[],              -- ['*'] = every scene
    enabled        BOOLEAN,
    object         VARCHAR NOT NULL,       -- the source's own key: project/flag/environment, app/cluster/namespace, ...
    config_raw     VARCHAR,                -- the source's configuration after the change, as JSON text
    previous_raw   VARCHAR,                -- ... and before it (NULL when the source does not tell)
    source_format  VARCHAR NOT NULL,       -- the reader
    seq            BIGINT,                 -- the source's order of changes at the same instant, when it has one
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
    user_id   VARCHAR,                     -- who reported it (a scam-message report), when known
    ref       VARCHAR,                     -- the source's own reference (ticket, message id)
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

-- Loaded rows under dispute, never silently applied:
--   conflicting_duplicate   a later file contradicts this loaded row (same key, other content):
--                           it stays loaded, and the later row is in `rejects`
--   refund_unknown_payment  a refund of a payment that is not loaded (refund_disputes.sql)
--   refund_exceeds_paid     refunds of one payment adding up to more than it paid
-- The analysis leaves disputed refunds out of the refunds it counts.
CREATE TABLE IF NOT EXISTS disputed (
    kind           VARCHAR NOT NULL,
    record_key     VARCHAR NOT NULL,
    file_id        INTEGER NOT NULL,       -- the file of the loaded row
    line           BIGINT,
    conflicting_file_id INTEGER,           -- conflicting_duplicate: the later file and line
    conflicting_line    BIGINT,
    reason         VARCHAR NOT NULL DEFAULT 'conflicting_duplicate',
    detail         VARCHAR
);

-- The secret behind pseudonyms (the pseudonym() macro, sql/macros.sql): made once per database, never exported,
-- so a masked report cannot be reversed by hashing every possible user id.
CREATE TABLE IF NOT EXISTS privacy_key AS SELECT CAST(gen_random_uuid() AS VARCHAR) || CAST(gen_random_uuid() AS VARCHAR) AS key;
