UPDATE inbound_messages SET created_ticket = false WHERE follow_up_of IS NOT NULL;
DROP INDEX inbound_messages_delivery;
-- The old key holds one message per Message-ID: the first one recorded is kept.
DELETE FROM inbound_messages later USING inbound_messages first
    WHERE later.message_id = first.message_id AND later.id > first.id;
ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_message_id_key UNIQUE (message_id);
ALTER TABLE inbound_messages DROP COLUMN raw_sha256;
