-- Webhooks (issue 15, item 10; docs/WEBHOOKS.md): admins subscribe URLs to events; each event a
-- change causes is queued per subscribed endpoint in the change's own transaction and delivered
-- by the webhook worker with the outbox's claim/lease/backoff mechanism (FOR UPDATE SKIP LOCKED).

-- A subscribed URL. `secret` signs every delivery (HMAC-SHA256); it is shown once, when made or
-- rotated. An endpoint that failed `webhooks.disable_after_failures` attempts in a row is
-- disabled (`active` false, with when and why); an admin re-enables it.
CREATE TABLE webhook_endpoints (
    id                   bigserial PRIMARY KEY,
    url                  text NOT NULL CHECK (length(url) BETWEEN 10 AND 2000),
    description          text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    events               text[] NOT NULL CHECK (cardinality(events) >= 1),
    secret               text NOT NULL CHECK (length(secret) >= 32),
    active               boolean NOT NULL DEFAULT true,
    -- Failed attempts since the last delivered one.
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    disabled_at          timestamptz,
    disabled_reason      text,
    last_success_at      timestamptz,
    last_failure_at      timestamptz,
    created_by_id        bigint REFERENCES users (id),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- One event for one endpoint: pending until delivered (a 2xx answer), or `failed` after
-- `webhooks.max_attempts` attempts. `payload` is the JSON body (signed when sent); `event_id` is
-- the same for every endpoint the event went to (the receiver's idempotency key).
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    endpoint_id     bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    ticket_id       bigint REFERENCES tickets (id) ON DELETE CASCADE,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a worker may (re)try it; a claim moves it forward by the claim lease.
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    failed_at       timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_ticket ON webhook_deliveries (ticket_id);

-- Every attempt of a delivery, as the admins see it: the answer's status code (NULL: no answer,
-- see `error`), how long it took, and when the next attempt is due (NULL: none).
CREATE TABLE webhook_attempts (
    id            bigserial PRIMARY KEY,
    delivery_id   bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id   bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    attempt       integer NOT NULL CHECK (attempt >= 1),
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    succeeded     boolean NOT NULL,
    error         text,
    duration_ms   integer NOT NULL CHECK (duration_ms >= 0),
    next_retry_at timestamptz
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id DESC);

-- Ticket writes keep the active subscriptions in memory (src/tickets/rules.rs) and read this
-- version in the statement that reads the rules version: a change of an endpoint's URL set,
-- events or active flag bumps it, so a write never queues for an endpoint disabled or deleted
-- before it started, and queues for one created before it started.
ALTER TABLE rules_version ADD COLUMN webhooks_version BIGINT NOT NULL DEFAULT 1;

CREATE FUNCTION bump_webhooks_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rules_version SET webhooks_version = webhooks_version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER webhook_endpoints_bump_webhooks_version
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF events, active ON webhook_endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION bump_webhooks_version();
