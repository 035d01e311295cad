-- The version of the rules a ticket write applies: the SLA policies, the business calendars and
-- which calendar each team uses. Every change to them bumps `version` in the changing
-- transaction, so a service copy may keep the rules in memory and reload them only when the
-- version it reads differs (src/tickets/rules.rs).
CREATE TABLE rules_version (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version   BIGINT NOT NULL
);
INSERT INTO rules_version (version) VALUES (1);

CREATE FUNCTION bump_rules_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rules_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER sla_policies_bump_rules_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sla_policies
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER business_calendars_bump_rules_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON business_calendars
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();
CREATE TRIGGER teams_bump_rules_version
    AFTER INSERT OR DELETE OR UPDATE OF calendar_id ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_version();

-- The first statement of every ticket write: waits for any SLA policy or calendar change in
-- progress (it holds `lock_key` exclusively), keeps new ones waiting until this transaction ends
-- (shared), and returns the rules version in force. The version is read AFTER the lock is held:
-- a VOLATILE function's queries each take a fresh snapshot under READ COMMITTED, so a change
-- that committed while this call waited is seen.
CREATE FUNCTION ticket_write_lock(lock_key BIGINT) RETURNS BIGINT
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(lock_key);
    RETURN (SELECT version FROM rules_version);
END $$;
