ALTER TABLE ticket_metrics
    DROP COLUMN created_team_id, DROP COLUMN created_sourcing,
    DROP COLUMN first_reply_agent_id, DROP COLUMN first_reply_team_id,
    DROP COLUMN first_reply_sourcing, DROP COLUMN first_reply_agent_employment,
    DROP COLUMN solved_assignee_id, DROP COLUMN solved_team_id,
    DROP COLUMN solved_sourcing, DROP COLUMN solved_assignee_employment;
DROP TRIGGER team_sourcing_periods_bump_rules_version ON team_sourcing_periods;
DROP TRIGGER user_periods_bump_rules_version ON user_periods;
DROP TRIGGER teams_record_sourcing ON teams;
DROP FUNCTION teams_record_sourcing();
DROP TRIGGER users_record_period ON users;
DROP FUNCTION users_record_period();
DROP TABLE team_sourcing_periods;
DROP TABLE user_periods;
