-- Categories and custom ticket fields (issue 15, item 5).
--
-- The category catalogue: `key` is the stable identifier a ticket stores in `tickets.category`
-- (never changes); `name` is what people read and may be renamed. Every rename (and creation,
-- (de)activation) is a row of `ticket_category_events`. The API accepts only catalogue
-- categories; the importer and the seed add the keys they bring (docs/TICKETS.md).
CREATE TABLE ticket_categories (
    id         BIGINT GENERATED ALWAYS AS IDENTITY,
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_categories_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_categories_key_key UNIQUE (key),
    CONSTRAINT ticket_categories_key_lower CHECK (key = lower(btrim(key)) AND key <> ''),
    CONSTRAINT ticket_categories_name_not_blank CHECK (btrim(name) <> '')
);

CREATE TABLE ticket_category_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY,
    category_id   BIGINT NOT NULL,
    -- created, renamed, deactivated, activated
    kind          TEXT NOT NULL,
    from_name     TEXT,
    to_name       TEXT,
    -- NULL: the importer or the seed.
    actor_user_id BIGINT,
    occurred_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_category_events_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_category_events_category_id_fkey FOREIGN KEY (category_id)
        REFERENCES ticket_categories (id) ON DELETE CASCADE,
    CONSTRAINT ticket_category_events_actor_user_id_fkey FOREIGN KEY (actor_user_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT ticket_category_events_kind_known
        CHECK (kind IN ('created', 'renamed', 'deactivated', 'activated'))
);
CREATE INDEX ticket_category_events_category_id_idx ON ticket_category_events (category_id, id);

-- The categories tickets already carry, named by their key.
INSERT INTO ticket_categories (key, name)
SELECT DISTINCT category, category FROM tickets WHERE category IS NOT NULL;
INSERT INTO ticket_category_events (category_id, kind, to_name)
SELECT id, 'created', name FROM ticket_categories;

-- Custom ticket fields an admin defines; a ticket's values are `tickets.custom_fields`
-- (`{"key": value}`; a field without a value is absent).
CREATE TABLE ticket_fields (
    id                BIGINT GENERATED ALWAYS AS IDENTITY,
    key               TEXT NOT NULL,
    label             TEXT NOT NULL,
    -- text, number, date, dropdown, checkbox
    field_type        TEXT NOT NULL,
    -- The drop-down's options (values as stored and shown); empty for the other types.
    options           TEXT[] NOT NULL DEFAULT '{}',
    required_on_solve BOOLEAN NOT NULL DEFAULT false,
    active            BOOLEAN NOT NULL DEFAULT true,
    position          INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_fields_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_fields_key_key UNIQUE (key),
    CONSTRAINT ticket_fields_key_format CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    CONSTRAINT ticket_fields_label_not_blank CHECK (btrim(label) <> ''),
    CONSTRAINT ticket_fields_type_known
        CHECK (field_type IN ('text', 'number', 'date', 'dropdown', 'checkbox'))
);

ALTER TABLE tickets ADD COLUMN custom_fields JSONB NOT NULL DEFAULT '{}';
CREATE INDEX tickets_custom_fields_idx ON tickets USING gin (custom_fields jsonb_path_ops);
