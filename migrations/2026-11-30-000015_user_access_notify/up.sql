-- Role and active changes of staff are announced on the channel `frontline_user_access`, so that
-- every service copy drops its cached copy of that staff member's access at once
-- (src/auth/access.rs). The payload is the user's id, or '*' when any row may have changed.
-- PostgreSQL delivers a notification only when its transaction commits, and once per distinct
-- payload per transaction.
CREATE FUNCTION frontline_notify_user_access() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('frontline_user_access', '*');
        RETURN NULL;
    END IF;
    PERFORM pg_notify('frontline_user_access', OLD.id::text);
    IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
        PERFORM pg_notify('frontline_user_access', NEW.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_access_update AFTER UPDATE OF id, role, active ON users
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.active IS DISTINCT FROM NEW.active)
    EXECUTE FUNCTION frontline_notify_user_access();
CREATE TRIGGER users_notify_access_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION frontline_notify_user_access();
CREATE TRIGGER users_notify_access_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION frontline_notify_user_access();
