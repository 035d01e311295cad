-- Projection of each ticket's SLA clocks (one row per target of the policy that applies), kept
-- in the same transaction as every ticket write, and the events the SLA worker records.
ALTER TABLE sla_policies ADD COLUMN warning_seconds BIGINT;
ALTER TABLE sla_policies ADD CONSTRAINT sla_policies_warning_positive CHECK (warning_seconds > 0);

CREATE TABLE ticket_sla_clocks (
    ticket_id      BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    policy_id      BIGINT NOT NULL,
    target_seconds BIGINT NOT NULL,
    business       BOOLEAN NOT NULL,
    -- The clock runs now (as of the ticket's latest event).
    running        BOOLEAN NOT NULL,
    -- Running clocks: when the target falls due.
    due_at         TIMESTAMPTZ,
    -- Running clocks of a policy with a warning: when to warn.
    warning_at     TIMESTAMPTZ,
    fulfilled_at   TIMESTAMPTZ,
    -- A breach already visible in the event log (the clock stopped after its due instant).
    breached_at    TIMESTAMPTZ,
    -- Set by the SLA worker once the breach / warning event is recorded (a refresh resets them;
    -- the unique index on ticket_events keeps the events exactly-once anyway).
    breach_recorded  BOOLEAN NOT NULL DEFAULT FALSE,
    warning_recorded BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT ticket_sla_clocks_pkey PRIMARY KEY (ticket_id, kind),
    CONSTRAINT ticket_sla_clocks_kind_known CHECK (kind IN ('first_reply', 'next_reply', 'resolution', 'agent_work')),
    CONSTRAINT ticket_sla_clocks_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
    CONSTRAINT ticket_sla_clocks_policy_id_fkey FOREIGN KEY (policy_id) REFERENCES sla_policies (id) ON DELETE CASCADE
);
CREATE INDEX ticket_sla_clocks_due_idx ON ticket_sla_clocks (due_at) WHERE running;
CREATE INDEX ticket_sla_clocks_warning_idx ON ticket_sla_clocks (warning_at) WHERE running;
CREATE INDEX ticket_sla_clocks_unrecorded_idx ON ticket_sla_clocks (ticket_id)
    WHERE NOT breach_recorded OR NOT warning_recorded;
CREATE INDEX ticket_sla_clocks_breached_idx ON ticket_sla_clocks (breached_at) WHERE breached_at IS NOT NULL;
CREATE INDEX ticket_sla_clocks_fulfilled_idx ON ticket_sla_clocks (fulfilled_at) WHERE fulfilled_at IS NOT NULL;

ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'sla_breached', 'sla_warning'));
-- One breach (or warning) event per ticket, target and instant, however many workers run.
CREATE UNIQUE INDEX ticket_events_sla_once ON ticket_events (ticket_id, kind, (data->>'target'), (data->>'at'))
    WHERE kind IN ('sla_breached', 'sla_warning');
