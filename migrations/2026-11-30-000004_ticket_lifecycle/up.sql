-- What agents need to log and work tickets: sites, follow-up links, idempotent creates, full-text search.

-- Places a technician visits, each belonging to one organization.
CREATE TABLE sites (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    organization_id BIGINT NOT NULL,
    name            TEXT NOT NULL,
    time_zone       TEXT NOT NULL DEFAULT 'UTC',
    address         TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sites_pkey PRIMARY KEY (id),
    CONSTRAINT sites_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT sites_organization_name_key UNIQUE (organization_id, name),
    CONSTRAINT sites_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE RESTRICT
);

ALTER TABLE customers ADD CONSTRAINT customers_email_normalised CHECK (email = lower(btrim(email)));

ALTER TABLE tickets ADD COLUMN site_id BIGINT;
ALTER TABLE tickets ADD CONSTRAINT tickets_site_id_fkey FOREIGN KEY (site_id)
    REFERENCES sites (id) ON DELETE RESTRICT;
ALTER TABLE tickets ADD CONSTRAINT tickets_subject_length CHECK (char_length(subject) <= 250);
CREATE INDEX tickets_site_id_idx ON tickets (site_id);
CREATE INDEX tickets_priority_idx ON tickets (priority);
CREATE INDEX tickets_category_idx ON tickets (category);
CREATE INDEX tickets_channel_idx ON tickets (channel);
CREATE INDEX tickets_tags_idx ON tickets USING GIN (tags);
CREATE INDEX tickets_updated_at_idx ON tickets (updated_at);
CREATE INDEX tickets_solved_at_idx ON tickets (solved_at);
-- The auto-close worker looks for solved tickets by solve time.
CREATE INDEX tickets_solved_open_idx ON tickets (solved_at) WHERE status = 'solved';

-- Full-text search over subject (weight A), description (B) and comments (C).
ALTER TABLE tickets ADD COLUMN search_vector TSVECTOR NOT NULL DEFAULT ''::tsvector;
CREATE INDEX tickets_search_vector_idx ON tickets USING GIN (search_vector);

CREATE FUNCTION tickets_search_vector_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.subject, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(
            (SELECT string_agg(body, ' ') FROM comments WHERE ticket_id = NEW.id), '')), 'C');
    RETURN NEW;
END;
$$;
CREATE TRIGGER tickets_search_vector_on_write BEFORE INSERT OR UPDATE OF subject, description ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_search_vector_refresh();

CREATE FUNCTION comments_search_vector_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets SET search_vector = search_vector || setweight(to_tsvector('english', NEW.body), 'C')
     WHERE id = NEW.ticket_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER comments_search_vector_on_insert AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_search_vector_append();

-- Existing rows (imported history).
UPDATE tickets SET subject = subject;

-- Links between tickets: a follow-up of a closed ticket, a duplicate.
CREATE TABLE ticket_links (
    id               BIGINT GENERATED ALWAYS AS IDENTITY,
    ticket_id        BIGINT NOT NULL,
    linked_ticket_id BIGINT NOT NULL,
    kind             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_links_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_links_kind_known CHECK (kind IN ('follow_up', 'duplicate')),
    CONSTRAINT ticket_links_not_self CHECK (ticket_id <> linked_ticket_id),
    CONSTRAINT ticket_links_key UNIQUE (ticket_id, linked_ticket_id, kind),
    CONSTRAINT ticket_links_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
    CONSTRAINT ticket_links_linked_ticket_id_fkey FOREIGN KEY (linked_ticket_id)
        REFERENCES tickets (id) ON DELETE CASCADE
);
CREATE INDEX ticket_links_linked_ticket_id_idx ON ticket_links (linked_ticket_id);

-- Idempotent POSTs: the stored response of a (staff member, Idempotency-Key) pair.
CREATE TABLE idempotency_keys (
    user_id         BIGINT NOT NULL,
    key             TEXT NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request is refused.
    request_hash    BYTEA NOT NULL,
    response_status SMALLINT NOT NULL,
    response_body   JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_key_length CHECK (char_length(key) BETWEEN 1 AND 255),
    CONSTRAINT idempotency_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked'));
