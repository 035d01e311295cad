ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
DELETE FROM ticket_events WHERE kind IN ('notification', 'survey_answered');
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'sla_breached', 'sla_warning', 'work_order'));
DROP TABLE inbound_messages;
DROP TABLE surveys;
DROP TABLE outbox;
ALTER TABLE customers DROP COLUMN email_opt_out;
