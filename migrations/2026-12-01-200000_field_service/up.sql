-- Field service: assets at sites, work orders with their technician and arrival window, the
-- technicians' time off and skills, and the per-work-order metrics projection
-- (docs/METRICS.md §8). Enumerations are TEXT with CHECK constraints: the accepted values live
-- in src/domain/work_order.rs and src/domain/asset.rs.

-- The overlap rule of dispatch is an exclusion constraint (technician =, window &&).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- An asset's site must belong to the asset's organization: the pair is the foreign key.
ALTER TABLE sites ADD CONSTRAINT sites_id_organization_id_key UNIQUE (id, organization_id);

CREATE TABLE assets (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    site_id         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    asset_tag       TEXT NOT NULL,
    serial_number   TEXT,
    model           TEXT,
    installed_on    DATE,
    status          TEXT NOT NULL DEFAULT 'in_service',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT assets_pkey PRIMARY KEY (id),
    CONSTRAINT assets_site_fkey FOREIGN KEY (site_id, organization_id)
        REFERENCES sites (id, organization_id),
    CONSTRAINT assets_kind_check CHECK (kind IN ('inmate_phone', 'payment_kiosk',
        'video_visitation_terminal', 'tablet', 'network_gear', 'other')),
    CONSTRAINT assets_status_check CHECK (status IN ('in_service', 'out_of_service', 'retired')),
    CONSTRAINT assets_asset_tag_not_blank CHECK (btrim(asset_tag) <> ''),
    CONSTRAINT assets_organization_id_asset_tag_key UNIQUE (organization_id, asset_tag),
    CONSTRAINT assets_organization_id_serial_number_key UNIQUE (organization_id, serial_number)
);
CREATE INDEX assets_site_id_idx ON assets (site_id, id);

ALTER TABLE tickets ADD COLUMN asset_id BIGINT
    CONSTRAINT tickets_asset_id_fkey REFERENCES assets (id);
CREATE INDEX tickets_asset_id_idx ON tickets (asset_id) WHERE asset_id IS NOT NULL;

-- Skills a technician has (a work order's `required_skill` must be one of them to dispatch).
ALTER TABLE users ADD COLUMN skills TEXT[] NOT NULL DEFAULT '{}';

CREATE TABLE work_orders (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY,
    ticket_id              BIGINT NOT NULL,
    organization_id        BIGINT NOT NULL,
    site_id                BIGINT NOT NULL,
    asset_id               BIGINT,
    status                 TEXT NOT NULL DEFAULT 'scheduled',
    priority               ticket_priority NOT NULL DEFAULT 'normal',
    summary                TEXT NOT NULL,
    required_skill         TEXT,
    escort_required        BOOLEAN NOT NULL DEFAULT FALSE,
    security_clearance     TEXT,
    access_notes           TEXT,
    technician_id          BIGINT,
    window_start           TIMESTAMPTZ,
    window_end             TIMESTAMPTZ,
    follow_up_of           BIGINT,
    created_by_id          BIGINT,
    created_at             TIMESTAMPTZ NOT NULL,
    -- Device instants of the transitions (what metrics use); the receipt instants are the
    -- `recorded_at` of the ticket events.
    dispatched_at          TIMESTAMPTZ,
    en_route_at            TIMESTAMPTZ,
    on_site_at             TIMESTAMPTZ,
    finished_at            TIMESTAMPTZ,
    last_transition_at     TIMESTAMPTZ NOT NULL,
    resolution_code        TEXT,
    completion_notes       TEXT,
    parts                  JSONB NOT NULL DEFAULT '[]',
    problem_fixed          BOOLEAN,
    cannot_complete_reason TEXT,
    cancel_reason          TEXT,
    version                INTEGER NOT NULL DEFAULT 1,
    updated_at             TIMESTAMPTZ NOT NULL,
    CONSTRAINT work_orders_pkey PRIMARY KEY (id),
    CONSTRAINT work_orders_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id),
    CONSTRAINT work_orders_site_fkey FOREIGN KEY (site_id, organization_id)
        REFERENCES sites (id, organization_id),
    CONSTRAINT work_orders_asset_id_fkey FOREIGN KEY (asset_id) REFERENCES assets (id),
    CONSTRAINT work_orders_technician_id_fkey FOREIGN KEY (technician_id) REFERENCES users (id),
    CONSTRAINT work_orders_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES users (id),
    CONSTRAINT work_orders_follow_up_of_fkey FOREIGN KEY (follow_up_of) REFERENCES work_orders (id),
    CONSTRAINT work_orders_status_check CHECK (status IN ('scheduled', 'dispatched', 'en_route',
        'on_site', 'completed', 'cannot_complete', 'cancelled')),
    CONSTRAINT work_orders_summary_not_blank CHECK (btrim(summary) <> ''),
    CONSTRAINT work_orders_window_check CHECK (
        (window_start IS NULL AND window_end IS NULL) OR window_start < window_end),
    CONSTRAINT work_orders_dispatch_check CHECK (
        status IN ('scheduled', 'cancelled')
        OR (technician_id IS NOT NULL AND window_start IS NOT NULL)),
    CONSTRAINT work_orders_cannot_complete_reason_check CHECK (cannot_complete_reason IN
        ('no_access', 'parts_needed', 'customer_absent', 'other')),
    -- One technician is never promised two places at once: the arrival windows of their open
    -- work orders do not overlap ('[)' ranges: windows that only touch do not).
    CONSTRAINT work_orders_technician_window_excl EXCLUDE USING gist (
        technician_id WITH =, tstzrange(window_start, window_end) WITH &&)
        WHERE (status IN ('dispatched', 'en_route', 'on_site'))
);
CREATE INDEX work_orders_ticket_id_idx ON work_orders (ticket_id);
CREATE INDEX work_orders_technician_idx ON work_orders (technician_id, window_start)
    WHERE technician_id IS NOT NULL;
