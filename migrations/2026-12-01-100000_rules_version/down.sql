DROP FUNCTION ticket_write_lock(BIGINT);
DROP TRIGGER teams_bump_rules_version ON teams;
DROP TRIGGER business_calendars_bump_rules_version ON business_calendars;
DROP TRIGGER sla_policies_bump_rules_version ON sla_policies;
DROP FUNCTION bump_rules_version();
DROP TABLE rules_version;
