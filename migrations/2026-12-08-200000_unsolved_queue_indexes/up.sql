-- The queue's sort indexes hold the unsolved tickets only (issue 15, "queues").
--
-- A queue lists unsolved tickets (`status=unsolved`, the default of every agent view). Over
-- the whole table, `sort=sla_due` walked `tickets_sla_due_idx` and skipped every solved or
-- closed ticket before the first unsolved one of its position: solved tickets have no running
-- clock, so they sort with the on-hold ones at `infinity`, and a page there read past all of
-- them (4,569 rows skipped for a first page on the bench's 39,623 tickets, 3.3 ms; with the
-- partial index 0.5 ms). `sort=priority` skipped them at every rank. Partial indexes over the
-- unsolved tickets are a fraction of the size and serve exactly the queue's condition, which
-- the list query states as the same literal list (so that a cached, generic plan can use them).
-- A list of solved tickets by SLA due instant or priority sorts its (filtered) rows instead.
CREATE INDEX tickets_unsolved_sla_due_idx ON tickets ((coalesce(sla_due_at, 'infinity'::timestamptz)), id)
    WHERE status IN ('new', 'open', 'pending', 'on_hold');
CREATE INDEX tickets_unsolved_priority_rank_idx ON tickets ((CASE priority WHEN 'urgent' THEN 0
    WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END), created_at, id)
    WHERE status IN ('new', 'open', 'pending', 'on_hold');
DROP INDEX tickets_sla_due_idx;
DROP INDEX tickets_priority_rank_idx;
