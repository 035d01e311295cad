-- Customers hear from us: the transactional outbox, email opt-out, CSAT/NPS surveys and the
-- inbound messages already processed (issue 12).

-- A customer who unsubscribed receives no notice and no survey; the ticket's log says so.
ALTER TABLE customers ADD COLUMN email_opt_out boolean NOT NULL DEFAULT false;

-- Every email to send. A change writes its row in its own transaction; the outbox worker claims
-- due rows (FOR UPDATE SKIP LOCKED), renders `data` with the compiled templates and sends it.
-- `dedupe_key` is unique per (event, recipient): one change never queues two emails.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('ticket_received', 'agent_reply', 'ticket_solved',
                        'visit_scheduled', 'technician_en_route', 'survey_invitation')),
    dedupe_key      text NOT NULL UNIQUE,
    ticket_id       bigint REFERENCES tickets (id) ON DELETE CASCADE,
    customer_id     bigint REFERENCES customers (id),
    recipient       text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 320),
    -- What the templates need, as it was when the change happened (ticket number and subject,
    -- the reply's text, the arrival window in the site's zone, the survey id ...).
    data            jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'dead', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a worker may (re)try it; a claim moves it forward by the claim lease.
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    dead_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_dead ON outbox (dead_at DESC, id DESC) WHERE status = 'dead';
CREATE INDEX outbox_ticket ON outbox (ticket_id, id);

-- A CSAT/NPS survey: one per solve of a ticket whose requester has an email and did not opt out.
-- The ticket's rating is the latest answer of its surveys; every answer is also a ticket event.
CREATE TABLE surveys (
    id                bigserial PRIMARY KEY,
    ticket_id         bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    customer_id       bigint NOT NULL REFERENCES customers (id),
    -- The solve it asks about, and who was responsible then (METRICS.md attribution: CSAT).
    solved_at         timestamptz NOT NULL,
    assignee_id       bigint REFERENCES users (id),
    team_id           bigint REFERENCES teams (id),
    created_at        timestamptz NOT NULL,
    -- The invitation's due instant (solve + configured delay) and the link's end (28 days).
    invite_at         timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    -- When the first message carrying the link was delivered (NULL: not surveyed yet).
    sent_at           timestamptz,
    -- Not sent because the ticket was reopened before the delay.
    cancelled_at      timestamptz,
    -- The latest answer.
    answered_at       timestamptz,
    score             smallint CHECK (score BETWEEN 1 AND 5),
    nps               smallint CHECK (nps BETWEEN 0 AND 10),
    comment           text CHECK (length(comment) <= 5000),
    consent_to_quote  boolean NOT NULL DEFAULT false,
    -- The ticket was reopened after this answer.
    pre_reopen        boolean NOT NULL DEFAULT false,
    CHECK ((answered_at IS NULL) = (score IS NULL))
);
CREATE INDEX surveys_ticket ON surveys (ticket_id, id);
CREATE INDEX surveys_answered ON surveys (answered_at) WHERE answered_at IS NOT NULL;

-- Inbound emails already processed, by Message-ID: a duplicate delivery is ignored.
CREATE TABLE inbound_messages (
    id            bigserial PRIMARY KEY,
    message_id    text NOT NULL UNIQUE CHECK (length(message_id) BETWEEN 1 AND 998),
    ticket_id     bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    comment_id    bigint REFERENCES comments (id) ON DELETE SET NULL,
    -- The message started a new ticket (unknown sender or ticket).
    created_ticket boolean NOT NULL,
    sender        text NOT NULL,
    received_at   timestamptz NOT NULL
);

-- Notices (queued, or suppressed with the reason) and survey answers are ticket events.
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'sla_breached', 'sla_warning', 'work_order', 'notification',
    'survey_answered')) NOT VALID;
ALTER TABLE ticket_events VALIDATE CONSTRAINT ticket_events_kind_known;
