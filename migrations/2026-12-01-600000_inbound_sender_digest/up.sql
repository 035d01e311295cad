-- A Message-ID names a message only together with its sender and its bytes: anyone can put
-- another person's Message-ID on their own message, and must then get their own outcome, never
-- the other message's ticket (issue 12). A delivery is a duplicate of a recorded message when
-- all three match; rows recorded before this migration have no digest and match on the first two.
ALTER TABLE inbound_messages ADD COLUMN raw_sha256 text
    CONSTRAINT inbound_messages_raw_sha256_hex CHECK (raw_sha256 ~ '^[0-9a-f]{64}$');
ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_message_id_key;
CREATE UNIQUE INDEX inbound_messages_delivery ON inbound_messages (message_id, sender, raw_sha256);

-- A follow-up of a closed ticket is a ticket created by the message.
UPDATE inbound_messages SET created_ticket = true WHERE follow_up_of IS NOT NULL;
