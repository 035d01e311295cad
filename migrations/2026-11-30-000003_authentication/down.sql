DROP TABLE refresh_tokens;
ALTER TABLE users DROP CONSTRAINT users_email_normalised;
ALTER TABLE users DROP COLUMN password_hash;
