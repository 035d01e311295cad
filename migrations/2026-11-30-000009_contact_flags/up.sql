-- Per-ticket flags of METRICS.md one_touch.v1, one_touch_strict.v1 and the per-ticket part of fcr.v1
-- (the 7-day repeat check spans tickets and is made when aggregating).
ALTER TABLE ticket_metrics
    ADD COLUMN requester_comments INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN one_touch BOOLEAN,
    ADD COLUMN one_touch_strict BOOLEAN,
    ADD COLUMN fcr_candidate BOOLEAN;
CREATE INDEX tickets_requester_category_created_idx ON tickets (requester_id, category, created_at);
