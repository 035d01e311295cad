-- on_hold.v1 by pause reason: {"awaiting_parts": 3600, ...} in calendar seconds.
ALTER TABLE ticket_metrics ADD COLUMN on_hold_by_reason JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE ticket_metrics ADD CONSTRAINT ticket_metrics_on_hold_by_reason_object
    CHECK (jsonb_typeof(on_hold_by_reason) = 'object');
