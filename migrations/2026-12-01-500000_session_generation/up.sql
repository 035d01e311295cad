-- Sessions end when they should (issue 16): every access token carries the user's
-- `token_generation`; a password change or a log-out bumps it, so tokens issued before are
-- refused at once. The access cache of every service copy learns of the bump through the same
-- notification as a role change (migration user_access_notify).
ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0;

DROP TRIGGER users_notify_access_update ON users;
CREATE TRIGGER users_notify_access_update AFTER UPDATE OF id, role, active, token_generation ON users
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.token_generation IS DISTINCT FROM NEW.token_generation)
    EXECUTE FUNCTION frontline_notify_user_access();
