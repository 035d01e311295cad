CREATE INDEX tickets_sla_due_idx ON tickets ((coalesce(sla_due_at, 'infinity'::timestamptz)), id);
CREATE INDEX tickets_priority_rank_idx ON tickets ((CASE priority WHEN 'urgent' THEN 0
    WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END), created_at, id);
DROP INDEX tickets_unsolved_sla_due_idx;
DROP INDEX tickets_unsolved_priority_rank_idx;
