DELETE FROM ticket_events WHERE kind = 'unlinked';
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'sla_breached', 'sla_warning', 'work_order', 'notification',
    'survey_answered', 'comment_redacted', 'macro_applied', 'attachment_added',
    'attachment_redacted')) NOT VALID;
