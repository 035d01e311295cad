-- A reply by email to a closed ticket starts a follow-up: keep the closed ticket it follows, so
-- that a duplicate delivery of the same message answers exactly the first outcome (issue 12).
ALTER TABLE inbound_messages ADD COLUMN follow_up_of bigint
    CONSTRAINT inbound_messages_follow_up_of_fkey REFERENCES tickets (id) ON DELETE SET NULL;
