DROP TRIGGER users_notify_access_update ON users;
CREATE TRIGGER users_notify_access_update AFTER UPDATE OF id, role, active, token_generation ON users
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.token_generation IS DISTINCT FROM NEW.token_generation)
    EXECUTE FUNCTION frontline_notify_user_access();
ALTER TABLE users DROP COLUMN also_agent;
