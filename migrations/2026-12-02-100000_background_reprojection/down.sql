CREATE FUNCTION ticket_write_lock(lock_key BIGINT) RETURNS BIGINT
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(lock_key);
    RETURN (SELECT version FROM rules_version);
END $$;
ALTER TABLE rules_version DROP COLUMN reproject_version;
DROP INDEX ticket_metrics_open_rules_version_idx;
ALTER TABLE ticket_metrics DROP COLUMN rules_version;
