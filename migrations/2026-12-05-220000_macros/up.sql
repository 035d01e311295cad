-- Macros (issue 15, item 6): canned actions an admin or agent defines — a reply from a template
-- with ticket placeholders plus field changes — applied to a ticket in one call. Personal (the
-- owner's), shared with a team, or shared with everyone (admins only), as Zendesk's.
CREATE TABLE macros (
    id           BIGINT GENERATED ALWAYS AS IDENTITY,
    name         TEXT NOT NULL,
    owner_id     BIGINT NOT NULL,
    -- Shared with the members of this team; NULL: not shared with a team.
    team_id      BIGINT,
    -- Shared with every admin and agent.
    shared       BOOLEAN NOT NULL DEFAULT false,
    -- The reply's template (`{{ticket.number}}`, …); NULL: no reply.
    reply        TEXT,
    reply_public BOOLEAN NOT NULL DEFAULT true,
    -- status, hold_reason, priority, assignee_id, team_id, add_tags, remove_tags (validated
    -- when saved).
    actions      JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT macros_pkey PRIMARY KEY (id),
    CONSTRAINT macros_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT macros_owner_id_name_key UNIQUE (owner_id, name),
    CONSTRAINT macros_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT macros_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE
);
CREATE INDEX macros_team_id_idx ON macros (team_id) WHERE team_id IS NOT NULL;

-- Applying one is a ticket event, `macro_applied` (the macro's id and name), followed by the
-- events of the changes it made.
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'sla_breached', 'sla_warning', 'work_order', 'notification',
    'survey_answered', 'comment_redacted', 'macro_applied')) NOT VALID;
ALTER TABLE ticket_events VALIDATE CONSTRAINT ticket_events_kind_known;
