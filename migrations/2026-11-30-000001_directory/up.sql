-- Directory: customer institutions, requesters, staff and teams.
CREATE TYPE team_kind AS ENUM ('contact_center', 'field_service');
CREATE TYPE team_sourcing AS ENUM ('in_house', 'outsourced');
CREATE TYPE user_role AS ENUM ('admin', 'manager', 'agent', 'technician');
CREATE TYPE employment_type AS ENUM ('employee', 'contractor');

CREATE TABLE organizations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    name        TEXT NOT NULL,
    external_id TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT organizations_pkey PRIMARY KEY (id),
    CONSTRAINT organizations_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT organizations_external_id_key UNIQUE (external_id)
);

CREATE TABLE customers (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    name            TEXT NOT NULL,
    email           TEXT,
    phone           TEXT,
    organization_id BIGINT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    CONSTRAINT customers_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT customers_email_key UNIQUE (email),
    CONSTRAINT customers_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE SET NULL
);
CREATE INDEX customers_organization_id_idx ON customers (organization_id);

CREATE TABLE teams (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    name        TEXT NOT NULL,
    kind        team_kind NOT NULL,
    sourcing    team_sourcing NOT NULL,
    vendor_name TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT teams_pkey PRIMARY KEY (id),
    CONSTRAINT teams_name_key UNIQUE (name),
    CONSTRAINT teams_name_not_blank CHECK (btrim(name) <> ''),
    -- An outsourced team names its vendor; an in-house team has none.
    CONSTRAINT teams_vendor_matches_sourcing CHECK (
        (sourcing = 'outsourced' AND vendor_name IS NOT NULL) OR
        (sourcing = 'in_house' AND vendor_name IS NULL))
);

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    name            TEXT NOT NULL,
    email           TEXT,
    role            user_role NOT NULL,
    employment_type employment_type NOT NULL DEFAULT 'employee',
    team_id         BIGINT,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    -- Identifier of the staff member in an imported source (e.g. 'Value 2' in the help-desk log).
    external_id     TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_external_id_key UNIQUE (external_id),
    CONSTRAINT users_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL
);
CREATE INDEX users_team_id_idx ON users (team_id);
