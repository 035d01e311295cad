-- "Managers … not public replies unless given the agent role too" (issue 15, item 4): a staff
-- member has one role; `also_agent` gives a manager an agent's ticket rights as well (public
-- replies, status changes, new tickets). Set by admins (PATCH /users/{id}); honoured for
-- managers only (an admin has those rights, an agent is one, a technician never). A change is
-- announced like a role change, so every service copy drops its cached access at once.
ALTER TABLE users ADD COLUMN also_agent BOOLEAN NOT NULL DEFAULT false;

DROP TRIGGER users_notify_access_update ON users;
CREATE TRIGGER users_notify_access_update
    AFTER UPDATE OF id, role, active, token_generation, also_agent ON users
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.token_generation IS DISTINCT FROM NEW.token_generation
          OR OLD.also_agent IS DISTINCT FROM NEW.also_agent)
    EXECUTE FUNCTION frontline_notify_user_access();