CREATE INDEX work_orders_site_asset_idx ON work_orders (site_id, asset_id, created_at);
CREATE INDEX work_orders_asset_id_idx ON work_orders (asset_id) WHERE asset_id IS NOT NULL;
CREATE INDEX work_orders_follow_up_of_idx ON work_orders (follow_up_of)
    WHERE follow_up_of IS NOT NULL;

-- Recorded time off of a staff member (a technician cannot be dispatched into it).
CREATE TABLE time_off (
    id         BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id    BIGINT NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    reason     TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT time_off_pkey PRIMARY KEY (id),
    CONSTRAINT time_off_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT time_off_range_check CHECK (starts_at < ends_at)
);
CREATE INDEX time_off_user_id_idx ON time_off (user_id, starts_at);

-- One row per work order: the field metrics of docs/METRICS.md §8, a projection of the work
-- order and its ticket's log, written in the same transaction as every change to either and
-- recomputed by `frontline metrics rebuild`.
CREATE TABLE work_order_metrics (
    work_order_id                    BIGINT NOT NULL,
    ticket_id                        BIGINT NOT NULL,
    organization_id                  BIGINT NOT NULL,
    site_id                          BIGINT NOT NULL,
    asset_id                         BIGINT,
    asset_kind                       TEXT,
    technician_id                    BIGINT,
    -- The technician's employment type and team when the work order ended (null while open).
    technician_employment_type       employment_type,
    technician_team_id               BIGINT,
    status                           TEXT NOT NULL,
    first_visit                      BOOLEAN NOT NULL,
    created_at                       TIMESTAMPTZ NOT NULL,
    on_site_at                       TIMESTAMPTZ,
    finished_at                      TIMESTAMPTZ,
    problem_fixed                    BOOLEAN,
    travel_seconds                   BIGINT,
    travel_business_seconds          BIGINT,
    wrench_seconds                   BIGINT,
    wrench_business_seconds          BIGINT,
    time_to_arrival_seconds          BIGINT,
    time_to_arrival_business_seconds BIGINT,
    arrival_window_met               BOOLEAN,
    -- First reopen of the ticket after `finished_at` (first_time_fix.v1).
    reopened_at                      TIMESTAMPTZ,
    updated_at                       TIMESTAMPTZ NOT NULL,
    CONSTRAINT work_order_metrics_pkey PRIMARY KEY (work_order_id),
    CONSTRAINT work_order_metrics_work_order_id_fkey FOREIGN KEY (work_order_id)
        REFERENCES work_orders (id) ON DELETE CASCADE
);
CREATE INDEX work_order_metrics_finished_at_idx ON work_order_metrics (finished_at);
CREATE INDEX work_order_metrics_ticket_id_idx ON work_order_metrics (ticket_id);

-- Change tracking for the in-memory metrics store, as for ticket_metrics (migration 13).
ALTER TABLE work_order_metrics ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX work_order_metrics_changed_xid_idx ON work_order_metrics (changed_xid);
CREATE TRIGGER work_order_metrics_stamp_changed_xid BEFORE UPDATE ON work_order_metrics
    FOR EACH ROW EXECUTE FUNCTION frontline_stamp_changed_xid();
