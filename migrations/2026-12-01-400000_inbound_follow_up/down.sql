ALTER TABLE inbound_messages DROP COLUMN follow_up_of;
