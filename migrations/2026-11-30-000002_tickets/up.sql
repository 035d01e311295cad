-- Tickets, their comments, the append-only event log and the per-ticket metric projection.
CREATE TYPE ticket_status AS ENUM ('new', 'open', 'pending', 'on_hold', 'solved', 'closed');
CREATE TYPE ticket_priority AS ENUM ('low', 'normal', 'high', 'urgent');
CREATE TYPE ticket_channel AS ENUM ('phone', 'email', 'web', 'chat', 'field');
CREATE TYPE comment_author_kind AS ENUM ('agent', 'customer', 'system');

-- Human ticket numbers: unique under concurrency, never reused.
CREATE SEQUENCE ticket_number_seq AS BIGINT START WITH 1000;

CREATE TABLE tickets (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    number          BIGINT NOT NULL DEFAULT nextval('ticket_number_seq'),
    -- Ticket id in an imported source (e.g. 'Case3608'); makes imports idempotent.
    external_id     TEXT,
    subject         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    status          ticket_status NOT NULL DEFAULT 'new',
    priority        ticket_priority NOT NULL DEFAULT 'normal',
    -- NULL when the source did not record the channel (e.g. imported history).
    channel         ticket_channel,
    category        TEXT,
    tags            TEXT[] NOT NULL DEFAULT '{}',
    requester_id    BIGINT,
    organization_id BIGINT,
    team_id         BIGINT,
    assignee_id     BIGINT,
    created_by_id   BIGINT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    solved_at       TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ,
    CONSTRAINT tickets_pkey PRIMARY KEY (id),
    CONSTRAINT tickets_number_key UNIQUE (number),
    CONSTRAINT tickets_external_id_key UNIQUE (external_id),
    CONSTRAINT tickets_subject_not_blank CHECK (btrim(subject) <> ''),
    CONSTRAINT tickets_version_positive CHECK (version > 0),
    CONSTRAINT tickets_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT tickets_requester_id_fkey FOREIGN KEY (requester_id) REFERENCES customers (id) ON DELETE RESTRICT,
    CONSTRAINT tickets_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT tickets_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL,
    CONSTRAINT tickets_assignee_id_fkey FOREIGN KEY (assignee_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT tickets_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES users (id) ON DELETE SET NULL
);
ALTER SEQUENCE ticket_number_seq OWNED BY tickets.number;
-- Keyset pagination (newest first) and the list filters.
CREATE INDEX tickets_created_at_id_idx ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_status_created_at_idx ON tickets (status, created_at DESC, id DESC);
CREATE INDEX tickets_assignee_created_at_idx ON tickets (assignee_id, created_at DESC, id DESC);
CREATE INDEX tickets_requester_id_idx ON tickets (requester_id);
CREATE INDEX tickets_organization_id_idx ON tickets (organization_id);
CREATE INDEX tickets_team_id_idx ON tickets (team_id);

CREATE TABLE comments (
    id             BIGINT GENERATED ALWAYS AS IDENTITY,
    ticket_id      BIGINT NOT NULL,
    author_kind    comment_author_kind NOT NULL,
    author_user_id BIGINT,
    public         BOOLEAN NOT NULL,
    body           TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT comments_pkey PRIMARY KEY (id),
    CONSTRAINT comments_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
    CONSTRAINT comments_author_user_id_fkey FOREIGN KEY (author_user_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT comments_agent_has_author CHECK (author_kind <> 'agent' OR author_user_id IS NOT NULL)
);
CREATE INDEX comments_ticket_id_idx ON comments (ticket_id, created_at, id);

-- Append-only: every change to a ticket is one row here, written in the same transaction as the change.
-- `seq` orders the events of one ticket (events with equal timestamps keep their order).
CREATE TABLE ticket_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY,
    ticket_id     BIGINT NOT NULL,
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    occurred_at   TIMESTAMPTZ NOT NULL,
    actor_user_id BIGINT,
    from_status   ticket_status,
    to_status     ticket_status,
    data          JSONB NOT NULL DEFAULT '{}'::jsonb,
    recorded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_events_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_events_ticket_seq_key UNIQUE (ticket_id, seq),
    CONSTRAINT ticket_events_seq_positive CHECK (seq > 0),
    CONSTRAINT ticket_events_kind_known CHECK (kind IN (
        'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note')),
    CONSTRAINT ticket_events_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
    CONSTRAINT ticket_events_actor_user_id_fkey FOREIGN KEY (actor_user_id) REFERENCES users (id) ON DELETE SET NULL
);

CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

-- Projection of the event log: one row per ticket, every duration in calendar seconds (METRICS.md ids).
-- A duration is NULL until its stop event has happened.
CREATE TABLE ticket_metrics (
    ticket_id                         BIGINT NOT NULL,
    created_at                        TIMESTAMPTZ NOT NULL,
    agent_created                     BOOLEAN NOT NULL,
    first_reply_at                    TIMESTAMPTZ,
    first_reply_seconds               BIGINT,
    first_resolved_at                 TIMESTAMPTZ,
    first_resolution_seconds          BIGINT,
    latest_solved_at                  TIMESTAMPTZ,
    full_resolution_seconds           BIGINT,
    requester_wait_seconds            BIGINT,
    agent_wait_seconds                BIGINT,
    on_hold_seconds                   BIGINT,
    solved_before_reopen_seconds      BIGINT,
    replies                           INTEGER NOT NULL DEFAULT 0,
    reopens                           INTEGER NOT NULL DEFAULT 0,
    closed_at                         TIMESTAMPTZ,
    updated_at                        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_metrics_pkey PRIMARY KEY (ticket_id),
    CONSTRAINT ticket_metrics_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
    CONSTRAINT ticket_metrics_durations_non_negative CHECK (
        coalesce(first_reply_seconds, 0) >= 0 AND coalesce(first_resolution_seconds, 0) >= 0 AND
        coalesce(full_resolution_seconds, 0) >= 0 AND coalesce(requester_wait_seconds, 0) >= 0 AND
        coalesce(agent_wait_seconds, 0) >= 0 AND coalesce(on_hold_seconds, 0) >= 0),
    CONSTRAINT ticket_metrics_counts_non_negative CHECK (replies >= 0 AND reopens >= 0)
);
-- Period membership (METRICS.md "Aggregates and periods").
CREATE INDEX ticket_metrics_first_reply_at_idx ON ticket_metrics (first_reply_at) INCLUDE (first_reply_seconds);
CREATE INDEX ticket_metrics_latest_solved_at_idx ON ticket_metrics (latest_solved_at)
    INCLUDE (full_resolution_seconds, reopens);
CREATE INDEX ticket_metrics_created_at_idx ON ticket_metrics (created_at);
