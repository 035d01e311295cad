-- Staff log-in: password hashes (argon2id PHC strings) and revocable, rotating refresh tokens.
ALTER TABLE users ADD COLUMN password_hash TEXT;
-- Emails are stored normalised (trimmed, lower case) by the application; the database insists.
ALTER TABLE users ADD CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)));

CREATE TABLE refresh_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id     BIGINT NOT NULL,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash  BYTEA NOT NULL,
    -- Every token obtained by rotating one login's tokens shares its family; reuse of a rotated
    -- token revokes the whole family (theft detection).
    family_id   UUID NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_expires_after_created CHECK (expires_at > created_at),
    CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
