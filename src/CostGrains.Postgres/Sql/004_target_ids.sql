-- Every aggregate gets a number, and ledger rows carry it: an aggregate's rows are found through
-- (target_id, seq) instead of (org, kind, target, seq). The index takes every insert at one of as
-- many places as there are aggregates; with an 8-byte key instead of two texts each insert
-- compares integers, and the index is a fraction of the size (measured in psql on 1,000,000 rows
-- over 2,000 targets: 3.2 – 3.6 µs per row for this index against 5.1 – 8 µs for the text one).

ALTER TABLE cg_target ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE cg_target ADD CONSTRAINT cg_target_id_key UNIQUE (id);

ALTER TABLE cg_event ADD COLUMN target_id bigint;
UPDATE cg_event e SET target_id = t.id
  FROM cg_target t
 WHERE t.org = e.org AND t.kind = e.kind AND t.key = e.target;
ALTER TABLE cg_event ALTER COLUMN target_id SET NOT NULL;

CREATE INDEX ix_event_target_id ON cg_event (target_id, seq);
DROP INDEX ix_event_target;
