-- The in-memory metrics store follows surveys too (csat.v1, csat_response_rate.v1, nps.v1): a
-- survey's answer or delivery changes no ticket row, so surveys carry their own `changed_xid`
-- (migration 0013), stamped on INSERT by the default and on UPDATE by the trigger, and the store's
-- change detection reads it through this index.
ALTER TABLE surveys ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX surveys_changed_xid_idx ON surveys (changed_xid);
CREATE TRIGGER surveys_stamp_changed_xid BEFORE UPDATE ON surveys
    FOR EACH ROW EXECUTE FUNCTION frontline_stamp_changed_xid();
-- csat_response_rate.v1 counts surveys by `sent_at` (the SQL reference reads this range).
CREATE INDEX surveys_sent ON surveys (sent_at) WHERE sent_at IS NOT NULL;
