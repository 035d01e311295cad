-- Business calendars (METRICS.md "Business calendars") and the business-time variant of every
-- per-ticket duration.
CREATE TABLE business_calendars (
    id           BIGINT GENERATED ALWAYS AS IDENTITY,
    name         TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    -- {"monday": [["09:00", "17:00"]], ...}: local opening intervals per weekday; "24:00" allowed.
    weekly_hours JSONB NOT NULL,
    -- Whole local days closed.
    holidays     DATE[] NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT business_calendars_pkey PRIMARY KEY (id),
    CONSTRAINT business_calendars_name_key UNIQUE (name),
    CONSTRAINT business_calendars_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT business_calendars_weekly_hours_object CHECK (jsonb_typeof(weekly_hours) = 'object')
);

ALTER TABLE teams ADD COLUMN calendar_id BIGINT;
ALTER TABLE teams ADD CONSTRAINT teams_calendar_id_fkey FOREIGN KEY (calendar_id)
    REFERENCES business_calendars (id) ON DELETE RESTRICT;
CREATE INDEX teams_calendar_id_idx ON teams (calendar_id);

ALTER TABLE ticket_metrics
    ADD COLUMN first_reply_business_seconds BIGINT,
    ADD COLUMN first_resolution_business_seconds BIGINT,
    ADD COLUMN full_resolution_business_seconds BIGINT,
    ADD COLUMN requester_wait_business_seconds BIGINT,
    ADD COLUMN agent_wait_business_seconds BIGINT,
    ADD COLUMN on_hold_business_seconds BIGINT,
    ADD COLUMN solved_before_reopen_business_seconds BIGINT;

-- Until now every ticket was measured on the implicit 24/7 calendar: business = calendar time.
UPDATE ticket_metrics SET
    first_reply_business_seconds = first_reply_seconds,
    first_resolution_business_seconds = first_resolution_seconds,
    full_resolution_business_seconds = full_resolution_seconds,
    requester_wait_business_seconds = requester_wait_seconds,
    agent_wait_business_seconds = agent_wait_seconds,
    on_hold_business_seconds = on_hold_seconds,
    solved_before_reopen_business_seconds = solved_before_reopen_seconds;
