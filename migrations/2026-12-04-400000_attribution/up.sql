-- Attribution at the instant (docs/METRICS.md §7, "Attribution"): a figure belongs to whoever was
-- responsible when it happened, read with the team, sourcing and employment type of that
-- instant. Two history tables, written only by the triggers below so every path (API, seed,
-- importer, psql) records them, as `team_calendar_periods` does for calendars: a staff member's
-- team and employment type, and a team's sourcing and vendor, each in force from `valid_from`
-- on. What a row had when it was created (or when this table was made) holds from '-infinity':
-- history seeded or imported for it is read with its first values.
CREATE TABLE user_periods (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    valid_from      TIMESTAMPTZ NOT NULL,
    team_id         BIGINT,
    employment_type employment_type NOT NULL,
    PRIMARY KEY (user_id, valid_from)
);

CREATE TABLE team_sourcing_periods (
    team_id     BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    valid_from  TIMESTAMPTZ NOT NULL,
    sourcing    team_sourcing NOT NULL,
    vendor_name TEXT,
    PRIMARY KEY (team_id, valid_from)
);

-- A second change in the same transaction (same `now()`) replaces the first.
CREATE FUNCTION users_record_period() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (NEW.team_id, NEW.employment_type)
                           IS DISTINCT FROM (OLD.team_id, OLD.employment_type) THEN
        INSERT INTO user_periods AS p (user_id, valid_from, team_id, employment_type)
        VALUES (NEW.id, CASE WHEN TG_OP = 'INSERT' THEN '-infinity'::timestamptz ELSE now() END,
                NEW.team_id, NEW.employment_type)
        ON CONFLICT (user_id, valid_from) DO UPDATE
           SET team_id = EXCLUDED.team_id, employment_type = EXCLUDED.employment_type;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER users_record_period
    AFTER INSERT OR UPDATE OF team_id, employment_type ON users
    FOR EACH ROW EXECUTE FUNCTION users_record_period();

CREATE FUNCTION teams_record_sourcing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (NEW.sourcing, NEW.vendor_name)
                           IS DISTINCT FROM (OLD.sourcing, OLD.vendor_name) THEN
        INSERT INTO team_sourcing_periods AS p (team_id, valid_from, sourcing, vendor_name)
        VALUES (NEW.id, CASE WHEN TG_OP = 'INSERT' THEN '-infinity'::timestamptz ELSE now() END,
                NEW.sourcing, NEW.vendor_name)
        ON CONFLICT (team_id, valid_from) DO UPDATE
           SET sourcing = EXCLUDED.sourcing, vendor_name = EXCLUDED.vendor_name;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER teams_record_sourcing
    AFTER INSERT OR UPDATE OF sourcing, vendor_name ON teams
    FOR EACH ROW EXECUTE FUNCTION teams_record_sourcing();

-- The service keeps both histories in memory with the rules (src/tickets/rules.rs): a change
-- bumps the rules version so every copy reloads them. It re-projects nothing: a change applies
-- from its instant on, and what happened before keeps its attribution.
CREATE TRIGGER user_periods_bump_rules_version
    AFTER INSERT OR UPDATE OR DELETE ON user_periods
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER team_sourcing_periods_bump_rules_version
    AFTER INSERT OR UPDATE OR DELETE ON team_sourcing_periods
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();

INSERT INTO user_periods (user_id, valid_from, team_id, employment_type)
SELECT id, '-infinity', team_id, employment_type FROM users;
INSERT INTO team_sourcing_periods (team_id, valid_from, sourcing, vendor_name)
SELECT id, '-infinity', sourcing, vendor_name FROM teams;

-- Who each figure of a ticket is credited to (filled by the projection; NULL: not happened yet,
-- or nobody — e.g. a reply by a staff member since deleted).
ALTER TABLE ticket_metrics
    -- Volumes and repeat contacts: the team at creation, else the creating staff member's team.
    ADD COLUMN created_team_id              BIGINT,
    ADD COLUMN created_sourcing             team_sourcing,
    -- First reply time: the agent who wrote the reply, and that agent's team at that instant.
    ADD COLUMN first_reply_agent_id         BIGINT,
    ADD COLUMN first_reply_team_id          BIGINT,
    ADD COLUMN first_reply_sourcing         team_sourcing,
    ADD COLUMN first_reply_agent_employment employment_type,
    -- Resolution, reopens, one-touch, FCR, CSAT: the assignee and team at the latest solve.
    ADD COLUMN solved_assignee_id           BIGINT,
    ADD COLUMN solved_team_id               BIGINT,
    ADD COLUMN solved_sourcing              team_sourcing,
    ADD COLUMN solved_assignee_employment   employment_type;
