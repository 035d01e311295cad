ALTER TABLE ticket_metrics
    DROP COLUMN first_reply_business_seconds,
    DROP COLUMN first_resolution_business_seconds,
    DROP COLUMN full_resolution_business_seconds,
    DROP COLUMN requester_wait_business_seconds,
    DROP COLUMN agent_wait_business_seconds,
    DROP COLUMN on_hold_business_seconds,
    DROP COLUMN solved_before_reopen_business_seconds;
DROP INDEX teams_calendar_id_idx;
ALTER TABLE teams DROP CONSTRAINT teams_calendar_id_fkey;
ALTER TABLE teams DROP COLUMN calendar_id;
DROP TABLE business_calendars;
