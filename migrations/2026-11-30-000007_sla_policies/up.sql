-- SLA policies (METRICS.md "SLA"): matched top-down by position; the first active match wins.
CREATE TABLE sla_policies (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    -- {"organization_ids": [], "team_ids": [], "channels": [], "priorities": [], "categories": []}
    conditions  JSONB NOT NULL DEFAULT '{}'::jsonb,
    -- {"urgent": {"first_reply": {"seconds": 3600, "business": true}, ...}, ...}
    targets     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sla_policies_pkey PRIMARY KEY (id),
    CONSTRAINT sla_policies_name_key UNIQUE (name),
    CONSTRAINT sla_policies_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT sla_policies_conditions_object CHECK (jsonb_typeof(conditions) = 'object'),
    CONSTRAINT sla_policies_targets_object CHECK (jsonb_typeof(targets) = 'object')
);
CREATE INDEX sla_policies_position_idx ON sla_policies (position, id) WHERE active;
