DROP INDEX ticket_events_sla_once;
DELETE FROM ticket_events WHERE kind IN ('sla_breached', 'sla_warning');
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked'));
DROP TABLE ticket_sla_clocks;
ALTER TABLE sla_policies DROP CONSTRAINT sla_policies_warning_positive;
ALTER TABLE sla_policies DROP COLUMN warning_seconds;
