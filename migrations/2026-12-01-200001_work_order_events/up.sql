-- Work-order creations and transitions are events of their ticket's log (kind `work_order`).
-- Validating the constraint scans ticket_events once; NOT VALID then VALIDATE keeps writes going.
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'sla_breached', 'sla_warning', 'work_order')) NOT VALID;
ALTER TABLE ticket_events VALIDATE CONSTRAINT ticket_events_kind_known;
