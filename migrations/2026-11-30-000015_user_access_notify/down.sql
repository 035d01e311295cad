DROP TRIGGER users_notify_access_truncate ON users;
DROP TRIGGER users_notify_access_delete ON users;
DROP TRIGGER users_notify_access_update ON users;
DROP FUNCTION frontline_notify_user_access();
