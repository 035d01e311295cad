-- pgbench: the SQL one POST /api/v1/tickets runs (src/tickets/create.rs, models/ticket/), with the
-- same rows and statements, so its throughput is the database's ceiling for that request on this
-- schema (tests/api/write_path.rs pins the statement count: these plus r2d2's check-out ping).
BEGIN;
SELECT version FROM rules_version;
SELECT id, name, email, phone, organization_id, created_at, updated_at FROM customers WHERE id = :requester;
INSERT INTO tickets (subject, description, status, priority, channel, category, tags, requester_id,
    organization_id, site_id, team_id, assignee_id, created_by_id, version, created_at, updated_at,
    solved_at, closed_at)
  VALUES ('Kiosk in block C rejects cards', 'Caller reports every card is rejected since this morning.',
    'new', 'high', 'phone', 'account funding', '{kiosk}',
    :requester, NULL, NULL, NULL, NULL, :actor, 1, now(), now(), NULL, NULL)
  RETURNING id \gset
INSERT INTO ticket_events (ticket_id, seq, kind, occurred_at, actor_user_id, from_status, to_status, data) VALUES
  (:id, 1, 'created', now(), :actor, NULL, NULL, '{"kind":"created","agent_created":true,"with_public_agent_comment":true}'),
  (:id, 2, 'comment_added', now(), :actor, NULL, NULL, '{"kind":"comment_added","author":"agent","public":true}'),
  (:id, 3, 'priority_changed', now(), :actor, NULL, NULL, '{"kind":"priority_changed","from":"normal","to":"high"}');
INSERT INTO comments (ticket_id, author_kind, author_user_id, public, body, created_at)
  VALUES (:id, 'agent', :actor, true, 'Caller reports every card is rejected since this morning.', now());
INSERT INTO ticket_metrics (ticket_id, created_at, agent_created, replies, reopens, rules_version)
  VALUES (:id, now(), true, 0, 0, 1)
  ON CONFLICT (ticket_id) DO UPDATE SET updated_at = now(), rules_version = 1;
COMMIT;
