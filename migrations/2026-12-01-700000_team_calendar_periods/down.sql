DROP TRIGGER business_calendars_record_change ON business_calendars;
DROP FUNCTION business_calendars_record_change();
DROP TRIGGER teams_record_calendar ON teams;
DROP FUNCTION teams_record_calendar();
DROP FUNCTION record_team_calendar(BIGINT, BIGINT, TIMESTAMPTZ);
DROP TABLE team_calendar_periods;
