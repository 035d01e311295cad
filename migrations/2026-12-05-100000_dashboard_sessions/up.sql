-- The managers' dashboard's browser sessions (issue 14; src/auth/session.rs, docs/DASHBOARD.md).
-- The cookie holds a random 32-byte token; only its SHA-256 is stored, so a copy of this table
-- logs no one in. Each session has its own CSRF secret (the hidden field of every form).
CREATE TABLE dashboard_sessions (
    id BIGSERIAL PRIMARY KEY,
    token_hash BYTEA NOT NULL CONSTRAINT dashboard_sessions_token_hash_key UNIQUE
        CONSTRAINT dashboard_sessions_token_hash_sha256 CHECK (octet_length(token_hash) = 32),
    user_id BIGINT NOT NULL CONSTRAINT dashboard_sessions_user_id_fkey
        REFERENCES users (id) ON DELETE CASCADE,
    -- The CSRF token of the session's forms (random, base64url).
    csrf_secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    -- Set by log-out (or when the account's sessions end).
    revoked_at TIMESTAMPTZ,
    CONSTRAINT dashboard_sessions_expire_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX dashboard_sessions_user_id_idx ON dashboard_sessions (user_id) WHERE revoked_at IS NULL;
