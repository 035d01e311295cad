-- pgbench: the SQL of GET /api/v1/tickets?per_page=25 (first page, newest first).
SELECT id, number, external_id, subject, description, status, priority, channel, category, tags,
       requester_id, organization_id, team_id, assignee_id, created_by_id, version, created_at,
       updated_at, solved_at, closed_at, site_id
  FROM tickets ORDER BY created_at DESC, id DESC LIMIT 26;
