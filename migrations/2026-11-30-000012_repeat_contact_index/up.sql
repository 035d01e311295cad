-- repeat_contact.v1 looks, for each ticket, for a solve of another ticket of the same requester
-- and category in the 7 days before its creation: an index range with this index. Without it a
-- requester with thousands of tickets (a facility's staff) made the rate quadratic.
CREATE INDEX tickets_requester_category_solved_idx ON tickets (requester_id, category, solved_at);
