-- Unlinking an incident from its problem (issue 15, item 7) is a ticket event on both tickets,
-- `unlinked` (`{"link": "problem", "ticket_id": <problem>}` on the incident, `{"link":
-- "incident", "ticket_id": <incident>}` on the problem), as linking is a `linked` event.
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'unlinked', 'sla_breached', 'sla_warning', 'work_order',
    'notification', 'survey_answered', 'comment_redacted', 'macro_applied', 'attachment_added',
    'attachment_redacted')) NOT VALID;
ALTER TABLE ticket_events VALIDATE CONSTRAINT ticket_events_kind_known;
