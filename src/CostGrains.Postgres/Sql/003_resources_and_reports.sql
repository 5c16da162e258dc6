-- Resource state reports ride the ledger like usage: ordered, deduplicated, replayable. They carry
-- no amount; `rate` is the resource's hourly rate priced at ingest (a snapshot, like `amount`).
ALTER TABLE cg_event ADD COLUMN type smallint NOT NULL DEFAULT 0;
ALTER TABLE cg_event ADD COLUMN state text NULL;
ALTER TABLE cg_event ADD COLUMN rate numeric NULL;
ALTER TABLE cg_event ADD COLUMN details jsonb NULL;

-- Reports and invoices read billed usage of an organization's targets by time.
CREATE INDEX ix_event_report ON cg_event (org, kind, target, time) INCLUDE (amount, category) WHERE type = 0;
