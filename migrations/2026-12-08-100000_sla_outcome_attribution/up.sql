-- SLA outcomes credited at the instant (docs/METRICS.md §7, "Attribution"): the team and assignee
-- the ticket had when a target was achieved (`fulfilled_at`) or breached (`breached_at`), or, for a
-- clock still running, at its due instant (`due_at`: the breach it will be once that instant
-- passes; the team and assignee in force then, which with no later event are the current ones).
-- NULL: the clock has no outcome (paused, not fulfilled), or the ticket had no team / assignee.
-- Written by the projection (src/tickets/projection.rs) with the clock; `metrics rebuild`
-- recomputes them from the log for the stored instants.
ALTER TABLE ticket_sla_clocks
    ADD COLUMN outcome_team_id     BIGINT,
    ADD COLUMN outcome_assignee_id BIGINT;

-- Backfill from the event log, as the projection reads it: the team (the `to` of the latest
-- `field_changed` event of `team_id` at or before the instant, else the `from` of the first
-- one after it, else the ticket's team now) and likewise the assignee (`assigned` events). The
-- projection version rises with this change (src/metrics/rebuild.rs, 5), so the first start
-- recomputes them in Rust anyway; this makes the columns right for a database migrated without
-- starting the service.
WITH o AS (
    SELECT c.ticket_id, c.kind,
           CASE WHEN c.breached_at IS NOT NULL THEN c.breached_at
                WHEN c.fulfilled_at IS NOT NULL THEN c.fulfilled_at
                WHEN c.running THEN c.due_at END AS at
      FROM ticket_sla_clocks c
), credit AS (
    SELECT o.ticket_id, o.kind,
           (coalesce(
               (SELECT jsonb_build_array(e.data -> 'to') FROM ticket_events e
                 WHERE e.ticket_id = o.ticket_id AND e.kind = 'field_changed'
                   AND e.data ->> 'field' = 'team_id' AND e.occurred_at <= o.at
                 ORDER BY e.seq DESC LIMIT 1),
               (SELECT jsonb_build_array(e.data -> 'from') FROM ticket_events e
                 WHERE e.ticket_id = o.ticket_id AND e.kind = 'field_changed'
                   AND e.data ->> 'field' = 'team_id'
                 ORDER BY e.seq LIMIT 1),
               jsonb_build_array(t.team_id)) ->> 0)::bigint AS team_id,
           (coalesce(
               (SELECT jsonb_build_array(e.data -> 'to') FROM ticket_events e
                 WHERE e.ticket_id = o.ticket_id AND e.kind = 'assigned' AND e.occurred_at <= o.at
                 ORDER BY e.seq DESC LIMIT 1),
               (SELECT jsonb_build_array(e.data -> 'from') FROM ticket_events e
                 WHERE e.ticket_id = o.ticket_id AND e.kind = 'assigned'
                 ORDER BY e.seq LIMIT 1),
               jsonb_build_array(t.assignee_id)) ->> 0)::bigint AS assignee_id
      FROM o JOIN tickets t ON t.id = o.ticket_id
     WHERE o.at IS NOT NULL
)
UPDATE ticket_sla_clocks c
   SET outcome_team_id = credit.team_id, outcome_assignee_id = credit.assignee_id
  FROM credit
 WHERE c.ticket_id = credit.ticket_id AND c.kind = credit.kind;
