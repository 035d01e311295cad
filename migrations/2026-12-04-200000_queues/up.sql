-- Queues: what an agent's list screens filter and sort on, index-backed at a million tickets.

-- The pause reason of an on-hold ticket, on the row (the log keeps its history): written by every
-- ticket write in the UPDATE it already makes, NULL unless the ticket is on hold. Backfilled from
-- the latest move to on hold of each ticket on hold.
ALTER TABLE tickets ADD COLUMN hold_reason TEXT;
UPDATE tickets t SET hold_reason = (
    SELECT e.data->>'reason' FROM ticket_events e
     WHERE e.ticket_id = t.id AND e.kind = 'status_changed' AND e.to_status = 'on_hold'
     ORDER BY e.seq DESC LIMIT 1)
 WHERE t.status = 'on_hold';
ALTER TABLE tickets ADD CONSTRAINT tickets_hold_reason_only_on_hold
    CHECK (hold_reason IS NULL OR status = 'on_hold');
-- `hold_reason=awaiting_field_visit`, newest first (few tickets are on hold: a partial index).
CREATE INDEX tickets_hold_reason_created_at_idx ON tickets (hold_reason, created_at DESC, id DESC)
    WHERE hold_reason IS NOT NULL;
-- `sort=priority`: most urgent first, then oldest first (the queue's order): one ascending key,
-- so that the keyset cursor is a single row comparison.
CREATE INDEX tickets_priority_rank_idx ON tickets ((CASE priority WHEN 'urgent' THEN 0
    WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END), created_at, id);

-- The next SLA due instant of a ticket: the earliest `due_at` of its running clocks (NULL: none
-- runs), kept by statement triggers on `ticket_sla_clocks` — every writer of clocks (ticket
-- writes, the SLA worker, the re-projection, the seed's COPY) holds the ticket's row lock
-- already, and the application sends no extra statement. `sort=sla_due` walks the expression
-- index (next breach first, tickets without a running clock last).
ALTER TABLE tickets ADD COLUMN sla_due_at TIMESTAMPTZ;
UPDATE tickets t SET sla_due_at = d.due
  FROM (SELECT ticket_id, min(due_at) AS due FROM ticket_sla_clocks WHERE running GROUP BY ticket_id) d
 WHERE t.id = d.ticket_id;
CREATE FUNCTION tickets_sla_due_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets t SET sla_due_at = d.due
      FROM (SELECT ch.ticket_id,
                   (SELECT min(c.due_at) FROM ticket_sla_clocks c
                     WHERE c.ticket_id = ch.ticket_id AND c.running) AS due
              FROM (SELECT DISTINCT ticket_id FROM changed_clocks) ch) d
     WHERE t.id = d.ticket_id AND t.sla_due_at IS DISTINCT FROM d.due;
    RETURN NULL;
END
$$;
CREATE TRIGGER ticket_sla_clocks_due_on_insert AFTER INSERT ON ticket_sla_clocks
    REFERENCING NEW TABLE AS changed_clocks
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_sla_due_refresh();
CREATE TRIGGER ticket_sla_clocks_due_on_delete AFTER DELETE ON ticket_sla_clocks
    REFERENCING OLD TABLE AS changed_clocks
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_sla_due_refresh();
CREATE TRIGGER ticket_sla_clocks_due_on_update AFTER UPDATE ON ticket_sla_clocks
    REFERENCING NEW TABLE AS changed_clocks
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_sla_due_refresh();
CREATE INDEX tickets_sla_due_idx ON tickets ((coalesce(sla_due_at, 'infinity'::timestamptz)), id);
