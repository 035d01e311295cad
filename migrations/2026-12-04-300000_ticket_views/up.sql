-- Saved views: a named filter set of `GET /tickets` (its query string), personal or shared with a
-- team. The query is validated when saved and read again with the same parser when used.
CREATE TABLE ticket_views (
    id         BIGINT GENERATED ALWAYS AS IDENTITY,
    name       TEXT NOT NULL,
    owner_id   BIGINT NOT NULL,
    -- Shared with the members of this team; NULL: the owner's own.
    team_id    BIGINT,
    query      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ticket_views_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_views_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT ticket_views_owner_id_name_key UNIQUE (owner_id, name),
    CONSTRAINT ticket_views_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT ticket_views_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE
);
CREATE INDEX ticket_views_team_id_idx ON ticket_views (team_id) WHERE team_id IS NOT NULL;
