-- Attachments (issue 15, item 8; docs/TICKETS.md): files on comments (a photo of a broken kiosk,
-- a receipt). The bytes live in the attachment store (a local folder or an S3-compatible bucket,
-- `[attachments]` settings) under `storage_key`; this row is their metadata. A redaction deletes
-- the stored object and keeps the row, with the file name replaced and `redacted_at` set.
CREATE TABLE attachments (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    comment_id     bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    filename       text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    -- Sniffed from the bytes (never the client's word), e.g. image/jpeg.
    content_type   text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
    size_bytes     bigint NOT NULL CHECK (size_bytes >= 0),
    -- Lower-case hex SHA-256 of the bytes.
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key    text NOT NULL UNIQUE,
    uploaded_by_id bigint REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    redacted_at    timestamptz,
    redacted_by_id bigint REFERENCES users (id)
);
CREATE INDEX attachments_ticket_id_idx ON attachments (ticket_id);
CREATE INDEX attachments_comment_id_idx ON attachments (comment_id);

-- Uploads and redactions of attachments are ticket events.
ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_kind_known;
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_kind_known CHECK (kind IN (
    'created', 'assigned', 'comment_added', 'status_changed', 'priority_changed', 'note',
    'field_changed', 'linked', 'sla_breached', 'sla_warning', 'work_order', 'notification',
    'survey_answered', 'comment_redacted', 'macro_applied', 'attachment_added',
    'attachment_redacted')) NOT VALID;
ALTER TABLE ticket_events VALIDATE CONSTRAINT ticket_events_kind_known;
