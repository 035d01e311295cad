-- Which calendar measured each team's business time, and from when (docs/METRICS.md §3): a
-- change of calendar applies from the change on, never backwards. Each row is a snapshot of the
-- calendar's definition in force for the team from `valid_from` on (NULL definition: no calendar,
-- 24/7 in UTC), so a later edit of the calendar itself starts a new period instead of rewriting
-- the old one. The calendar a team is created with (or had when this table was made) holds from
-- '-infinity': history imported or seeded into a team is measured on its first calendar.
-- Written only by the triggers below, so every path (API, seed, importer, psql) records it.
CREATE TABLE team_calendar_periods (
    team_id      BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    valid_from   TIMESTAMPTZ NOT NULL,
    calendar_id  BIGINT,
    time_zone    TEXT,
    weekly_hours JSONB,
    holidays     DATE[],
    PRIMARY KEY (team_id, valid_from),
    CONSTRAINT team_calendar_periods_definition CHECK (
        (time_zone IS NULL) = (weekly_hours IS NULL) AND (time_zone IS NULL) = (holidays IS NULL))
);

-- Records `team`'s calendar `cal` (NULL: none) as in force from `at` on; a second change in
-- the same transaction (same `now()`) replaces the first.
CREATE FUNCTION record_team_calendar(team BIGINT, cal BIGINT, at TIMESTAMPTZ) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO team_calendar_periods AS p (team_id, valid_from, calendar_id, time_zone, weekly_hours, holidays)
    SELECT team, at, c.id, c.time_zone, c.weekly_hours, c.holidays
      FROM (SELECT 1) AS one LEFT JOIN business_calendars c ON c.id = cal
    ON CONFLICT (team_id, valid_from) DO UPDATE
       SET calendar_id = EXCLUDED.calendar_id, time_zone = EXCLUDED.time_zone,
           weekly_hours = EXCLUDED.weekly_hours, holidays = EXCLUDED.holidays;
$$;

CREATE FUNCTION teams_record_calendar() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM record_team_calendar(NEW.id, NEW.calendar_id, '-infinity');
    ELSIF NEW.calendar_id IS DISTINCT FROM OLD.calendar_id THEN
        PERFORM record_team_calendar(NEW.id, NEW.calendar_id, now());
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER teams_record_calendar
    AFTER INSERT OR UPDATE OF calendar_id ON teams
    FOR EACH ROW EXECUTE FUNCTION teams_record_calendar();

CREATE FUNCTION business_calendars_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.time_zone, NEW.weekly_hours, NEW.holidays)
       IS DISTINCT FROM (OLD.time_zone, OLD.weekly_hours, OLD.holidays) THEN
        PERFORM record_team_calendar(t.id, NEW.id, now()) FROM teams t WHERE t.calendar_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER business_calendars_record_change
    AFTER UPDATE ON business_calendars
    FOR EACH ROW EXECUTE FUNCTION business_calendars_record_change();

-- Existing teams: their current calendar, from -infinity (as before this table, which measured a
-- ticket's whole history on its team's current calendar).
INSERT INTO team_calendar_periods (team_id, valid_from, calendar_id, time_zone, weekly_hours, holidays)
SELECT t.id, '-infinity', c.id, c.time_zone, c.weekly_hours, c.holidays
  FROM teams t LEFT JOIN business_calendars c ON c.id = t.calendar_id;
