-- Resource state reports ride the ledger like usage: ordered, deduplicated, replayable. They carry
-- no amount; `rate` is the resource's hourly rate priced at ingest (a snapshot, like `amount`).
ALTER TABLE cg_event ADD COLUMN type smallint NOT NULL DEFAULT 0;
ALTER TABLE cg_event ADD COLUMN state text NULL;
ALTER TABLE cg_event ADD COLUMN rate numeric NULL;
ALTER TABLE cg_event ADD COLUMN details jsonb NULL;

-- Reports and invoices read billed usage by time range. Agents report near real time, so event
-- time follows insertion order closely: a BRIN index narrows a range to the blocks that hold it
-- at a fraction of a B-tree's cost on every insert (measured: a B-tree on (org, kind, target, time)
-- took ~15 % off ledger throughput). Per-target filtering then uses ix_event_target.
CREATE INDEX ix_event_time ON cg_event USING brin (time) WITH (pages_per_range = 32);
