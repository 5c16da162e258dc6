-- The usage ledger: every acknowledged event, rated and attributed when it was stored, never
-- updated. (org, id) deduplicates; (partition, seq) is the stream order, and within a partition
-- commit order equals seq order because appenders take the partition's counter row first.

CREATE TABLE cg_partition
(
    partition integer PRIMARY KEY,
    last_seq  bigint  NOT NULL DEFAULT 0
);

CREATE TABLE cg_event
(
    org         text        NOT NULL,
    id          text        NOT NULL,
    partition   integer     NOT NULL,
    seq         bigint      NOT NULL,
    kind        smallint    NOT NULL,
    target      text        NOT NULL,
    time        timestamptz NOT NULL,
    end_time    timestamptz NULL,
    sku         text        NULL,
    quantity    numeric     NULL,
    price       numeric     NULL,
    amount      numeric     NOT NULL,
    unit        text        NOT NULL,
    category    text        NOT NULL,
    resource    text        NULL,
    dimensions  jsonb       NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org, id)
);
CREATE UNIQUE INDEX ix_event_stream ON cg_event (partition, seq);
CREATE INDEX ix_event_target ON cg_event (org, kind, target, seq);

-- Aggregates, created on first use; the unit is fixed then.
CREATE TABLE cg_target
(
    org        text        NOT NULL,
    kind       smallint    NOT NULL,
    key        text        NOT NULL,
    unit       text        NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org, kind, key)
);

-- How far each partition's stream reader has delivered.
CREATE TABLE cg_stream_checkpoint
(
    partition integer PRIMARY KEY,
    seq       bigint  NOT NULL
);

-- Settings fixed when the database was first used (the partition count may never change).
CREATE TABLE cg_setting
(
    key   text PRIMARY KEY,
    value text NOT NULL
);
